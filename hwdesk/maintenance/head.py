"""The audit head kept outside the database: the ``FILE.audit-head`` record (:class:`HeadRecord`),
where it lives (:func:`head_file_for`), and reading and writing it atomically.

The chain alone cannot see its tail cut off when ``meta``'s head is rewritten too; a head kept
outside can. PostgreSQL's head file is named by ``--head-file`` or ``HWDESK_AUDIT_HEAD_FILE``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hwdesk.clock import now_utc
from hwdesk.db import Store
from hwdesk.errors import HwdeskError

__all__ = ["HEAD_FILE_ENV", "HEAD_SUFFIX", "HeadRecord", "head_file_for", "read_head_file", "write_head_file"]

HEAD_FILE_ENV = "HWDESK_AUDIT_HEAD_FILE"
HEAD_SUFFIX = ".audit-head"


@dataclass
class HeadRecord:
    """What a head file holds: the newest audit hash, how many rows, the last row id, when."""

    head: str
    rows: int = 0
    last_id: int | None = None
    written_at: str = ""


def head_file_for(store: Store, explicit: str | os.PathLike | None = None) -> Path | None:
    """The outside head file: ``--head-file``, else ``HWDESK_AUDIT_HEAD_FILE``, else (SQLite)
    ``<db>.audit-head`` beside the database; None for PostgreSQL with neither given."""
    value = explicit or os.environ.get(HEAD_FILE_ENV)
    if value:
        return Path(value).expanduser()
    if store.is_sqlite and store.sqlite_path is not None:
        return store.sqlite_path.with_name(store.sqlite_path.name + HEAD_SUFFIX)
    return None


def read_head_file(path: Path) -> HeadRecord | None:
    """The record in ``path`` (None when there is no such file).

    Raises ``HwdeskError`` when the file exists but cannot be read or is not a head file.
    """
    try:
        raw = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HwdeskError(
            f"監査ログ先頭ファイルを読めません: {path}（{exc.strerror}）",
            f"Cannot read the audit head file {path} ({exc.strerror})",
        ) from exc
    try:
        data = json.loads(raw) if raw.startswith("{") else {"head": raw}
        head = str(data["head"])
        if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
            raise ValueError(head)
        last_id = data.get("last_id")
        return HeadRecord(
            head,
            int(data.get("rows", 0)),
            int(last_id) if last_id is not None else None,
            str(data.get("written_at", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise HwdeskError(
            f"監査ログ先頭ファイルの内容が正しくありません: {path}",
            f"The audit head file {path} is not in the expected format",
        ) from exc


def write_head_file(path: Path, record: HeadRecord) -> None:
    """Write ``record`` to ``path`` atomically (temp file, fsync, rename), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (
        json.dumps(
            {
                "head": record.head,
                "rows": record.rows,
                "last_id": record.last_id,
                "written_at": record.written_at or now_utc().isoformat(timespec="seconds"),
            }
        )
        + "\n"
    )
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once its directory is synced.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
