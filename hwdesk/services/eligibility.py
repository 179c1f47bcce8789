"""Who may use an online service: each office's own conditions, each cited.

``check`` returns the checklist the readiness panel, the booking rule and
``hwdesk eligibility`` all show. Requirements come from the office profile
(``data/offices``), which is transcribed from that office's terms (docs/rules.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import Date, String, bindparam, case, exists, func
from sqlmodel import Session, col, select

from hwdesk.errors import NotFound
from hwdesk.jtext import format_wareki
from hwdesk.models import Approval, Consent, EnvCheck, Seeker, TermsNotice, TermsVersion, Termination
from hwdesk.services.consent import ConsentStatus, needs_notice
from hwdesk.services.offices import profile
from hwdesk.services.seekers import get_seeker
from hwdesk.terms import OfficeProfile, cite_text, service_label


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


@dataclass(frozen=True)
class TermsRef:
    """The terms version in force, as far as the rules need it."""

    id: int
    version: int
    effective_on: date


@dataclass(frozen=True)
class ConsentRef:
    """The seeker's newest consent at the office (only its id is read by the rules)."""

    id: int


@dataclass(frozen=True)
class EnvRef:
    """The newest environment self-check at the office."""

    id: int
    all_ok: bool
    declared_on: date


@dataclass(frozen=True)
class Facts:
    """Everything the office's rules read about one seeker, for one service on one day."""

    prof: OfficeProfile
    seeker: Seeker  # or a row with the Seeker columns (booking reads it with a Core statement)
    service: str
    on: date
    status: ConsentStatus
    env: EnvRef | None
    approved: bool
    termination: Termination | None


_FACTS_STMT = None


def facts_stmt():
    """One statement reading every per-seeker fact of the rules (built once, compiled once).

    Parameters ``seeker_id``, ``office_id``, ``on``, ``service``. A caller may add columns of its
    own (booking adds its overlap and seat reads: one round trip) and pass the row to ``from_row``."""
    global _FACTS_STMT
    if _FACTS_STMT is not None:
        return _FACTS_STMT
    s_id, o_id = bindparam("seeker_id", type_=Seeker.__table__.c.id.type), bindparam("office_id", type_=String())  # type: ignore[attr-defined]
    on, svc = bindparam("on", type_=Date()), bindparam("service", type_=String())
    tv = TermsVersion.__table__.alias("tv")  # type: ignore[attr-defined]
    t2 = TermsVersion.__table__.alias("t2")  # type: ignore[attr-defined]
    c, e = Consent.__table__, EnvCheck.__table__  # type: ignore[attr-defined]
    # In force: the newest version whose date has come, else the first one (as offices.terms_in_force).
    in_force = (select(t2.c.id).where(t2.c.office_id == o_id)
                .order_by(case((t2.c.effective_on <= on, t2.c.version), else_=-t2.c.version).desc()).limit(1).scalar_subquery())
    newest_consent = select(c.c.id).where(c.c.seeker_id == s_id, c.c.office_id == o_id).order_by(c.c.given_at.desc(), c.c.id.desc()).limit(1)
    ct = TermsVersion.__table__.alias("ct")  # type: ignore[attr-defined]
    consented = (select(ct.c.version).select_from(c.join(ct, ct.c.id == c.c.terms_version_id))
                 .where(c.c.seeker_id == s_id, c.c.office_id == o_id).order_by(c.c.given_at.desc(), c.c.id.desc()).limit(1))
    n = TermsNotice.__table__  # type: ignore[attr-defined]
    notified = exists().where(n.c.seeker_id == s_id, n.c.terms_version_id == tv.c.id)

    def env(column):
        return (select(column).where(e.c.seeker_id == s_id, e.c.office_id == o_id)
                .order_by(e.c.recorded_at.desc(), e.c.id.desc()).limit(1).scalar_subquery())

    a = Approval.__table__  # type: ignore[attr-defined]
    approval = select(a.c.id).where(a.c.seeker_id == s_id, a.c.office_id == o_id, a.c.service == svc, a.c.revoked_at.is_(None)).limit(1)
    t = Termination.__table__  # type: ignore[attr-defined]
    # Only how many unlifted stops exist: whether one is in force is decided in active_termination.
    stops = select(func.count()).select_from(t).where(t.c.seeker_id == s_id, t.c.office_id == o_id, t.c.lifted_at.is_(None),
                                                      t.c.scope != "session")
    _FACTS_STMT = select(
        tv.c.id, tv.c.version, tv.c.effective_on, newest_consent.scalar_subquery().label("consent_id"),
        consented.scalar_subquery().label("consented_version"), notified.label("notified"),
        env(e.c.id).label("env_id"), env(e.c.all_ok).label("env_all_ok"), env(e.c.declared_on).label("env_declared_on"),
        approval.scalar_subquery().label("approval_id"), stops.scalar_subquery().label("stops"),
    ).where(tv.c.id == in_force)
    return _FACTS_STMT


