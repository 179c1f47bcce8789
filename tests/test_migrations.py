"""Migrations: a database made by an earlier release upgrades without losing a row.

``fixtures/schema_0001.sql`` is a dump (``sqlite3`` ``iterdump``) of a database made by release
0001, the first release, with demo data in every table; ``fixtures/make_schema_0001.py`` says how
it was made. It is never regenerated: a later release adds its own ``schema_NNNN.sql`` and this
test keeps proving that 0001 databases still upgrade. ``hwdesk init`` is also run on an empty
database and, as a no-op, on a current one, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from hwdesk import audit
from hwdesk.cli import main
from hwdesk.db import current_revision, head_revision, open_store
from hwdesk.maintenance.integrity import known_revisions
from hwdesk.nameindex import GRAM_TABLE, expected_tables, include_object, indexed, problems
from hwdesk.services.context import SYSTEM

FIXTURES = Path(__file__).parent / "fixtures"
OLD_RELEASES = sorted(FIXTURES.glob("schema_*.sql"))


def build_old(dump: Path, path: Path) -> None:
    """Make the old release's database file from its dump."""
    conn = sqlite3.connect(path)
    conn.executescript(dump.read_text(encoding="utf-8"))
    conn.close()


def snapshot(path: Path) -> dict:
    """Row counts of every table and a few values worth comparing field by field."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'")
        ]
        return {
            "counts": {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables},
            "seekers": sorted(
                conn.execute("SELECT id, seeker_no, name, name_kana, birth_date, phone, office_id FROM seeker")
            ),
            "staff": sorted(conn.execute("SELECT id, login, role, office_id, password_hash FROM staff")),
            "enrollments": sorted(conn.execute("SELECT id, session_id, seeker_id, state FROM enrollment")),
            "termination": sorted(conn.execute("SELECT id, seeker_id, ground, cite, narrative FROM termination")),
            "audit": conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone(),
        }
    finally:
        conn.close()


def anonymized(path: Path) -> set[int]:
    """Ids of the anonymized seekers (never in the name index)."""
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM seeker WHERE anonymized_at IS NOT NULL")}
    finally:
        conn.close()


def test_there_is_an_old_release_fixture_and_its_revision_is_known():
    assert OLD_RELEASES, "tests/fixtures/schema_0001.sql is missing"
    revisions = known_revisions()
    assert revisions[0] == "0001" and revisions[-1] == head_revision()
    for dump in OLD_RELEASES:
        rev = dump.stem.removeprefix("schema_")
        assert rev in revisions, f"{dump.name}: revision {rev} is not in this release's migrations"


@pytest.mark.parametrize("dump", OLD_RELEASES, ids=lambda p: p.stem)
def test_upgrading_an_old_release_database_keeps_every_row(dump, tmp_path, capsys):
    path = tmp_path / "old.sqlite3"
    build_old(dump, path)
    before = snapshot(path)
    assert all(n > 0 for n in before["counts"].values()), "the fixture should have rows in every table"
    rev = dump.stem.removeprefix("schema_")
    store = open_store(f"sqlite:///{path}", migrate=False)
    assert current_revision(store) == rev
    store.dispose()

    assert main(["--db", str(path), "init"]) == 0  # what an office runs after installing a release
    store = open_store(f"sqlite:///{path}", migrate=False)
    try:
        assert current_revision(store) == head_revision()
        with store.read() as s:
            chain = audit.verify_chain(s)
    finally:
        store.dispose()
    after = snapshot(path)
    for table, n in before["counts"].items():
        if table == GRAM_TABLE:  # 0003: SQLite's name index moved to name_fts (checked below)
            continue
        assert after["counts"].get(table, 0) >= n, (
            f"{table}: {n} rows before the upgrade, {after['counts'].get(table)} after"
        )
    assert GRAM_TABLE not in after["counts"]
    store = open_store(f"sqlite:///{path}", migrate=False)
    try:
        with store.engine.connect() as conn:
            assert problems(conn) == (0, [])
            assert set(indexed(conn)) == {sid for sid, *_ in after["seekers"]} - anonymized(path)
    finally:
        store.dispose()
    for key in ("seekers", "staff", "enrollments", "termination"):
        assert after[key] == before[key], key
    assert chain.ok, chain.problem
    # init only appends (an audit row if offices changed); the old history is intact
    conn = sqlite3.connect(path)
    assert (
        conn.execute("SELECT hash FROM audit_log WHERE id = ?", (before["audit"][0],)).fetchone()[0]
        == before["audit"][1]
    )
    conn.close()
    capsys.readouterr()
    assert main(["--db", str(path), "check"]) == 0, capsys.readouterr().out


def test_models_and_migrations_agree(db_url):
    """A schema built by the migrations is exactly what the models describe (no forgotten migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = open_store(db_url)
    try:
        with store.engine.connect() as conn:
            opts = {"compare_type": True, "include_object": include_object(conn.dialect.name == "sqlite")}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), SQLModel.metadata)
    finally:
        store.dispose()
    assert diff == []


