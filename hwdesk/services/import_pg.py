"""The CSV import's PostgreSQL half: duplicate probes on ``unnest`` arrays, run while the chunk
before is written, and the rows and their names written by ``COPY`` (``services.importer`` calls
these; SQLite's are beside it there)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from operator import attrgetter, itemgetter

from sqlmodel import Session

from hwdesk import nameindex
from hwdesk.clock import now_utc
from hwdesk.pgcopy import copy_text, rows_text
from hwdesk.services.csvstream import Written
from hwdesk.services.import_rows import RowError, decide


def lookup_existing(session: Session, rows: list[tuple[int, dict]]) -> tuple[dict, dict]:
    """``_lookup_sqlite`` on PostgreSQL, on the session's connection."""
    cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; a session's connection is open
    try:
        return _lookup(cur, rows)
    finally:
        cur.close()


def _lookup(cur, rows: list[tuple[int, dict]]) -> tuple[dict, dict]:
    """(seeker_no → (kana_key, birth_date, name, id), (kana_key, birth_date) → (seeker_no, id)) of
    the stored seekers that ``rows`` clash with, one statement each: the lists unnested, and for
    each value one probe of the unique index on ``seeker_no`` or of ``ix_seeker_dup``. The
    ``LATERAL … LIMIT 1`` keeps it a probe per value: as a plain join, from about 10,000 values
    the planner hashed the whole seeker table instead (370 ms for 10,000 values at a million
    seekers, 19 ms probed; one clash a value is all the import needs)."""
    existing: dict[str, tuple] = {}
    people: dict[tuple, tuple] = {}
    nos, nos_param = _text_list([c["seeker_no"] for _, c in rows])
    cur.execute(
        f"SELECT s.seeker_no, s.kana_key, s.birth_date, s.name, s.id FROM unnest({nos}) AS v(n) CROSS JOIN LATERAL"
        " (SELECT * FROM seeker WHERE seeker_no = v.n LIMIT 1) s",
        (nos_param,),
    )
    for no, k, b, name, sid in cur.fetchall():
        existing[no] = (k, b, name, sid)
    keys = sorted({(c["kana_key"], c["birth_date"]) for _, c in rows}, key=itemgetter(0))
    readings, readings_param = _text_list([k for k, _ in keys])
    cur.execute(
        f"SELECT s.kana_key, s.birth_date, s.seeker_no, s.id FROM unnest({readings}, string_to_array(%s, ',')::date[])"
        " AS v(k, b) CROSS JOIN LATERAL (SELECT * FROM seeker WHERE kana_key = v.k AND birth_date = v.b LIMIT 1) s",
        (readings_param, ",".join([b.isoformat() for _, b in keys])),
    )
    for k, b, no, sid in cur.fetchall():
        people[(k, b)] = (no, sid)
    return existing, people


def _text_list(values: list[str]) -> tuple[str, str | list[str]]:
    """A list of strings as a statement's parameter: one comma-joined string split by the server,
    or, when a value holds a comma, an array. psycopg formats an array's items one by one in
    Python (~8 µs a row of an import for its three lists); numbers, readings and dates, as
    validated, hold no comma."""
    joined = ",".join(values)
    if joined and joined.count(",") == len(values) - 1:  # '' would split into no value at all
        return "string_to_array(%s, ',')", joined
    return "%s::text[]", values


