"""``backup`` of a live SQLite database (:func:`backup_sqlite`): SQLite's online backup API in one
step (one read snapshot: consistent while other terminals write, and it does not block them),
a temporary copy made one self-contained file, fsynced, checked and only then renamed into place,
``FILE.audit-head`` written beside it. Files are created ``0600``.

PostgreSQL is backed up with ``pg_dump``/``pg_restore`` (docs/operations.md).
"""

from __future__ import annotations

import glob
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text

from hwdesk import audit
from hwdesk.db import BUSY_TIMEOUT_MS, Store, store_error_from
from hwdesk.errors import HwdeskError
from hwdesk.maintenance.check import _anchor_checked
from hwdesk.maintenance.head import HEAD_SUFFIX, HeadRecord, _fsync_dir, head_file_for, read_head_file, write_head_file
from hwdesk.maintenance.integrity import _readonly_engine, inspect_sqlite_file
from hwdesk.maintenance.report import CheckReport, Finding

__all__ = ["BackupResult", "TMP_SUFFIX", "backup_sqlite", "clean_stale_temporaries"]


@dataclass
class BackupResult:
    """A finished backup: where, its check, and the head file written beside it."""

    path: Path
    report: CheckReport
    head_file: Path | None
    live_head_file: Path | None = None
    notes: list[Finding] = field(default_factory=list)


_PG_TOOLS = {
    "pg_dump": 'pg_dump --format=custom --file=hwdesk-$(date +%F).dump "$PGURL"',
    "pg_restore": 'pg_restore --no-owner --dbname="$PGURL" hwdesk-YYYY-MM-DD.dump',
}


def _require_sqlite(store: Store, what_ja: str, what_en: str, tool: str) -> Path:
    """The SQLite file of ``store``; on PostgreSQL a refusal naming the server's own tool."""
    if not store.is_sqlite:
        raise HwdeskError(
            f"PostgreSQL の{what_ja}には {tool} を使ってください（手順は docs/operations.md）。例: {_PG_TOOLS[tool]}",
            f"For PostgreSQL, {what_en} with {tool} (docs/operations.md has the commands), e.g. {_PG_TOOLS[tool]}",
        )
    assert store.sqlite_path is not None
    return store.sqlite_path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


TMP_SUFFIX = ".backup-tmp"  # ``.<dest>.<pid>.<random>.backup-tmp``: a backup's copy in progress


def _new_private_file(directory: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=directory)  # 0600
    os.close(fd)
    return Path(tmp)


def _remove_own_temporaries(directory: Path, name: str) -> None:
    """Remove this process's temporary copies for ``name`` (and their journals), found by the name
    ``_new_private_file`` gives them: a signal can land after the file exists but before its
    path reached the caller, where no variable names it yet."""
    for path in directory.glob(f".{glob.escape(name)}.{os.getpid()}.*{TMP_SUFFIX}*"):
        path.unlink(missing_ok=True)


