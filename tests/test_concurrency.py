"""Several real processes writing at once (issue 7), on SQLite and on PostgreSQL.

Four worker processes (multiprocessing 'spawn', each with its own Store on the same database)
meet at a Barrier and then, at the same moment, try to take the last seat of a seminar, to take the
same staff member's time slot, and to join a full seminar's waitlist. Each round exactly one wins
the seat and the slot (the others get the refusal message), waitlist positions are 1..4 without
gaps or duplicates, and the final counts match. A ChangeWatcher sees another process's commit
within 2 seconds.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import date, datetime, timedelta

from helpers import make_ready, new_seeker
from sqlmodel import func, select

from hwdesk import watch
from hwdesk.clock import JST
from hwdesk.models import Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, scheduling

WORKERS = 4
ROUNDS = 10
OFFICE = "maebashi"


def _worker(url: str, barrier, tasks, results) -> None:
    """One terminal: its own Store; runs each task right after everyone reached the barrier."""
    from hwdesk.db import open_store
    from hwdesk.errors import HwdeskError
    from hwdesk.services import scheduling as sch

    store = open_store(url, migrate=False)
    try:
        while (task := tasks.get()) is not None:
            op, actor, args = task
            barrier.wait(timeout=60)
            try:
                with store.write() as s:
                    if op == "create":
                        row = sch.create_session(s, actor=actor, **args)
                        out = ("ok", row.id)
                    else:
                        e = sch.book(s, actor=actor, **args)
                        out = ("ok", (e.state, e.waitlist_pos))
            except HwdeskError as exc:
                out = ("refused", exc.message_ja)
            except Exception as exc:  # reported, so the test shows it instead of hanging
                out = ("error", repr(exc))
            results.put(out)
    finally:
        store.dispose()


def _round_days(store, n: int) -> list[date]:
    days, day = [], date(2027, 2, 1)
    with store.read() as s:
        for _ in range(n):
            day = calendar.next_open_day(s, office_id=OFFICE, day=day, include_day=not days)
            days.append(day)
    return days


def _seminar(store, actor, day: date, hour: int, capacity: int, filler_id: int) -> int:
    start = datetime.combine(day, datetime.min.time(), JST).replace(hour=hour)
    with store.write() as s:
        row = scheduling.create_session(
            s,
            actor=actor,
            office_id=OFFICE,
            kind="seminar",
            capacity=capacity,
            start=start,
            end=start + timedelta(hours=1),
            staff_login="clerk1_mae",
        )
        scheduling.book(s, actor=actor, session_id=row.id, seeker_id=filler_id)
    return row.id


def test_exactly_one_wins_each_round(store, actors, db_url):
    clerk = actors["clerk1_mae"]
    people = [new_seeker(store, clerk, office_id=OFFICE) for _ in range(WORKERS + 1)]
    for p in people:
        make_ready(store, clerk, p.id, OFFICE, service="seminar")
    filler, racers = people[0], people[1:]
    days = _round_days(store, ROUNDS)

    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    tasks = [ctx.Queue() for _ in range(WORKERS)]
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(db_url, barrier, tasks[i], results), daemon=True) for i in range(WORKERS)
    ]
    for p in procs:
        p.start()

    def race(make_task) -> list[tuple]:
        for i in range(WORKERS):
            tasks[i].put(make_task(i))
        out = [results.get(timeout=120) for _ in range(WORKERS)]
        assert not [o for o in out if o[0] == "error"], out
        return out

    seats, waits = [], []
    try:
        for day in days:
            seat = _seminar(store, clerk, day, 10, capacity=2, filler_id=filler.id)
            full = _seminar(store, clerk, day, 13, capacity=1, filler_id=filler.id)
            seats.append(seat)
            waits.append(full)

            out = race(
                lambda i, seat=seat: ("book", clerk, {"session_id": seat, "seeker_id": racers[i].id, "waitlist": False})
            )
            assert sorted(o[0] for o in out) == ["ok", "refused", "refused", "refused"], out
            assert all("満席" in o[1] for o in out if o[0] == "refused"), out

            start = datetime.combine(day, datetime.min.time(), JST).replace(hour=15)
            slot = {
                "office_id": OFFICE,
                "kind": "tour",
                "capacity": 5,
                "start": start,
                "end": start + timedelta(hours=1),
                "staff_login": "super1_mae",
            }
            out = race(lambda i, slot=slot: ("create", clerk, slot))
            assert sorted(o[0] for o in out) == ["ok", "refused", "refused", "refused"], out
            assert all("別のセッションを担当" in o[1] for o in out if o[0] == "refused"), out

            out = race(lambda i, full=full: ("book", clerk, {"session_id": full, "seeker_id": racers[i].id}))
            assert sorted(o[1] for o in out) == [("waitlisted", n) for n in range(1, WORKERS + 1)], out
    finally:
        for q in tasks:
            q.put(None)
        for p in procs:
            p.join(timeout=30)

    with store.read() as s:
        for sid in seats:
            taken = s.exec(
                select(func.count())
                .select_from(Enrollment)
                .where(Enrollment.session_id == sid, Enrollment.state == "booked")
            ).one()
            assert taken == 2
        for sid in waits:
            positions = sorted(
                e.waitlist_pos
                for e in s.exec(
                    select(Enrollment).where(Enrollment.session_id == sid, Enrollment.state == "waitlisted")
                )
            )
            assert positions == [1, 2, 3, 4]
        staff_sessions = s.exec(
            select(func.count()).select_from(SessionRow).where(SessionRow.staff_id == actors["super1_mae"].id)
        ).one()
        assert staff_sessions == ROUNDS


def _commit_once(url: str, actor, committed, release) -> None:
    """Another terminal: commit one change, say so, and stay alive until released."""
    from hwdesk.db import open_store
    from hwdesk.services import calendar as cal

    store = open_store(url, migrate=False)
    try:
        with store.write() as s:
            cal.add_closure(s, actor=actor, office_id=OFFICE, day=date(2027, 3, 3), reason="他端末からの変更")
        committed.set()
        release.wait(timeout=60)
    finally:
        store.dispose()


def _seen_within(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_change_watcher_sees_another_process_within_two_seconds(store, actors, db_url):
    watcher = watch.ChangeWatcher(store)
    ctx = mp.get_context("spawn")
    committed, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_commit_once, args=(db_url, actors["super1_mae"], committed, release), daemon=True)
    try:
        watcher.changed()  # start from now
        if store.is_sqlite:  # (PostgreSQL's channel is server-wide: other tests' commits may show up)
            assert not watcher.changed()
        proc.start()
        assert committed.wait(timeout=60), "the other process did not commit"
        assert _seen_within(watcher.changed, 2.0), "the other process's commit was not seen within 2 s"
        # and this process's own commits too (the shared per-store token)
        before = watch.change_token(store)
        with store.write() as s:
            calendar.remove_closure(
                s, actor=actors["super1_mae"], office_id=OFFICE, day=date(2027, 3, 3), reason="戻す"
            )
        assert _seen_within(lambda: watch.change_token(store) != before, 2.0)
    finally:
        release.set()
        proc.join(timeout=30)
        watcher.close()
