"""Files that may hold personal data: owner-only (0600) from their first byte, whatever was there.

Writing over an existing file would keep that file's mode (a 0666 file would stay 0666 with
seekers' names in it). ``write_private`` writes a temporary file created 0600 beside the
target and renames it over the target, so the target is never readable by others, not even for
the moment between writing and a chmod. ``prepare_private`` is for a library that opens the
path itself (the handout renderers): the file is created 0600, or an existing one is set to
0600, before the library writes a byte.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from hwdesk.errors import HwdeskError


def _cannot_write(path: Path, exc: OSError) -> HwdeskError:
    return HwdeskError(f"出力先に書き込めません: {path}（{exc.strerror}）", f"Cannot write {path} ({exc.strerror}).")


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` as a new owner-only file (temp + fsync + rename; replaces the file).

    A path that is not a regular file (``/dev/stdout``, a pipe) is written in place: nothing
    stays on disk there.
    """
    path = Path(path)
    try:
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            with open(path, "wb") as f:
                f.write(data)
            return
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.absolute().parent)  # 0600
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_private(path: Path) -> None:
    """Make ``path`` an owner-only regular file before a library writes it (created, or chmod 0600)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
