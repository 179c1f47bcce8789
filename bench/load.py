"""Twenty terminals: ``python -m bench load [--db URL] [--terminals N] [--seconds S]`` (issue 18).

N processes work one office's counter at once through the app's services, as its screens call
them, each at a counter's pace (a random 0.5–2.5 s between actions; the keys of a search 0.15 s
apart): clerks search (each key a search and its count, as the search screen), open seekers,
book into the day's seminars (waitlisted when full), cancel (which offers the freed seat to the
first waiting seeker), confirm offered seats, and refresh the queue; supervisors keep the day's
queue open as the queue screen does (``ChangeWatcher`` polled every 0.5 s, the queue read again
when anything committed) and mostly watch it. Every booking's commit time is matched with the
moment each supervisor's queue first showed it: the live update the app promises within 2 s.

Reported per action: count, p50/p95/p99 (ms); refusals (the terms or a full seat saying no: a
right answer, counted apart) and errors (anything else: must be 0). The database is the bench
build of the chosen size (SQLite in WAL, or PostgreSQL at ``--db``); the sessions the run creates
are on a day of their own after every other session, and stay (with their audit rows).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sqlite3
import sys
import time
import traceback
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
OFFICE = "takamatsu"
READINGS = ("ヤマダ", "サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ナカムラ", "コバヤシ", "カトウ")
SLOTS = 16
SEMINARS_PER_SLOT = 2
CAPACITY = 3
CLERK_MIX = (
    ("search", 35),
    ("open seeker", 20),
    ("book", 18),
    ("cancel", 10),
    ("confirm offer", 5),
    ("queue refresh", 12),
)
LIVE_LIMIT_S = 2.0


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))]


# --- set-up ---------------------------------------------------------------------------------------


def prepare(db: str) -> dict:
    """Sessions for the run on a day of its own; the staff who play the terminals; seekers to book."""
    from zoneinfo import ZoneInfo

    from sqlmodel import col, select

    from bench.__main__ import candidate_seekers, clerk_actor, future_day
    from hwdesk.db import open_store
    from hwdesk.models import Staff
    from hwdesk.services import scheduling

    store = open_store(db)
    actor = clerk_actor(store)
    with store.read() as s:
        raw = s.connection().connection.dbapi_connection
        if store.is_sqlite:
            assert isinstance(raw, sqlite3.Connection)  # the pysqlite driver's own
            day = future_day(raw)
            seekers = candidate_seekers(raw, 4000)
        else:
            from bench.pg import PgFloor

            floor = PgFloor(store.url)
            day = future_day(floor)
            seekers = candidate_seekers(floor, 4000)
            floor.close()
        staff = s.exec(
            select(Staff).where(Staff.office_id == OFFICE, Staff.active == True).order_by(col(Staff.id))  # noqa: E712
        ).all()
        clerks = [st.login for st in staff if st.role == "clerk"]
        supervisors = [st.login for st in staff if st.role == "supervisor"]
    jst = ZoneInfo("Asia/Tokyo")
    sessions = []
    with store.write() as s:
        # The built seekers registered years ago, and 渋谷/高松 require a live 求職登録 on the session
        # day (the rule engine's registration_valid), which is years ahead of today in a large
        # build: the terminals book seekers registered on the run's day itself.
        from sqlalchemy import update
        from sqlmodel import col

        from hwdesk.models import Seeker

        s.execute(update(Seeker).where(col(Seeker.id).in_(seekers)).values(registered_on=day))
        n = 0
        for slot in range(SLOTS):
            start = datetime(day.year, day.month, day.day, 9 + slot // 2, 30 * (slot % 2), tzinfo=jst)
            for _ in range(SEMINARS_PER_SLOT):
                st = staff[n % len(staff)]
                n += 1
                row = scheduling.create_session(
                    s,
                    actor=actor,
                    office_id=OFFICE,
                    kind="seminar",
                    start=start,
                    end=start + timedelta(minutes=30),
                    staff_id=st.id,
                    capacity=CAPACITY,
                    platform="webex",
                    join_url=f"https://hw.webex.com/meet/load{n}",
                    meeting_id=str(900000000 + n),
                    passcode="123456",
                )
                sessions.append(row.id)
    store.dispose()
    return {
        "day": day.isoformat(),
        "sessions": sessions,
        "seekers": seekers,
        "clerks": clerks,
        "supervisors": supervisors,
    }


# --- one terminal ---------------------------------------------------------------------------------


def terminal(db: str, role: str, login: str, plan: dict, seconds: float, seed: int, out: mp.Queue) -> None:
    """One terminal's work until the time is up; puts its samples on ``out``."""
    try:
        out.put(_terminal(db, role, login, plan, seconds, seed))
    except Exception:
        out.put({"fatal": traceback.format_exc()})


