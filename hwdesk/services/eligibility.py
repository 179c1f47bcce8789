"""The rule engine: who may use an online service, by each office's own conditions, each cited.

``evaluate`` is the one function that decides every condition of use (``hwdesk.conditions``: the
office profile's ``requirements``, each with its article and the key phrase of its text) for a
seeker, an office, a service and a date. The readiness panel, booking (``scheduling.book``), the
queue's warnings (``queue``, from facts read in bulk), ``hwdesk eligibility`` and the handout's
requirement lines all go through it; no condition is written anywhere else. ``check`` reads the
facts of one seeker (``facts``: one statement, plus the registration's attendances only when the
date lies past its first period) and evaluates them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import Date, String, bindparam, case, exists, func
from sqlmodel import Session, col, select

from hwdesk.clock import today_jst
from hwdesk.conditions import Condition, conditions
from hwdesk.errors import NotFound
from hwdesk.jtext.dates import format_date_en, format_wareki
from hwdesk.models import (
    REGISTRATION_KINDS,
    Approval,
    Consent,
    EnvCheck,
    Seeker,
    Termination,
    TermsNotice,
    TermsVersion,
)
from hwdesk.services import registration as reg_period
from hwdesk.services.consent import ConsentStatus, needs_notice
from hwdesk.services.offices import profile
from hwdesk.services.seekers import get_seeker
from hwdesk.terms import OfficeProfile


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
    code: str = ""  # why it failed, as the queue's warning key (no_consent, terms_revised, env_failed …)
    phrase: str = ""  # the key phrase of the article's text the condition rests on
    cite_en: str = ""  # the article in English (Art. 1 item 4)

    def as_dict(self, lang: str = "ja") -> dict:
        """For JSON output."""
        d = asdict(self)
        d["article"] = d.pop("cite")
        d["article_en"] = d.pop("cite_en")
        return d

    def line(self, office_name: str, lang: str = "ja") -> str:
        """A one-line message citing the office's article."""
        from hwdesk.texts import pick, tr

        cite = pick(self.cite, self.cite_en or self.cite, lang)
        detail = pick(self.detail, self.detail_en, lang)
        return tr(
            "eligibility.line",
            lang,
            mark="✔" if self.ok else "✘",
            label=pick(self.label, self.label_en, lang),
            where=f"{office_name} {cite}".strip(),
            detail=tr("eligibility.detail", lang, detail=detail) if detail else "",
        )


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
    """The newest environment self-check at the office: its answers (device items and the private room)."""

    id: int
    answers: dict
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
    approval_wish: bool | None  # None: no approval; else whether the wish for continuing counseling is recorded
    termination: Termination | None
    agreement_ended: date | None = None  # 渋谷 第9条第2項: the day use ended, with no consent given since
    registration_until: date | None = None


_FACTS_STMT = None


