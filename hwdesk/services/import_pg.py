"""The CSV import's PostgreSQL half: duplicate probes on ``unnest`` arrays, and the rows and their
names written by ``COPY`` (``services.importer`` calls these; SQLite's are beside it there)."""

from __future__ import annotations

from operator import itemgetter

from sqlmodel import Session

from hwdesk import nameindex
from hwdesk.clock import now_utc
from hwdesk.pgcopy import copy_rows


def lookup_existing(session: Session, rows: list[tuple[int, dict]]) -> tuple[dict, dict]:
    """``_lookup_sqlite`` on PostgreSQL: arrays unnested and joined to the unique index on
    ``seeker_no`` and to ``ix_seeker_dup``, one statement each per chunk."""
    cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; a session's connection is open
    existing: dict[str, tuple] = {}
    people: dict[tuple, tuple] = {}
    try:
        cur.execute(
            "SELECT s.seeker_no, s.kana_key, s.birth_date, s.name, s.id FROM unnest(%s::text[]) AS v(n)"
            " JOIN seeker s ON s.seeker_no = v.n",
            ([c["seeker_no"] for _, c in rows],),
        )
        for no, k, b, name, sid in cur.fetchall():
            existing[no] = (k, b, name, sid)
        keys = sorted({(c["kana_key"], c["birth_date"]) for _, c in rows}, key=itemgetter(0))
        cur.execute(
            "SELECT s.kana_key, s.birth_date, s.seeker_no, s.id FROM unnest(%s::text[], %s::date[]) AS v(k, b)"
            " JOIN seeker s ON s.kana_key = v.k AND s.birth_date = v.b",
            ([k for k, _ in keys], [b for _, b in keys]),
        )
        for k, b, no, sid in cur.fetchall():
            people[(k, b)] = (no, sid)
    finally:
        cur.close()
    return existing, people


def copy_seekers(session: Session, rows: list[dict]) -> list[int]:
    """PostgreSQL: ids from the seeker sequence, then the rows and their names by ``COPY``
    (psycopg's ``cursor.copy``) in the session's transaction; the ids in the rows' order."""
    cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; a session's connection is open
    try:
        cur.execute("SELECT nextval(pg_get_serial_sequence('seeker', 'id')) FROM generate_series(1, %s)", (len(rows),))
        ids = [r[0] for r in cur.fetchall()]
        now = now_utc()
        names = list(rows[0])
        columns = ", ".join(["id", *names, "created_at", "updated_at"])
        copy_rows(
            cur, f"COPY seeker ({columns}) FROM STDIN", [(sid, *c.values(), now, now) for sid, c in zip(ids, rows)]
        )
        nameindex.copy_pg(cur, ids, [c["name"] for c in rows])
    finally:
        cur.close()
    return ids


__all__ = ["lookup_existing", "copy_seekers"]