def _all_counts(store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in inspect(conn).get_table_names()}


def test_init_on_an_empty_database_then_again_is_a_no_op(db_url, monkeypatch, capsys):
    assert main(["--db", db_url, "init"]) == 0
    assert head_revision() in capsys.readouterr().out
    store = open_store(db_url, migrate=False)
    try:
        assert current_revision(store) == head_revision()
        assert expected_tables(SQLModel.metadata.tables, sqlite=store.is_sqlite) <= set(_all_counts(store))
        before = _all_counts(store)
    finally:
        store.dispose()

    import alembic.command

    def no_migration(*_a, **_k):
        raise AssertionError("init on a current database must not run a migration")

    monkeypatch.setattr(alembic.command, "upgrade", no_migration)
    assert main(["--db", db_url, "init"]) == 0
    store = open_store(db_url, migrate=False)
    try:
        assert _all_counts(store) == before
    finally:
        store.dispose()


def test_the_name_index_migration_goes_down_and_up_again(store, actors):
    """0003 down: SQLite gets name_gram back, filled for every active seeker; up again: name_fts.
    (PostgreSQL keeps name_gram throughout.) Search answers the same at every step."""
    from alembic import command
    from helpers import new_seeker

    from hwdesk.db import _alembic_config
    from hwdesk.services import seeker_search, seekers

    ids = [new_seeker(store, actors["clerk1"], name=n).id for n in ("山田 太郎", "佐藤 花子", "山田 花")]
    with store.write() as s:
        seekers.anonymize(s, actor=actors["super1"], seeker_id=ids[2])

    def found(q: str) -> list[int]:
        with store.read() as s:
            return [r.id for r in seeker_search.search(s, q, actor=SYSTEM)]

    assert found("山田") == [ids[0]] and found("花子") == [ids[1]]
    command.downgrade(_alembic_config(store), "0002")
    store.dispose()
    assert current_revision(store) == "0002"
    with store.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        grams = conn.execute(text("SELECT seeker_id, gram FROM name_gram")).fetchall()
    assert GRAM_TABLE in tables and "name_fts" not in tables
    held: dict[int, set[str]] = {}
    for sid, gram in grams:
        held.setdefault(sid, set()).add(gram)
    from hwdesk.nameindex import grams as grams_of

    assert held == {ids[0]: grams_of("山田 太郎"), ids[1]: grams_of("佐藤 花子")}
    command.upgrade(_alembic_config(store), "head")
    store.dispose()
    assert current_revision(store) == head_revision()
    assert found("山田") == [ids[0]] and found("田太") == [ids[0]] and found("花") == [ids[1]]
    if store.is_sqlite:
        with store.engine.connect() as conn:
            assert problems(conn) == (0, [])
