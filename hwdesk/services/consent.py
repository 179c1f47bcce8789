"""Consent to the terms, revision notices, companion notices, environment checks and approvals.

Each office's own profile says how consent is given (前橋 第1条: by use; 渋谷・高松: by applying),
which 利用環境 items it asks, and where companions must be announced.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import now_utc, today_jst
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.text import clean_text, refuse_invisible
from hwdesk.models import (
    COMPANION_KINDS,
    CONSENT_METHODS,
    NOTICE_METHODS,
    Approval,
    CompanionNotice,
    Consent,
    EnvCheck,
    Staff,
    TermsNotice,
    TermsVersion,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services.context import Actor, require, require_office, staff_id
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile, terms_in_force, version_in_force
from hwdesk.services.seekers import get_seeker
from hwdesk.terms import cite_text, cite_text_en

if TYPE_CHECKING:
    from hwdesk.services.eligibility import ConsentRef, TermsRef

COMPANION_LABELS = {
    "interpreter": ("通訳", "Interpreter"),
    "caregiver": ("介助者", "Caregiver"),
    "other": ("その他", "Other"),
}
METHOD_LABELS = {
    "application": ("申込み", "by application"),
    "deemed_by_use": ("利用によるみなし同意", "deemed by use"),
}
NOTICE_LABELS = {
    "counter": ("窓口", "at the counter"),
    "phone": ("電話", "by phone"),
    "mail": ("郵送・メール", "by mail"),
    "session_start": ("セッション開始時", "at the start of a session"),
}


# --- consent ------------------------------------------------------------------------------------


@guard("clerk")
def record_consent(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str,
    method: str | None = None,
    on: date | None = None,
    session_id: int | None = None,
) -> Consent:
    """Record consent to the version in force on ``on`` (today by default) by the office's method."""
    prof = profile(session, office_id)
    get_seeker(session, seeker_id)
    require_office(actor, office_id)
    method = method or prof.consent_method
    if method not in CONSENT_METHODS:
        raise ValidationFailed(f"同意の方法が不正です: {method}", f"Unknown consent method: {method}", field="method")
    if method == "deemed_by_use" and prof.consent_method != "deemed_by_use":
        cite = prof.requirements["consent"]["cite"]

        raise ValidationFailed(
            f"{prof.name}では利用の申込みにより同意します（{cite_text(cite)}）。「利用によるみなし同意」は使えません。",
            f"At {prof.display_name('en')} consent is given by applying ({cite_text(cite)}); 'deemed by use' does not apply.",
            field="method",
        )
    version = terms_in_force(session, office_id, on or today_jst())
    consent = Consent(
        seeker_id=seeker_id,
        office_id=office_id,
        terms_version_id=version.id,
        method=method,
        recorded_by=staff_id(actor),
        session_id=session_id,
    )
    session.add(consent)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="consent.record",
        entity="consent",
        entity_id=consent.id,
        seeker_id=seeker_id,
        office_id=office_id,
        after={"version": version.version, "method": method},
    )
    return consent


@dataclass(frozen=True)
class ConsentStatus:
    """A seeker's consent standing at one office on one day."""

    office_id: str
    in_force: TermsVersion | TermsRef  # the row, or the rules' copy of what they read of it
    consent: Consent | ConsentRef | None  # the newest consent at this office
    consented_version: int | None
    notified: bool  # told of the version in force (when the consent is to an older one)

    @property
    def current(self) -> bool:
        """Consent to the version in force, or to an earlier one with the revision notified."""
        if self.consent is None:
            return False
        return self.consented_version == self.in_force.version or self.notified

    @property
    def outdated(self) -> bool:
        """Consented to an older version and not yet told of the revision."""
        return self.consent is not None and not self.current


def consent_status(session: Session, *, seeker_id: int, office_id: str, on: date | None = None) -> ConsentStatus:
    """Where a seeker stands with an office's terms on ``on``."""
    in_force = terms_in_force(session, office_id, on or today_jst())
    consent = session.exec(
        select(Consent)
        .where(Consent.seeker_id == seeker_id, Consent.office_id == office_id)
        .order_by(col(Consent.given_at).desc())
    ).first()
    version = None
    notified = False
    if consent is not None:
        tv = session.get(TermsVersion, consent.terms_version_id)
        version = tv.version if tv else None
        if needs_notice(version, in_force.version):
            notified = (
                session.exec(
                    select(TermsNotice.id).where(
                        TermsNotice.seeker_id == seeker_id, TermsNotice.terms_version_id == in_force.id
                    )
                ).first()
                is not None
            )
    return ConsentStatus(office_id, in_force, consent, version, notified)


