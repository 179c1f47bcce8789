"""Plain SQL on a session's DBAPI connection (``RawSql``), for the read paths run on every
keystroke or row, beside the ORM's sessions of ``hwdesk.db``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Self

from sqlalchemy.exc import DBAPIError, StatementError
from sqlmodel import Session

from hwdesk.sqla_private import Prepared

__all__ = ["Prepared", "RawSql"]


@lru_cache(maxsize=256)
def _pg_params(sql: str) -> str:
    return sql.replace("?", "%s")


class RawSql:
    """Plain SQL on a session's DBAPI connection, for read paths where SQLAlchemy's per-statement
    cost dominates (search on every keystroke, the seeker detail): an ``execute`` through
    SQLAlchemy costs ~30 µs of Python, the DBAPI cursor ~5 µs, against index seeks of ~0.1 ms.

    SQL is written once with ``?`` placeholders (``%s`` on PostgreSQL); values are always bound.
    Driver errors are re-raised as SQLAlchemy's own, so ``Store.read`` gives its plain messages.
    Use as a context manager (the cursor is closed at the end).
    """

    def __init__(self, session: Session) -> None:
        self.conn = session.connection()
        self.dialect = self.conn.dialect
        self.sqlite = self.dialect.name == "sqlite"
        self.cursor = self.conn.connection.cursor()

    # psycopg prepares a statement from its fifth run, and PostgreSQL may then plan it once for
    # any values (a generic plan): right for key lookups (the detail's statements: 0.7 ms against
    # 1.5 unprepared), wrong where the values decide the plan. A subclass whose statements are of
    # that kind sets False (the search: a prefix range, how common a name's gram is).
    prepare: bool | None = None

    def rows(self, sql: str, params: tuple | list) -> Sequence[Any]:
        """All rows of one statement (tuples, as the driver returns them)."""
        params = tuple(params)
        try:
            if self.sqlite:
                self.cursor.execute(sql, params)
            else:
                self.cursor.execute(_pg_params(sql), params, prepare=self.prepare)  # type: ignore[call-arg]  # psycopg's cursor (this branch is PostgreSQL)
            return self.cursor.fetchall()
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._mapped(exc, sql, params) from exc

    def batch(self, statements: Sequence[tuple[str, tuple | list]]) -> list[Sequence[Any]]:
        """The rows of each of several independent statements, in order. On PostgreSQL they go in
        one round trip (psycopg's pipeline mode: every statement is sent, then every result read),
        in the same transaction; on SQLite, where a statement costs no round trip, one by one."""
        if self.sqlite:
            return [self.rows(sql, params) for sql, params in statements]
        raw: Any = self.conn.connection.driver_connection  # psycopg.Connection (None only once closed)
        sent = [(_pg_params(sql), tuple(params)) for sql, params in statements]
        cursors = []
        try:
            with raw.pipeline():
                for sql, params in sent:
                    cur = raw.cursor()
                    cur.execute(sql, params)
                    cursors.append(cur)
            return [cur.fetchall() for cur in cursors]
        except self.dialect.loaded_dbapi.Error as exc:
            # A pipeline's error arrives when its results are read, not naming the statement: all are named.
            raise self._mapped(exc, "; ".join(sql for sql, _ in sent), [p for _, p in sent]) from exc
        finally:
            for cur in cursors:
                cur.close()

    def run(self, stmt: Prepared, params: dict | None = None) -> list:
        """All rows of a prepared Core statement (named tuples of converted values)."""
        plan = stmt.plan(self.dialect)
        try:
            self.cursor.execute(plan.sql, plan.bind(params or {}))
            return plan.read(self.cursor.fetchall()) if plan.read is not None else []
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._mapped(exc, plan.sql, params) from exc

    def one(self, stmt: Prepared, params: dict | None = None):
        """The first row of a prepared statement, or None."""
        rows = self.run(stmt, params)
        return rows[0] if rows else None

    def _mapped(self, exc: Any, sql: str, params) -> StatementError:
        """The driver's error as SQLAlchemy's own (IntegrityError, OperationalError …), so that
        ``Store`` gives its plain messages whichever path raised it."""
        invalidated = self.dialect.is_disconnect(exc, self.conn.connection, self.cursor)
        if invalidated:
            self.conn.invalidate(exc)
        return DBAPIError.instance(
            sql, params, exc, self.dialect.loaded_dbapi.Error, connection_invalidated=invalidated, dialect=self.dialect
        )

    def close(self) -> None:
        """Close the cursor (the connection stays with the session)."""
        try:
            self.cursor.close()
        except Exception:  # the connection is gone already; the error that matters was raised
            pass

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
