"""Nothing lost: check, backup and restore; SQLite's settings; faults made for real.

Each promise of issue 9's "Nothing lost" section (and the outside audit head of "Only the right
people") is tried here against a real database file, a real PostgreSQL server, real processes,
a real read-only or full filesystem (tmpfs, mounted when we are root) and a real held lock.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from helpers import new_seeker
from sqlalchemy import text
from sqlmodel import Session, create_engine, func, select

from hwdesk import audit
from hwdesk.cli import main
from hwdesk.db import open_store
from hwdesk.errors import StoreError
from hwdesk.maintenance.head import HEAD_FILE_ENV, HEAD_SUFFIX, read_head_file
from hwdesk.models import AuditLog, Meta, Seeker
from hwdesk.services import seeker_search
from hwdesk.services.context import SYSTEM

WRITER = Path(__file__).parent / "fixtures" / "writer.py"
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


RESTORE = ("--as", "admin1", "restore")  # restore needs an admin (issue 21)


@pytest.fixture
def hw(capsys, monkeypatch):
    """Run ``hwdesk --lang en --db URL …`` in-process; returns (exit status, stdout, stderr).

    HWDESK_PASSWORD is the demo password, for the ``--as admin1`` of ``restore``."""
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(url: str, *args: str):
        code = main(["--lang", "en", "--db", url, *args])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return code, out.out, out.err

    return run


def sql(path: Path, *statements: str) -> None:
    """Change a database file behind hwdesk's back, as someone with the file would."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys=OFF")
    for st in statements:
        conn.execute(st)
    conn.commit()
    conn.close()


def head_file_arg(store, tmp_path) -> list[str]:
    """PostgreSQL needs its head file named; SQLite keeps it beside the database."""
    return [] if store.is_sqlite else ["--head-file", str(tmp_path / "pg.audit-head")]