def needs_notice(consented_version: int | None, in_force_version: int) -> bool:
    """Whether a revision notice decides the standing (consent to an older version than in force)."""
    return consented_version is not None and consented_version < in_force_version


def consent_statuses(
    session: Session,
    *,
    seeker_id: int,
    office_ids: list[str],
    history: list[tuple[Consent, TermsVersion]],
    notices: list[tuple[TermsNotice, TermsVersion]],
    on: date | None = None,
) -> dict[str, ConsentStatus]:
    """``consent_status`` for several offices at once, from the seeker's ``consents_of`` and
    ``notices_of`` lists already read (one query more: the offices' terms versions).

    Offices without terms are left out (``consent_status`` raises NotFound for them)."""
    on = on or today_jst()
    versions: dict[str, list[TermsVersion]] = {}
    for tv in session.exec(
        select(TermsVersion).where(col(TermsVersion.office_id).in_(office_ids)).order_by(col(TermsVersion.version))
    ):
        versions.setdefault(tv.office_id, []).append(tv)
    notified_ids = {n.terms_version_id for n, _ in notices}
    out = {}
    for office_id in office_ids:
        status = standing(office_id, versions.get(office_id, []), history, notified_ids, on)
        if status is not None:
            out[office_id] = status
    return out


def standing(office_id: str, versions: list, history: list, notified_ids: set[int], on: date) -> ConsentStatus | None:
    """The consent standing at one office from rows already read (ORM objects or plain rows):
    its terms versions oldest first, the seeker's (consent, version) history newest first, and
    the ids of the versions the seeker was notified of. None for an office without terms."""
    in_force = version_in_force(versions, on)
    if in_force is None:
        return None
    newest = next(((c, t) for c, t in history if c.office_id == office_id), None)
    consent, version = (newest[0], newest[1].version) if newest else (None, None)
    notified = needs_notice(version, in_force.version) and in_force.id in notified_ids
    return ConsentStatus(office_id, in_force, consent, version, notified)


def consents_of(session: Session, seeker_id: int) -> list[tuple[Consent, TermsVersion]]:
    """Every consent of a seeker with its terms version, newest first."""
    rows = session.exec(
        select(Consent, TermsVersion)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(Consent.seeker_id == seeker_id)
        .order_by(col(Consent.given_at).desc())
    ).all()
    return [(c, t) for c, t in rows]


@guard("clerk")
def record_terms_notice(
    session: Session, *, actor: Actor, seeker_id: int, terms_version_id: int, method: str
) -> TermsNotice:
    """Record that a seeker was told of a revision (change, content, effective date)."""
    if method not in NOTICE_METHODS:
        raise ValidationFailed(
            f"告知の方法は {', '.join(NOTICE_METHODS)} のいずれかです。",
            f"Notice method must be one of {', '.join(NOTICE_METHODS)}.",
            field="method",
        )
    tv = session.get(TermsVersion, terms_version_id)
    if tv is None:
        raise NotFound(f"規約版 {terms_version_id} はありません。", f"No terms version {terms_version_id}.")
    get_seeker(session, seeker_id)
    notice = TermsNotice(
        seeker_id=seeker_id, terms_version_id=terms_version_id, method=method, recorded_by=staff_id(actor)
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="terms.notice",
        entity="terms_notice",
        entity_id=notice.id,
        seeker_id=seeker_id,
        office_id=tv.office_id,
        after={"version": tv.version, "method": method},
    )
    return notice


def notices_of(session: Session, seeker_id: int) -> list[tuple[TermsNotice, TermsVersion]]:
    """Revision notices a seeker received, newest first."""
    rows = session.exec(
        select(TermsNotice, TermsVersion)
        .join(TermsVersion, col(TermsVersion.id) == TermsNotice.terms_version_id)
        .where(TermsNotice.seeker_id == seeker_id)
        .order_by(col(TermsNotice.notified_at).desc())
    ).all()
    return [(n, t) for n, t in rows]


