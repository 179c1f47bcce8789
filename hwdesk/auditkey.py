"""The audit chain's key and its anchors: the two things kept *outside* the database.

- **The key** (32 random bytes) makes each audit row's hash an HMAC: someone who can edit the
  database but cannot read the key cannot write rows that verify. It comes from
  ``HWDESK_AUDIT_KEY`` (64 hex digits), else the file named by ``HWDESK_AUDIT_KEY_FILE``, else
  ``audit.key`` in the user's config directory (platformdirs), created there on first use
  (directory 0700, file 0600). Every terminal writing to one database needs the same key: the
  deployment copies the file or sets the variable (docs/security.md). A terminal with another
  key is refused on its first write (``audit`` compares key ids), never mixing two keys in one
  chain.
- **An anchor** is the newest head the terminal has seen committed: the database's id, the
  last row's id and hash, the key's id, tagged with the key so that it cannot be forged. It is
  written after every write that appended audit rows (``advance``) and by ``check``/``backup``,
  in ``anchors/<log id>.head`` in the user's config directory (or ``HWDESK_AUDIT_ANCHOR_DIR``), so that
  cutting the tail of the log, or replacing the database with an older copy, leaves an anchor
  that the chain no longer reaches. Anchors only move forward (under ``flock``, so two
  processes never move one back); only ``restore`` replaces one, after recording itself.

The anchor write on the booking path is one ``pwrite`` of 512 bytes into a file kept open,
under ``flock``, without fsync (~15 µs; a temp file and rename cost ~1 ms on ext4, which
flushes a replaced file's data at the rename). A power cut can lose the newest anchor, leaving
the older one, which ``check`` accepts (it only fails on an anchor *newer* than the database);
the file holds two slots written in turn, so a torn write spoils at most the one being
written. ``check``, ``backup`` and ``restore`` fsync theirs.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import stat
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hwdesk.clock import now_utc
from hwdesk.errors import HwdeskError

KEY_ENV = "HWDESK_AUDIT_KEY"
KEY_FILE_ENV = "HWDESK_AUDIT_KEY_FILE"
ANCHOR_DIR_ENV = "HWDESK_AUDIT_ANCHOR_DIR"
KEY_FILE_NAME = "audit.key"

__all__ = [
    "ANCHOR_DIR_ENV",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "Anchor",
    "AnchorError",
    "advance",
    "anchor_dir",
    "anchor_path",
    "key_id",
    "key_path",
    "load_key",
    "read_anchor",
    "replace",
]


class AnchorError(HwdeskError):
    """An anchor file that cannot be read or whose tag does not verify."""


def config_dir() -> Path:
    """hwdesk's directory in the user's config directory (where the key lives by default)."""
    from platformdirs import user_config_path

    return user_config_path("hwdesk", appauthor=False)


def key_path() -> Path:
    """The key file: ``HWDESK_AUDIT_KEY_FILE``, else ``audit.key`` in the config directory."""
    value = os.environ.get(KEY_FILE_ENV)
    return Path(value).expanduser() if value else config_dir() / KEY_FILE_NAME


_KEYS: dict[tuple, bytes] = {}


def load_key() -> bytes:
    """This terminal's audit key (cached per process and configuration; created on first use)."""
    env = os.environ.get(KEY_ENV)
    cache = (env, os.environ.get(KEY_FILE_ENV), os.environ.get("XDG_CONFIG_HOME"), os.environ.get("HOME"))
    key = _KEYS.get(cache)
    if key is None:
        key = _KEYS[cache] = _parse(env, KEY_ENV) if env else _load_or_create(key_path())
    return key


def _parse(value: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(value.strip())
    except ValueError:
        key = b""
    if len(key) < 32:
        raise HwdeskError(
            f"監査ログの鍵（{where}）は 64 桁の16進数です。", f"The audit key ({where}) must be 64 hexadecimal digits."
        )
    return key


def _load_or_create(path: Path) -> bytes:
    for _ in range(50):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            _create(path)
            continue
        except OSError as exc:
            raise HwdeskError(
                f"監査ログの鍵を読めません: {path}（{exc.strerror}）",
                f"Cannot read the audit key {path} ({exc.strerror})",
            ) from exc
        with os.fdopen(fd, encoding="ascii") as f:
            mode = os.fstat(f.fileno()).st_mode
            raw = f.read().strip()
        if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IWGRP):
            raise HwdeskError(
                f"監査ログの鍵 {path} を他の利用者が読み書きできます。chmod 600（共有する場合は 640）にしてください。",
                f"The audit key {path} is readable or writable by others; chmod it 600 (640 when a group shares it).",
            )
        if raw:
            return _parse(raw, str(path))
        time.sleep(0.01)  # another process has just created it and is writing it
    raise HwdeskError(f"監査ログの鍵が空です: {path}", f"The audit key file {path} is empty")


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # another process won; read its key
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
        f.flush()
        os.fsync(f.fileno())