def assert_restored(target: Path, backup: Path) -> dict:
    """``target`` holds ``backup``'s data and chain plus one audit row recording the restore;
    returns that row's detail."""
    seekers, head = verify_copy(backup)
    assert verify_copy(target)[0] == seekers
    conn = sqlite3.connect(target)
    try:
        action, prev, detail = conn.execute(
            "SELECT action, prev_hash, detail_json FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    assert action == "maintenance.restore" and prev == head
    return json.loads(detail)


def verify_copy(path: Path) -> tuple[int, str]:
    """An independent check of a database file: integrity, every seeker with its audit row, the
    chain. Returns (seekers, chain head)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = {r[0] for r in conn.execute("SELECT id FROM seeker")}
        audited = {int(r[0]) for r in conn.execute("SELECT entity_id FROM audit_log WHERE action = 'seeker.create'")}
        assert ids == audited
    finally:
        conn.close()
    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        chain = audit.verify_chain(s)
    engine.dispose()
    assert chain.ok, chain.problem
    return len(ids), chain.head


def mode(path: Path) -> int:
    """Permission bits of ``path``."""
    return path.stat().st_mode & 0o777


# --- hwdesk check --------------------------------------------------------------------------------


def test_check_passes_and_keeps_the_head_outside(store, actors, hw, tmp_path):
    for _ in range(3):
        new_seeker(store, actors["clerk1"])
    extra = head_file_arg(store, tmp_path)
    code, out, _ = hw(store.url, "check", *extra)
    assert code == 0, out
    assert "Audit chain:" in out and "No problem found" in out
    head_file = Path(extra[1]) if extra else store.sqlite_path.with_name(store.sqlite_path.name + HEAD_SUFFIX)
    assert mode(head_file) == 0o600
    with store.read() as s:
        assert read_head_file(head_file).head == audit.verify_chain(s).head
    new_seeker(store, actors["clerk1"])
    code, out, _ = hw(store.url, "check", *extra)
    assert code == 0 and "is in the chain" in out
    with store.read() as s:
        assert read_head_file(head_file).head == audit.verify_chain(s).head  # moved forward


@sqlite_only
def test_check_names_an_audit_row_edited_in_the_file(store, actors, hw):
    for _ in range(3):
        new_seeker(store, actors["clerk1"])
    assert hw(store.url, "check")[0] == 0
    with store.read() as s:
        target = s.exec(select(AuditLog).where(AuditLog.action == "seeker.create").order_by(AuditLog.id)).first().id
    store.dispose()
    sql(
        store.sqlite_path,
        f"UPDATE audit_log SET detail_json = replace(detail_json, '山田', '川田') WHERE id = {target}",
    )
    code, out, _ = hw(store.url, "check")
    assert code == 1
    assert f"audit row {target}: content does not match its hash" in out
    # A row removed from the middle is named too: the link of the row after it breaks.
    sql(
        store.sqlite_path,
        f"UPDATE audit_log SET detail_json = replace(detail_json, '川田', '山田') WHERE id = {target}",
        f"DELETE FROM audit_log WHERE id = {target}",
    )
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "previous-hash link broken" in out and f"audit row {target + 1}" in out


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_check_names_an_edited_row_on_postgresql(store, actors, hw, tmp_path, monkeypatch):
    new_seeker(store, actors["clerk1"])
    code, out, _ = hw(store.url, "check")
    # No head file on PostgreSQL by default: this terminal's anchor (written by the writes) is the outside head.
    assert code == 0 and "The anchor outside the database" in out and "is in the chain" in out
    monkeypatch.setenv(HEAD_FILE_ENV, str(tmp_path / "env.audit-head"))
    assert hw(store.url, "check")[0] == 0
    assert mode(tmp_path / "env.audit-head") == 0o600
    monkeypatch.delenv(HEAD_FILE_ENV)
    extra = head_file_arg(store, tmp_path)
    assert hw(store.url, "check", *extra)[0] == 0
    with store.engine.begin() as conn:
        target = conn.execute(text("SELECT min(id) FROM audit_log WHERE action = 'seeker.create'")).scalar()
        conn.execute(text("UPDATE audit_log SET terminal = 'elsewhere' WHERE id = :i"), {"i": target})
    code, out, _ = hw(store.url, "check", *extra)
    assert code == 1 and f"audit row {target}: content does not match" in out


def test_cut_tail_with_rewritten_meta_head_is_caught_by_the_outside_head(store, actors, hw, tmp_path):
    for _ in range(4):
        new_seeker(store, actors["clerk1"])
    extra = head_file_arg(store, tmp_path)
    assert hw(store.url, "check", *extra)[0] == 0
    # The careful attacker: delete the last three rows and make meta agree with what is left.
    with store.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM audit_log")).scalar()
        conn.execute(text("DELETE FROM audit_log WHERE id > :i"), {"i": last - 3})
        new_head = conn.execute(text("SELECT hash FROM audit_log WHERE id = :i"), {"i": last - 3}).scalar()
        conn.execute(text("UPDATE meta SET value = :h WHERE key = :k"), {"h": new_head, "k": audit.HEAD_KEY})
    with store.read() as s:
        assert audit.verify_chain(s).ok  # the chain alone is fooled …
    code, out, _ = hw(store.url, "check", *extra)
    assert code == 1  # … the head kept outside is not
    assert "kept outside the database" in out and "truncated or rebuilt" in out and f"up to audit row {last}" in out
    code, out, _ = hw(store.url, "check", *extra)
    assert code == 1, "a failed check must not move the outside head to the cut chain"


@sqlite_only
def test_check_reports_orphans_foreign_triggers_and_unknown_schema(store, hw):
    path = store.sqlite_path
    store.dispose()
    sql(
        path,
        "INSERT INTO env_check (seeker_id, office_id, answers_json, all_ok, declared_on, recorded_at)"
        " VALUES (999999, 'takamatsu', '{}', 1, '2026-01-05', '2026-01-05 00:00:00')",
    )
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "refer to missing rows" in out and "env_check" in out
    sql(
        path,
        "DELETE FROM env_check WHERE seeker_id = 999999",
        "CREATE TRIGGER spy AFTER INSERT ON seeker BEGIN DELETE FROM audit_log; END",
    )
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "trigger spy" in out
    sql(path, "DROP TRIGGER spy", "UPDATE alembic_version SET version_num = '9999'")
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "unknown to this release" in out


@sqlite_only
def test_check_finds_a_wrong_name_index_and_reindex_rebuilds_it(store, actors, hw):
    """SQLite's name index (FTS5) has no foreign key: check compares it with the seekers."""
    ids = [new_seeker(store, actors["clerk1"], name=n).id for n in ("山田 太郎", "佐藤 花子", "鈴木 一郎")]
    path = store.sqlite_path
    store.dispose()
    sql(
        path,
        "INSERT INTO name_fts (rowid, chars) VALUES (999999, '5e7d')",  # 幽, for no seeker
        f"UPDATE seeker SET name = '佐藤 花' WHERE id = {ids[1]}",  # renamed behind hwdesk's back
        f"DELETE FROM name_fts WHERE rowid = {ids[2]}",
    )
    code, out, _ = hw(store.url, "check")
    assert code == 1
    assert "name search index is wrong for 3 rows" in out and "hwdesk reindex" in out
    assert f"seeker {ids[1]}: indexed under another name" in out and f"seeker {ids[2]}: not indexed" in out
    assert "name_fts rowid 999999: no such active seeker" in out

    code, out, _ = hw(store.url, "reindex")
    assert code == 0 and "rebuilt (3 seekers)" in out
    code, out, _ = hw(store.url, "check")
    assert code == 0 and "Name search index (name_fts): ok" in out, out
    found = open_store(store.url, migrate=False)
    try:
        with found.read() as s:
            assert [r.name for r in seeker_search.search(s, "佐藤花", actor=SYSTEM)] == ["佐藤 花"]
            assert [r.id for r in seeker_search.search(s, "鈴木", actor=SYSTEM)] == [ids[2]] and seeker_search.search(
                s, "幽", actor=SYSTEM
            ) == []
            row = s.exec(select(AuditLog).where(AuditLog.action == "maintenance.reindex")).one()
            assert row.staff_id is None and '"seekers": 3' in row.detail_json
    finally:
        found.dispose()


@sqlite_only
def test_check_finds_an_index_that_disagrees_with_its_own_content(store, actors, hw):
    """FTS5's own check (run in a short write transaction) catches what the comparison cannot."""
    sid = new_seeker(store, actors["clerk1"], name="山田 太郎").id
    path = store.sqlite_path
    store.dispose()
    # The stored text and the seeker agree, but the index still lists 山田太郎's tokens.
    sql(
        path,
        f"UPDATE seeker SET name = '山' WHERE id = {sid}",
        f"UPDATE name_fts_content SET c0 = '5c71', c1 = '' WHERE id = {sid}",
    )
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "The name search index is damaged" in out and "hwdesk reindex" in out, out
    assert hw(store.url, "reindex")[0] == 0
    assert hw(store.url, "check")[0] == 0


@sqlite_only
def test_check_of_a_damaged_file_names_the_damage_without_a_traceback(store, hw):
    path = store.sqlite_path
    store.dispose()
    conn = sqlite3.connect(path)
    page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audit_log'").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(path, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\x0d\xff\xff\xff\xff\xff\xff\xff" * 8)
    code, out, err = hw(store.url, "check")
    assert code in (1, 2) and ("damage" in out + err or "malformed" in out + err), out + err


def test_check_of_a_missing_file_refuses_without_creating_it(hw, tmp_path):
    path = tmp_path / "nothing.sqlite3"
    code, _, err = hw(str(path), "check")
    assert code == 2 and "No database at" in err and not path.exists()


# --- hwdesk backup ---------------------------------------------------------------------------------


class Writer:
    """``fixtures/writer.py seekers``: another process committing seekers until stopped."""

    def __init__(self, url: str, start: int):
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), "seekers", url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x.strip()) for x in self.proc.stdout], daemon=True).start()

    def wait_for_commits(self, n: int, timeout: float = 30) -> None:
        """Block until the writer has reported ``n`` more commits."""
        got, deadline = 0, time.monotonic() + timeout
        while got < n:
            try:
                if self.lines.get(timeout=max(0.01, deadline - time.monotonic())).isdigit():
                    got += 1
            except queue.Empty:
                self.proc.kill()
                pytest.fail("the writer stopped: " + self.proc.stderr.read()[-2000:])

    def stop(self) -> None:
        """End the writer."""
        self.proc.kill()
        self.proc.wait(timeout=30)