# --- companions ---------------------------------------------------------------------------------


@guard("clerk")
def record_companion(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str,
    kind: str,
    name: str = "",
    language: str = "",
    session_id: int | None = None,
    notified_at: datetime | None = None,
    unannounced: bool = False,
) -> CompanionNotice:
    """Record an interpreter / caregiver / other companion (standing, or for one session).

    A notice given after the session started is marked late; one noticed during a session that
    was never announced is ``unannounced`` — a ground a supervisor may act on.
    """
    if kind not in COMPANION_KINDS:
        raise ValidationFailed(
            "同席者の種類は 通訳 / 介助者 / その他 です。",
            "Companion kind is interpreter, caregiver or other.",
            field="kind",
        )
    name = refuse_invisible(clean_text(name, field="name", max_len=60))
    language = clean_text(language, field="language", max_len=40)
    if kind == "interpreter" and not language:
        raise ValidationFailed("通訳の言語を入力してください。", "Enter the interpreter's language.", field="language")
    get_seeker(session, seeker_id)
    require_office(actor, office_id)
    when = notified_at or now_utc()
    late = False
    if session_id is not None:
        srow = session.get(SessionRow, session_id)
        if srow is None:
            raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
        late = when > srow.start_at
    notice = CompanionNotice(
        seeker_id=seeker_id,
        office_id=office_id,
        kind=kind,
        name=name,
        language=language,
        session_id=session_id,
        notified_at=when,
        late=late or unannounced,
        unannounced=unannounced,
        recorded_by=staff_id(actor),
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="companion.unannounced" if unannounced else "companion.record",
        entity="companion_notice",
        entity_id=notice.id,
        seeker_id=seeker_id,
        office_id=office_id,
        after={"kind": kind, "language": language, "session": session_id, "late": notice.late},
    )
    return notice


def companions_of(session: Session, seeker_id: int) -> list[CompanionNotice]:
    """A seeker's companion notices, newest first."""
    return list(
        session.exec(
            select(CompanionNotice)
            .where(CompanionNotice.seeker_id == seeker_id)
            .order_by(col(CompanionNotice.notified_at).desc())
        )
    )


# --- environment self-check ---------------------------------------------------------------------


@dataclass(frozen=True)
class EnvItem:
    """One item of an office's 利用環境 article (or the private room)."""

    key: str
    cite: str
    label: str
    label_en: str
    text: str


def env_items(session: Session, office_id: str) -> list[EnvItem]:
    """The office's 利用環境 items as written in its own terms, plus the private room."""

    prof = profile(session, office_id)
    env = prof.requirements.get("environment") or {"items": []}
    items = [EnvItem(i["key"], cite_text(i["cite"]), i["label"], i["label_en"], i["text"]) for i in env["items"]]
    room = prof.requirements.get("private_room")
    if room:
        items.append(
            EnvItem(
                "private_room",
                cite_text(room["cite"]),
                "個室又は周囲に他人がいない環境",
                "A private room (no one else around)",
                room["text"],
            )
        )
    return items


@guard("clerk")
def record_env_check(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str,
    answers: dict[str, bool],
    declared_on: date | None = None,
) -> EnvCheck:
    """Record a seeker's yes/no answers to every environment item, dated."""
    keys = [i.key for i in env_items(session, office_id)]
    missing = [k for k in keys if k not in answers]
    if missing:
        raise ValidationFailed(
            f"未回答の項目があります: {', '.join(missing)}", f"Unanswered items: {', '.join(missing)}", field=missing[0]
        )
    get_seeker(session, seeker_id)
    clean = {k: bool(answers[k]) for k in keys}
    check = EnvCheck(
        seeker_id=seeker_id,
        office_id=office_id,
        answers_json=json.dumps(clean),
        all_ok=all(clean.values()),
        declared_on=declared_on or today_jst(),
        recorded_by=staff_id(actor),
    )
    session.add(check)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="env.check",
        entity="env_check",
        entity_id=check.id,
        seeker_id=seeker_id,
        office_id=office_id,
        after=clean,
    )
    return check


def latest_env_checks(session: Session, *, seeker_id: int) -> dict[str, EnvCheck]:
    """The newest environment self-check of each office (one query; the detail screen)."""
    out: dict[str, EnvCheck] = {}
    for chk in session.exec(
        select(EnvCheck).where(EnvCheck.seeker_id == seeker_id).order_by(col(EnvCheck.recorded_at).desc())
    ):
        out.setdefault(chk.office_id, chk)
    return out


