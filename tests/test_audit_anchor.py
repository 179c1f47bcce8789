"""Issue 21, findings 1 and 2: an audit trail nobody can quietly erase, cut back, rebuild or roll back.

Each test first does what the attacker did (with file access to the database, but not to the
audit key or this terminal's anchors) and then asserts what ``hwdesk check`` says. On SQLite and
PostgreSQL where the scenario applies (``restore`` is SQLite's; PostgreSQL has pg_restore).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
from datetime import UTC
from pathlib import Path

import pytest
from helpers import new_seeker
from sqlalchemy import text
from sqlmodel import select

from hwdesk import audit, auditkey
from hwdesk.cli import main
from hwdesk.maintenance.check import check_store
from hwdesk.maintenance.head import HEAD_FILE_ENV, HEAD_SUFFIX
from hwdesk.models import AuditLog

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
RESTORE = ("--as", "admin1", "restore")


@pytest.fixture
def hw(capsys, monkeypatch):
    """``hwdesk --lang en --db URL …`` in-process: (exit status, stdout, stderr)."""
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(url: str, *args: str):
        code = main(["--lang", "en", "--db", url, *args])
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return code, out.out, out.err

    return run


@pytest.fixture
def head_file(store, tmp_path, monkeypatch):
    """The outside head file (beside an SQLite file; named by HWDESK_AUDIT_HEAD_FILE on PostgreSQL)."""
    if store.is_sqlite:
        return store.sqlite_path.with_name(store.sqlite_path.name + HEAD_SUFFIX)
    path = tmp_path / "pg.audit-head"
    monkeypatch.setenv(HEAD_FILE_ENV, str(path))
    return path


def sql(store, *statements: str) -> None:
    """The attacker's edits, straight into the database."""
    with store.engine.begin() as conn:
        for st in statements:
            conn.execute(text(st))


def anchor_files() -> list[Path]:
    return sorted(auditkey.anchor_dir().glob("*.head"))


def test_each_write_anchors_its_head_outside_the_database(store, actors):
    new_seeker(store, actors["clerk1"])
    with store.read() as s:
        last = s.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()  # type: ignore[attr-defined]  # SQLModel types the column as its value (int), not a column
    [path] = anchor_files()
    anchor = auditkey.read_anchor(path, auditkey.load_key())
    assert (anchor.last_id, anchor.head) == (last.id, last.hash)
    assert anchor.location == audit.location_of(store.engine.url)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_erased_log_and_head_are_detected(store, actors, hw, head_file):
    """The issue's reproduction: delete every audit row and meta's head, and the head file."""
    new_seeker(store, actors["clerk1"])
    assert hw(store.url, "check")[0] == 0
    assert head_file.exists()
    sql(store, "DELETE FROM audit_log", "DELETE FROM meta WHERE key = 'audit_head'")
    head_file.unlink()
    code, out, _ = hw(store.url, "check")
    assert code == 1, out
    assert "The audit log is empty but the database holds staff, seekers or sessions (the log was erased)" in out
    assert "The audit log is empty, but this terminal anchored a row of it" in out
    assert "No problem found" not in out
    # … and a clerk signing in afterwards (a new log begins) does not make it look clean
    from hwdesk.services import auth

    auth.sign_in(store, login="clerk1", password="hwdesk-demo")
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "belongs to another audit log" in out


def test_empty_log_in_a_database_with_seekers_fails_even_with_no_anchor(store, actors, hw):
    new_seeker(store, actors["clerk1"])
    sql(store, "DELETE FROM audit_log", "DELETE FROM meta WHERE key LIKE 'audit_%'")
    shutil.rmtree(auditkey.anchor_dir())
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "the log was erased" in out


def test_missing_outside_head_fails_when_the_database_has_history(store, actors, hw):
    new_seeker(store, actors["clerk1"])
    shutil.rmtree(auditkey.anchor_dir())
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "No audit head is kept outside the database (no anchor, no head file)" in out


