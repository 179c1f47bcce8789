"""Cancelling a booking or a session, confirming an offered seat, and rescheduling a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import NotFound, RuleRefusal
from hwdesk.jtext.text import clean_text
from hwdesk.models import (
    Enrollment,
    Seeker,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services import calendar, eligibility, notices, timing
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.scheduling.booking import _enrollments, _offer_free_seats, _seats_taken
from hwdesk.services.scheduling.common import (
    Reason,
    SeekerFailure,
    _jst_day,
    _label,
    _refuse_seeker_overlap,
    _refuse_staff_overlap,
    _require_live,
    _require_reason,
    lock_seeker,
    lock_session,
    lock_staff,
    seeker_conflict,
)
from hwdesk.services.scheduling.creating import _insert_session
from hwdesk.states import (
    ACTIVE_STATES,
    CANCELLABLE_STATES,
    CancelReason,
    SeatState,
    SessionState,
    state_label,
)


@dataclass(frozen=True)
class Cancelled:
    """A cancelled enrollment and the waiting seekers offered the freed seat."""

    enrollment: Enrollment
    offered: list[Enrollment]


def _get_enrollment(session: Session, session_id: int, seeker_id: int) -> Enrollment:
    e = session.exec(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.seeker_id == seeker_id)
    ).first()
    if e is None:
        raise NotFound(
            f"求職者 {seeker_id} はセッション {session_id} に登録されていません。",
            f"Seeker {seeker_id} is not enrolled in session {session_id}.",
        )
    return e


def _offered_enrollment(session: Session, session_id: int, seeker_id: int) -> Enrollment:
    """The seeker's enrollment in the session, refused unless a seat is offered to them."""
    e = _get_enrollment(session, session_id, seeker_id)
    if e.state != SeatState.OFFERED:
        raise RuleRefusal(
            f"この予約は空席案内中ではありません（{state_label(e.state)}）。",
            f"This booking has no seat offered ({state_label(e.state, 'en')}).",
            field="state",
        )
    return e


@guard("clerk")
def cancel_enrollment(
    session: Session, *, actor: Actor, session_id: int, seeker_id: int, reason: str, note: str = ""
) -> Cancelled:
    """Cancel one seeker's booking, waitlist place or offer (reason: by_seeker / by_office /
    connection); a freed seat is offered to the first waiting seeker."""
    require(actor, "clerk", what_ja="予約の取消し", what_en="Cancelling a booking")
    _require_reason(reason)
    note = clean_text(note, field="note", max_len=300)
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    _require_live(row, what_ja="予約を取り消し", what_en="cancel a booking (mark absent or stopped instead)")
    e = _get_enrollment(session, session_id, seeker_id)
    if e.state not in CANCELLABLE_STATES:
        raise RuleRefusal(
            f"「{state_label(e.state)}」の予約は取り消せません。",
            f"A booking that is {state_label(e.state, 'en').lower()} cannot be cancelled.",
            field="state",
        )
    before = e.state
    e.state, e.cancel_reason, e.waitlist_pos, e.offered_until = SeatState.CANCELLED, reason, None, None
    session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.cancel",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        before={"state": before},
        after={"state": SeatState.CANCELLED, "reason": reason},
        extra={"note": note},
    )
    notices.on_cancelled(session, actor=actor, row=row, enrollments=[e])
    return Cancelled(e, _offer_free_seats(session, actor=actor, row=row))


@guard("clerk")
def confirm_offer(session: Session, *, actor: Actor, session_id: int, seeker_id: int) -> Enrollment:
    """The clerk confirms an offered seat (after reaching the seeker): offered → booked,
    re-checking capacity and the seeker's other sessions."""
    require(actor, "clerk", what_ja="空席案内の確定", what_en="Confirming an offered seat")
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    seeker = lock_seeker(session, seeker_id)
    _require_live(row, what_ja="確定", what_en="confirm the seat")
    e = _offered_enrollment(session, session_id, seeker_id)
    if e.offered_until is not None and e.offered_until <= now_utc():
        until = e.offered_until.astimezone(JST)
        raise RuleRefusal(
            f"空席案内の回答期限（{until:%m/%d %H:%M}）を過ぎています。席は次の方に案内されます。",
            f"The offer's reply deadline ({until:%m-%d %H:%M}) has passed; the seat goes to the next in line.",
            field="state",
        )
    if _seats_taken(session, row.id, exclude_id=e.id) >= row.capacity:
        raise RuleRefusal(
            f"セッション #{row.id} は満席です（定員{row.capacity}名）。",
            f"Session #{row.id} is full (capacity {row.capacity}).",
        )
    _refuse_seeker_overlap(session, seeker, row, exclude_id=row.id)
    e.state, e.offered_until = SeatState.BOOKED, None
    session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.confirm",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        before={"state": SeatState.OFFERED},
        after={"state": SeatState.BOOKED},
    )
    notices.on_booked(session, actor=actor, row=row, enrollment=e)
    return e


@dataclass(frozen=True)
class SessionCancelled:
    """A cancelled session and the enrollments cancelled with it (seekers to notify)."""

    session: SessionRow
    enrollments: list[Enrollment]