@lru_cache(maxsize=8)
def key_id(key: bytes) -> str:
    """A short public name of the key (in meta and anchors), from which the key cannot be found."""
    return hmac.new(key, b"hwdesk audit key id", hashlib.sha256).hexdigest()[:16]


# --- anchors ------------------------------------------------------------------------------------


@dataclass
class Anchor:
    """The newest committed head a terminal has seen for one database."""

    db_id: str  # the hash of the log's first row: which audit log this is
    head: str
    last_id: int
    key_id: str
    location: str = ""  # the SQLite file, or the PostgreSQL URL without its password
    keyed_from: int | None = None  # first keyed row of a log begun before the key (older releases)
    written_at: str = ""

    def _payload(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":")).encode()


def anchor_dir() -> Path:
    """Where anchors are kept: ``HWDESK_AUDIT_ANCHOR_DIR``, else ``anchors`` in the user's config
    directory (per user and writable by them, even when the key is a shared read-only file)."""
    value = os.environ.get(ANCHOR_DIR_ENV)
    if value:
        return Path(value).expanduser()
    return config_dir() / "anchors"


def anchor_path(db_id: str) -> Path:
    """The anchor file of the database ``db_id``."""
    return _anchor_path(
        os.environ.get(ANCHOR_DIR_ENV), os.environ.get(KEY_FILE_ENV), os.environ.get("XDG_CONFIG_HOME"), db_id
    )


@lru_cache(maxsize=64)
def _anchor_path(_env_dir, _env_key, _xdg, db_id: str) -> Path:
    safe = "".join(c for c in db_id if c.isalnum())[:64] or "unknown"
    return anchor_dir() / f"{safe}.head"


SLOT = 512  # an anchor file is two fixed slots, written in turn: a torn write spoils one at most