def _terminal(db: str, role: str, login: str, plan: dict, seconds: float, seed: int) -> dict:
    import gc

    from sqlmodel import col, select

    from hwdesk.db import open_store
    from hwdesk.errors import HwdeskError, RuleRefusal, StoreError
    from hwdesk.models import Enrollment, Staff
    from hwdesk.services import scheduling
    from hwdesk.services.context import Actor
    from hwdesk.services.queue import daily_queue
    from hwdesk.services.seeker_search import search, search_count
    from hwdesk.watch import ChangeWatcher
    from screens.data import load_detail

    rng = random.Random(seed)
    store = open_store(db, migrate=False)
    with store.read() as s:
        actor = Actor.of(s.exec(select(Staff).where(Staff.login == login)).one())
    day = date.fromisoformat(plan["day"])
    sessions, seekers = plan["sessions"], plan["seekers"]
    offices = ["maebashi", "shibuya", "takamatsu"]
    samples: dict[str, list[float]] = {}
    refused: dict[str, int] = {}
    errors: list[str] = []
    booked: list[tuple[int, int, float]] = []  # (session, seeker, commit time)
    mine: list[tuple[int, int]] = []
    seen: dict[tuple[int, int], float] = {}  # supervisors: when the queue first showed a booking
    gc.freeze()  # as the app after start-up

    def timed(name: str, fn) -> Any:
        t0 = time.perf_counter()
        try:
            result = fn()
        except RuleRefusal:
            refused[name] = refused.get(name, 0) + 1
            return None
        except (StoreError, HwdeskError, Exception) as exc:  # noqa: BLE001 - every failure is counted
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            return None
        samples.setdefault(name, []).append((time.perf_counter() - t0) * 1e3)
        return result

    def read_queue() -> None:
        def work():
            with store.read() as s:
                return daily_queue(s, actor=actor, office_id=OFFICE, day=day)

        view = timed("queue refresh", work)
        if view is not None and role == "supervisor":
            now = time.time()
            for row in view.rows:
                for b in row.seekers:
                    if b.state in ("booked", "waitlisted", "offered"):
                        seen.setdefault((row.id, b.id), now)

    def do_search() -> None:
        text = rng.choice(READINGS)
        for i in range(1, len(text) + 1):

            def work(q=text[:i]):
                with store.lookup() as s:  # as the app's search lane runs it
                    search(s, q, actor=actor, office_id=OFFICE)
                    search_count(s, q, actor=actor, office_id=OFFICE)

            timed("search (per key)", work)
            time.sleep(0.15)

    def do_open() -> None:
        sid = rng.choice(seekers)

        def work():
            with store.read() as s:
                load_detail(s, sid, offices, actor=actor)

        timed("open seeker", work)

    def do_book() -> None:
        sess, sid = rng.choice(sessions), rng.choice(seekers)

        def work():
            with store.write() as s:
                scheduling.book(s, actor=actor, session_id=sess, seeker_id=sid)
            return True

        if timed("book", work):
            booked.append((sess, sid, time.time()))
            mine.append((sess, sid))

    def do_cancel() -> None:
        if not mine:
            return
        sess, sid = mine.pop(rng.randrange(len(mine)))

        def work():
            with store.write() as s:
                scheduling.cancel_enrollment(s, actor=actor, session_id=sess, seeker_id=sid, reason="by_seeker")

        timed("cancel", work)

    def do_confirm() -> None:
        with store.read() as s:
            offered = s.exec(
                select(Enrollment.session_id, Enrollment.seeker_id)
                .where(col(Enrollment.session_id).in_(sessions), col(Enrollment.state) == "offered")
                .limit(5)
            ).all()
        if not offered:
            return
        sess, sid = rng.choice(offered)

        def work():
            with store.write() as s:
                scheduling.confirm_offer(s, actor=actor, session_id=sess, seeker_id=sid)

        timed("confirm offer", work)

    actions = {
        "search": do_search,
        "open seeker": do_open,
        "book": do_book,
        "cancel": do_cancel,
        "confirm offer": do_confirm,
        "queue refresh": read_queue,
    }
    mix = plan.get("mix") or CLERK_MIX
    names = [a for a, _ in mix]
    weights = [w for _, w in mix]
    end = time.monotonic() + seconds
    watcher = ChangeWatcher(store) if role == "supervisor" else None
    if watcher is not None:
        read_queue()
    next_action = time.monotonic() + rng.uniform(0.0, 2.0)
    while time.monotonic() < end:
        if watcher is not None:  # the queue screen: poll every 0.5 s, read again on a change
            if watcher.changed():
                read_queue()
            if time.monotonic() >= next_action:
                do_search() if rng.random() < 0.5 else do_open()
                next_action = time.monotonic() + rng.uniform(2.0, 6.0)
            time.sleep(0.5)
            continue
        actions[rng.choices(names, weights)[0]]()
        time.sleep(rng.uniform(*plan.get("pause", (0.5, 2.5))))
    if watcher is not None:
        time.sleep(1.0)  # the last bookings' updates
        if watcher.changed():
            read_queue()
        watcher.close()
    store.dispose()
    return {
        "role": role,
        "samples": samples,
        "refused": refused,
        "errors": errors,
        "booked": booked,
        "seen": [[k[0], k[1], v] for k, v in seen.items()],
    }


