"""``rawsql.Prepared``: Core statements run on the DBAPI cursor give what SQLAlchemy gives — on SQLite
and PostgreSQL (dates, aware UTC datetimes, booleans, NULLs, literals, RETURNING, errors)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from helpers import new_seeker
from sqlalchemy import bindparam, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError

from hwdesk.models import Approval, Meta, Seeker
from hwdesk.rawsql import Prepared, RawSql

APPROVAL = Approval.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
SEEKER = Seeker.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
META = Meta.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it

INSERT = Prepared(
    insert(APPROVAL).values({c.key: bindparam(c.key) for c in APPROVAL.c if c.key != "id"}).returning(APPROVAL.c.id)
)
# A literal ('counseling', 1) and a name used twice (seeker_id) among the caller's values.
READ = Prepared(
    select(
        *APPROVAL.c,
        select(func.count())
        .select_from(SEEKER)
        .where(SEEKER.c.id == bindparam("seeker_id"))
        .scalar_subquery()
        .label("n"),
    )
    .where(
        APPROVAL.c.seeker_id == bindparam("seeker_id"),
        APPROVAL.c.service == "counseling",
        APPROVAL.c.recognized_on >= bindparam("since"),
        APPROVAL.c.office_id.in_([literal_column("'shibuya'")]),
    )
    .order_by(APPROVAL.c.id)
    .limit(1)
)


def _values(seeker_id: int, staff_id: int, **kw) -> dict:
    return {
        "seeker_id": seeker_id,
        "office_id": "shibuya",
        "service": "counseling",
        "recognized_by": staff_id,
        "recognized_on": date(2026, 4, 1),
        "note": "[bold]山田[/]\x1b",
        "revoked_at": None,
        "wishes_continuing": True,
        **kw,
    }


def test_rows_equal_what_sqlalchemy_reads(store, actors):
    sk = new_seeker(store, actors["clerk1_shi"], office_id="shibuya")
    staff = actors["super1_shi"].id
    revoked = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=9)))
    with store.write() as s, RawSql(s) as db:
        first = db.one(INSERT, _values(sk.id, staff))
        second = db.one(INSERT, _values(sk.id, staff, revoked_at=revoked, service="seminar"))
        assert second.id > first.id
        mine = db.run(READ, {"seeker_id": sk.id, "since": date(2026, 1, 1)})
        orm = s.connection().execute(READ.stmt, {"seeker_id": sk.id, "since": date(2026, 1, 1)}).all()
        assert [tuple(r) for r in mine] == [tuple(r) for r in orm]
        assert (mine[0].id, mine[0].note, mine[0].recognized_on, mine[0].revoked_at, mine[0].n) == (
            first.id,
            "[bold]山田[/]\x1b",
            date(2026, 4, 1),
            None,
            1,
        )
        assert db.run(READ, {"seeker_id": sk.id, "since": date(2026, 4, 2)}) == []
    with store.read() as s:
        stored = s.get(Approval, second.id)
        assert stored.revoked_at == revoked.astimezone(UTC) and stored.revoked_at.tzinfo is not None


def test_updates_and_statements_without_rows(store):
    put = Prepared(update(META).where(META.c.key == bindparam("k")).values(value=bindparam("v")))
    with store.write() as s, RawSql(s) as db:
        db.run(Prepared(insert(META).values(key="prepared-test", value="a")))
        assert db.run(put, {"k": "prepared-test", "v": "b"}) == []
    with store.read() as s:
        assert s.get(Meta, "prepared-test").value == "b"


def test_driver_errors_arrive_as_sqlalchemy_errors(store):
    add = Prepared(insert(META).values(key=bindparam("k"), value="x"))
    with pytest.raises(IntegrityError):
        with store.write() as s, RawSql(s) as db:
            db.run(add, {"k": "twice"})
            db.run(add, {"k": "twice"})
    with store.read() as s:  # the failed unit of work wrote nothing
        assert s.get(Meta, "twice") is None


def test_a_value_the_statement_needs_must_be_given(store):
    with store.read() as s, RawSql(s) as db, pytest.raises(KeyError):
        db.run(READ, {"seeker_id": 1})


def test_expanding_in_lists_are_refused_at_compile_time(store):
    stmt = Prepared(select(SEEKER.c.id).where(SEEKER.c.office_id.in_(["takamatsu", "shibuya"])))
    with store.read() as s, RawSql(s) as db, pytest.raises(ValueError, match="expanding"):
        db.run(stmt)


def test_a_batch_reads_what_each_statement_reads_alone(store):
    """``RawSql.batch`` (one round trip on PostgreSQL) gives each statement's rows, in order, in
    the unit of work's transaction: a row written earlier in it is seen."""
    statements = [
        ("SELECT id FROM office ORDER BY id", ()),
        ("SELECT login FROM staff WHERE office_id = ? ORDER BY login", ("takamatsu",)),
        ("SELECT value FROM meta WHERE key = ?", ("batch-test",)),
        ("SELECT id FROM office WHERE id = ?", ("nowhere",)),
    ]
    with store.write() as s, RawSql(s) as db:
        db.run(Prepared(insert(META).values(key="batch-test", value="seen")))
        batched = db.batch(statements)
        alone = [db.rows(sql, params) for sql, params in statements]
    assert [list(map(tuple, rows)) for rows in batched] == [list(map(tuple, rows)) for rows in alone]
    assert [r[0] for r in batched[0]] == ["maebashi", "shibuya", "takamatsu"]
    assert [tuple(r) for r in batched[2]] == [("seen",)] and list(batched[3]) == []