def test_tail_cut_back_to_an_older_copied_head_file_is_detected(store, actors, hw, head_file):
    new_seeker(store, actors["clerk1"])
    assert hw(store.url, "check")[0] == 0
    older = head_file.read_text()
    with store.read() as s:
        keep = s.exec(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
        keep_hash = audit.hash_at(s, keep)
    for _ in range(3):
        new_seeker(store, actors["clerk1"])
    assert hw(store.url, "check")[0] == 0
    # The careful attacker: cut the log back to the older head, make meta agree, and put back
    # the head file as it was then (a copy kept from that day).
    sql(
        store,
        f"DELETE FROM audit_log WHERE id > {keep}",
        f"UPDATE meta SET value = '{keep_hash}' WHERE key = 'audit_head'",
    )
    head_file.write_text(older)
    code, out, _ = hw(store.url, "check")
    assert code == 1, out
    assert f"The audit log ends at row {keep}, before the anchor" in out and "its tail was cut" in out
    # The office keeps working (more rows than were cut, so row ids pass the anchored one): the
    # saves do not move the anchor past the cut, and check still fails.
    for _ in range(5):
        new_seeker(store, actors["clerk1"])
    code, out, _ = hw(store.url, "check")
    assert code == 1, out
    assert "is not in the chain (the log was rebuilt)" in out or "its tail was cut" in out


def test_rows_rechained_without_the_key_are_detected(store, actors, hw):
    """Before the key, editing a row and recomputing every later hash (SHA-256) passed check."""
    new_seeker(store, actors["clerk1"], phone="090-1111-2222")
    new_seeker(store, actors["clerk1"])
    with store.read() as s:
        rows = list(s.exec(select(AuditLog).order_by(AuditLog.id)))
    target = next(r for r in rows if r.action == "seeker.create")
    target.detail_json = target.detail_json.replace("090-1111-2222", "090-9999-9999")
    prev = audit.GENESIS
    with store.engine.begin() as conn:
        for r in rows:
            digest = audit._digest_values(
                None,
                prev,
                r.at,
                r.staff_id,
                r.terminal,
                r.action,
                r.entity,
                r.entity_id,
                r.seeker_id,
                r.office_id,
                r.detail_json,
            )
            if r.id >= target.id:
                conn.execute(
                    text("UPDATE audit_log SET detail_json = :d, prev_hash = :p, hash = :h WHERE id = :i"),
                    {"d": r.detail_json, "p": prev, "h": digest, "i": r.id},
                )
                prev = digest
            else:
                prev = r.hash
        conn.execute(text("UPDATE meta SET value = :h WHERE key = 'audit_head'"), {"h": prev})
    code, out, _ = hw(store.url, "check")
    assert code == 1 and f"audit row {target.id}: content does not match its hash under the audit key" in out


def test_an_edited_anchor_does_not_verify(store, actors, hw):
    new_seeker(store, actors["clerk1"])
    [path] = anchor_files()
    raw = path.read_bytes()
    slots = [raw[i : i + auditkey.SLOT] for i in range(0, len(raw), auditkey.SLOT)]
    edited = []
    for chunk in slots:  # the attacker moves every anchor back to row 1, keeping the tag
        data = json.loads(chunk) if chunk.strip() else None
        if data is not None:
            data["last_id"] = 1
            chunk = json.dumps(data).encode().ljust(auditkey.SLOT - 1) + b"\n"
        edited.append(chunk)
    path.write_bytes(b"".join(edited))
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "does not verify (edited, or written with another key)" in out


def test_a_terminal_with_another_key_is_refused_and_writes_nothing(store, actors, monkeypatch):
    new_seeker(store, actors["clerk1"])
    with store.read() as s:
        before = len(s.exec(select(AuditLog.id)).all())
    audit.forget_identities()
    monkeypatch.setenv(auditkey.KEY_ENV, "ab" * 32)
    with pytest.raises(audit.KeyMismatch) as exc:
        new_seeker(store, actors["clerk1"])
    assert "Install the office's key file" in exc.value.message_en and "Nothing was saved" in exc.value.message_en
    rep = check_store(store, update_head=False)
    assert not rep.ok and any("written with another audit key" in f.message_en for f in rep.problems)
    monkeypatch.delenv(auditkey.KEY_ENV)
    monkeypatch.setenv(auditkey.KEY_ENV, "5e" * 32)
    with store.read() as s:
        assert len(s.exec(select(AuditLog.id)).all()) == before


def test_the_key_file_is_made_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv(auditkey.KEY_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = auditkey.key_path()
    assert path == tmp_path / "config" / "hwdesk" / "audit.key"
    key = auditkey.load_key()
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    auditkey._KEYS.clear()
    assert auditkey.load_key() == key  # read back, not made again
    os.chmod(path, 0o644)
    auditkey._KEYS.clear()
    with pytest.raises(Exception) as exc:
        auditkey.load_key()
    assert "readable or writable by others" in str(getattr(exc.value, "message_en", exc.value))
    # a deployment's shared key file, by path
    shared = tmp_path / "shared.key"
    shared.write_text("c3" * 32)
    os.chmod(shared, 0o640)
    monkeypatch.setenv(auditkey.KEY_FILE_ENV, str(shared))
    assert auditkey.load_key() == bytes.fromhex("c3" * 32)


def test_a_log_from_before_the_key_is_kept_and_keyed_from_the_next_write(store, actors, hw):
    """An older release's unkeyed chain: verified as it was, and keyed rows begin at the next write."""
    with store.read() as s:
        rows = list(s.exec(select(AuditLog).order_by(AuditLog.id)))
    prev = audit.GENESIS
    with store.engine.begin() as conn:
        for r in rows:
            digest = hashlib.sha256(
                json.dumps(
                    [
                        prev,
                        r.at.astimezone(UTC).isoformat(timespec="microseconds"),
                        r.staff_id,
                        r.terminal,
                        r.action,
                        r.entity,
                        r.entity_id,
                        r.seeker_id,
                        r.office_id,
                        r.detail_json,
                    ],
                    ensure_ascii=False,
                    separators=(",", ":"),
                ).encode()
            ).hexdigest()
            conn.execute(
                text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                {"p": prev, "h": digest, "i": r.id},
            )
            prev = digest
        conn.execute(text("UPDATE meta SET value = :h WHERE key = 'audit_head'"), {"h": prev})
        conn.execute(text("DELETE FROM meta WHERE key IN ('audit_key_id', 'audit_keyed_from')"))
    shutil.rmtree(auditkey.anchor_dir())
    audit.forget_identities()
    with store.read() as s:
        chain = audit.verify_chain(s)
    assert chain.ok and chain.legacy
    new_seeker(store, actors["clerk1"])
    code, out, _ = hw(store.url, "check")
    assert code == 0, out
    assert f"{len(rows)} of them from before the key" in out


@sqlite_only
def test_restore_needs_an_admin(store, actors, hw, tmp_path, monkeypatch):
    new_seeker(store, actors["clerk1"])
    backup = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(backup))[0] == 0
    before = store.sqlite_path.read_bytes()
    code, _, err = hw(store.url, "restore", "--force", str(backup))
    assert code == 2 and "--as" in err
    code, _, err = hw(store.url, "--as", "super1", "restore", "--force", str(backup))
    assert code == 2 and "Only an admin can restore" in err
    monkeypatch.setenv("HWDESK_PASSWORD", "not-the-password")
    code, _, err = hw(store.url, "--as", "admin1", "restore", "--force", str(backup))
    assert code == 2 and "Wrong staff ID or password" in err
    assert not [p for p in tmp_path.iterdir() if ".pre-restore-" in p.name]
    with sqlite3.connect(store.sqlite_path) as conn:  # the refused attempts are in its own log
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'auth.fail'").fetchone()[0] == 1
    assert len(before) > 0


@sqlite_only
def test_forced_restore_is_recorded_keeps_the_discarded_database_and_checks_clean(store, actors, hw, tmp_path):
    new_seeker(store, actors["clerk1"])
    backup = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(backup))[0] == 0
    new_seeker(store, actors["clerk1"])  # work the restore will roll back
    code, out, err = hw(store.url, *RESTORE, "--force", str(backup))
    assert code == 0, err
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("hwdesk.sqlite3.pre-restore-")]
    with sqlite3.connect(aside) as conn:
        discarded_id, discarded_head = conn.execute(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert (
            conn.execute("SELECT action FROM audit_log WHERE id = ?", (discarded_id,)).fetchone()[0] == "auth.sign_in"
        )
    with sqlite3.connect(store.sqlite_path) as conn:
        action, staff_id, detail = conn.execute(
            "SELECT action, staff_id, detail_json FROM audit_log ORDER BY id DESC LIMIT 1"
        ).fetchone()
    detail = json.loads(detail)
    assert action == "maintenance.restore" and staff_id == actors["admin1"].id
    assert detail["discarded_head"] == discarded_head and detail["discarded_last_id"] == discarded_id
    assert detail["kept_aside"] == str(aside) and detail["by"] == "admin1" and detail["forced"] is True
    code, out, _ = hw(store.url, "check")
    assert code == 0, out


@sqlite_only
def test_a_database_silently_copied_back_from_a_backup_fails_check(store, actors, hw, tmp_path):
    new_seeker(store, actors["clerk1"])
    backup = tmp_path / "b.sqlite3"
    assert hw(store.url, "backup", str(backup))[0] == 0
    new_seeker(store, actors["clerk1"])
    assert hw(store.url, "check")[0] == 0
    # The attacker's restore: the old file (and its head file) copied over the live ones.
    store.dispose()
    for suffix in ("-wal", "-shm"):
        Path(str(store.sqlite_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, store.sqlite_path)
    shutil.copyfile(str(backup) + HEAD_SUFFIX, str(store.sqlite_path) + HEAD_SUFFIX)
    code, out, _ = hw(store.url, "check")
    assert code == 1 and "an older copy was put in place" in out


def test_backup_anchors_the_head(store, actors, hw, tmp_path):
    if not store.is_sqlite:
        pytest.skip("PostgreSQL is backed up with pg_dump")
    new_seeker(store, actors["clerk1"])
    shutil.rmtree(auditkey.anchor_dir())
    assert hw(store.url, "backup", str(tmp_path / "b.sqlite3"))[0] == 0
    [path] = anchor_files()
    with store.read() as s:
        last = s.exec(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
    assert auditkey.read_anchor(path, auditkey.load_key()).last_id == last


def test_a_deliberate_rollback_outside_hwdesk_is_recorded_by_an_admin(store, actors, hw):
    """PostgreSQL's pg_restore in place (or any roll-back done outside hwdesk): check fails until an
    admin records it with ``reanchor``, which names the anchors it discards."""
    new_seeker(store, actors["clerk1"])
    with store.read() as s:
        keep = s.exec(select(AuditLog.id).order_by(AuditLog.id.desc())).first()
        keep_hash = audit.hash_at(s, keep)
    new_seeker(store, actors["clerk1"])
    sql(
        store,
        f"DELETE FROM audit_log WHERE id > {keep}",
        f"UPDATE meta SET value = '{keep_hash}' WHERE key = 'audit_head'",
    )
    assert hw(store.url, "check")[0] == 1
    code, _, err = hw(store.url, "--as", "super1", "reanchor", "--reason", "pg_restore of last night's dump")
    assert code == 2 and "admin" in err.lower()
    assert hw(store.url, "check")[0] == 1  # the refusal changed nothing
    code, out, err = hw(store.url, "--as", "admin1", "reanchor", "--reason", "pg_restore of last night's dump")
    assert code == 0, err
    assert "Discarded anchor" in out
    code, out, _ = hw(store.url, "check")
    assert code == 0, out
    with store.read() as s:
        row = s.exec(select(AuditLog).where(AuditLog.action == "audit.reanchor")).one()
    detail = json.loads(row.detail_json)
    assert row.staff_id == actors["admin1"].id and detail["reason"] == "pg_restore of last night's dump"
    assert detail["discarded_anchors"] and detail["discarded_anchors"][0]["last_id"] > keep


def test_a_torn_anchor_write_falls_back_to_the_other_slot(store, actors, hw):
    """A crash mid-write spoils one slot: the other (the previous anchor) is used, and check passes."""
    new_seeker(store, actors["clerk1"])
    new_seeker(store, actors["clerk1"])
    [path] = anchor_files()
    raw = bytearray(path.read_bytes())
    assert len(raw) == 2 * auditkey.SLOT
    newest = auditkey.read_anchor(path, auditkey.load_key())
    slot = 0 if json.loads(bytes(raw[: auditkey.SLOT]))["last_id"] == newest.last_id else 1
    raw[slot * auditkey.SLOT + 40 : slot * auditkey.SLOT + 200] = b"\0" * 160  # the newest slot, half written
    path.write_bytes(bytes(raw))
    older = auditkey.read_anchor(path, auditkey.load_key())
    assert older.last_id < newest.last_id
    code, out, _ = hw(store.url, "check")
    assert code == 0, out


def test_anchors_of_other_databases_written_with_another_key_are_not_this_databases_problem(store, actors, hw):
    new_seeker(store, actors["clerk1"])
    other = auditkey.Anchor("f" * 32, "e" * 64, 7, "otherkey", "/elsewhere/other.sqlite3")
    raw = json.dumps({**other.__dict__, "tag": "0" * 64}).encode().ljust(auditkey.SLOT - 1) + b"\n"
    (auditkey.anchor_dir() / ("f" * 32 + ".head")).write_bytes(raw)
    code, out, _ = hw(store.url, "check")
    assert code == 0, out