def latest_env_check(session: Session, *, seeker_id: int, office_id: str) -> EnvCheck | None:
    """The newest environment self-check for this office."""
    return session.exec(
        select(EnvCheck)
        .where(EnvCheck.seeker_id == seeker_id, EnvCheck.office_id == office_id)
        .order_by(col(EnvCheck.recorded_at).desc())
    ).first()


# --- approvals (渋谷 第1条(4)) -------------------------------------------------------------------


@guard("clerk")
def record_approval(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str,
    service: str = "counseling",
    note: str = "",
    recognized_on: date | None = None,
    recognized_by: int | None = None,
    wishes_continuing: bool = False,
) -> Approval:
    """Record that the office recognized the need (渋谷 第1条(4)): who recognized it, when, a note,
    and whether the seeker wishes continuing counseling by the individual support staff (the
    article's other half: "継続的な職業相談を希望する者であり"; the rule engine checks both).

    ``recognized_by``: the staff member who recognized it (個別支援担当), who is not always the
    clerk typing it in; an active staff member of the same office, the actor by default. The
    audit row names both."""
    require_office(actor, office_id)
    prof = profile(session, office_id)
    req = prof.requirements.get("approval")
    if not req or service not in req.get("services", []):
        raise ValidationFailed(
            f"{prof.name}の{service}には承認の要件がありません。",
            f"{prof.display_name('en')} requires no approval for {service}.",
            field="service",
        )
    get_seeker(session, seeker_id)
    who = actor.id if recognized_by is None else recognized_by
    if recognized_by is not None and recognized_by != actor.id:
        staff = session.get(Staff, recognized_by)
        if staff is None or not staff.active or staff.office_id != office_id:
            raise ValidationFailed(
                f"認定者は{prof.name}の在籍職員から選んでください（{cite_text(req.get('cite'))}: 必要性はハローワークが認めます）。",
                f"The person who recognized the need must be an active staff member of {prof.display_name('en')}"
                f" ({cite_text_en(req.get('cite'))}: the office recognizes the need).",
                field="recognized_by",
            )
    approval = Approval(
        seeker_id=seeker_id,
        office_id=office_id,
        service=service,
        recognized_by=who,
        recognized_on=recognized_on or today_jst(),
        note=clean_text(note, field="note", max_len=500, allow_newlines=True),
        wishes_continuing=bool(wishes_continuing),
    )
    session.add(approval)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="approval.record",
        entity="approval",
        entity_id=approval.id,
        seeker_id=seeker_id,
        office_id=office_id,
        after={"service": service, "recognized_by": who, "wishes_continuing": bool(wishes_continuing)},
    )
    return approval


def recognizers(session: Session, *, office_id: str) -> list[tuple[int, str, str]]:
    """Who may be named as having recognized the need at ``office_id``: (id, name, login) of its
    active staff, by login (the approval form's choices)."""
    stmt = select(Staff.id, Staff.name, Staff.login).where(Staff.office_id == office_id, Staff.active == True)  # noqa: E712
    return [(i, n, lg) for i, n, lg in session.exec(stmt.order_by(Staff.login))]


@guard("supervisor", what_ja="承認の取消し", what_en="Revoking an approval")
def revoke_approval(session: Session, *, actor: Actor, approval_id: int) -> None:
    """Withdraw an approval (supervisor)."""
    require(actor, "supervisor", what_ja="承認の取消し", what_en="Revoking an approval")
    approval = session.get(Approval, approval_id)
    if approval is None:
        raise NotFound(f"承認 {approval_id} はありません。", f"No approval {approval_id}.")
    approval.revoked_at = now_utc()
    session.add(approval)
    audit.record(
        session,
        staff_id=actor.id,
        action="approval.revoke",
        entity="approval",
        entity_id=approval_id,
        seeker_id=approval.seeker_id,
        office_id=approval.office_id,
    )


def approvals_of(session: Session, seeker_id: int) -> list[Approval]:
    """A seeker's approvals, newest first."""
    return list(
        session.exec(
            select(Approval).where(Approval.seeker_id == seeker_id).order_by(col(Approval.recognized_on).desc())
        )
    )