@guard("clerk")
def cancel_session(session: Session, *, actor: Actor, session_id: int, reason: str, note: str = "") -> SessionCancelled:
    """Cancel a scheduled session with a reason; every active enrollment is cancelled with it."""
    require(actor, "clerk", what_ja="セッションのキャンセル", what_en="Cancelling a session")
    _require_reason(reason)
    note = clean_text(note, field="note", max_len=300)
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    _require_live(row, what_ja="キャンセル", what_en="cancel it (an in-progress session can be stopped)")
    return notices.session_cancelled(
        session, actor=actor, result=_cancel_row(session, actor=actor, row=row, reason=reason, note=note)
    )


def _cancel_row(session: Session, *, actor: Actor, row: SessionRow, reason: str, note: str) -> SessionCancelled:
    row.state, row.cancel_reason, row.cancel_note, row.updated_at = SessionState.CANCELLED, reason, note, now_utc()
    session.add(row)
    moved = _enrollments(session, row.id, ACTIVE_STATES)
    for e in moved:
        e.state, e.cancel_reason, e.waitlist_pos = SeatState.CANCELLED, reason, None
        session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.cancel",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        before={"state": SessionState.SCHEDULED},
        after={"state": SessionState.CANCELLED, "reason": reason},
        extra={"note": note, "enrollments_cancelled": [e.seeker_id for e in moved]},
    )
    return SessionCancelled(row, moved)


def _recheck_for_move(session: Session, *, row: SessionRow, new: SessionRow, enrollments: list[Enrollment]) -> None:
    """Every moved seeker must still pass the rules on the new date and be free then."""
    problems: list = []
    for e in enrollments:
        seeker = session.get(Seeker, e.seeker_id)
        assert seeker is not None
        # An override never lifted a condition of use, so every moved seeker is checked again.
        reqs = eligibility.check(
            session, seeker_id=e.seeker_id, office_id=row.office_id, service=row.kind, on=_jst_day(new.start_at)
        )
        problems += [SeekerFailure(seeker.seeker_no, seeker.name, f) for f in eligibility.failures(reqs)]
        other = seeker_conflict(session, seeker_id=e.seeker_id, start=new.start_at, end=new.end_at, exclude_id=row.id)
        if other is not None and other.id != new.id:
            problems.append(
                SeekerFailure(
                    seeker.seeker_no,
                    seeker.name,
                    Reason(
                        f"同じ時間帯に予約があります: {_label(other)}",
                        f"Booked for an overlapping session: {_label(other, 'en')}",
                    ),
                )
            )
    if problems:
        raise RuleRefusal(
            "予約中の求職者が新しい日時の条件を満たさないため、日時を変更できません。",
            "Some booked seekers do not meet the rules at the new time; the session was not moved.",
            failures=problems,
        )


@guard("clerk")
def reschedule(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    new_start: datetime,
    new_end: datetime,
    reason: str = CancelReason.BY_OFFICE,
    note: str = "",
    now: datetime | None = None,
) -> SessionRow:
    """Move a scheduled session: a new session linked by ``rescheduled_from_id`` takes its details
    and enrollments (rules re-checked for each seeker unless overridden); the old one is cancelled."""
    require(actor, "clerk", what_ja="日時の変更", what_en="Rescheduling")
    _require_reason(reason)
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    _require_live(row, what_ja="日時を変更", what_en="reschedule it")
    staff = lock_staff(session, row.staff_id)
    moving = _enrollments(session, row.id, ACTIVE_STATES)
    for sid in sorted({e.seeker_id for e in moving}):
        lock_seeker(session, sid)
    timing.refuse_past(new_start, at=now)
    calendar.check_slot(session, row.office_id, new_start, new_end)
    _refuse_staff_overlap(session, staff, new_start, new_end, exclude_id=row.id)
    spec = {
        k: getattr(row, k)
        for k in ("office_id", "kind", "capacity", "title", "platform", "join_url", "meeting_id", "passcode")
    }
    new = _insert_session(
        session,
        actor=actor,
        spec=spec,
        staff=staff,
        start=new_start,
        end=new_end,
        series_id=row.series_id,
        rescheduled_from_id=row.id,
    )
    _recheck_for_move(session, row=row, new=new, enrollments=moving)
    for e in moving:
        session.add(
            Enrollment(
                session_id=new.id,
                seeker_id=e.seeker_id,
                state=e.state,
                booked_at=e.booked_at,
                waitlist_pos=e.waitlist_pos,
                override_reason=e.override_reason,
                override_by=e.override_by,
                booked_by=e.booked_by,
                offered_until=e.offered_until,
            )
        )
    _cancel_row(
        session, actor=actor, row=row, reason=reason, note=clean_text(f"→ #{new.id} {note}", field="note", max_len=300)
    )
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.reschedule",
        entity="session",
        entity_id=new.id,
        office_id=row.office_id,
        before={"session": row.id, "start": row.start_at.isoformat()},
        after={"session": new.id, "start": new.start_at.isoformat()},
        extra={"seekers_moved": [e.seeker_id for e in moving]},
    )
    notices.on_rescheduled(session, actor=actor, old=row, new=new)
    return new


def rescheduled_to(session: Session, *, session_id: int) -> SessionRow | None:
    """The session this one was moved to, if any."""
    return session.exec(select(SessionRow).where(SessionRow.rescheduled_from_id == session_id)).first()
