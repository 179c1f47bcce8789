"""'Book this seeker': the upcoming sessions a seeker could be booked into, from the seeker page.

The office's scheduled sessions in the coming weeks, of the services the office offers, that the
seeker is ready for on that day — readiness decided by ``eligibility.check``, the one function
that evaluates the conditions of use, once per (service, day) — and that the seeker is not already
in and has no other session at that time. Each choice says whether a seat is free or the seeker
would join the waitlist. Booking itself (``scheduling.book``) checks everything again under its
locks; this list only spares the clerk the sessions that would be refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from hwdesk.clock import JST, now_utc
from hwdesk.models import Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, eligibility
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.scheduling import ACTIVE_STATES, SEAT_STATES, is_group
from hwdesk.states import SeatState, SessionState

WEEKS = 8
LIMIT = 60


@dataclass(frozen=True)
class Choice:
    """An upcoming session the seeker is ready for."""

    session_id: int
    kind: str
    title: str
    start: datetime
    end: datetime
    capacity: int
    taken: int
    waiting: int

    @property
    def full(self) -> bool:
        """Whether booking would put the seeker on the waitlist."""
        return self.taken >= self.capacity or self.waiting > 0


@guard("clerk")
def upcoming_for(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str,
    now: datetime | None = None,
    weeks: int = WEEKS,
    limit: int = LIMIT,
) -> list[Choice]:
    """The seeker's bookable upcoming sessions at ``office_id`` (time order, at most ``limit``)."""
    now = now or now_utc()
    hi = calendar.day_bounds(now.astimezone(JST).date() + timedelta(weeks=weeks))[1]
    e = Enrollment
    taken = (
        select(func.count())
        .select_from(e)
        .where(e.session_id == SessionRow.id, col(e.state).in_(SEAT_STATES))
        .scalar_subquery()
    )
    waiting = (
        select(func.count())
        .select_from(e)
        .where(e.session_id == SessionRow.id, e.state == SeatState.WAITLISTED)
        .scalar_subquery()
    )
    rows = session.exec(
        select(SessionRow, taken, waiting)
        .where(
            SessionRow.office_id == office_id,
            SessionRow.state == SessionState.SCHEDULED,
            col(SessionRow.start_at) > now,
            col(SessionRow.start_at) < hi,
        )
        .order_by(col(SessionRow.start_at), col(SessionRow.id))
        .limit(limit * 4)
    ).all()
    mine = session.exec(
        select(Enrollment.session_id, SessionRow.start_at, SessionRow.end_at)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            Enrollment.seeker_id == seeker_id,
            col(Enrollment.state).in_(ACTIVE_STATES),
            col(SessionRow.start_at) < hi,
            col(SessionRow.end_at) > now,
        )
    ).all()
    in_ = {sid for sid, _, _ in mine}
    ready: dict[tuple[str, date], bool] = {}
    out = []
    for row, n_taken, n_waiting in rows:
        if row.id in in_ or any(s < row.end_at and e_ > row.start_at for _, s, e_ in mine):
            continue
        if not is_group(row.kind) and (n_taken or n_waiting):
            continue  # an individual session already has its seeker
        key = (row.kind, row.start_at.astimezone(JST).date())
        if key not in ready:
            reqs = eligibility.check(session, seeker_id=seeker_id, office_id=office_id, service=row.kind, on=key[1])
            ready[key] = not eligibility.failures(reqs)
        if ready[key]:
            out.append(
                Choice(
                    row.id,
                    row.kind,
                    row.title,
                    row.start_at.astimezone(JST),
                    row.end_at.astimezone(JST),
                    row.capacity,
                    n_taken,
                    n_waiting,
                )
            )
            if len(out) >= limit:
                break
    return out


__all__ = ["Choice", "upcoming_for"]
