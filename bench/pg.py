"""The benchmark's floors on PostgreSQL: the same SQL as the app, through psycopg alone.

``python -m bench --db postgresql+psycopg://…`` measures the app's paths on PostgreSQL (the rows
are the SQLite build's, copied in by bench/pgbuild.py) against these floors, as the SQLite run
measures them against raw ``sqlite3``. ``PgFloor`` also answers the few ``con.execute`` calls the
SQLite floors make (``?`` placeholders become ``%s``), so the queue and detail floors are the
very functions the SQLite run uses.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime, timedelta

from bench import pgbuild

SCOPE = "takamatsu"


class PgFloor:
    """A psycopg connection (autocommit, UTC) with the SQLite floors' ``execute`` interface."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = pgbuild.connect(url, autocommit=True)
        self.conn.execute("SET TIME ZONE 'UTC'")

    def execute(self, sql: str, params=()):
        """Run ``sql`` (``?`` placeholders) and return the cursor."""
        if isinstance(params, dict):  # :name placeholders
            import re

            sql = re.sub(r":([a-z_]+)", r"%(\1)s", sql.replace("%", "%%"))
        else:
            sql = sql.replace("%", "%%").replace("?", "%s")
        return self.conn.execute(sql, params)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # --- search ----------------------------------------------------------------------------------

    def rows(self, sql: str, params) -> list:
        """``hwdesk.rawsql.RawSql.rows``' interface, for ``nameindex.match``'s rarest-gram count."""
        return self.execute(sql, params).fetchall()

    sqlite = False

    def search(self, q: str) -> list:
        """The app's search paths as the SQL it sends on PostgreSQL (same filters, one page)."""
        from bench.__main__ import search_terms
        from hwdesk import nameindex
        from hwdesk.jtext.kana import kana_key
        from hwdesk.services.seeker_search import _is_kana_query

        q, p = search_terms(q)
        cols = "k.id, k.seeker_no, k.name, k.name_kana, k.birth_date, k.phone, k.office_id"
        where = "k.anonymized_at IS NULL AND k.office_id = ?"
        base = f"SELECT {cols} FROM seeker k WHERE {where} AND "
        if p is not None:
            return self.execute(
                base + 'k.seeker_no COLLATE "C" >= ? AND k.seeker_no COLLATE "C" < ? ORDER BY k.seeker_no COLLATE "C"'
                " LIMIT 50",
                (SCOPE, p, p + "\U0010ffff"),
            ).fetchall()
        if _is_kana_query(q):
            k = kana_key(q)
            return self.execute(
                base + 'k.kana_key COLLATE "C" >= ? AND k.kana_key COLLATE "C" < ? ORDER BY k.kana_key COLLATE "C"'
                " LIMIT 50",
                (SCOPE, k, k + "\U0010ffff"),
            ).fetchall()
        sql, params = nameindex.match(self, q.replace(" ", ""), cols, where, [SCOPE])
        return self.execute(sql + " LIMIT 50", params).fetchall()

    # --- booking ---------------------------------------------------------------------------------

    def booking(self, day: date, seekers: list[int], reps: int) -> list[float]:
        """``scheduling.book`` as raw psycopg: the same reads, locks and writes as ``floor_booking``
        does on SQLite (session, office, seeker locked FOR UPDATE as the app locks them; the
        eligibility facts; overlaps; seats; the enrollment and its chained audit row; the notices)."""
        from bench.__main__ import (
            FLOOR_FACTS,
            floor_book_audit,
            floor_book_checks,
            floor_book_notices,
            floor_switch_audit,
        )

        start = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
        end = start + timedelta(minutes=30)
        staff = self.execute("SELECT id FROM staff WHERE office_id='takamatsu' ORDER BY id").fetchone()[0]
        kind_col = [d.name for d in self.conn.execute("SELECT * FROM seeker LIMIT 0").description].index(
            "registration_kind"
        )
        times = []
        self.conn.autocommit = False
        try:
            for rep in range(reps + 1):
                sid = seekers[rep % len(seekers)]
                now = datetime.now(UTC)
                sess = self.execute(
                    "INSERT INTO session (office_id, kind, title, start_at, end_at, staff_id, capacity, platform, join_url, meeting_id,"
                    " passcode, state, cancel_reason, cancel_note, created_at, updated_at) VALUES"
                    " ('takamatsu','counseling','',?,?,?,1,'webex','https://hw.webex.com/meet/x','1','1','scheduled','','',?,?)"
                    " RETURNING id",
                    (start, end, staff, now, now),
                ).fetchone()[0]
                t0 = time.perf_counter()
                srow = self.execute("SELECT * FROM session WHERE id = ? FOR UPDATE", (sess,)).fetchone()
                self.execute("SELECT * FROM office WHERE id = 'takamatsu'").fetchone()
                seeker = self.execute("SELECT * FROM seeker WHERE id = ? FOR UPDATE", (sid,)).fetchone()
                self.execute("SELECT * FROM enrollment WHERE session_id = ? AND seeker_id = ?", (sess, sid)).fetchone()
                self.execute(FLOOR_FACTS, {"s": sid, "o": "takamatsu", "on": day, "svc": "counseling"}).fetchone()
                floor_book_checks(self, sess, sid, srow[4], srow[5])
                now = datetime.now(UTC)
                if seeker[kind_col] == "online":  # 高松 第2条(2)
                    self.execute(
                        "UPDATE seeker SET registration_kind = 'office', switched_to_office_on = ? WHERE id = ?",
                        (now.date(), sid),
                    )
                    floor_switch_audit(self, now, staff, sid, "takamatsu")
                eid = self.execute(
                    "INSERT INTO enrollment (session_id, seeker_id, state, booked_at, cancel_reason, override_reason,"
                    " booked_by) VALUES (?,?,'booked',?,'','',?) RETURNING id",
                    (sess, sid, now, staff),
                ).fetchone()[0]
                floor_book_audit(self, staff, eid, sid, sess)
                floor_book_notices(self, staff, sid, sess, start, now)
                dt = (time.perf_counter() - t0) * 1e3
                self.conn.rollback()
                if rep:
                    times.append(dt)
        finally:
            self.conn.rollback()
            self.conn.autocommit = True
        return times

    # --- import ----------------------------------------------------------------------------------

    def import_(self, data: bytes, reps: int, before=None) -> list[float]:
        """Parse + reading key + ``COPY`` of the seekers and their name grams, raw (no validation,
        no duplicate probes): the import's floor, as ``floor_import`` on SQLite. ``before()`` runs
        before each repetition, outside its transaction."""
        from bench.build import IMPORT_COLUMNS, import_rows
        from hwdesk import nameindex

        rates = []
        try:
            for _ in range(reps):
                if before is not None:
                    before()
                self.conn.autocommit = False
                t0 = time.perf_counter()
                rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))[1:]
                cur = self.conn.cursor()
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence('seeker', 'id')) FROM generate_series(1, %s)", (len(rows),)
                )
                ids = [r[0] for r in cur.fetchall()]
                now = datetime.now(UTC)
                with cur.copy(f"COPY seeker ({IMPORT_COLUMNS}) FROM STDIN") as cp:
                    for row in import_rows(rows, ids, SCOPE, False, now):
                        cp.write_row(row)
                nameindex.copy_pg(cur, ids, [r[1] for r in rows])
                dt = time.perf_counter() - t0
                self.conn.rollback()
                self.conn.autocommit = True
                rates.append(len(rows) / dt)
        finally:
            self.conn.rollback()
            self.conn.autocommit = True
        return rates


def last_start(floor: PgFloor) -> date | None:
    """The day of the last session in the database."""
    last = floor.execute("SELECT max(start_at) FROM session").fetchone()[0]
    return last.date() if last else None


def size_mib(floor: PgFloor) -> int:
    """The database's size on disk."""
    return round(floor.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20)


def server_version(floor: PgFloor) -> str:
    """PostgreSQL's version, short."""
    return floor.execute("SHOW server_version").fetchone()[0].split()[0]