def facts(session: Session, *, seeker_id: int, office_id: str, service: str, on: date | None = None,
          prof: OfficeProfile | None = None, seeker=None) -> Facts:
    """Read what the rules of ``office_id`` need about a seeker in one query (plus the seeker and
    office rows, usually already in the session, and the stop rows only when there are any).

    A caller that has just read (and locked) them passes ``prof`` and ``seeker`` (the ORM object or
    a row with the Seeker columns) so they are not read again (issue 8: booking)."""
    on = on or date.today()
    prof = prof or profile(session, office_id)
    seeker = seeker if seeker is not None else get_seeker(session, seeker_id)
    session.flush()  # the Core execution below does not autoflush; pending changes must be seen
    row = session.connection().execute(
        facts_stmt(), {"seeker_id": seeker_id, "office_id": office_id, "on": on, "service": service}).first()
    return from_row(session, row, prof=prof, seeker=seeker, office_id=office_id, service=service, on=on)


def from_row(session: Session, row, *, prof: OfficeProfile, seeker, office_id: str, service: str, on: date) -> Facts:
    """The ``Facts`` of a row of ``facts_stmt()`` (None: the office has no terms → NotFound); the
    stop rows are read only when the row counts unlifted ones."""
    if row is None:
        raise NotFound(f"{office_id} の規約が登録されていません。", f"No terms are registered for {office_id}.")
    in_force = TermsRef(row.id, row.version, row.effective_on)
    version = row.consented_version
    status = ConsentStatus(office_id, in_force, ConsentRef(row.consent_id) if row.consent_id is not None else None,  # type: ignore[arg-type]
                           version, needs_notice(version, in_force.version) and bool(row.notified))
    env = EnvRef(row.env_id, bool(row.env_all_ok), row.env_declared_on) if row.env_id is not None else None
    term = active_termination(session, seeker_id=seeker.id, office_id=office_id, on=on) if row.stops else None
    return Facts(prof, seeker, service, on, status, env, row.approval_id is not None, term)


def check(session: Session, *, seeker_id: int, office_id: str, service: str, on: date | None = None, session_id: int | None = None) -> list[Requirement]:
    """Every condition of ``office_id``'s terms for ``service`` on ``on``, passed or failed."""
    return evaluate(facts(session, seeker_id=seeker_id, office_id=office_id, service=service, on=on))


def evaluate(f: Facts) -> list[Requirement]:
    """The checklist from facts already read (``facts``): each rule of the office, with its article."""
    prof, seeker, service = f.prof, f.seeker, f.service
    req = prof.requirements
    out: list[Requirement] = []

    offered = service in prof.services
    out.append(Requirement(
        "service", offered, f"{service_label(service)}の実施", f"{service_label(service, 'en')} offered", "規約前文",
        "" if offered else f"{prof.name}はこのサービスをオンラインで実施していません。",
        "" if offered else f"{prof.raw['name_en']} does not offer this service online.", "",
    ))

    consent_cite = cite_text(req["consent"]["cite"])
    status = f.status
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
        chk = f.env
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
        ok = f.approved
        out.append(Requirement("approval", ok, "ハローワークによる必要性の認定", "Need recognized by the office", cite_text(appr["cite"]),
                               "" if ok else "個別支援担当による必要性の認定が記録されていません。", "" if ok else "No recorded recognition of need.", "approval"))

    term = f.termination
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
