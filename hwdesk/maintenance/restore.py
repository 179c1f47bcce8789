"""``restore`` of an SQLite database from a backup (:func:`restore_sqlite`): the backup is checked
first (integrity, schema revision known to this release, audit chain, its head file) and a bad
one refused; a database holding audit rows the backup does not contain is not overwritten unless
forced, and the replaced file is kept aside. An admin signs in to do it, and the restored
database records it."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hwdesk import audit, auditkey
from hwdesk.clock import now_utc
from hwdesk.db import BUSY_TIMEOUT_MS, Store, store_error_from
from hwdesk.errors import HwdeskError, StoreError
from hwdesk.maintenance.backup import _copy_with_backup_api, _fsync_file, _require_sqlite, _same_file
from hwdesk.maintenance.check import check_store
from hwdesk.maintenance.head import HeadRecord, head_file_for, write_head_file
from hwdesk.maintenance.integrity import _readonly_engine, inspect_sqlite_file
from hwdesk.maintenance.report import CheckReport

__all__ = ["RestoreResult", "restore_sqlite"]


@dataclass
class RestoreResult:
    """A finished restore: the target, the file kept aside (if any), and the check after."""

    target: Path
    source_report: CheckReport
    kept_aside: Path | None
    after: CheckReport | None = None


def _sqlite_error(exc: sqlite3.Error) -> StoreError:
    """A plain sqlite3 error (backup API, raw connections) in the words ``db.store_error_from`` uses."""
    return store_error_from(exc)  # it reads ``exc.orig`` when there is one, else ``str(exc)``


def _target_state(target: Path) -> tuple[str | None, str | None, int | None]:
    """(last audit hash, problem, last audit id) of the database about to be replaced; Nones when empty."""
    if not target.exists() or target.stat().st_size == 0:
        return None, None, None
    try:
        conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='audit_log'").fetchone()
            if not has:
                return None, None, None
            row = conn.execute("SELECT hash, id FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            return (row[0] if row else None), None, (row[1] if row else None)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return None, str(exc), None


def restore_sqlite(
    store: Store,
    source: str | os.PathLike,
    *,
    login: str,
    password: str,
    force: bool = False,
    head_file: str | os.PathLike | None = None,
) -> RestoreResult:
    """Restore the SQLite database of ``store`` from the backup ``source`` after checking it.

    Needs an admin: ``login``/``password`` sign in to the database being replaced (audited
    there), or, when it holds no staff or cannot be read, are checked against the backup's
    staff. Refuses (``HwdeskError``, nothing changed) when the backup fails its check, or when
    the target holds audit rows the backup does not contain (newer or different data) unless
    ``force``. The replaced database is first copied aside (``<db>.pre-restore-<time>``, 0600).
    Afterwards the schema is upgraded to this release's head, an audit row
    ``maintenance.restore`` names the head that was discarded, the copy kept aside and the
    admin, and this terminal's anchor and the outside head file are reset to the new head (so
    ``check`` is clean after a recorded restore, and fails after a file merely copied back).
    Stop every terminal before restoring.
    """
    target = _require_sqlite(store, "復元", "restore", "pg_restore")
    source = Path(source).expanduser().absolute()
    if _same_file(source, target):
        raise HwdeskError("復元元と復元先が同じファイルです。", "The backup and the target are the same file.")
    rep = inspect_sqlite_file(source, accept_older=True)
    if not rep.ok:
        lines = "\n".join("  " + f.message_ja for f in rep.problems)
        lines_en = "\n".join("  " + f.message_en for f in rep.problems)
        raise HwdeskError(
            f"このバックアップは復元できません（何も変更していません）: {source}\n{lines}",
            f"This backup cannot be restored (nothing was changed): {source}\n{lines_en}",
        )
    problem = _target_state(target)[1]
    admin = _restore_admin(store, target, source, login=login, password=password, readable=problem is None)
    last, problem, discarded_id = _target_state(target)  # after the sign-in: its row is replaced too
    if not force:
        if problem is not None:
            raise HwdeskError(
                f"復元先のデータベースを読めません（{problem}）。置き換えてよければ --force を付けてください（元のファイルは別名で残します）。",
                f"The target database cannot be read ({problem}). Add --force to replace it (the old file is kept aside).",
            )
        if last is not None and _would_lose(target, source):
            raise HwdeskError(
                "復元先のデータベースには、このバックアップにない新しい記録があります。復元すると失われます。"
                "それでも置き換える場合は --force を付けてください（元のファイルは別名で残します）。",
                "The target database holds records this backup does not have; restoring would lose them. "
                "Add --force to replace it anyway (the old file is kept aside).",
            )
    store.dispose()
    kept = _keep_aside(target) if target.exists() and target.stat().st_size > 0 else None
    if problem is not None:
        # Forced over a file SQLite cannot read: the backup API cannot write into it, so start
        # from an empty file (its bytes are in the copy kept aside).
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
    if not target.exists():
        from hwdesk.db import open_store

        open_store(str(target), migrate=False).dispose()  # creates it 0600, refuses network filesystems
    try:
        _copy_with_backup_api(source, target, src_uri_ro=True)
        conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchall()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _sqlite_error(exc) from exc
    from hwdesk.db import open_store, upgrade

    restored = open_store(store.url, migrate=False)
    audit.forget_identities()  # another file is at this URL now
    try:
        try:
            upgrade(restored)
        except OperationalError as exc:
            raise store_error_from(exc) from exc
        discarded = {
            "discarded_head": last,
            "discarded_last_id": discarded_id,
            "kept_aside": str(kept) if kept else None,
            "source": str(source),
            "source_head": rep.audit_head,
            "source_last_id": rep.audit_last_id,
            "forced": force,
            "by": admin,
        }
        _record_restore(restored, admin, discarded)
        live = head_file_for(restored, head_file)
        after = check_store(restored, head_file=live, update_head=False, compare_head=False)
        if after.ok and after.audit_head is not None and after.chain is not None:
            # This terminal's anchor and the outside head now describe the restored history and its
            # restore row (the old history is in the copy kept aside, and named by that row).
            chain = after.chain
            assert chain.last_id is not None  # the restore row written above
            key = auditkey.load_key()
            location = audit.location_of(restored.engine.url)
            auditkey.replace(
                auditkey.Anchor(chain.db_id, chain.head, chain.last_id, chain.key_id, location, chain.keyed_from), key
            )
            auditkey.forget(location, key, keep=chain.db_id)
            if live is not None:
                write_head_file(live, HeadRecord(after.audit_head, after.audit_rows, after.audit_last_id))
                after.head_file = live
    finally:
        restored.dispose()
    return RestoreResult(target, rep, kept, after)


def _restore_admin(store: Store, target: Path, source: Path, *, login: str, password: str, readable: bool) -> str:
    """Check that ``login`` is an admin who knows ``password``; returns the login.

    Signed in to the database being replaced when it has staff (so the attempt is in its log);
    otherwise (an empty or unreadable target) checked against the backup's own staff.
    """
    from hwdesk.errors import AuthError, PermissionDenied
    from hwdesk.security import verify_password
    from hwdesk.services import auth

    refused = PermissionDenied(
        "復元は管理者だけができます（--as 管理者ID）。", "Only an admin can restore (--as ADMIN)."
    )
    if readable and target.exists() and _has_staff(target):
        actor = auth.sign_in(store, login=login, password=password)
        if actor.role != "admin":
            raise refused
        return actor.login
    engine = _readonly_engine(source)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT password_hash, role, active FROM staff WHERE login = :l"), {"l": login}
            ).first()
    finally:
        engine.dispose()
    ok, _ = verify_password(row[0] if row else auth._dummy_hash(), password)
    if row is None or not ok or not row[2]:
        raise AuthError(auth.BAD_SIGN_IN.message_ja, auth.BAD_SIGN_IN.message_en)
    if row[1] != "admin":
        raise refused
    return login


def _has_staff(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            return conn.execute("SELECT 1 FROM staff LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _record_restore(restored: Store, admin: str, detail: dict) -> None:
    """The restored database's own record of the restore (the history it replaced, by whom)."""
    from sqlmodel import select as sm_select

    from hwdesk.models import Staff

    with restored.write() as s:
        staff = s.exec(sm_select(Staff.id).where(Staff.login == admin)).first()
        audit.record(
            s, staff_id=staff, action="maintenance.restore", entity="database", entity_id="restore", extra=detail
        )


