"""Waitlist offers with a reply deadline.

When a seat of a full group session is freed, the first waiting seeker is offered it
(``scheduling._offer_free_seats``) until a deadline: the office's reply period — the profile's
``offer_reply_hours`` when it sets one, else the closing time of the next open day — and never
later than the session's start. The offer holds the seat (it counts against the capacity) until
the clerk confirms it, the seeker declines, or the deadline passes: then ``expire_due`` cancels
the offer (audited as ``enrollment.offer_expired``) and the seat goes to the next in line, with a
new deadline. Nothing needs a cron: the app checks on a timer and whenever a screen that shows
offers reads (``due`` is one indexed probe: ``ix_enrollment_offer_due``), the CLI before its
queue, week, reminder and session reads (``settle``).

Concurrency: ``expire_due`` locks each Session row (``scheduling.lock_session``) and reads the
offer again under that lock before it moves anything, as every booking does; the freed seat is
offered by the same function that booking and cancelling use, under the same lock, so the count
of seats held never exceeds the capacity (tests/test_offers_race.py, both backends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.models import Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar
from hwdesk.services.context import SYSTEM, Actor, require
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile
from hwdesk.states import CancelReason, SeatState, SessionState

_E = Enrollment.__table__.c  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
# One probe of the partial index: is any offer past its deadline?
_DUE = core_select(_E.id).where(_E.state == SeatState.OFFERED, _E.offered_until <= bindparam("now")).limit(1)


def deadline(session: Session, *, office_id: str, start: datetime, now: datetime | None = None) -> datetime:
    """The reply deadline of an offer made ``now`` for a session starting at ``start``."""
    now = now or now_utc()
    prof = profile(session, office_id)
    hours = prof.data.offer_reply_hours
    if hours:
        until = now + timedelta(hours=float(hours))
    else:
        day = calendar.next_open_day(session, office_id=office_id, day=now.astimezone(JST).date())
        until = datetime.combine(day, prof.opening[1], JST)
    return min(until, start)


def due(session: Session, *, now: datetime | None = None) -> bool:
    """Whether some offer's deadline has passed (one indexed probe)."""
    session.flush()
    return session.connection().execute(_DUE, {"now": now or now_utc()}).first() is not None


@dataclass(frozen=True)
class Expired:
    """An offer whose deadline passed, and the seekers offered the seat in its place."""

    session_id: int
    seeker_id: int
    offered_to: tuple[int, ...]


def expire_due(session: Session, *, now: datetime | None = None, actor: Actor = SYSTEM) -> list[Expired]:
    """Cancel every offer past its deadline and offer each freed seat to the next in line."""
    from hwdesk.services.scheduling import _offer_free_seats, lock_session

    now = now or now_utc()
    session.flush()
    sessions = sorted(
        set(
            session.exec(
                select(Enrollment.session_id).where(
                    Enrollment.state == SeatState.OFFERED, col(Enrollment.offered_until) <= now
                )
            )
        )
    )
    out: list[Expired] = []
    for sid in sessions:
        row = lock_session(session, sid)  # then read the offers again: another terminal may have moved them
        stale = session.exec(
            select(Enrollment)
            .where(
                Enrollment.session_id == sid,
                Enrollment.state == SeatState.OFFERED,
                col(Enrollment.offered_until) <= now,
            )
            .execution_options(populate_existing=True)
            .order_by(col(Enrollment.id))
        ).all()
        for e in stale:
            until = e.offered_until
            e.state, e.cancel_reason, e.offered_until = SeatState.CANCELLED, CancelReason.BY_SEEKER, None
            session.add(e)
            session.flush()
            audit.record(
                session,
                staff_id=actor.id or None,
                action="enrollment.offer_expired",
                entity="enrollment",
                entity_id=e.id,
                seeker_id=e.seeker_id,
                office_id=row.office_id,
                before={"state": SeatState.OFFERED, "offered_until": until},
                after={"state": SeatState.CANCELLED, "reason": CancelReason.BY_SEEKER},
                extra={"note": "no reply by the deadline"},
            )
        if stale:
            offered = _offer_free_seats(session, actor=actor, row=row, now=now)
            out += [Expired(sid, e.seeker_id, tuple(o.seeker_id for o in offered)) for e in stale]
    return out


def settle(store, *, now: datetime | None = None) -> int:
    """Expire the offers past their deadline, in a write transaction only when one is due (a read
    first: most calls find none). Returns how many expired. Takes the store, as a timer job does."""
    with store.read() as s:
        if not due(s, now=now):
            return 0
    with store.write() as s:
        return len(expire_due(s, now=now))


@guard("clerk")
def decline(session: Session, *, actor: Actor, session_id: int, seeker_id: int, note: str = ""):
    """The seeker declines the seat offered to them: the offer is cancelled (by the seeker) and the
    seat goes to the next in line. Refused unless they hold an offer."""
    from hwdesk.services.scheduling import _offered_enrollment, cancel_enrollment

    require(actor, "clerk", what_ja="空席案内の辞退", what_en="Declining an offered seat")
    _offered_enrollment(session, session_id, seeker_id)
    return cancel_enrollment(
        session,
        actor=actor,
        session_id=session_id,
        seeker_id=seeker_id,
        reason=CancelReason.BY_SEEKER,
        note=note or "空席案内を辞退 / offer declined",
    )


@dataclass(frozen=True)
class Place:
    """A seeker's place on a waitlist, or a seat offered to them (for the seeker page)."""

    session_id: int
    kind: str
    start: datetime
    state: str  # waitlisted / offered
    rank: int | None  # 1 = next in line (waitlisted only)
    offered_until: datetime | None


@guard("clerk")
def places(
    session: Session, *, actor: Actor, seeker_id: int, office_id: str | None = None, after: datetime | None = None
) -> list[Place]:
    """The seeker's waitlist places and offers in upcoming sessions, with their rank in line."""
    after = after or now_utc()
    stmt = (
        select(Enrollment, SessionRow.kind, SessionRow.start_at, SessionRow.office_id)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            Enrollment.seeker_id == seeker_id,
            col(Enrollment.state).in_((SeatState.WAITLISTED, SeatState.OFFERED)),
            SessionRow.state == SessionState.SCHEDULED,
            col(SessionRow.start_at) > after,
        )
    )
    out = []
    for e, kind, start, office in session.exec(stmt.order_by(col(SessionRow.start_at))).all():
        if office_id and office != office_id:
            continue
        rank = None
        if e.state == SeatState.WAITLISTED:
            ahead = session.exec(
                select(Enrollment.id).where(
                    Enrollment.session_id == e.session_id,
                    Enrollment.state == SeatState.WAITLISTED,
                    col(Enrollment.waitlist_pos) < (e.waitlist_pos or 0),
                )
            ).all()
            rank = len(ahead) + 1
        out.append(
            Place(
                e.session_id,
                kind,
                start.astimezone(JST),
                e.state,
                rank,
                e.offered_until.astimezone(JST) if e.offered_until else None,
            )
        )
    return out


def format_until(until: datetime | None, lang: str = "ja") -> str:
    """'12/08 17:15まで' / 'until 12-08 17:15' ('' when the offer has no deadline)."""
    if until is None:
        return ""
    from hwdesk.texts import tr

    return tr("offers.until", lang, until=until.astimezone(JST))


__all__ = ["Expired", "Place", "deadline", "decline", "due", "expire_due", "format_until", "places", "settle"]
