"""Who may use an online service: each office's own conditions, each cited.

``check`` returns the checklist the readiness panel, the booking rule and
``hwdesk eligibility`` all show. Requirements come from the office profile
(``data/offices``), which is transcribed from that office's terms (docs/rules.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlmodel import Session, col, select

from hwdesk.jtext import format_wareki
from hwdesk.models import Termination
from hwdesk.services.consent import active_approval, consent_status, latest_env_check
from hwdesk.services.offices import profile
from hwdesk.services.seekers import get_seeker
from hwdesk.terms import cite_text, service_label


@dataclass(frozen=True)
class Requirement:
    """One line of the checklist: passed or failed, with the article and what fixes it."""

    key: str
    ok: bool
    label: str
    label_en: str
    cite: str
    detail: str = ""
    detail_en: str = ""
    fix: str = ""  # the screen that fixes it: consent, registration, webcam, environment, approval, termination

    def as_dict(self, lang: str = "ja") -> dict:
        """For JSON output."""
        d = asdict(self)
        d["article"] = d.pop("cite")
        return d

    def line(self, office_name: str, lang: str = "ja") -> str:
        """A one-line message citing the office's article."""
        mark = "✔" if self.ok else "✘"
        where = f"{office_name} {self.cite}".strip()
        if lang == "en":
            return f"{mark} {self.label_en} ({where}){': ' + self.detail_en if self.detail_en else ''}"
        return f"{mark} {self.label}（{where}）{'：' + self.detail if self.detail else ''}"


def check(session: Session, *, seeker_id: int, office_id: str, service: str, on: date | None = None, session_id: int | None = None) -> list[Requirement]:
    """Every condition of ``office_id``'s terms for ``service`` on ``on``, passed or failed."""
    on = on or date.today()
    prof = profile(session, office_id)
    seeker = get_seeker(session, seeker_id)
    req = prof.requirements
    out: list[Requirement] = []

    offered = service in prof.services
    out.append(Requirement(
        "service", offered, f"{service_label(service)}の実施", f"{service_label(service, 'en')} offered", "規約前文",
        "" if offered else f"{prof.name}はこのサービスをオンラインで実施していません。",
        "" if offered else f"{prof.raw['name_en']} does not offer this service online.", "",
    ))

    consent_cite = cite_text(req["consent"]["cite"])
    status = consent_status(session, seeker_id=seeker_id, office_id=office_id, on=on)
    if req["consent"]["method"] == "deemed_by_use":
        detail = "" if status.consent else "利用をもって同意したものとみなされます（予約時に記録）。"
        out.append(Requirement("consent", True, "利用規約への同意", "Consent to the terms", consent_cite, detail,
                               "" if status.consent else "Using the service counts as consent (recorded on booking).", "consent"))
    elif status.current:
        out.append(Requirement("consent", True, "利用規約への同意", "Consent to the terms", consent_cite))
    elif status.consent is None:
        out.append(Requirement("consent", False, "利用規約への同意", "Consent to the terms", consent_cite,
                               "同意（利用の申込み）が記録されていません。", "No consent (application) is recorded.", "consent"))
    else:
        eff = status.in_force.effective_on
        revision = prof.cite("revision")
        out.append(Requirement(
            "consent", False, "利用規約への同意", "Consent to the terms", consent_cite,
            f"規約は{format_wareki(eff)}に改訂されました。改訂の告知（{revision}）か新しい版への同意が必要です。",
            f"The terms were revised effective {eff.isoformat()}; notify the revision ({revision}) or record consent to the new version.",
            "consent",
        ))

    reg = req.get("registration")
    if reg:
        ok = seeker.registered_on is not None and seeker.registration_kind in ("online", "office")
        detail = detail_en = ""
        if ok and seeker.registration_kind == "online" and reg.get("online_switches_to_office"):
            detail = "オンライン登録者は申込み時にハローワーク利用登録者に切り替わります（予約時に記録）。"
            detail_en = "An online registrant is switched to an office registrant on applying (recorded on booking)."
        if not ok:
            detail, detail_en = "求職登録が完了していません。", "Job-seeker registration is not complete."
        out.append(Requirement("registration", ok, "求職登録の完了", "Registration complete", cite_text(reg["cite"]), detail, detail_en, "registration"))

    cam = req.get("webcam")
    if cam:
        ok = seeker.webcam_confirmed
        out.append(Requirement("webcam", ok, "WEBカメラによる通信が可能な端末", "Device with a webcam", cite_text(cam["cite"]),
                               "" if ok else "WEBカメラ端末の所有が確認されていません。", "" if ok else "No webcam device confirmed.", "webcam"))

    env = req.get("environment")
    if env:
        chk = latest_env_check(session, seeker_id=seeker_id, office_id=office_id)
        ok = chk is not None and chk.all_ok
        if chk is None:
            d, de = "利用環境の確認が記録されていません。", "No environment self-check is recorded."
        elif not chk.all_ok:
            d, de = f"{format_wareki(chk.declared_on)}の確認で満たさない項目があります。", f"The check of {chk.declared_on} has failed items."
        else:
            d, de = "", ""
        out.append(Requirement("environment", ok, "利用環境（端末・接続環境・個室）", "Environment (device, network, private room)", cite_text(env["cite"]), d, de, "environment"))

    appr = req.get("approval")
    if appr and service in appr.get("services", []):
        a = active_approval(session, seeker_id=seeker_id, office_id=office_id, service=service)
        ok = a is not None
        out.append(Requirement("approval", ok, "ハローワークによる必要性の認定", "Need recognized by the office", cite_text(appr["cite"]),
                               "" if ok else "個別支援担当による必要性の認定が記録されていません。", "" if ok else "No recorded recognition of need.", "approval"))

    term = active_termination(session, seeker_id=seeker_id, office_id=office_id, on=on)
    stop_cite = prof.cite("stop_use")
    if term is None:
        out.append(Requirement("termination", True, "利用の中止を受けていないこと", "Not stopped from using the service", stop_cite))
    else:
        until = f"{format_wareki(term.until)}まで" if term.until else ""
        out.append(Requirement("termination", False, "利用の中止を受けていないこと", "Not stopped from using the service", term.cite or stop_cite,
                               f"利用が中止されています{('（' + until + '）') if until else ''}。", f"Use is stopped{(' until ' + term.until.isoformat()) if term.until else ''}.", "termination"))
    return out


def active_termination(session: Session, *, seeker_id: int, office_id: str, on: date) -> Termination | None:
    """A termination in force on ``on`` (suspended until a later date, or use ended), not lifted."""
    rows = session.exec(
        select(Termination).where(Termination.seeker_id == seeker_id, Termination.office_id == office_id,
                                  col(Termination.lifted_at).is_(None), Termination.scope != "session")
    ).all()
    for t in rows:
        if t.scope == "ended" or (t.scope == "suspended" and (t.until is None or t.until >= on)):
            return t
    return None


def failures(reqs: list[Requirement]) -> list[Requirement]:
    """The failed items."""
    return [r for r in reqs if not r.ok]