@sqlite_only
def test_backup_is_consistent_while_another_process_writes(store, hw, tmp_path):
    store.dispose()
    writer = Writer(store.url, 500_001)
    counts = []
    try:
        writer.wait_for_commits(20)
        for i in range(4):
            dest = tmp_path / f"backup-{i}.sqlite3"
            code, out, err = hw(store.url, "backup", str(dest))
            assert code == 0, err
            seekers, head = verify_copy(dest)
            assert mode(dest) == 0o600 and mode(dest.with_name(dest.name + HEAD_SUFFIX)) == 0o600
            assert read_head_file(dest.with_name(dest.name + HEAD_SUFFIX)).head == head
            assert not dest.with_name(dest.name + "-wal").exists(), "a backup is one self-contained file"
            counts.append(seekers)
            writer.wait_for_commits(15)  # the writer keeps committing between (and during) backups
    finally:
        writer.stop()
    assert counts == sorted(counts) and counts[-1] > counts[0], counts
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []
    code, out, _ = hw(store.url, "check")
    assert code == 0, out  # the live head file, advanced by each backup, is still in the chain


@sqlite_only
def test_backup_refuses_to_overwrite_or_to_copy_onto_the_database(store, hw, tmp_path):
    dest = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(dest))[0] == 0
    code, _, err = hw(store.url, "backup", str(dest))
    assert code == 2 and "--force" in err
    assert hw(store.url, "backup", "--force", str(dest))[0] == 0
    code, _, err = hw(store.url, "backup", str(store.sqlite_path))
    assert code == 2 and "live database itself" in err
    code, _, err = hw(store.url, "backup", str(tmp_path / "no" / "such" / "dir.sqlite3"))
    assert code == 2 and "No such folder" in err