def facts_stmt():
    """One statement reading every per-seeker fact of the rules (built once, compiled once).

    Parameters ``seeker_id``, ``office_id``, ``on``, ``service``. A caller may add columns of its
    own (booking adds its overlap and seat reads: one round trip) and pass the row to ``from_row``."""
    global _FACTS_STMT
    if _FACTS_STMT is not None:
        return _FACTS_STMT
    s_id, o_id = bindparam("seeker_id", type_=Seeker.__table__.c.id.type), bindparam("office_id", type_=String())  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    on, svc = bindparam("on", type_=Date()), bindparam("service", type_=String())
    tv = TermsVersion.__table__.alias("tv")  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    t2 = TermsVersion.__table__.alias("t2")  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    c, e = Consent.__table__, EnvCheck.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    # In force: the newest version whose date has come, else the first one (as offices.terms_in_force).
    in_force = (
        select(t2.c.id)
        .where(t2.c.office_id == o_id)
        .order_by(case((t2.c.effective_on <= on, t2.c.version), else_=-t2.c.version).desc())
        .limit(1)
        .scalar_subquery()
    )

    def newest_consent(column):
        return (
            select(column)
            .where(c.c.seeker_id == s_id, c.c.office_id == o_id)
            .order_by(c.c.given_at.desc(), c.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    ct = TermsVersion.__table__.alias("ct")  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    consented = (
        select(ct.c.version)
        .select_from(c.join(ct, ct.c.id == c.c.terms_version_id))
        .where(c.c.seeker_id == s_id, c.c.office_id == o_id)
        .order_by(c.c.given_at.desc(), c.c.id.desc())
        .limit(1)
    )
    n = TermsNotice.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    notified = exists().where(n.c.seeker_id == s_id, n.c.terms_version_id == tv.c.id)

    def env(column):
        return (
            select(column)
            .where(e.c.seeker_id == s_id, e.c.office_id == o_id)
            .order_by(e.c.recorded_at.desc(), e.c.id.desc())
            .limit(1)
            .scalar_subquery()
        )

    a = Approval.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    approval = (
        select(a.c.wishes_continuing)
        .where(a.c.seeker_id == s_id, a.c.office_id == o_id, a.c.service == svc, a.c.revoked_at.is_(None))
        .order_by(a.c.wishes_continuing.desc(), a.c.id.desc())
        .limit(1)
    )
    t = Termination.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    # Only how many unlifted stops exist: whether one is in force is decided in active_termination.
    stops = (
        select(func.count())
        .select_from(t)
        .where(t.c.seeker_id == s_id, t.c.office_id == o_id, t.c.lifted_at.is_(None), t.c.scope != "session")
    )
    # The latest lifted 'ended' stop (渋谷 第9条第2項: the agreement ended then).
    ended = select(func.max(t.c.decided_at)).where(
        t.c.seeker_id == s_id, t.c.office_id == o_id, t.c.scope == "ended", t.c.lifted_at.is_not(None)
    )
    _FACTS_STMT = select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
        tv.c.id,
        tv.c.version,
        tv.c.effective_on,
        newest_consent(c.c.id).label("consent_id"),
        newest_consent(c.c.given_at).label("consent_at"),
        consented.scalar_subquery().label("consented_version"),
        notified.label("notified"),
        env(e.c.id).label("env_id"),
        env(e.c.answers_json).label("env_answers"),
        env(e.c.declared_on).label("env_declared_on"),
        approval.scalar_subquery().label("approval_wish"),
        stops.scalar_subquery().label("stops"),
        ended.scalar_subquery().label("ended_at"),
    ).where(tv.c.id == in_force)
    return _FACTS_STMT


def facts(
    session: Session,
    *,
    seeker_id: int,
    office_id: str,
    service: str,
    on: date | None = None,
    prof: OfficeProfile | None = None,
    seeker=None,
) -> Facts:
    """Read what the rules of ``office_id`` need about a seeker in one query (plus the seeker and
    office rows, usually already in the session, the stop rows only when there are any, and the
    registration's attendances only when ``on`` lies past its first period).

    A caller that has just read (and locked) them passes ``prof`` and ``seeker`` (the ORM object or
    a row with the Seeker columns) so they are not read again (booking reads them once)."""
    on = on or today_jst()
    prof = prof or profile(session, office_id)
    seeker = seeker if seeker is not None else get_seeker(session, seeker_id)
    session.flush()  # the Core execution below does not autoflush; pending changes must be seen
    row = (
        session.connection()
        .execute(facts_stmt(), {"seeker_id": seeker_id, "office_id": office_id, "on": on, "service": service})
        .first()
    )
    return from_row(session, row, prof=prof, seeker=seeker, office_id=office_id, service=service, on=on)


def _utc(dt):
    """A datetime read by a Core aggregate (max) may come back as text or naive on SQLite."""
    from datetime import UTC, datetime

    if dt is None or isinstance(dt, datetime) and dt.tzinfo is not None:
        return dt
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def from_row(session: Session, row, *, prof: OfficeProfile, seeker, office_id: str, service: str, on: date) -> Facts:
    """The ``Facts`` of a row of ``facts_stmt()`` (None: the office has no terms → NotFound); the
    stop rows are read only when the row counts unlifted ones, the registration's attendances
    only when the office asks for a valid registration and ``on`` lies past its first period."""
    from hwdesk.clock import JST

    if row is None:
        raise NotFound(f"{office_id} の規約が登録されていません。", f"No terms are registered for {office_id}.")
    in_force = TermsRef(row.id, row.version, row.effective_on)
    version = row.consented_version
    status = ConsentStatus(
        office_id,
        in_force,
        ConsentRef(row.consent_id) if row.consent_id is not None else None,
        version,
        needs_notice(version, in_force.version) and bool(row.notified),
    )
    env = (
        EnvRef(row.env_id, json.loads(row.env_answers or "{}"), row.env_declared_on) if row.env_id is not None else None
    )
    term = active_termination(session, seeker_id=seeker.id, office_id=office_id, on=on) if row.stops else None
    ended_on = None
    if row.ended_at is not None and prof.ends_agreement:
        ended_at, consent_at = _utc(row.ended_at), _utc(row.consent_at)
        if consent_at is None or consent_at <= ended_at:
            ended_on = ended_at.astimezone(JST).date()
    until = None
    if prof.requirements.get("registration_valid") and seeker.registered_on is not None:
        until = reg_period.end_of(session, seeker_id=seeker.id, registered_on=seeker.registered_on, on=on)
    wish = None if row.approval_wish is None else bool(row.approval_wish)
    return Facts(prof, seeker, service, on, status, env, wish, term, ended_on, until)


def check(
    session: Session,
    *,
    seeker_id: int,
    office_id: str,
    service: str,
    on: date | None = None,
    session_id: int | None = None,
) -> list[Requirement]:
    """Every condition of ``office_id``'s terms for ``service`` on ``on``, passed or failed."""
    return evaluate(facts(session, seeker_id=seeker_id, office_id=office_id, service=service, on=on))


# --- the conditions, one function each (keyed as hwdesk.conditions.ORDER) -----------------------
# Each returns (ok, detail, detail_en, code); ``code`` names the failure (the queue's warning key).

_OK = (True, "", "", "")


def _service(f: Facts, c: Condition):
    if f.service in f.prof.services:
        return _OK
    return (
        False,
        f"{f.prof.name}はこのサービスをオンラインで実施していません。",
        f"{f.prof.display_name('en')} does not offer this service online.",
        "service_not_offered",
    )


def _consent(f: Facts, c: Condition):
    status = f.status
    if f.prof.consent_method == "deemed_by_use":
        # 前橋 第1条: using the service is the consent; it is recorded at check-in, never a condition to book.
        if status.consent:
            return _OK
        return (
            True,
            "利用をもって同意したものとみなされます（受付時に記録）。",
            "Using the service counts as consent (recorded at check-in).",
            "",
        )
    if status.current:
        return _OK
    if status.consent is None:
        return (
            False,
            "同意（利用の申込み）が記録されていません。",
            "No consent (application) is recorded.",
            "no_consent",
        )
    eff = status.in_force.effective_on
    revision = f.prof.cite("revision")
    return (
        False,
        f"規約は{format_wareki(eff)}に改訂されました。改訂の告知（{revision}）か新しい版への同意が必要です。",
        f"The terms were revised effective {eff.isoformat()}; notify the revision ({revision}) or record consent to the new version.",
        "terms_revised",
    )


def _registration(f: Facts, c: Condition):
    sk = f.seeker
    # Only a completed registration (窓口 or オンライン登録) passes; a provisional one never does.
    if sk.registered_on is None or sk.registration_kind not in REGISTRATION_KINDS:
        return False, "求職登録が完了していません。", "Job-seeker registration is not complete.", "no_registration"
    reg = f.prof.requirements.get("registration") or {}
    if sk.registration_kind == "online" and reg.get("online_switches_to_office"):
        return (
            True,
            "オンライン登録者は申込み時にハローワーク利用登録者に切り替わります（予約時に記録）。",
            "An online registrant is switched to an office registrant on applying (recorded on booking).",
            "",
        )
    return _OK


def _registration_valid(f: Facts, c: Condition):
    until = f.registration_until
    if f.seeker.registered_on is None or until is None:
        return False, "求職登録日が記録されていません。", "No registration date is recorded.", "no_registration"
    if until >= f.on:
        return _OK  # the end date itself is on the seeker page (and hwdesk registration show)
    return (
        False,
        f"求職登録の有効期間は{format_wareki(until)}までです（原則）。更新を確認してください。",
        f"The registration is valid until {format_date_en(until)} (in principle); check for a renewal.",
        "registration_lapses",
    )


def _webcam(f: Facts, c: Condition):
    if f.seeker.webcam_confirmed:
        return _OK
    return False, "WEBカメラ端末の所有が確認されていません。", "No webcam device confirmed.", "no_webcam"


def _environment(f: Facts, c: Condition):
    chk = f.env
    if chk is None:
        return False, "利用環境の確認が記録されていません。", "No environment self-check is recorded.", "no_env_check"
    keys = [i["key"] for i in (f.prof.requirements.get("environment") or {}).get("items", [])]
    failed = [k for k in keys if not chk.answers.get(k, False)]
    if failed:
        return (
            False,
            f"{format_wareki(chk.declared_on)}の確認で満たさない項目があります。",
            f"The check of {chk.declared_on} has failed items.",
            "env_failed",
        )
    return _OK


def _private_room(f: Facts, c: Condition):
    chk = f.env
    if chk is None or "private_room" not in chk.answers:
        return False, "個室等の環境が確認されていません。", "No private room has been confirmed.", "no_private_room"
    if not chk.answers["private_room"]:
        return (
            False,
            f"{format_wareki(chk.declared_on)}の確認で個室等の環境を整えられないと回答しています。",
            f"The check of {chk.declared_on} says no private room is available.",
            "no_private_room",
        )
    return _OK


def _approval(f: Facts, c: Condition):
    if f.approval_wish is None:
        return (
            False,
            "個別支援担当による必要性の認定が記録されていません。",
            "No recorded recognition of need.",
            "no_approval",
        )
    if not f.approval_wish:
        return (
            False,
            "継続的な職業相談の希望が記録されていません（認定とともに記録）。",
            "The wish for continuing counseling is not recorded (record it with the approval).",
            "no_approval",
        )
    return _OK


# The code of the failed condition "use is stopped" (利用の中止): the queue shows it first and the
# reminder list turns the call into telling the seeker the booking is cancelled.
USE_STOPPED = "stopped"


def _termination(f: Facts, c: Condition):
    term = f.termination
    if term is None:
        return _OK
    until = f"{format_wareki(term.until)}まで" if term.until else ""
    return (
        False,
        f"利用が中止されています{('（' + until + '）') if until else ''}。",
        f"Use is stopped{(' until ' + term.until.isoformat()) if term.until else ''}.",
        USE_STOPPED,
    )


def _agreement(f: Facts, c: Condition):
    if f.agreement_ended is None:
        return _OK
    when = f.agreement_ended
    return (
        False,
        f"{format_wareki(when)}の利用終了で規約は解約されました。改めて利用の申込み（同意）が必要です。",
        f"The agreement was cancelled when use ended on {when.isoformat()}; the seeker must apply (consent) again.",
        "agreement_ended",
    )


RULES = {
    "service": _service,
    "consent": _consent,
    "registration": _registration,
    "registration_valid": _registration_valid,
    "webcam": _webcam,
    "environment": _environment,
    "private_room": _private_room,
    "approval": _approval,
    "termination": _termination,
    "agreement": _agreement,
}
# A passed condition's Requirement, built once (the Condition kept so its id stays its own).
_PASSED: dict[int, tuple[Condition, Requirement]] = {}
# The screen that fixes a failed condition (the readiness panel's Enter).
FIX = {"registration_valid": "renewal", "private_room": "environment", "agreement": "consent"}


def evaluate(f: Facts) -> list[Requirement]:
    """The checklist from facts already read: every condition of the office's terms for the
    service (``hwdesk.conditions``), each with its article and phrase, passed or failed.
    The one place a condition of use is decided."""
    out: list[Requirement] = []
    for c in conditions(f.prof, f.service):
        result = RULES[c.key](f, c)
        if result is _OK:  # a passed condition says nothing more: one Requirement for each condition
            hit = _PASSED.get(id(c))
            if hit is None or hit[0] is not c:
                if len(_PASSED) > 1024:
                    _PASSED.clear()
                hit = _PASSED[id(c)] = (
                    c,
                    Requirement(
                        c.key,
                        True,
                        c.label,
                        c.label_en,
                        c.cite_text,
                        "",
                        "",
                        "" if c.key == "service" else FIX.get(c.key, c.key),
                        "",
                        c.phrase,
                        c.cite_text_en,
                    ),
                )
            out.append(hit[1])
            continue
        ok, detail, detail_en, code = result
        cite, cite_en = c.cite_text, c.cite_text_en
        if c.key == "termination" and f.termination is not None and f.termination.cite:
            cite = f.termination.cite  # the article of the stop's own ground
        fix = "" if c.key == "service" else FIX.get(c.key, c.key)
        out.append(Requirement(c.key, ok, c.label, c.label_en, cite, detail, detail_en, fix, code, c.phrase, cite_en))
    return out


def active_termination(session: Session, *, seeker_id: int, office_id: str, on: date) -> Termination | None:
    """A termination in force on ``on`` (suspended until a later date, or use ended), not lifted."""
    rows = session.exec(
        select(Termination).where(
            Termination.seeker_id == seeker_id,
            Termination.office_id == office_id,
            col(Termination.lifted_at).is_(None),
            Termination.scope != "session",
        )
    ).all()
    return stop_in_force(rows, on)


def stop_covers(scope: str, until: date | None, on: date) -> bool:
    """Whether an unlifted stop of ``scope`` covers ``on``: use ended, or suspended until that day or
    later (a 'session' stop covers only its own session and is never read here)."""
    return scope == "ended" or (scope == "suspended" and (until is None or until >= on))


def stop_in_force(stops, on: date):
    """Of a seeker's unlifted stops (rows with ``scope`` and ``until``), the one in force on ``on``."""
    return next((t for t in stops if stop_covers(t.scope, t.until, on)), None)


def failures(reqs: list[Requirement]) -> list[Requirement]:
    """The failed items."""
    return [r for r in reqs if not r.ok]
