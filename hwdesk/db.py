"""Engines, sessions and migrations for SQLite (one office server) and PostgreSQL.

SQLite connections always run with WAL, ``foreign_keys=ON``, ``synchronous=FULL`` (a commit
reported to a clerk survives a power cut) and a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so that a read-then-write never fails at once with "database is locked".
PostgreSQL write transactions take row locks (``SELECT … FOR UPDATE``) in a fixed order and
send ``NOTIFY hwdesk_changes`` so that other terminals refresh their queue.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from hwdesk.errors import StoreError
from hwdesk.paths import default_db_path

NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "9p", "fuse.sshfs", "ncpfs"}
BUSY_TIMEOUT_MS = 10_000
CACHE_KIB = 32768
CHANGE_CHANNEL = "hwdesk_changes"


def resolve_url(db: str | os.PathLike | None) -> str:
    """Turn ``--db`` (a file path or an SQLAlchemy URL; ``HWDESK_DB`` otherwise) into a URL."""
    value = str(db) if db else os.environ.get("HWDESK_DB", "")
    if not value:
        value = str(default_db_path())
    if "://" in value:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value
    return "sqlite:///" + str(Path(value).expanduser().absolute())


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` (from /proc/mounts; '' when unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    target = str(path.resolve())
    best, fstype = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(mount_point) >= len(
            best
        ):
            best, fstype = mount_point, parts[2]
    return fstype


SQLITE_HEADER = b"SQLite format 3\x00"


def _prepare_sqlite_file(path: Path, *, create_dirs: bool = True, check_header: bool = True) -> None:
    if not path.parent.is_dir():
        if not create_dirs:
            # A mistyped --db must not quietly start an empty database somewhere new.
            raise StoreError(
                f"データベースのフォルダがありません: {path.parent}（--db を確認してください。新しく作るならフォルダを先に作成してください）。",
                f"The database folder does not exist: {path.parent} (check --db; to start a new database, create the folder first).",
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    if check_header and path.exists():
        _check_sqlite_header(path)
    fstype = filesystem_type(path.parent)
    if fstype in NETWORK_FILESYSTEMS or fstype.startswith("nfs"):
        raise StoreError(
            f"データベースファイルがネットワークファイルシステム（{fstype}）上にあります。SQLite のロックは"
            "そこでは安全ではありません。ローカルディスクに置くか、PostgreSQL を使ってください。",
            f"The database file is on a network filesystem ({fstype}), where SQLite's locking is "
            "unsafe. Keep it on a local disk or use PostgreSQL (--db postgresql+psycopg://…).",
        )
    if not path.exists():
        # Personal data: readable by the owner only (SQLite gives -wal/-shm the same mode).
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _check_sqlite_header(path: Path) -> None:
    """Refuse a file that is not an SQLite database (``--db /etc/passwd``) before SQLite opens it."""
    try:
        if path.is_dir():
            raise StoreError(
                f"{path} はフォルダです。データベースファイルを指定してください。",
                f"{path} is a folder; give a database file.",
            )
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(
            f"データベースファイルを開けません: {path}（{exc.strerror}）",
            f"Cannot open the database file {path} ({exc.strerror}).",
        ) from None
    if head and head != SQLITE_HEADER:
        raise StoreError(
            f"{path} は hwdesk のデータベース（SQLite）ではありません。--db を確認してください。",
            f"{path} is not an hwdesk database (SQLite); check --db.",
        )


@dataclass
class Store:
    """The database behind one app or CLI process: a read engine and a write engine."""

    url: str
    engine: Engine
    write_engine: Engine
    is_sqlite: bool
    # PostgreSQL: the pool of ``lookup`` (autocommit, read-only by the server); None: ``engine``.
    lookup_engine: Engine | None = None
    _listeners: list = field(default_factory=list)
    _read_bind: Engine = field(init=False)

    def __post_init__(self) -> None:
        # Reads on PostgreSQL run in READ ONLY transactions (``read``), on the same pool.
        self._read_bind = self.engine if self.is_sqlite else self.engine.execution_options(postgresql_readonly=True)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file for SQLite, else None."""
        if not self.is_sqlite:
            return None
        return Path(make_url(self.url).database or "")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (deferred transaction, never takes the write lock).

        On PostgreSQL the transaction is READ ONLY and ends in COMMIT: psycopg forgets every
        prepared statement at a ROLLBACK (an object it names may have been dropped and made
        again), so with reads ending in ROLLBACK no statement was ever prepared, and every read
        was parsed and planned again (the seeker detail's eleven statements: 1.6 ms against 0.6
        prepared). A read-only transaction's COMMIT changes nothing, and READ ONLY makes a write
        in a read an error rather than something a COMMIT would keep."""
        with Session(self._read_bind, expire_on_commit=False) as s, self._plain_errors():
            yield s
            if not self.is_sqlite:
                s.commit()

    @contextmanager
    def lookup(self) -> Iterator[Session]:
        """A read whose statements each stand alone: for the keystroke paths (search), whose
        index paths and gram counts are answers of their own and need no common snapshot.

        On SQLite it is ``read``. On PostgreSQL each statement is its own transaction
        (autocommit, on connections the server keeps read-only: a write is an error, as in
        ``read``), so a search sends its statements alone, without the BEGIN and COMMIT that
        ``read`` adds, two round trips of ~0.06 ms each on a search of ~0.3 ms. Nothing is
        prepared on these paths, so nothing is lost to the transaction's end either."""
        if self.lookup_engine is None:
            with self.read() as s:
                yield s
            return
        with Session(self.lookup_engine, expire_on_commit=False) as s, self._plain_errors():
            yield s

    @contextmanager
    def _plain_errors(self) -> Iterator[None]:
        """A read's database faults as ``StoreError`` with a plain message (an IntegrityError,
        which a read cannot cause, is left as it is)."""
        try:
            yield
        except (OperationalError, DatabaseError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise store_error_from(exc, self.sqlite_path) from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write unit of work: IMMEDIATE on SQLite; committed on success, rolled back on error.

        Database faults (locked, disk full, read-only, server gone) surface as ``StoreError``
        with a plain message; the caller keeps what the user typed.
        """
        s = Session(self.write_engine, expire_on_commit=False)
        try:
            yield s
            if not self.is_sqlite:
                s.connection().exec_driver_sql(f"NOTIFY {CHANGE_CHANNEL}")
            s.commit()
            if "audit_anchor" in s.info:  # rows were audited: anchor the new head outside the database
                from hwdesk import audit_hooks

                audit_hooks.after_commit(s)
        except IntegrityError:
            s.rollback()
            raise
        except (OperationalError, DatabaseError) as exc:
            s.rollback()
            if self.is_sqlite and "readonly" in str(getattr(exc, "orig", exc)).lower():
                # Connections opened while the disk was read-only stay so: reopen on next use.
                s.close()
                self.dispose()
            raise store_error_from(exc, self.sqlite_path) from exc
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.write_engine.dispose()
        if self.lookup_engine is not None:
            self.lookup_engine.dispose()


# Free space below which SQLite's "disk I/O error" is taken for a full disk: when the disk is full
# before the -shm file exists, SQLite cannot map it and says I/O error, not SQLITE_FULL.
FULL_BELOW_BYTES = 1 << 20


def disk_is_full(path: Path | None) -> bool:
    """Whether the filesystem holding ``path`` has (almost) no space left for us."""
    if path is None:
        return False
    try:
        st = os.statvfs(path.parent if not path.is_dir() else path)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < FULL_BELOW_BYTES


def store_error_from(exc: Exception, path: Path | None = None) -> StoreError:
    """Translate a driver error into words a clerk can act on (``path``: the SQLite file, to tell
    a full disk behind SQLite's "disk I/O error")."""
    msg = str(getattr(exc, "orig", exc)).lower()
    if ("disk i/o error" in msg or "unable to open database file" in msg) and disk_is_full(path):
        msg = "database or disk is full"
    if "locked" in msg or "busy" in msg:
        return StoreError(
            "データベースが他の端末の処理で使用中です。少し待ってからもう一度保存してください（入力内容は残っています）。",
            "The database is busy with another terminal's work. Wait a moment and save again (your input is kept).",
        )
    if "disk is full" in msg or "database or disk is full" in msg or "no space" in msg:
        return StoreError(
            "ディスクがいっぱいで保存できません。管理者に連絡してください（入力内容は残っています）。",
            "The disk is full; nothing was saved. Tell the administrator (your input is kept).",
        )
    if "readonly" in msg or "read-only" in msg or "attempt to write a readonly database" in msg:
        return StoreError(
            "データベースが読み取り専用のため保存できません（入力内容は残っています）。",
            "The database is read-only; nothing was saved (your input is kept).",
        )
    if "unable to open database file" in msg:
        return StoreError(
            "データベースファイルを開けません。ディスクやフォルダが読み取り専用か、権限がありません（入力内容は残っています）。",
            "Cannot open the database file: the disk or folder is read-only, or permissions forbid it (your input is kept).",
        )
    if "disk i/o error" in msg:
        return StoreError(
            "ディスクの読み書きに失敗しました。ディスクの故障や取り外しがないか、管理者に確認してください（入力内容は残っています）。",
            "Reading or writing the disk failed; ask the administrator to check the disk (your input is kept).",
        )
    if "malformed" in msg or "not a database" in msg:
        return StoreError(
            "データベースファイルが破損しています。管理者に連絡し、バックアップから復元してください（hwdesk restore）。",
            "The database file is damaged. Tell the administrator and restore a backup (hwdesk restore).",
        )
    if "connection" in msg or "could not connect" in msg or "server closed" in msg or "terminating" in msg:
        return StoreError(
            "データベースサーバーに接続できません。ネットワークとサーバーを確認してください（入力内容は残っています）。",
            "Cannot reach the database server. Check the network and the server (your input is kept).",
        )
    return StoreError(
        f"データベースエラー: {str(getattr(exc, 'orig', exc))[:200]}",
        f"Database error: {str(getattr(exc, 'orig', exc))[:200]}",
    )


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - trivial
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except Exception:  # a read-only file still opens for reading
            pass
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # 32 MB of page cache per connection (default 2 MB): at a million seekers the indexes a
        # day's work touches stay in it; allocated only as pages are read (bench/README.md).
        cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cur.close()

    import sqlite3

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # On the driver's connection: through ``exec_driver_sql`` the BEGIN of every unit of work
        # cost ~30 µs of SQLAlchemy's execution (a read of the seeker detail is ~500 µs). A busy
        # or read-only database still surfaces as SQLAlchemy's OperationalError for ``Store``.
        try:
            conn.connection.dbapi_connection.execute(begin)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(begin, (), exc, sqlite3.Error, dialect=conn.dialect) from exc

    return engine


def open_store(db: str | os.PathLike | None = None, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the database named by ``--db`` / ``HWDESK_DB``.

    For normal use (``migrate``), only the default file's folder (the user data directory) is
    created when missing: a folder named by ``--db`` or ``HWDESK_DB`` must exist (a typo is
    refused, not a new empty database), and an existing file must be an SQLite database
    (``--db /etc/passwd`` is refused before SQLite opens it). The maintenance commands
    (``migrate=False``: check, backup, restore) handle missing and damaged files themselves.
    """
    url = resolve_url(db)
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        _prepare_sqlite_file(
            path, create_dirs=not migrate or not (db or os.environ.get("HWDESK_DB")), check_header=migrate
        )
        store = Store(url, _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True), True)
    else:
        try:
            engine = create_engine(url)
        except Exception as exc:  # bad URL, missing driver
            raise StoreError(f"データベースURLが不正です: {exc}", f"Bad database URL: {exc}") from exc
        _ping_when_idle(engine)
        store = Store(url, engine, engine, False, _lookup_engine(url))
    if migrate:
        try:
            upgrade(store)
        except OperationalError as exc:
            raise store_error_from(exc, store.sqlite_path) from exc
        from hwdesk import audit_hooks

        audit_hooks.start_keyed(store)  # a log begun by an older release: keyed rows start now, anchored
    return store


# A pooled PostgreSQL connection idle longer than this is pinged before use (``_ping_when_idle``).
PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use (a ``SELECT 1``) when it has been idle more than
    ``PING_AFTER_IDLE_S``, and replace it when the server has dropped it (a restart, a failover,
    an idle timeout). SQLAlchemy's ``pool_pre_ping`` pinged on every checkout: a round trip of
    ~0.14 ms on each read, a tenth of a keystroke's search. Between actions seconds apart a
    terminal's connections are still pinged; within a burst of keystrokes they are not, and a
    server restarted inside those few seconds fails one action with the store's plain message
    (the pool is then renewed) instead of none."""
    import time

    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        last = record.info.get("checked_in")
        if last is not None and time.monotonic() - last <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError() from exc  # the pool opens a new connection and retries
            raise

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        record.info["checked_in"] = time.monotonic()


# ``Store.lookup``'s pool: a terminal's search and its count may run at once and keep one
# connection each; a third lane at the same moment (the booking dialog's finder) opens and
# closes its own.
LOOKUP_POOL = 2


def _lookup_engine(url: str) -> Engine:
    """The pool of ``Store.lookup`` on PostgreSQL: autocommit connections that the server makes
    read-only as they start (``default_transaction_read_only``, which rules each statement's own
    transaction too), pinged after idle as the main pool's are."""
    given = make_url(url).query.get("options") or ()  # the URL's own (a search_path, say) are kept
    options = " ".join([*([given] if isinstance(given, str) else given), "-c default_transaction_read_only=on"])
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=LOOKUP_POOL,
        max_overflow=2,
        connect_args={"options": options},
    )
    _ping_when_idle(engine)
    return engine


def _alembic_config(store: Store):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    cfg.attributes["store"] = store
    return cfg


def upgrade(store: Store, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (every start does this; cheap when current)."""
    from alembic import command

    if revision == "head" and current_revision(store) == head_revision():
        return
    command.upgrade(_alembic_config(store), revision)


def head_revision() -> str:
    """The newest migration this release knows."""
    from alembic.script import ScriptDirectory

    cfg_dir = Path(__file__).parent / "migrations"
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(cfg_dir))
    return ScriptDirectory.from_config(cfg).get_current_head() or ""


def current_revision(store: Store) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with store.engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except Exception:
            conn.rollback()
            return None
        return row[0] if row else None
