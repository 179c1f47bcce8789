"""Retention: the office's seekers inactive for a number of months, listed (a dry run) and anonymized.

Activity is any trace a seeker leaves (``_inactive_where``); anonymizing keeps sessions, bookings,
consents and terminations, so the statistics are unchanged. Both steps are supervisor-only and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc, today_jst
from hwdesk.errors import ValidationFailed
from hwdesk.models import (
    Approval,
    CompanionNotice,
    Consent,
    Enrollment,
    EnvCheck,
    Reminder,
    Seeker,
    Termination,
    TermsNotice,
    UsageRecord,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services.context import Actor, require, require_office, staff_id
from hwdesk.services.guard import guard

__all__ = ["RetentionCandidate", "RetentionResult", "anonymize_inactive", "retention_candidates"]


@dataclass(frozen=True)
class RetentionCandidate:
    """A seeker with no activity since the cutoff (listed for review before anonymizing)."""

    seeker_id: int
    seeker_no: str
    name: str
    registered_on: date | None
    updated_at: datetime
    last_session_at: datetime | None


def _cutoff(inactive_months: int, today: date | None) -> tuple[date, datetime]:
    if inactive_months < 1:
        raise ValidationFailed(
            "期間は1か月以上にしてください。", "The period must be at least one month.", field="inactive_months"
        )
    today = today or today_jst()
    cutoff = today - relativedelta(months=inactive_months)
    return today, datetime.combine(cutoff, time(0), tzinfo=JST)


def _inactive_where(office_id: str, today: date, cutoff: datetime):
    """A subquery of the office's seekers with no activity since ``cutoff``.

    Activity: a session (or a booking made) since then, a consent, a revision notice, a companion
    notice, an environment check, an approval, a reminder call, an edit of the record; and a
    termination still in force (anonymizing it would let a stopped seeker return unrecognized).
    """
    recent_session = (
        select(Enrollment.seeker_id)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(or_(col(SessionRow.start_at) >= cutoff, col(Enrollment.booked_at) >= cutoff))
    )
    recent = [
        recent_session,
        select(Consent.seeker_id).where(col(Consent.given_at) >= cutoff),
        select(TermsNotice.seeker_id).where(col(TermsNotice.notified_at) >= cutoff),
        select(CompanionNotice.seeker_id).where(col(CompanionNotice.notified_at) >= cutoff),
        select(EnvCheck.seeker_id).where(col(EnvCheck.recorded_at) >= cutoff),
        select(Approval.seeker_id).where(col(Approval.recognized_on) >= cutoff.date()),
        select(Reminder.seeker_id).where(col(Reminder.at) >= cutoff),
        select(Termination.seeker_id).where(
            col(Termination.lifted_at).is_(None),
            Termination.scope != "session",
            or_(col(Termination.until).is_(None), col(Termination.until) >= today),
        ),
    ]
    where = [
        Seeker.office_id == office_id,
        col(Seeker.anonymized_at).is_(None),
        col(Seeker.updated_at) < cutoff,
        col(Seeker.created_at) < cutoff,
    ]
    where += [col(Seeker.id).not_in(q) for q in recent]
    return where


@guard("supervisor", what_ja="保存期間を過ぎた求職者の一覧", what_en="Listing inactive seekers")
def retention_candidates(
    session: Session, *, actor: Actor, office_id: str, inactive_months: int, today: date | None = None
) -> list[RetentionCandidate]:
    """Dry run: the office's seekers with no activity for ``inactive_months`` (see ``_inactive_where``),
    by 求職番号. Nothing is changed. Two queries."""
    today, cutoff = _cutoff(inactive_months, today)
    where = _inactive_where(office_id, today, cutoff)
    rows = session.exec(
        select(Seeker.id, Seeker.seeker_no, Seeker.name, Seeker.registered_on, Seeker.updated_at)  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
        .where(*where)
        .order_by(col(Seeker.seeker_no))
    ).all()
    if not rows:
        return []
    last = dict(
        session.exec(
            select(Enrollment.seeker_id, func.max(SessionRow.start_at))
            .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
            .where(col(Enrollment.seeker_id).in_(select(Seeker.id).where(*where)))
            .group_by(col(Enrollment.seeker_id))
        ).all()
    )
    return [RetentionCandidate(sid, no, name, reg, upd, last.get(sid)) for sid, no, name, reg, upd in rows]


@dataclass(frozen=True)
class RetentionResult:
    """What ``anonymize_inactive`` did."""

    cutoff: date
    anonymized: list[int]
    skipped: list[int]  # asked for but no longer candidates (active again since the dry run)


@guard("supervisor", what_ja="保存期間を過ぎた求職者の匿名化", what_en="Anonymizing inactive seekers")
def anonymize_inactive(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    inactive_months: int,
    seeker_ids: list[int] | None = None,
    today: date | None = None,
) -> RetentionResult:
    """Anonymize the office's inactive seekers (supervisor): ``seekers.anonymize`` for each, and the
    personal data around them that the seeker row does not hold — companions' names, and the
    platform's participant identifiers in usage records (replaced by their keyed-hash pseudonym,
    so distinct-participant counts stay right). Sessions, enrollments, consents and terminations
    stay, so the statistics are unchanged.

    The candidates are computed again here: give ``seeker_ids`` (the list reviewed in the dry run)
    and only those still inactive are anonymized; the others are returned as ``skipped``.
    Audited per seeker (``seeker.anonymize``) and as a whole (``retention.anonymize``).
    """
    from hwdesk.services.records import office_key, pseudonym
    from hwdesk.services.seekers import anonymize

    require(actor, "supervisor", what_ja="保存期間を過ぎた求職者の匿名化", what_en="Anonymizing inactive seekers")
    require_office(actor, office_id)
    today, cutoff = _cutoff(inactive_months, today)
    current = [
        c.seeker_id
        for c in retention_candidates(
            session, actor=actor, office_id=office_id, inactive_months=inactive_months, today=today
        )
    ]
    if seeker_ids is None:
        chosen, skipped = current, []
    else:
        wanted = set(seeker_ids)
        chosen = [sid for sid in current if sid in wanted]
        skipped = sorted(wanted - set(chosen))
    if chosen:
        key = office_key(session, office_id=office_id)
        for sid in chosen:
            anonymize(session, actor=actor, seeker_id=sid)
        session.exec(update(CompanionNotice).where(col(CompanionNotice.seeker_id).in_(chosen)).values(name=""))
        for rec in session.exec(
            select(UsageRecord).where(col(UsageRecord.seeker_id).in_(chosen), UsageRecord.participant_id != "")
        ):
            if not rec.participant_id.startswith("h:"):
                rec.participant_id = "h:" + pseudonym(key, rec.participant_id)
                session.add(rec)
        session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="retention.anonymize",
        entity="seeker",
        office_id=office_id,
        extra={
            "inactive_months": inactive_months,
            "cutoff": cutoff.date().isoformat(),
            "count": len(chosen),
            "seeker_ids": chosen,
            "skipped": skipped,
            "at": now_utc().isoformat(),
        },
    )
    return RetentionResult(cutoff.date(), chosen, skipped)
