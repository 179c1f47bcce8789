"""The daily queue and the week view of an office, and the queue as plain data for scripts.

Whether another terminal committed (so a screen refreshes) is ``hwdesk.watch``'s business: these
views only read, on the caller's session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TypedDict, Unpack

from sqlmodel import Session

from hwdesk.clock import JST, now_utc
from hwdesk.services import calendar, interpreting
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.queue.build import _build_rows, _counts
from hwdesk.services.queue.rows import QueueRow, QueueView
from hwdesk.states import SeatState

# --- the views --------------------------------------------------------------------------------


class QueueFilter(TypedDict, total=False):
    """How a queue is narrowed (the keywords of ``daily_queue``, ``filter_view``, ``queue_json``):
    one staff member's sessions, one kind of service; ``state`` keeps the rows in that state
    (counted before it)."""

    staff_id: int | None
    kind: str | None
    state: str | None


@guard("clerk")
def daily_queue(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    day: date,
    now: datetime | None = None,
    **narrow: Unpack[QueueFilter],
) -> QueueView:
    """Every session of ``office_id`` on ``day`` in time order, with readiness warnings and counts
    by state (counted after the staff/kind filters, before the state filter)."""
    lo, hi = calendar.day_bounds(day)
    staff_id, kind, state = narrow.get("staff_id"), narrow.get("kind"), narrow.get("state")
    rows = _build_rows(session, office_id=office_id, lo=lo, hi=hi, staff_id=staff_id, kind=kind, now=now)
    counts = _counts(rows)
    if state:
        rows = [r for r in rows if r.state == state]
    return QueueView(
        office_id,
        day,
        rows,
        counts,
        calendar.closed_reason(session, office_id, day),
        calendar.holiday_warning(day.year),
        now or now_utc(),
    )


def filter_view(view: QueueView, **narrow: Unpack[QueueFilter]) -> QueueView:
    """``view`` (an unfiltered ``daily_queue``) narrowed as ``daily_queue`` would narrow it, without
    reading again: counts after the staff/kind filters, rows after the state filter too."""
    staff_id, kind, state = narrow.get("staff_id"), narrow.get("kind"), narrow.get("state")
    rows = [r for r in view.rows if (staff_id is None or r.staff_id == staff_id) and (not kind or r.kind == kind)]
    counts = _counts(rows)
    if state:
        rows = [r for r in rows if r.state == state]
    return replace(view, rows=rows, counts=counts)


def row_json(r: QueueRow) -> dict:
    """One session for scripts: ISO times with +09:00, 求職番号 of the enrolled seekers."""
    return {
        "id": r.id,
        "kind": r.kind,
        "title": r.title,
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "state": r.state,
        "staff": r.staff_login,
        "staff_name": r.staff_name,
        "platform": r.platform,
        "join_url": r.join_url,
        "capacity": r.capacity,
        "enrolled": r.enrolled,
        "waiting": r.waiting,
        "seekers": [s.seeker_no for s in r.seekers if s.state != SeatState.WAITLISTED],
        "waitlist": [
            s.seeker_no
            for s in sorted(
                (s for s in r.seekers if s.state == SeatState.WAITLISTED), key=lambda s: s.waitlist_pos or 0
            )
        ],
        "companions": [{"seeker": c.seeker_no, "kind": c.kind, "language": c.language} for c in r.companions],
        "interpreters": interpreting.covers_json(r.interpreting),
        "warnings": [w.key for w in r.warnings],
        "overrides": r.overrides,
        "offered": [
            {
                "seeker": s.seeker_no,
                "offered_until": s.offered_until.astimezone(JST).isoformat() if s.offered_until else None,
            }
            for s in r.seekers
            if s.state == SeatState.OFFERED
        ],
        "stopped": [s.seeker_no for s in r.seekers if s.stopped is not None],
    }


@guard("clerk")
def queue_json(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    day: date,
    now: datetime | None = None,
    **narrow: Unpack[QueueFilter],
) -> dict:
    """The daily queue as plain data for ``hwdesk queue --json``."""
    view = daily_queue(session, actor=actor, office_id=office_id, day=day, now=now, **narrow)
    from hwdesk.services import followup  # seekers to phone now: on today's queue only

    moment = now or now_utc()
    late = (
        followup.late_seekers(session, actor=actor, office_id=office_id, now=moment)
        if moment.astimezone(JST).date() == day
        else []
    )
    return {
        "office": office_id,
        "date": day.isoformat(),
        "closed": view.closed[0] if view.closed else None,
        "counts": view.counts,
        "sessions": [row_json(r) for r in view.rows],
        "followup": [
            {
                "session": r.session_id,
                "seeker": r.seeker_no,
                "minutes_late": r.minutes_late,
                "last_call": r.last.outcome if r.last else None,
            }
            for r in late
        ],
    }


@dataclass(frozen=True)
class WeekDay:
    """One day column of the week view."""

    day: date
    closed: tuple[str, str] | None
    rows: list[QueueRow]


@dataclass(frozen=True)
class WeekView:
    """Monday to Sunday of an office (or one staff member)."""

    office_id: str
    start: date
    days: list[WeekDay]
    counts: dict[str, int]


@guard("clerk")
def week_view(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    week_start: date,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> WeekView:
    """The week (Monday to Sunday) containing ``week_start``, for the office or one staff member."""
    monday = week_start - timedelta(days=week_start.weekday())
    lo = calendar.day_bounds(monday)[0]
    rows = _build_rows(session, office_id=office_id, lo=lo, hi=lo + timedelta(days=7), staff_id=staff_id, now=now)
    closed = calendar.closed_days(session, office_id=office_id, start=monday, end=monday + timedelta(days=6))
    by_day: dict[date, list[QueueRow]] = defaultdict(list)
    for r in rows:
        by_day[r.start.date()].append(r)
    days = [WeekDay(d, closed.get(d), by_day.get(d, [])) for d in (monday + timedelta(days=i) for i in range(7))]
    return WeekView(office_id, monday, days, _counts(rows))
