"""Passcodes, what a session or a seeker's bookings look like to staff, and the seekers of sessions to phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import PermissionDenied
from hwdesk.models import Enrollment, Seeker, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar
from hwdesk.services.context import Actor, require
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.scheduling.cancelling import rescheduled_to
from hwdesk.services.scheduling.common import _jst_day, get_session
from hwdesk.states import (
    ACTIVE_STATES,
    LIVE_SESSION_STATES,
    SEAT_STATES,
    SeatState,
    SessionState,
)

# --- passcodes and details --------------------------------------------------------------------


@guard("clerk")
def session_passcode(session: Session, *, actor: Actor, session_id: int) -> str:
    """The meeting passcode for staff of the session's office; each view is audited (the audit row
    records only that it was viewed, never the passcode)."""
    require(actor, "clerk", what_ja="パスコードの表示", what_en="Viewing a passcode")
    row = get_session(session, session_id)
    if not (actor.all_offices or actor.office_id == row.office_id):
        raise PermissionDenied(
            "他の事業所のセッションのパスコードは表示できません。", "You cannot view another office's passcodes."
        )
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.passcode_view",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        extra={"passcode_set": bool(row.passcode)},
    )
    return row.passcode


@dataclass(frozen=True)
class EnrollmentLine:
    """One seeker in a session, as the session screen shows it."""

    enrollment_id: int
    seeker_id: int
    seeker_no: str
    name: str
    state: str
    waitlist_rank: int | None
    booked_at: datetime
    override_reason: str
    override_by: str
    cancel_reason: str
    offered_until: datetime | None = None  # an offered seat's reply deadline (JST)
    stopped: str | None = None  # the article of a stop of use covering this booking


@dataclass(frozen=True)
class SessionDetail:
    """Everything a session screen shows, without the passcode (see ``session_passcode``)."""

    id: int
    office_id: str
    kind: str
    title: str
    start: datetime
    end: datetime
    state: str
    staff_login: str
    staff_name: str
    capacity: int
    platform: str
    join_url: str
    meeting_id: str
    has_passcode: bool
    seats_taken: int
    waiting: int
    enrollments: list[EnrollmentLine]
    series_id: int | None
    rescheduled_from_id: int | None
    rescheduled_to_id: int | None
    cancel_reason: str
    cancel_note: str

    @property
    def overrides(self) -> list[EnrollmentLine]:
        """Bookings made by a supervisor's override (shown on the session)."""
        return [e for e in self.enrollments if e.override_reason]


@guard("clerk")
def session_detail(session: Session, *, actor: Actor, session_id: int) -> SessionDetail:
    """A session with its staff and every enrollment (three queries)."""
    row = get_session(session, session_id)
    staff = session.get(Staff, row.staff_id)
    overrider = Staff.__table__.alias("overrider")  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    rows = session.exec(
        select(Enrollment, Seeker.seeker_no, Seeker.name, overrider.c.login)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
        .outerjoin(overrider, overrider.c.id == Enrollment.override_by)
        .where(Enrollment.session_id == session_id)
        .order_by(col(Enrollment.booked_at), col(Enrollment.id))
    ).all()
    waiting = sorted(
        (e for e, *_ in rows if e.state == SeatState.WAITLISTED), key=lambda e: (e.waitlist_pos or 0, e.booked_at)
    )
    rank = {e.id: i + 1 for i, e in enumerate(waiting)}
    stops = _stops_of(session, row, [e.seeker_id for e, *_ in rows if e.state != SeatState.CANCELLED])
    lines = [
        EnrollmentLine(
            e.id,
            e.seeker_id,
            no,
            name,
            e.state,
            rank.get(e.id),
            e.booked_at.astimezone(JST),
            e.override_reason,
            login or "",
            e.cancel_reason,
            e.offered_until.astimezone(JST) if e.offered_until else None,
            stops.get(e.seeker_id) if e.state != SeatState.CANCELLED else None,
        )
        for e, no, name, login in rows
    ]
    nxt = rescheduled_to(session, session_id=session_id)
    return SessionDetail(
        row.id,
        row.office_id,
        row.kind,
        row.title,
        row.start_at.astimezone(JST),
        row.end_at.astimezone(JST),
        row.state,
        staff.login if staff else "",
        staff.name if staff else "",
        row.capacity,
        row.platform,
        row.join_url,
        row.meeting_id,
        bool(row.passcode),
        sum(1 for x in lines if x.state in SEAT_STATES),
        len(waiting),
        lines,
        row.series_id,
        row.rescheduled_from_id,
        nxt.id if nxt else None,
        row.cancel_reason,
        row.cancel_note,
    )