def test_files_with_personal_data_are_owner_only_whatever_the_umask(tmp_path, hw):
    old = os.umask(0)
    try:
        url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
        st = open_store(url)
        with st.write() as s:
            s.add(Meta(key="x", value="y"))
        for name in ("new.sqlite3", "new.sqlite3-wal", "new.sqlite3-shm"):
            assert mode(tmp_path / name) == 0o600, name
        st.dispose()
        assert hw(url, "backup", str(tmp_path / "b.sqlite3"))[0] == 0
        assert hw(url, "check")[0] == 0
        for name in ("b.sqlite3", "b.sqlite3" + HEAD_SUFFIX, "new.sqlite3" + HEAD_SUFFIX):
            assert mode(tmp_path / name) == 0o600, name
    finally:
        os.umask(old)


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_backup_and_restore_on_postgresql_point_to_pg_dump(store, hw, tmp_path):
    code, _, err = hw(store.url, "backup", str(tmp_path / "x"))
    assert code == 2 and "pg_dump" in err and "operations.md" in err
    code, _, err = hw(store.url, *RESTORE, str(tmp_path / "x"))
    assert code == 2 and "pg_restore" in err


@pytest.mark.pg
@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_pg_dump_and_pg_restore_keep_every_row(store, actors, tmp_path):
    """The commands docs/operations.md gives, run for real on a test schema."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package postgresql-client)")
    for _ in range(5):
        new_seeker(store, actors["clerk1"])
    from conftest import PG_URL

    server = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with store.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
        tables = [
            r[0]
            for r in conn.execute(
                text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": schema}
            )
        ]
        before = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
    dump = tmp_path / "hwdesk.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}", server],
        check=True,
        capture_output=True,
        timeout=120,
    )
    restored_db = "restore_" + uuid.uuid4().hex[:10]
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored_db}"')
    try:
        target = server.rsplit("/", 1)[0] + "/" + restored_db
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={target}", str(dump)], check=True, capture_output=True, timeout=120
        )
        other = open_store(
            f"postgresql+psycopg://{target.split('://', 1)[1]}?options=-csearch_path%3D{schema}", migrate=False
        )
        try:
            with other.engine.connect() as conn:
                after = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
            with other.read() as s:
                chain = audit.verify_chain(s)
        finally:
            other.dispose()
        assert after == before and before["seeker"] == 5
        assert chain.ok and chain.rows == before["audit_log"]
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)')


# --- hwdesk restore --------------------------------------------------------------------------------


@sqlite_only
def test_restore_round_trip(store, actors, hw, tmp_path):
    for _ in range(3):
        new_seeker(store, actors["clerk1"])
    backup = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(backup))[0] == 0
    target = tmp_path / "elsewhere" / "restored.sqlite3"
    code, out, err = hw(str(target), *RESTORE, str(backup))
    assert code == 0, err
    assert_restored(target, backup)
    assert mode(target) == 0o600
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    code, out, _ = hw(str(target), "check")
    assert code == 0, out


def _damage(kind: str, backup: Path) -> str:
    """Spoil a backup file one way; returns what the refusal must say."""
    if kind == "not a database":
        backup.write_bytes(b"name,kana\n" * 5000)
        return "Not a readable SQLite database"
    if kind == "corrupt page":
        conn = sqlite3.connect(backup)
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audit_log'").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        conn.close()
        with open(backup, "r+b") as f:  # scribble over the b-tree page header and cell pointers
            f.seek((page - 1) * size)
            f.write(b"\x0d\xff\xff\xff\xff\xff\xff\xff" * 8)
        return "damage"
    if kind == "newer schema":
        sql(backup, "UPDATE alembic_version SET version_num = 'f00dbeef'")
        return "unknown to this release"
    if kind == "edited audit row":
        sql(
            backup,
            "UPDATE audit_log SET staff_id = 99 WHERE id = (SELECT max(id) FROM audit_log WHERE action = 'seeker.create')",
        )
        return "content does not match its hash"
    if kind == "cut tail":
        sql(
            backup,
            "DELETE FROM audit_log WHERE id > (SELECT max(id) - 2 FROM audit_log)",
            f"UPDATE meta SET value = (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) WHERE key = '{audit.HEAD_KEY}'",
        )
        return "kept outside the database"
    raise AssertionError(kind)


@sqlite_only
@pytest.mark.parametrize("kind", ["not a database", "corrupt page", "newer schema", "edited audit row", "cut tail"])
def test_restore_refuses_a_bad_backup_and_changes_nothing(store, actors, hw, tmp_path, kind):
    for _ in range(3):
        new_seeker(store, actors["clerk1"])
    backup = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(backup))[0] == 0
    said = _damage(kind, backup)
    target = tmp_path / "restored.sqlite3"
    code, _, err = hw(str(target), *RESTORE, str(backup))
    assert code == 2 and "cannot be restored (nothing was changed)" in err and said in err, err
    assert not target.exists()
    store.dispose()  # checkpointed: the file alone is the whole database
    before = store.sqlite_path.read_bytes()
    code, _, err = hw(store.url, *RESTORE, "--force", str(backup))
    assert code == 2 and said in err  # --force never lets a bad backup in
    assert store.sqlite_path.read_bytes() == before


@sqlite_only
def test_restore_refuses_a_target_with_newer_records_unless_forced(store, actors, hw, tmp_path):
    new_seeker(store, actors["clerk1"])
    old = tmp_path / "old.sqlite3"
    assert hw(store.url, "backup", str(old))[0] == 0
    behind = tmp_path / "behind.sqlite3"
    assert hw(str(behind), *RESTORE, str(old))[0] == 0
    new_seeker(store, actors["clerk1"])
    new = tmp_path / "new.sqlite3"
    assert hw(store.url, "backup", str(new))[0] == 0
    # A target that is behind the backup takes it without --force: nothing of it is lost.
    code, _, err = hw(str(behind), *RESTORE, str(new))
    assert code == 0, err
    assert verify_copy(behind)[0] == verify_copy(new)[0]
    # The live database is ahead of the old backup: refused, unchanged …
    with store.read() as s:
        live = s.exec(select(func.count()).select_from(Seeker)).one()
    store.dispose()
    code, _, err = hw(store.url, *RESTORE, str(old))
    assert code == 2 and "--force" in err and "would lose them" in err
    assert verify_copy(store.sqlite_path)[0] == live
    # … and with --force replaced, the newer database kept aside, owner-only.
    code, out, err = hw(store.url, *RESTORE, "--force", str(old))
    assert code == 0, err
    assert verify_copy(store.sqlite_path)[0] == verify_copy(old)[0] == live - 1
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("hwdesk.sqlite3.pre-restore-")]
    assert len(aside) == 1 and mode(aside[0]) == 0o600 and verify_copy(aside[0])[0] == live
    assert str(aside[0]) in out
    assert hw(store.url, "check")[0] == 0  # the outside head now describes the restored history


@sqlite_only
def test_restore_over_an_unreadable_database_needs_force(store, hw, tmp_path):
    backup = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(backup))[0] == 0
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"\x00garbage" * 1000)
    code, _, err = hw(str(broken), *RESTORE, str(backup))
    assert code == 2 and "cannot be read" in err
    code, _, err = hw(str(broken), *RESTORE, "--force", str(backup))
    assert code == 0, err
    verify_copy(broken)
    aside = [p for p in tmp_path.iterdir() if ".pre-restore-" in p.name]
    assert aside and aside[0].read_bytes() == b"\x00garbage" * 1000


# --- SQLite's settings -----------------------------------------------------------------------------


@sqlite_only
def test_every_connection_has_the_safe_pragmas(store):
    for engine in (store.engine, store.write_engine):
        raws = [engine.raw_connection() for _ in range(3)]  # several pooled connections at once
        try:
            for raw in raws:
                cur = raw.cursor()
                got = {
                    p: cur.execute(f"PRAGMA {p}").fetchone()[0]
                    for p in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout", "wal_autocheckpoint")
                }
                cur.close()
                assert got["foreign_keys"] == 1
                assert got["journal_mode"] == "wal"
                assert got["synchronous"] == 2  # FULL
                assert got["busy_timeout"] >= 5000
                assert got["wal_autocheckpoint"] == 1000  # what keeps the WAL bounded (see below)
        finally:
            for raw in raws:
                raw.close()
    with store.read() as s:
        assert s.connection().exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with store.write() as s:
        assert s.connection().exec_driver_sql("PRAGMA synchronous").scalar() == 2


@sqlite_only
@pytest.mark.slow
def test_two_processes_each_doing_1000_read_modify_writes(store):
    with store.write() as s:
        s.add(Meta(key="counter", value="0"))
    store.dispose()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), "counter", store.url, "1000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0 and out.split()[-1] == "ok", (out, err[-2000:])
    st = open_store(store.url, migrate=False)
    with st.read() as s:
        assert s.get(Meta, "counter").value == "2000"
    st.dispose()


@pytest.mark.parametrize("fstype", ["nfs4", "cifs"])
def test_network_filesystem_is_refused_with_a_pointer_to_postgresql(tmp_path, monkeypatch, fstype):
    import hwdesk.db

    monkeypatch.setattr(hwdesk.db, "filesystem_type", lambda path: fstype)
    path = tmp_path / "shared.sqlite3"
    with pytest.raises(StoreError) as exc:
        open_store(f"sqlite:///{path}")
    assert "PostgreSQL" in exc.value.message_en and fstype in exc.value.message_en
    assert "PostgreSQL" in exc.value.message_ja
    assert not path.exists()


@sqlite_only
@pytest.mark.slow
def test_wal_stays_bounded_while_a_queue_screen_keeps_reading(store):
    """hwdesk relies on SQLite's automatic checkpoint (every 1000 pages, ~4 MB) and keeps every
    read a short transaction, so a checkpoint always catches up and the WAL is reused from its
    start. A reader that held one snapshot forever would make it grow without bound."""
    wal = store.sqlite_path.with_name(store.sqlite_path.name + "-wal")
    stop = threading.Event()
    reads = []

    def queue_screen():
        while not stop.is_set():
            with store.read() as s:  # what the daily queue does on each refresh
                reads.append(s.exec(select(func.count()).select_from(Meta)).one())
                time.sleep(0.02)
            time.sleep(0.02)  # a real queue polls every ~2 s; back-to-back snapshots would pin the WAL

    reader = threading.Thread(target=queue_screen)
    reader.start()
    biggest, value, i = 0, "x" * 12_000, 0
    try:
        # At least 1500 writes, and on until the reader has read a while beside them (a fast
        # machine wrote the 1500 before the reader's twentieth snapshot).
        while i < 1500 or (len(reads) <= 20 and i < 50_000):
            with store.write() as s:
                s.add(Meta(key=f"wal-{i}", value=value))
            biggest = max(biggest, wal.stat().st_size)
            i += 1
    finally:
        stop.set()
        reader.join()
    assert len(reads) > 20, "the reader must really have been reading meanwhile"
    assert 1500 * len(value) > 16 * 2**20  # without checkpoints the WAL would pass the bound
    assert biggest < 16 * 2**20, f"WAL grew to {biggest / 2**20:.1f} MB"


# --- faults made for real --------------------------------------------------------------------------


def remount(mnt: Path, how: str) -> None:
    """Remount the test tmpfs read-only (``ro``) or writable (``rw``)."""
    subprocess.run(["mount", "-o", f"remount,{how}", str(mnt)], check=True, capture_output=True)


def _copy_in_use(src: Path, dst: Path) -> None:
    """Copy a database as it looks while in use: with its -wal and -shm."""
    conn = sqlite3.connect(src)
    conn.execute("SELECT count(*) FROM meta").fetchall()
    for suffix in ("", "-wal", "-shm"):
        shutil.copyfile(str(src) + suffix, str(dst) + suffix)
    conn.close()


@sqlite_only
def test_read_only_copy_reads_refuses_writes_plainly_and_recovers(store, actors, tmpfs, hw):
    assert hw(store.url, "check")[0] == 0  # writes the head file the copy takes along
    store.dispose()
    copy = tmpfs / "copy.sqlite3"
    _copy_in_use(store.sqlite_path, copy)
    shutil.copyfile(str(store.sqlite_path) + HEAD_SUFFIX, str(copy) + HEAD_SUFFIX)
    remount(tmpfs, "ro")
    ro = open_store(f"sqlite:///{copy}")
    try:
        code, out, _ = hw(f"sqlite:///{copy}", "check")  # a read-only copy can still be checked
        assert code == 0 and "Could not write the audit head file" in out, out
        with ro.read() as s:
            assert s.exec(select(func.count()).select_from(AuditLog)).one() > 0
        with pytest.raises(StoreError) as exc:
            new_seeker(ro, actors["clerk1"])
        assert "read-only" in exc.value.message_en and "読み取り専用" in exc.value.message_ja
        assert "your input is kept" in exc.value.message_en
    finally:
        ro.dispose()
        remount(tmpfs, "rw")
    again = open_store(f"sqlite:///{copy}")
    try:
        new_seeker(again, actors["clerk1"])  # the cause gone, saving works
    finally:
        again.dispose()
    verify_copy(copy)


@sqlite_only
def test_read_only_bare_copy_gets_the_read_only_message(store, tmpfs):
    store.dispose()
    copy = tmpfs / "bare.sqlite3"
    shutil.copyfile(store.sqlite_path, copy)
    remount(tmpfs, "ro")
    try:
        with pytest.raises(StoreError) as exc:
            open_store(f"sqlite:///{copy}").dispose()  # never a traceback, whatever the message
        assert "read-only" in exc.value.message_en
    finally:
        remount(tmpfs, "rw")


@sqlite_only
def test_read_only_fault_recovers_without_reopening(store, actors, tmpfs):
    store.dispose()
    copy = tmpfs / "copy.sqlite3"
    _copy_in_use(store.sqlite_path, copy)
    remount(tmpfs, "ro")
    st = open_store(f"sqlite:///{copy}")
    try:
        with pytest.raises(StoreError):
            new_seeker(st, actors["clerk1"])
        remount(tmpfs, "rw")
        new_seeker(st, actors["clerk1"])
    finally:
        st.dispose()
        remount(tmpfs, "rw")


@sqlite_only
def test_held_write_lock_gives_the_busy_message_then_succeeds(store, actors, monkeypatch):
    import hwdesk.db

    monkeypatch.setattr(hwdesk.db, "BUSY_TIMEOUT_MS", 300)
    st = open_store(store.url, migrate=False)
    holder = sqlite3.connect(store.sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another terminal in the middle of a save
    try:
        began = time.monotonic()
        with pytest.raises(StoreError) as exc:
            new_seeker(st, actors["clerk1"], seeker_no="37010-777001")
        waited = time.monotonic() - began
        assert "busy" in exc.value.message_en and "入力内容は残っています" in exc.value.message_ja
        assert 0.25 <= waited < 5, waited  # it waited its busy timeout, then said so
        holder.execute("ROLLBACK")
        new_seeker(st, actors["clerk1"], seeker_no="37010-777001")  # the same draft saves now
        with st.read() as s:
            assert s.exec(select(Seeker).where(Seeker.seeker_no == "37010-777001")).one()
    finally:
        holder.close()
        st.dispose()


@sqlite_only
def test_full_disk_gives_the_disk_full_message_and_recovers(store, actors, tmpfs):
    store.dispose()
    path = tmpfs / "full.sqlite3"
    shutil.copyfile(store.sqlite_path, path)
    st = open_store(f"sqlite:///{path}", migrate=False)
    try:
        new_seeker(st, actors["clerk1"])
        filler = tmpfs / "filler"
        with open(filler, "wb") as f:  # take every byte left on the filesystem
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        with pytest.raises(StoreError) as exc:
            with st.write() as s:
                s.add(Meta(key="big", value="z" * 300_000))
        assert "disk is full" in exc.value.message_en and "ディスクがいっぱい" in exc.value.message_ja
        filler.unlink()
        new_seeker(st, actors["clerk1"])  # space freed: the same store saves again
        with st.read() as s:
            assert s.get(Meta, "big") is None  # the failed save left nothing behind
    finally:
        st.dispose()
    verify_copy(path)


def test_unreachable_postgresql_is_a_plain_message(hw):
    url = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=3"
    with pytest.raises(StoreError) as exc:
        open_store(url)
    assert "Cannot reach the database server" in exc.value.message_en
    assert "接続できません" in exc.value.message_ja
    code, _, err = hw(url, "check")
    assert code == 2 and "Cannot reach the database server" in err
