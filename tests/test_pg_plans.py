"""Every hot statement on PostgreSQL is answered from an index (issue 18).

The benchmark's builder makes a database of 6,000 seekers / 24,000 sessions (~60,000
enrollments) in the test's schema; the app's hot paths run against it through the services
(search of every kind and its count, the seeker detail, the daily queue, the week, the reminder
calls, booking and cancelling, the monthly report, a CSV import) while a cursor records every
statement they send. Each recorded statement is then explained with ``enable_seqscan = off``
(and joins as nested loops, as at a million rows): a sequential scan of seeker, session or enrollment left in the plan means no index can serve the
statement at any size, and an index scan with no index condition means the whole index is walked
(the reading search's 866,087 filtered rows of issue 18 was one).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from hwdesk.clock import today_jst
from tests.conftest import _PG_SKIP, drop_pg_schema, make_pg_schema, pg_schema_url

WATCHED = {"seeker", "session", "enrollment"}
SEEKERS, SESSIONS = 6000, 24000


@pytest.fixture(scope="module")
def bench_db(tmp_path_factory):
    """A bench-built PostgreSQL schema (and the SQLite file it was copied from)."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    from bench import build, pgbuild

    build.CACHE = tmp_path_factory.mktemp("bench-cache")
    schema = make_pg_schema()
    url = pg_schema_url(schema)
    try:
        path = build.build(SEEKERS, SESSIONS, log=lambda *_: None)
        pgbuild.copy_from_sqlite(path, url, SEEKERS, SESSIONS, log=lambda *_: None)
        meta = json.loads(path.with_suffix(".json").read_text())
        yield url, date.fromisoformat(meta["busiest_day"])
    finally:
        drop_pg_schema(schema)


def _recording_store(url: str, seen: list):
    """A store whose connections record each statement (and its parameters) they execute."""
    import psycopg
    from sqlalchemy import event

    from hwdesk.db import open_store

    class Recording(psycopg.Cursor):
        def execute(self, query, params=None, **kw):
            seen.append((query if isinstance(query, str) else query.as_string(self), params))
            return super().execute(query, params, **kw)

        def executemany(self, query, params_seq, **kw):
            params_seq = list(params_seq)
            if params_seq:
                seen.append((query if isinstance(query, str) else query.as_string(self), params_seq[0]))
            return super().executemany(query, params_seq, **kw)

    store = open_store(url)

    @event.listens_for(store.engine, "connect")
    def _record(dbapi_conn, _rec):
        dbapi_conn.cursor_factory = Recording

    store.engine.dispose()  # connections made from here on record
    return store


def _bad_scans(plan: dict) -> list[str]:
    out = []
    rel = plan.get("Relation Name")
    if rel in WATCHED:
        kind = plan["Node Type"]
        if kind == "Seq Scan":
            out.append(f"Seq Scan on {rel}")
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in plan:
            out.append(
                f"{kind} on {rel} using {plan.get('Index Name')} without an index condition (whole index walked)"
            )
    for sub in plan.get("Plans", []):
        out += _bad_scans(sub)
    return out


def _planner(conn) -> None:
    # No sequential scans; and joins as nested loops, as the planner chooses them at a million rows
    # for a few hundred rows joined by key (at this size, with seqscans off, it merge-joins whole
    # indexes instead, which says nothing of the indexes).
    for setting in ("enable_seqscan", "enable_mergejoin", "enable_hashjoin"):
        conn.execute(f"SET {setting} = off")


def _explain(url: str, statements: list) -> list[str]:
    from bench.pgbuild import connect

    problems = []
    with connect(url) as conn:
        _planner(conn)
        for query, params in statements:
            head = query.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "WITH", "UPDATE", "DELETE") and not (
                head == "INSERT" and "SELECT" in query.upper()
            ):
                continue
            try:
                plan = conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()[0][0]["Plan"]
            except Exception as exc:  # a statement that cannot be explained on its own (none known)
                conn.rollback()
                _planner(conn)
                problems.append(f"cannot explain: {exc}: {query[:200]}")
                continue
            for bad in _bad_scans(plan):
                problems.append(f"{bad}: {' '.join(query.split())[:300]}")
    return problems


