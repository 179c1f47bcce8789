"""Live change detection: tells a screen that another terminal committed, so it refreshes itself.

SQLite by ``PRAGMA data_version`` on a dedicated connection, PostgreSQL by ``LISTEN
hwdesk_changes`` (``Store.write`` sends the NOTIFY); both plus a process-local count of commits
through this process's engine. It lives beside the store (``hwdesk/db.py``) because it opens its
own driver connections, outside any unit of work.
"""

from __future__ import annotations

import sqlite3
import weakref
from typing import Any

from sqlalchemy import event

__all__ = ["ChangeWatcher", "change_token"]

_local_commits: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _count_commits(engine) -> None:
    """Count commits made through ``engine`` in this process (installed once per engine)."""
    if engine in _local_commits:
        return
    _local_commits[engine] = 0

    def bump(_conn) -> None:
        _local_commits[engine] = _local_commits.get(engine, 0) + 1

    event.listen(engine, "commit", bump)


class ChangeWatcher:
    """Cheap "did anything change?" for a screen that refreshes itself.

    SQLite: ``PRAGMA data_version`` on a dedicated connection that never writes (it changes when any
    other connection — another process, or this process's own write engine — commits).
    PostgreSQL: a ``LISTEN hwdesk_changes`` connection (psycopg, autocommit) drained without
    blocking. Both add a process-local commit count for this process's write engine.
    """

    def __init__(self, store):
        self.store = store
        _count_commits(store.write_engine)
        self._notes = 0
        self._conn: Any  # sqlite3's or psycopg's connection: each branch below uses its own API
        if store.is_sqlite:
            self._conn = sqlite3.connect(str(store.sqlite_path), isolation_level=None, check_same_thread=False)
        else:
            import psycopg

            url = store.url.replace("postgresql+psycopg://", "postgresql://", 1)
            self._conn = psycopg.connect(url, autocommit=True)
            self._conn.execute("LISTEN hwdesk_changes")
        self._last = self.token()

    def token(self) -> tuple[int, int]:
        """A value that changes whenever any terminal commits."""
        local = _local_commits.get(self.store.write_engine, 0)
        if self.store.is_sqlite:
            return self._conn.execute("PRAGMA data_version").fetchone()[0], local
        self._notes += sum(1 for _ in self._conn.notifies(timeout=0))
        return self._notes, local

    def changed(self) -> bool:
        """Whether something was committed since the last call (or since the watcher was made)."""
        now = self.token()
        changed, self._last = now != self._last, now
        return changed

    def close(self) -> None:
        """Close the watcher's connection."""
        try:
            self._conn.close()
        except Exception:  # pragma: no cover - closing a dead connection
            pass


_watchers: dict[int, ChangeWatcher] = {}


def change_token(store) -> tuple[int, int]:
    """A token that changes when any terminal commits (one shared watcher per store)."""
    w = _watchers.get(id(store))
    if w is None or w.store is not store:
        if w is not None:
            w.close()  # a disposed store whose id was reused
        w = _watchers[id(store)] = ChangeWatcher(store)
    return w.token()