def clean_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the temporary copies (and their journals) of backups into ``directory`` whose process
    is gone (killed with SIGKILL, or the machine stopped); returns what was removed."""
    removed = []
    for path in directory.glob(f".*{TMP_SUFFIX}*"):
        pid = next((int(p) for p in path.name.split(".") if p.isdigit()), None)
        if pid is not None and (pid == os.getpid() or _alive(pid)):
            continue  # a backup still running
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Interrupted(BaseException):
    """SIGTERM or SIGHUP during a backup: unwinds like Ctrl+C so the temporary copy is removed."""


class _CleanOnSignals:
    """While a backup runs, SIGTERM and SIGHUP raise (main thread only) instead of killing the
    process outright, so ``finally`` removes the temporary copy; the old handlers come back after."""

    SIGNALS = ("SIGTERM", "SIGHUP")

    def __enter__(self) -> _CleanOnSignals:
        import signal
        import threading

        self.saved = {}
        if threading.current_thread() is not threading.main_thread():
            return self

        def raise_(signum, _frame):
            raise _Interrupted(signum)

        for name in self.SIGNALS:
            sig = getattr(signal, name, None)
            if sig is not None:
                self.saved[sig] = signal.signal(sig, raise_)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_with_backup_api(src_path: Path, dst_path: Path, *, src_uri_ro: bool = False) -> None:
    """Copy a whole SQLite database with the online backup API, in one step.

    One step (pages=-1) copies inside one read transaction of the source, so the copy is one
    consistent snapshot even while other processes commit; in WAL mode it does not block them.
    """
    if src_uri_ro:
        src = sqlite3.connect(
            f"file:{quote(str(src_path.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    else:
        src = sqlite3.connect(str(src_path), timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(str(dst_path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def backup_sqlite(
    store: Store, dest: str | os.PathLike, *, force: bool = False, head_file: str | os.PathLike | None = None
) -> BackupResult:
    """Back up the live SQLite database to ``dest`` (0600) and write ``dest.audit-head`` beside it.

    The copy is made in a temporary file beside ``dest``, turned into a single self-contained
    file (rollback journal, no -wal), fsynced, checked, and only then renamed into place, so a
    failed backup never replaces a good older one. Refuses to overwrite an existing ``dest``
    unless ``force``. The live database's outside head file is moved forward when the backup's
    chain contains it (and reported, not overwritten, when it does not).
    """
    src = _require_sqlite(store, "バックアップ", "take backups", "pg_dump")
    dest = Path(dest).expanduser().absolute()
    if not src.exists():
        raise HwdeskError(f"データベースがありません: {src}", f"No database at {src}")
    if dest == src.absolute() or _same_file(dest, src):
        raise HwdeskError(
            "バックアップ先が使用中のデータベースそのものです。別のファイル名を指定してください。",
            "The backup target is the live database itself; name another file.",
        )
    if dest.exists() and not force:
        raise HwdeskError(
            f"{dest} は既にあります。上書きするには --force を付けてください。",
            f"{dest} already exists; add --force to replace it.",
        )
    if not dest.parent.is_dir():
        raise HwdeskError(f"フォルダがありません: {dest.parent}", f"No such folder: {dest.parent}")
    clean_stale_temporaries(dest.parent)
    with _CleanOnSignals():
        try:
            try:
                tmp = _new_private_file(dest.parent, dest.name)
                report = _copy_check_and_place(src, tmp, dest)
            except BaseException:  # any way out but success, Ctrl+C and the signals above included
                _remove_own_temporaries(dest.parent, dest.name)
                raise
        except _Interrupted as exc:
            raise HwdeskError(
                "バックアップを中断しました（途中のファイルは削除しました）。",
                "Backup interrupted (its temporary file was removed).",
            ) from exc
        except OSError as exc:  # no space for the copy, a folder that refuses writes …
            raise store_error_from(exc, dest) from exc
    result = BackupResult(dest, report, None)
    if report.ok:
        _anchor_checked(store, report, copy=dest)  # the backup's head, anchored for the live database
    if report.audit_head is not None:
        record = HeadRecord(report.audit_head, report.audit_rows, report.audit_last_id)
        result.head_file = dest.with_name(dest.name + HEAD_SUFFIX)
        write_head_file(result.head_file, record)
        live = head_file_for(store, head_file)
        result.live_head_file = live
        if live is not None:
            _advance_live_head(live, record, src, result)
    return result


def _copy_check_and_place(src: Path, tmp: Path, dest: Path) -> CheckReport:
    """Copy ``src`` into ``tmp``, make it one self-contained file, fsync, check, rename to ``dest``
    (the caller removes ``tmp`` and its journals on every way out but success)."""
    try:
        _copy_with_backup_api(src, tmp)
        conn = sqlite3.connect(str(tmp))
        try:
            # A backup is one file: rollback-journal mode, so no -wal/-shm travel with it.
            conn.execute("PRAGMA journal_mode=DELETE").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise store_error_from(exc, tmp) from exc
    _fsync_file(tmp)
    report = inspect_sqlite_file(tmp, head_file=tmp.with_name(tmp.name + ".none"))
    # The warning about the (deliberately absent) head file of the temp copy is not news.
    report.findings = [f for f in report.findings if not f.warning]
    os.replace(tmp, dest)
    _fsync_dir(dest.parent)
    return report


def _advance_live_head(live: Path, record: HeadRecord, db: Path, result: BackupResult) -> None:
    try:
        old = read_head_file(live)
    except HwdeskError as exc:
        result.notes.append(Finding(False, exc.message_ja, exc.message_en))
        return
    if old is not None and old.head != audit.GENESIS and old.head != record.head:
        engine = _readonly_engine(result.path)
        try:
            with engine.connect() as conn:
                found = conn.execute(text("SELECT 1 FROM audit_log WHERE hash = :h"), {"h": old.head}).first()
        finally:
            engine.dispose()
        if found is None:
            result.notes.append(
                Finding(
                    False,
                    f"{live} に記録した監査ログの先頭（{old.rows} 行）がデータベースのチェーンにありません（切り詰めの疑い）。hwdesk check で確認してください",
                    f"The audit head recorded in {live} ({old.rows} rows) is not in the database's chain (possible truncation); run hwdesk check",
                )
            )
            return
        if old.rows > record.rows:
            return  # never move the live head backwards
    try:
        write_head_file(live, record)
    except OSError as exc:
        result.notes.append(
            Finding(
                True,
                f"監査ログ先頭ファイルを書けませんでした: {live}（{exc.strerror}）",
                f"Could not write the audit head file {live} ({exc.strerror})",
                warning=True,
            )
        )