class Pipeline:
    """An import's probes and writes on PostgreSQL: chunk n is probed, and its ``COPY`` lines
    formatted, while chunk n-1 is written.

    The import's connection is busy with the previous chunk's ``COPY`` (sent from a thread: libpq
    waits without the GIL), so the seekers stored before the import are probed on a second
    connection (autocommit, reads only), which also hands out the new ids (a sequence is not
    transactional). That connection cannot see this transaction's own rows; ``Seen`` remembers
    them. A row it rules out is probed and decided at once; the few it cannot (an earlier row
    repeated, or one false "maybe" in about a thousand) wait for the write and are probed on the
    import's connection instead, where the earlier chunks are, and written with their chunk. The answers
    are the ones one connection would give; the probes and the formatting no longer wait for the
    server (they were ~45 % of an import's time at a million). ``importer._SqlitePipeline`` is
    the same interface for SQLite.
    """

    def __init__(self, session: Session, written: Written, lines: int) -> None:
        self.session, self.written = session, written
        self.side = session.get_bind().engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.numbers, self.people = Seen(lines), Seen(lines)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="hwdesk-import")
        self.pending: tuple[Future, list[int], list] | None = None

    def take(self, rows: list[tuple[int, dict]]) -> tuple[list[RowError], int]:
        """Probe ``rows`` (line, clean values) and start writing the good ones; the refused rows
        (in line order) and the number skipped (already registered, same person)."""
        numbers, persons = self.numbers, self.people
        sure: list[tuple[int, dict]] = []
        maybe: list[tuple[int, dict]] = []
        for row in rows:
            c = row[1]
            (maybe if c["seeker_no"] in numbers or (c["kana_key"], c["birth_date"]) in persons else sure).append(row)
        cur = self._side_cursor()
        try:
            existing, people = _lookup(cur, sure) if sure else ({}, {})
            good, refused, skipped = decide(sure, existing, people, self.written.line_of)
            ids, lines = self._prepare(cur, good)
            self.wait()  # the chunk before is in the database: an exact probe sees it
            if maybe:  # probed on the import's connection only: it sees the stored seekers too
                existing, people = lookup_existing(self.session, maybe)
                good_maybe, refused_maybe, skipped_maybe = decide(maybe, existing, people, self.written.line_of)
                refused = sorted(refused + refused_maybe, key=attrgetter("line"))
                skipped += skipped_maybe
                if good_maybe:
                    more_ids, more_lines = self._prepare(cur, good_maybe)
                    ids, good = ids + more_ids, good + good_maybe
                    lines = (lines[0] + more_lines[0], lines[1] + more_lines[1], more_lines[2])
        finally:
            cur.close()
        if good:
            for _, c in good:
                numbers.add(c["seeker_no"])
                persons.add((c["kana_key"], c["birth_date"]))
            self.pending = (self.pool.submit(_send, self.session, *lines), ids, good)
        return refused, skipped

    def _side_cursor(self):
        return self.side.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; the connection is open

    def _prepare(self, cur, good: list[tuple[int, dict]]) -> tuple[list[int], tuple[str, str, str]]:
        """Ids for ``good`` from the sequence, and (seeker lines, gram lines, ``COPY`` statement)."""
        if not good:
            return [], ("", "", "")
        rows = [c for _, c in good]
        cur.execute("SELECT nextval(pg_get_serial_sequence('seeker', 'id')) FROM generate_series(1, %s)", (len(rows),))
        ids = [r[0] for r in cur.fetchall()]
        now = now_utc()
        columns = ", ".join(["id", *rows[0], "created_at", "updated_at"])
        seekers = rows_text([(sid, *c.values(), now, now) for sid, c in zip(ids, rows)])
        grams = nameindex.gram_lines(ids, [c["name"] for c in rows])
        return ids, (seekers, grams, f"COPY seeker ({columns}) FROM STDIN")

    def wait(self) -> None:
        """Until the chunk being written is in the database (its error, if any, raised here)."""
        if self.pending is not None:
            future, ids, good = self.pending
            self.pending = None
            future.result()
            self.written.add(ids, good)

    def close(self) -> None:
        """Wait for a write still running (after an error elsewhere), stop the thread and give the
        second connection back to the pool."""
        if self.pending is not None:
            wait([self.pending[0]])
            self.pending = None
        self.pool.shutdown(wait=True)
        self.side.close()


def _send(session: Session, seekers: str, grams: str, statement: str) -> None:
    cur = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # typed Optional; a session's connection is open
    try:
        copy_text(cur, statement, seekers)
        copy_text(cur, nameindex.GRAM_COPY, grams)
    finally:
        cur.close()


class Seen:
    """A set of keys that may answer "maybe" for a key never added, never "no" for one added (a
    Bloom filter: two bits a key, 64 bits of table per expected key, at most 8 MiB). With as many
    keys as expected, about one lookup in a thousand is a false "maybe", and that row is probed
    exactly (``Pipeline.take``); a set of a million numbers would take ~100 MB of the import's 300."""

    def __init__(self, expected: int) -> None:
        bits = 16
        while (1 << bits) < 64 * expected and bits < 26:
            bits += 1
        self.mask = (1 << bits) - 1
        self.table = bytearray(1 << (bits - 3))

    def add(self, key) -> None:
        """Remember ``key`` (hashable)."""
        h, m, t = hash(key), self.mask, self.table
        i, j = h & m, (h >> 32) & m
        t[i >> 3] |= 1 << (i & 7)
        t[j >> 3] |= 1 << (j & 7)

    def __contains__(self, key) -> bool:
        h, m, t = hash(key), self.mask, self.table
        i, j = h & m, (h >> 32) & m
        return bool(t[i >> 3] >> (i & 7) & 1 and t[j >> 3] >> (j & 7) & 1)


__all__ = ["lookup_existing", "Pipeline", "Seen"]