def test_a_failing_statement_in_a_batch_arrives_as_a_sqlalchemy_error(store):
    with pytest.raises(IntegrityError):
        with store.write() as s, RawSql(s) as db:
            db.batch(
                [
                    ("INSERT INTO meta (key, value) VALUES (?, ?)", ("batch-twice", "a")),
                    ("INSERT INTO meta (key, value) VALUES (?, ?)", ("batch-twice", "b")),
                ]
            )
    with store.read() as s:  # the failed unit of work wrote nothing
        assert s.get(Meta, "batch-twice") is None


@pytest.mark.pg
def test_a_read_on_postgresql_keeps_its_prepared_statements_and_writes_nothing(pg_url):
    """Reads end in COMMIT of a READ ONLY transaction: psycopg forgets its prepared statements at
    every ROLLBACK, so reads ending in one were planned again each time. A write in a read is
    refused by the server (and the store says so plainly); nothing of it is kept."""
    from sqlmodel import select as sql_select

    from hwdesk.db import open_store
    from hwdesk.errors import StoreError

    store = open_store(pg_url)
    try:
        with store.write() as s:
            s.add(Meta(key="read-only-test", value="before"))
        for _ in range(8):  # psycopg prepares a statement from its fifth run
            with store.read() as s, RawSql(s) as db:
                assert db.rows("SELECT value FROM meta WHERE key = ?", ("read-only-test",)) == [("before",)]
        with store.read() as s, RawSql(s) as db:
            prepared = db.rows("SELECT statement FROM pg_prepared_statements", ())
        assert any("FROM meta WHERE key" in row[0] for row in prepared)
        with pytest.raises(StoreError, match="読み取り専用"):
            with store.read() as s:
                s.exec(update(META).where(META.c.key == "read-only-test").values(value="changed"))  # type: ignore[call-overload]  # a Core update through the session
        with store.read() as s:
            assert s.exec(sql_select(Meta.value).where(Meta.key == "read-only-test")).one() == "before"
    finally:
        store.dispose()


@pytest.mark.pg
@pytest.mark.parametrize("unit", ["read", "lookup"])
def test_a_connection_the_server_dropped_is_replaced(pg_url, monkeypatch, unit):
    """A pooled connection idle past ``PING_AFTER_IDLE_S`` is pinged and, when the server has
    dropped it (a restart), replaced before use; one used moments ago is not pinged, and a drop
    inside that window fails one action with the store's plain message, the next one working.
    The same for the search's own pool (``Store.lookup``)."""
    import psycopg

    from hwdesk import db as db_module
    from hwdesk.db import open_store
    from hwdesk.errors import StoreError

    def backend_pid(store) -> int:
        with getattr(store, unit)() as s, RawSql(s) as raw:
            return raw.rows("SELECT pg_backend_pid()", ())[0][0]

    def drop(pid: int) -> None:  # what a server restart does to a pooled connection
        with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    store = open_store(pg_url)
    try:
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # every connection counts as idle
        first = backend_pid(store)
        drop(first)
        assert backend_pid(store) != first  # pinged, found dropped, replaced: the read worked

        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 3600.0)  # used moments ago: no ping
        drop(backend_pid(store))
        with pytest.raises(StoreError):
            backend_pid(store)
        assert backend_pid(store)  # the pool was renewed: the next action works
    finally:
        store.dispose()


@pytest.mark.pg
def test_a_lookup_on_postgresql_runs_each_statement_alone_and_writes_nothing(pg_url):
    """``Store.lookup`` (the search's keystroke lanes) sends its statements without BEGIN and
    COMMIT, on connections the server keeps read-only: each statement sees what is committed
    when it runs, and a write is refused with the store's plain message, nothing of it kept.
    Options already in the URL (here the test schema's ``search_path``) still apply."""
    from sqlmodel import select as sql_select

    from hwdesk.db import open_store
    from hwdesk.errors import StoreError

    store = open_store(pg_url)
    try:
        with store.write() as s:
            s.add(Meta(key="lookup-test", value="before"))
        with store.lookup() as s, RawSql(s) as db:
            assert db.rows("SELECT value FROM meta WHERE key = ?", ("lookup-test",)) == [("before",)]
            assert db.rows("SELECT now() = statement_timestamp()", ()) == [(True,)]  # no transaction around it
            with store.write() as w:  # committed between two statements of one lookup
                w.exec(update(META).where(META.c.key == "lookup-test").values(value="after"))  # type: ignore[call-overload]  # a Core update through the session
            assert db.rows("SELECT value FROM meta WHERE key = ?", ("lookup-test",)) == [("after",)]
        with pytest.raises(StoreError, match="読み取り専用"):
            with store.lookup() as s:
                s.exec(update(META).where(META.c.key == "lookup-test").values(value="changed"))  # type: ignore[call-overload]  # a Core update through the session
        with store.read() as s:
            assert s.exec(sql_select(Meta.value).where(Meta.key == "lookup-test")).one() == "after"
            assert s.connection().exec_driver_sql("SHOW default_transaction_read_only").scalar() == "off"
    finally:
        store.dispose()


def test_a_lookup_reads_what_is_stored(store):
    """On both backends (on SQLite, where a statement costs no round trip, ``lookup`` is ``read``)."""
    with store.lookup() as s, RawSql(s) as db:
        assert db.rows("SELECT count(*) FROM staff", ())[0][0] > 0