def read_anchor(path: Path, key: bytes) -> Anchor | None:
    """The anchor in ``path`` (None when there is none): the newer of its two slots.

    ``AnchorError`` when it cannot be read, when a slot holds a well-formed anchor whose tag
    does not verify under ``key`` (edited, or written with another key), or when neither slot
    holds one. A slot that is not well-formed (a write torn by a crash) is skipped.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AnchorError(
            f"監査ログのアンカーを読めません: {path}（{exc.strerror}）",
            f"Cannot read the audit anchor {path} ({exc.strerror})",
        ) from exc
    if not raw.strip():
        return None  # created, not yet written
    return _newest(path, [raw[i : i + SLOT] for i in range(0, len(raw), SLOT)][:2], key)


_PARSED: dict[str, tuple[bytes, Anchor | None]] = {}


def current(db_id: str, key: bytes) -> Anchor | None:
    """The anchor of the log ``db_id`` as it is now (one ``pread`` on a file kept open; parsed and
    verified again only when its bytes changed). ``AnchorError`` as ``read_anchor``."""
    path = anchor_path(db_id)
    fd = _fd(path)
    if os.fstat(fd).st_nlink == 0:  # removed (restore of another database) since it was opened
        _forget_fd(path)
        fd = _fd(path)
    raw = os.pread(fd, 2 * SLOT, 0)
    cached = _PARSED.get(str(path))
    if cached is not None and cached[0] == raw:
        return cached[1]
    anchor = _newest(path, [raw[:SLOT], raw[SLOT : 2 * SLOT]], key) if raw.strip() else None
    _PARSED[str(path)] = (raw, anchor)
    return anchor


def _newest(path: Path, slots: list[bytes], key: bytes) -> Anchor:
    return _newest_at(path, slots, key)[0]


def _newest_at(path: Path, slots: list[bytes], key: bytes) -> tuple[Anchor, int]:
    """The newest well-formed anchor among ``slots`` and its slot; every well-formed one verified."""
    best, at = None, -1
    for i, chunk in enumerate(slots):
        try:
            data = json.loads(chunk)
            tag = data.pop("tag")
            anchor = Anchor(**data)
            anchor.last_id = int(anchor.last_id)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # empty, or torn by a crash mid-write
        if not hmac.compare_digest(str(tag), _tag(key, anchor)):
            raise AnchorError(
                f"監査ログのアンカー {path} の署名が一致しません（書き換えられたか、別の鍵で書かれました）",
                f"The audit anchor {path} does not verify (edited, or written with another key)",
            )
        if best is None or anchor.last_id > best.last_id:
            best, at = anchor, i
    if best is None:
        raise AnchorError(
            f"監査ログのアンカーの形式が正しくありません: {path}",
            f"The audit anchor {path} is not in the expected format",
        )
    return best, at


def _tag(key: bytes, anchor: Anchor) -> str:
    return hmac.new(key, anchor._payload(), hashlib.sha256).hexdigest()


def _slot_bytes(anchor: Anchor, key: bytes) -> bytes:
    if not anchor.written_at:
        anchor.written_at = now_utc().isoformat(timespec="seconds")
    raw = json.dumps({**anchor.__dict__, "tag": _tag(key, anchor)}).encode("utf-8")
    if len(raw) >= SLOT:
        raise ValueError("anchor too long")
    return raw + b" " * (SLOT - 1 - len(raw)) + b"\n"


_FDS: dict[str, int] = {}  # anchor files kept open by this process (a write is one pwrite)


def _fd(path: Path) -> int:
    fd = _FDS.get(str(path))
    if fd is None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = _FDS[str(path)] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    return fd


def _forget_fd(path: Path) -> None:
    fd = _FDS.pop(str(path), None)
    if fd is not None:
        os.close(fd)


class _Locked:
    """``flock`` on an anchor file kept open, so read-compare-write is one step among processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = _fd(path)
        if os.fstat(self.fd).st_nlink == 0:  # removed (restore of another database) since it was opened
            _forget_fd(path)
            self.fd = _fd(path)

    def __enter__(self) -> int:
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self.fd

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def advance(anchor: Anchor, key: bytes, *, durable: bool = False, reaches=None) -> bool:
    """Move the database's anchor forward to ``anchor``; never back (an anchor with a higher
    row id stays). Returns whether it was written. An unreadable old anchor is left for
    ``check`` to report and is not overwritten.

    ``reaches(old)`` says whether the chain the new head ends still contains the anchor being
    replaced; when it does not (the log was cut after ``old`` was anchored) the anchor stays
    where it is, so that ``check`` keeps failing instead of the next save hiding the cut.

    One ``pwrite`` of 512 bytes into the slot not holding the newer anchor, without fsync
    unless ``durable`` (a crash can lose it, leaving the older one, which check accepts)."""
    path = anchor_path(anchor.db_id)
    with _Locked(path) as fd:
        raw = os.pread(fd, 2 * SLOT, 0)
        old, at = None, 1
        if raw.strip():
            try:
                old, at = _newest_at(path, [raw[:SLOT], raw[SLOT : 2 * SLOT]], key)
            except AnchorError:
                return False
        if old is not None and (
            old.last_id > anchor.last_id or (old.last_id == anchor.last_id and old.head == anchor.head)
        ):
            return False
        if old is not None and reaches is not None and not reaches(old):
            return False
        # Overwrite the slot that does not hold the newest anchor, so a torn write leaves that one.
        os.pwrite(fd, _slot_bytes(anchor, key), SLOT if at == 0 else 0)
        if durable:
            os.fsync(fd)
    return True


def anchors_at(location: str, key: bytes) -> tuple[list[tuple[Path, Anchor]], list[tuple[Path, AnchorError]]]:
    """Every anchor (and every unreadable one) kept for databases at ``location``."""
    found: list[tuple[Path, Anchor]] = []
    bad: list[tuple[Path, AnchorError]] = []
    directory = anchor_dir()
    if not directory.is_dir():
        return found, bad
    for path in sorted(directory.glob("*.head")):
        try:
            anchor = read_anchor(path, key)
        except AnchorError as exc:
            if _claimed_location(path) in (location, None):
                bad.append(
                    (path, exc)
                )  # ours, or unreadable: reported; another database's (another key): not ours to judge
            continue
        if anchor is not None and anchor.location == location:
            found.append((path, anchor))
    return found, bad


def _claimed_location(path: Path) -> str | None:
    """The location an anchor file says it is for, unverified (None when no slot can be read)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    for i in range(0, len(raw), SLOT):
        try:
            return str(json.loads(raw[i : i + SLOT])["location"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def forget(location: str, key: bytes, *, keep: str) -> list[Path]:
    """Remove the anchors of ``location`` other than the log ``keep`` (``restore`` of another
    database's backup, after recording it); returns what was removed."""
    removed = []
    for path, anchor in anchors_at(location, key)[0]:
        if anchor.db_id != keep:
            path.unlink(missing_ok=True)
            _forget_fd(path)
            removed.append(path)
    return removed


def replace(anchor: Anchor, key: bytes) -> Path:
    """Set the database's anchor to ``anchor`` even if older (``restore``, after its audit row)."""
    path = anchor_path(anchor.db_id)
    with _Locked(path) as fd:
        data = _slot_bytes(anchor, key)
        os.pwrite(fd, data + data, 0)  # both slots: the older, higher anchor must not come back
        os.ftruncate(fd, 2 * SLOT)
        os.fsync(fd)
    return path