@pytest.mark.pg
def test_hot_statements_use_indexes(bench_db):
    from sqlmodel import select

    from bench.__main__ import import_csv, new_session, registered_on_day
    from hwdesk.models import Staff
    from hwdesk.services import reports, scheduling
    from hwdesk.services.context import SYSTEM, Actor
    from hwdesk.services.importer import import_seekers
    from hwdesk.services.queue import daily_queue, reminder_list, week_view
    from hwdesk.services.seeker_search import search, search_count
    from screens.data import load_detail

    url, day = bench_db
    seen: list = []
    store = _recording_store(url, seen)
    try:
        with store.read() as s:
            clerk = Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())
        # A takamatsu seeker with a consent and an environment check (build.py: id % 3, id % 10).
        n = next(i for i in range(SEEKERS, 0, -1) if i % 3 == 2 and i % 10 < 7)
        queries = [
            "ヤ",
            "ヤマダ",
            "やまだ たろう",
            "37010",
            f"37010-{n}",
            f"37010{n}",
            "090",
            "山",
            "山田",
            "山田太",
            "山田太郎",
            "田 太",
            "さくら",
            "ﾀﾛｳ",
            "yamada",
            "tutomu",
            "kenichi",
        ]
        for office in ("takamatsu", None):
            for q in queries:
                with store.read() as s:
                    search(s, q, actor=SYSTEM, office_id=office)
                    search_count(s, q, actor=SYSTEM, office_id=office)
        with store.read() as s:
            load_detail(s, n, ["maebashi", "shibuya", "takamatsu"], actor=clerk)
            daily_queue(s, actor=clerk, office_id="takamatsu", day=day)
            week_view(s, actor=clerk, office_id="takamatsu", week_start=day)
            reminder_list(s, actor=clerk, office_id="takamatsu", day=day - timedelta(days=1))
            reports.monthly_report(s, office_id="takamatsu", year=day.year, month=day.month, actor=clerk)
        with store.write() as s:
            import holidays

            future = today_jst() + timedelta(days=14)  # sessions start in the future (services/timing), on an open day
            jp = holidays.Japan(years=range(future.year, future.year + 2))
            while (
                future.weekday() >= 5
                or future in jp
                or (future.month, future.day) >= (12, 29)
                or (future.month, future.day) <= (1, 3)
            ):
                future += timedelta(days=1)
            row = new_session(s, clerk, future, 10, 0)
            registered_on_day(s, n, future)  # as the bench does: the built seekers' registrations lapsed long ago
            scheduling.book(s, actor=clerk, session_id=row.id, seeker_id=n)
            scheduling.cancel_enrollment(s, actor=clerk, session_id=row.id, seeker_id=n, reason="by_seeker")
            import_seekers(s, actor=clerk, data=import_csv(300, 9_000_000), office_id="takamatsu", source="t.csv")
            s.rollback()
    finally:
        store.dispose()
    assert len(seen) > 60, "the recording cursor saw the services' statements"
    assert any("kana_key" in q for q, _ in seen) and any("name_gram" in q for q, _ in seen)
    assert any("given_key" in q for q, _ in seen)
    problems = _explain(url, seen)
    assert problems == [], "\n".join(problems)


@pytest.mark.pg
def test_the_import_probes_each_value_whatever_the_chunk_size(bench_db):
    # The planner's own choice this time (no settings changed): joined plainly, the probes of
    # 10,000 values were hashed against the whole seeker table at a million seekers (370 ms a
    # probe against 19 ms). Here the table is small, so the shape of the plan is what is checked:
    # an index scan of seeker per value, under a nested loop.
    from bench.pgbuild import connect
    from hwdesk.services import import_pg

    url, _ = bench_db
    seen: list = []

    class Recording:
        def __init__(self, cur):
            self.cur = cur

        def execute(self, query, params=None):
            seen.append((query, params))
            return self.cur.execute(query, params)

        def fetchall(self):
            return self.cur.fetchall()

    rows = [
        (
            n,
            {
                "seeker_no": f"37010-{9_000_000 + n}",
                "kana_key": "ヤマダ" + "アイウエオ"[n % 5] * (1 + n // 5),
                "birth_date": date(1980, 1, 1 + n % 28),
            },
        )
        for n in range(10_000)
    ]
    with connect(url) as conn:
        existing, people = import_pg._lookup(Recording(conn.cursor()), rows)
        assert existing == {} and people == {}
        assert len(seen) == 2
        for query, params in seen:
            plan = conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()[0][0]["Plan"]
            assert _bad_scans(plan) == []
            text = json.dumps(plan)
            assert "Hash Join" not in text and "Merge Join" not in text and '"Nested Loop"' in text
            assert '"Relation Name": "seeker"' in text and '"Index Cond"' in text


def test_the_migration_makes_the_indexes_the_app_names():
    """Migrations 0009 and 0010 keep their own copies of the C-collation indexes; less those 0014
    drops, they are the app's list."""
    import importlib.util
    from pathlib import Path

    import hwdesk
    from hwdesk.pgindex import C_INDEXES, DROPPED

    made = {}
    for name in ("0009_pg_prefix_indexes.py", "0010_given_reading.py"):
        path = Path(hwdesk.__file__).parent / "migrations" / "versions" / name
        spec = importlib.util.spec_from_file_location("m" + name[:4], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        made.update(module.INDEXES)
    spec = importlib.util.spec_from_file_location("m0014", path.parent / "0014_pg_c_columns.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module.DROPPED) == DROPPED
    for name in DROPPED:
        assert made.pop(name) == module.DROPPED[name]
    assert made == {name: ddl for name, (_, ddl) in C_INDEXES.items()}