# --- the run --------------------------------------------------------------------------------------


def run(db: str, terminals: int, seconds: float, *, log=print, mix=None, pause=(0.5, 2.5)) -> dict:
    """Prepare, run ``terminals`` processes for ``seconds``, and gather the figures (``mix``: the
    clerks' actions and weights, ``pause``: the range of their pauses, for a short test run)."""
    plan = prepare(db)
    plan["mix"], plan["pause"] = mix, pause
    n_sup = max(1, terminals // 5)
    roles = [("supervisor", plan["supervisors"][i % len(plan["supervisors"])]) for i in range(n_sup)]
    roles += [("clerk", plan["clerks"][i % len(plan["clerks"])]) for i in range(terminals - n_sup)]
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=terminal, args=(db, role, login, plan, seconds, 1000 + i, out))
        for i, (role, login) in enumerate(roles)
    ]
    log(f"{terminals} terminals ({n_sup} supervisors) for {seconds:.0f} s on {_label(db)} …")
    for p in procs:
        p.start()
    parts = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    fatal = [p["fatal"] for p in parts if "fatal" in p]
    if fatal:
        raise RuntimeError("a terminal failed:\n" + fatal[0])
    samples: dict[str, list[float]] = {}
    refused: dict[str, int] = {}
    errors: list[str] = []
    for p in parts:
        for k, v in p["samples"].items():
            samples.setdefault(k, []).extend(v)
        for k, v in p["refused"].items():
            refused[k] = refused.get(k, 0) + v
        errors += p["errors"]
    commits = {(s, k): t for p in parts for s, k, t in p["booked"]}
    lags = []
    for p in parts:
        if p["role"] != "supervisor":
            continue
        seen = {(s, k): t for s, k, t in p["seen"]}
        for key, t in commits.items():
            if key in seen:
                lags.append(max(0.0, seen[key] - t) * 1e3)
    actions = {
        k: {"n": len(v), "p50": pct(v, 0.5), "p95": pct(v, 0.95), "p99": pct(v, 0.99), "max": max(v)}
        for k, v in sorted(samples.items())
    }
    live = {
        "n": len(lags),
        "p50": pct(lags, 0.5),
        "p95": pct(lags, 0.95),
        "p99": pct(lags, 0.99),
        "max": max(lags) if lags else float("nan"),
        "within_2s": bool(lags) and max(lags) <= LIVE_LIMIT_S * 1e3,
    }
    from bench.__main__ import machine

    return {
        "date": datetime.now().isoformat(timespec="seconds"),
        "backend": _label(db),
        "terminals": terminals,
        "supervisors": n_sup,
        "seconds": seconds,
        "actions": actions,
        "refused": refused,
        "errors": len(errors),
        "error_samples": errors[:10],
        "live_update_ms": live,
        "machine": machine(),
        "load_before": os.getloadavg(),
    }


