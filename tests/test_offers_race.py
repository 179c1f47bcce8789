"""Offers expiring while others book, in two real processes, on SQLite and PostgreSQL: a seminar of
one seat never holds more than one seeker, and at the end exactly one holds it.

One process expires offers (``offers.expire_due`` with a clock moved a day forward each round, so
each round's offer is past its deadline); the other, at the same time, books new seekers into the
session (they join the waitlist) and every third round declines the offer it finds. Each
transaction counts the seats held inside itself; the test counts them again at the end.
"""

from __future__ import annotations

import multiprocessing as mp
from datetime import date, datetime, timedelta

from helpers import make_ready, new_seeker
from sqlmodel import func, select

from hwdesk.clock import JST
from hwdesk.models import Enrollment
from hwdesk.services import calendar, scheduling
from hwdesk.services.scheduling import SEAT_STATES

OFFICE = "maebashi"
ROUNDS = 12


def _held(s, session_id: int) -> int:
    return s.exec(
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.session_id == session_id, Enrollment.state.in_(SEAT_STATES))
    ).one()


def _expirer(url: str, session_id: int, first_now: datetime, barrier, results) -> None:
    from hwdesk.db import open_store
    from hwdesk.services import offers

    store = open_store(url, migrate=False)
    worst, expired = 0, 0
    try:
        barrier.wait(timeout=60)
        for i in range(ROUNDS):
            with store.write() as s:
                expired += len(offers.expire_due(s, now=first_now + timedelta(days=i)))
                worst = max(worst, _held(s, session_id))
        results.put(("expirer", worst, expired))
    except Exception as exc:  # reported, so the test shows it instead of hanging
        results.put(("error", repr(exc), 0))
    finally:
        store.dispose()


def _booker(url: str, session_id: int, actor, seeker_ids: list[int], barrier, results) -> None:
    from hwdesk.db import open_store
    from hwdesk.errors import HwdeskError
    from hwdesk.services import offers
    from hwdesk.services import scheduling as sch

    store = open_store(url, migrate=False)
    worst, declined = 0, 0
    try:
        barrier.wait(timeout=60)
        for i, sid in enumerate(seeker_ids):
            with store.write() as s:
                sch.book(s, actor=actor, session_id=session_id, seeker_id=sid)
                worst = max(worst, _held(s, session_id))
            if i % 3 == 2:
                try:
                    with store.write() as s:
                        held = s.exec(
                            select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.state == "offered")
                        ).first()
                        if held is not None:
                            offers.decline(s, actor=actor, session_id=session_id, seeker_id=held.seeker_id)
                            declined += 1
                        worst = max(worst, _held(s, session_id))
                except HwdeskError:
                    pass  # the offer expired in the other process first
        results.put(("booker", worst, declined))
    except Exception as exc:
        results.put(("error", repr(exc), 0))
    finally:
        store.dispose()


def test_offers_expiring_while_others_book_never_exceed_one_seat(store, actors, db_url):
    clerk = actors["clerk1_mae"]
    people = [new_seeker(store, clerk, office_id=OFFICE) for _ in range(4 + ROUNDS)]
    for p in people:
        make_ready(store, clerk, p.id, OFFICE, service="seminar")
    with store.read() as s:
        day = calendar.next_open_day(s, office_id=OFFICE, day=date(2027, 6, 1), include_day=True)
    start = datetime.combine(day, datetime.min.time(), JST).replace(hour=10)
    with store.write() as s:
        sem = scheduling.create_session(
            s,
            actor=clerk,
            office_id=OFFICE,
            kind="seminar",
            capacity=1,
            start=start,
            end=start + timedelta(hours=1),
            staff_login="clerk1_mae",
        ).id
    holder, waiting, newcomers = people[0], people[1:4], people[4:]
    with store.write() as s:
        for p in (holder, *waiting):
            scheduling.book(s, actor=clerk, session_id=sem, seeker_id=p.id)
    with store.write() as s:
        offered = scheduling.cancel_enrollment(
            s, actor=clerk, session_id=sem, seeker_id=holder.id, reason="by_seeker"
        ).offered
        first_now = offered[0].offered_until + timedelta(minutes=1)
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=_expirer, args=(db_url, sem, first_now, barrier, results), daemon=True),
        ctx.Process(
            target=_booker, args=(db_url, sem, clerk, [p.id for p in newcomers], barrier, results), daemon=True
        ),
    ]
    for p in procs:
        p.start()
    try:
        out = {r[0]: r for r in (results.get(timeout=180) for _ in procs)}
    finally:
        for p in procs:
            p.join(timeout=30)
    assert "error" not in out, out
    assert out["expirer"][1] <= 1 and out["booker"][1] <= 1, out
    assert out["expirer"][2] >= 1, out  # offers did expire during the race
    with store.read() as s:
        states = [e.state for e in s.exec(select(Enrollment).where(Enrollment.session_id == sem))]
        offered_now = [
            e for e in s.exec(select(Enrollment).where(Enrollment.session_id == sem, Enrollment.state == "offered"))
        ]
    # exactly one holder: the offer in force, or a newcomer booked when nobody was left waiting
    assert sum(st in SEAT_STATES for st in states) == 1, states
    if offered_now:
        with store.write() as s:
            scheduling.confirm_offer(s, actor=clerk, session_id=sem, seeker_id=offered_now[0].seeker_id)
            assert _held(s, sem) == 1