def _stops_of(session: Session, row: SessionRow, seeker_ids: list[int]) -> dict[int, str]:
    """seeker id → the article of a stop of use covering their booking in ``row`` (a live session only)."""
    from hwdesk.services import terminations

    if row.state not in LIVE_SESSION_STATES or not seeker_ids:
        return {}
    found = terminations.stops(session.connection(), office_id=row.office_id, seeker_ids=seeker_ids)
    on = _jst_day(row.start_at)
    return {sid: stop.cite for sid in seeker_ids if (stop := terminations.stop_on(found, sid, on))}


@dataclass(frozen=True)
class Booking:
    """A seeker's live booking (for the termination screen's list to cancel with notice)."""

    session_id: int
    enrollment_state: str
    kind: str
    start: datetime
    end: datetime
    office_id: str


# A seeker's enrollments with their sessions, as Booking's columns; each reader adds its conditions.
_BOOKINGS = select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
    Enrollment.session_id,
    Enrollment.state,
    SessionRow.kind,
    SessionRow.start_at,
    SessionRow.end_at,
    SessionRow.office_id,
).join(SessionRow, col(SessionRow.id) == Enrollment.session_id)


def _bookings(session: Session, stmt) -> list[Booking]:
    return [Booking(sid, st, k, s.astimezone(JST), e.astimezone(JST), o) for sid, st, k, s, e, o in session.exec(stmt)]


@guard("clerk")
def future_bookings(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str | None = None,
    after: datetime | None = None,
    until: date | None = None,
) -> list[Booking]:
    """The seeker's active enrollments in scheduled sessions starting after ``after`` (now)."""
    after = after or now_utc()
    stmt = _BOOKINGS.where(
        Enrollment.seeker_id == seeker_id,
        col(Enrollment.state).in_(ACTIVE_STATES),
        SessionRow.state == SessionState.SCHEDULED,
        col(SessionRow.start_at) > after,
    )
    if office_id:
        stmt = stmt.where(SessionRow.office_id == office_id)
    if until:
        stmt = stmt.where(col(SessionRow.start_at) < calendar.day_bounds(until)[1])
    return _bookings(session, stmt.order_by(col(SessionRow.start_at)))


@guard("clerk")
def sessions_of_seeker(session: Session, *, actor: Actor, seeker_id: int, limit: int = 100) -> list[Booking]:
    """Every session the seeker was or is enrolled in (past and upcoming), newest first."""
    stmt = _BOOKINGS.where(Enrollment.seeker_id == seeker_id)
    return _bookings(session, stmt.order_by(col(SessionRow.start_at).desc()).limit(limit))


def last_session_starts(
    session: Session, *, office_id: str, seeker_ids, before: datetime, where: tuple = ()
) -> dict[int, datetime]:
    """seeker id → the start of their latest session of ``office_id`` before ``before`` (a
    cancelled booking does not count; ``where`` adds conditions), for ``seeker_ids`` (ids or a subquery)."""
    return dict(
        session.exec(
            select(Enrollment.seeker_id, func.max(SessionRow.start_at))
            .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
            .where(
                SessionRow.office_id == office_id,
                col(Enrollment.seeker_id).in_(seeker_ids),
                col(SessionRow.start_at) < before,
                Enrollment.state != SeatState.CANCELLED,
                *where,
            )
            .group_by(col(Enrollment.seeker_id))
        ).all()
    )


# --- seekers to phone (the follow-up and reminder lists) --------------------------------------


@dataclass(frozen=True)
class SeatContact:
    """A seeker of a session with the phone to reach them: what every list of calls starts from."""

    session_id: int
    kind: str
    start: datetime
    end: datetime
    seeker_id: int
    seeker_no: str
    name: str
    phone: str


def seat_contacts(*columns):
    """A select of (session id, kind, start, *columns, seeker id, seeker no, name, phone) over the
    sessions' enrollments and their seekers; the caller adds its conditions and order."""
    return (
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            SessionRow.id,
            SessionRow.kind,
            SessionRow.start_at,
            *columns,
            Seeker.id,
            Seeker.seeker_no,
            Seeker.name,
            Seeker.phone,
        )
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
    )