def _label(db: str) -> str:
    if "://" in db and not db.startswith("sqlite"):
        return "PostgreSQL"
    return "SQLite (WAL)"


def markdown(doc: dict) -> str:
    """The run as a table."""
    live = doc["live_update_ms"]
    lines = [
        f"#### {doc['backend']}: {doc['terminals']} terminals ({doc['supervisors']} supervisors), {doc['seconds']:.0f} s, {doc['date']}",
        "",
        "| action | n | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, a in doc["actions"].items():
        lines.append(f"| {name} | {a['n']:,} | {a['p50']:.1f} | {a['p95']:.1f} | {a['p99']:.1f} | {a['max']:.1f} |")
    lines.append(
        f"| live queue update (commit → supervisor's queue) | {live['n']:,} | {live['p50']:.0f} | {live['p95']:.0f} | "
        f"{live['p99']:.0f} | {live['max']:.0f} |"
    )
    refused = ", ".join(f"{k} {v}" for k, v in sorted(doc["refused"].items())) or "none"
    lines += [
        "",
        f"Errors: **{doc['errors']}**. Refusals (the terms or a full seat, a right answer): {refused}. "
        f"Live update within 2 s: **{'yes' if live['within_2s'] else 'no'}**. "
        f"Load average before the run: {', '.join(f'{x:.1f}' for x in doc['load_before'])}.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m bench load …``."""
    p = argparse.ArgumentParser(prog="python -m bench load", description="N terminals at a counter's pace")
    p.add_argument(
        "--db", default=None, help="a PostgreSQL URL; default: the SQLite bench file of --seekers/--sessions"
    )
    p.add_argument("--seekers", type=int, default=20000)
    p.add_argument("--sessions", type=int, default=None)
    p.add_argument("--terminals", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--cache", type=Path, default=None)
    p.add_argument("--out", type=Path, default=RESULTS)
    a = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench import build as build_mod

    if a.cache is not None:
        build_mod.CACHE = a.cache
    sessions = a.sessions or a.seekers * 5
    if a.db:
        from bench import pgbuild

        pgbuild.build(a.seekers, sessions, a.db)
        db = a.db
    else:
        db = str(build_mod.build(a.seekers, sessions))
    doc = run(db, a.terminals, a.seconds)
    doc["seekers"], doc["sessions"] = a.seekers, sessions
    a.out.mkdir(parents=True, exist_ok=True)
    stem = f"{date.today().isoformat()}-load-{a.terminals}-{'pg' if a.db else 'sqlite'}-{a.seekers}"
    (a.out / f"{stem}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str))
    md = markdown(doc)
    (a.out / f"{stem}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