# Rows about the restoring itself (signing in to do it, an earlier restore): a target whose only
# rows missing from the backup are these loses nothing of the office's work.
_BOOKKEEPING = ("auth.sign_in", "auth.fail", "auth.refused_locked", "auth.lockout", "maintenance.restore")


def _would_lose(target: Path, source: Path) -> bool:
    """Whether ``target`` holds audit rows, other than bookkeeping, after the last one ``source`` has."""
    conn = sqlite3.connect(f"file:{quote(str(target.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        for digest, action in conn.execute("SELECT hash, action FROM audit_log ORDER BY id DESC"):
            if _source_has_hash(source, digest):
                return False
            if action not in _BOOKKEEPING:
                return True
        return False
    finally:
        conn.close()


def _source_has_hash(source: Path, digest: str) -> bool:
    engine = _readonly_engine(source)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM audit_log WHERE hash = :h"), {"h": digest}).first() is not None
    finally:
        engine.dispose()


def _keep_aside(target: Path) -> Path:
    """Copy the database about to be replaced to ``<db>.pre-restore-<UTC time>`` (0600)."""
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.pre-restore-{stamp}")
    fd = os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        _copy_with_backup_api(target, aside)
    except sqlite3.Error:
        # A damaged database may not copy page by page; keep its bytes (and its WAL) instead.
        import shutil

        shutil.copyfile(target, aside)
        wal = target.with_name(target.name + "-wal")
        if wal.exists():
            fd = os.open(str(aside) + "-wal", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            os.close(fd)
            shutil.copyfile(wal, str(aside) + "-wal")
    _fsync_file(aside)
    return aside
