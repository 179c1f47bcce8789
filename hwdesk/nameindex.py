"""The name index behind kanji-fragment search: whose name contains a fragment.

The two backends keep it differently, so every reader and writer of it goes through here:

- **SQLite: ``name_fts``**, an FTS5 table whose rowid is the seeker id. Its column ``chars``
  holds the name with spaces removed, one token per character written as its hex code point
  (山田太 → ``5c71 7530 592a``), and ``pairs`` the same name's adjacent pairs (``5c71x7530
  7530x592a``). A fragment is an exact phrase query, which is a substring test with nothing to
  confirm: one character looks up ``chars``; two or more look up their pairs, adjacent and in
  order (山田太 → ``"5c71x7530 7530x592a"``), whose posting lists are short (through ``chars``
  a three-kanji fragment walked the long lists of 山 and 田: 3.5 ms against 0.3 ms at a million
  seekers). One and two kanji are most Japanese name searches, and FTS5's trigram tokenizer
  cannot answer them. Hex tokens under the ``ascii`` tokenizer are taken literally: no case
  folding, no diacritics dropped, no punctuation skipped (``unicode61`` on the raw characters
  would let 田花 match 田・花). An import pays ~2 µs a name against ~25 µs for the ~8 B-tree
  rows a name that ``name_gram`` took (bench/README.md, "What made the difference").
- **PostgreSQL: ``name_gram``**, the 1-, 2- and 3-character grams with a foreign key to the
  seeker; a longer fragment is driven by its rarest trigram and confirmed with ``strpos``.

Anonymized seekers are not in the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from hwdesk.pgindex import differs_on_pg

FTS = "name_fts"
# columnsize=0: no per-row token counts (they serve ranking, which a phrase match never uses).
FTS_DDL = f"CREATE VIRTUAL TABLE {FTS} USING fts5(chars, pairs, tokenize='ascii', columnsize=0)"
GRAM_TABLE = "name_gram"
_INSERT_FTS = f"INSERT INTO {FTS} (rowid, chars, pairs) VALUES (?, ?, ?)"


class _HexSpaced(dict):
    """Code point → its hex digits and a space, for ``str.translate`` (made on first sight)."""

    def __missing__(self, code: int) -> str:
        value = self[code] = format(code, "x") + " "
        return value


_HEX = _HexSpaced()


def _tokens(name: str) -> list[str]:
    # translate + split run in C: half the cost of a format() a character, on the import's path.
    return name.replace(" ", "").translate(_HEX).split()


def fts_text(name: str) -> str:
    """``name_fts.chars`` for a name: its characters (spaces removed) as hex code points."""
    return " ".join(_tokens(name))


def fts_pairs(name: str) -> str:
    """``name_fts.pairs`` for a name: each two adjacent characters (spaces removed) as one token,
    their hex code points joined by ``x`` (not a hex digit, and a token character for ``ascii``)."""
    return _pairs(_tokens(name))


def _pairs(h: list[str]) -> str:
    return " ".join([a + "x" + b for a, b in zip(h, h[1:])])


def fts_row(sid: int, name: str) -> tuple[int, str, str]:
    """``(rowid, chars, pairs)`` of a seeker's ``name_fts`` row (the hex worked out once)."""
    h = _tokens(name)
    return sid, " ".join(h), _pairs(h)


def fts_phrase(fragment: str) -> str:
    """The FTS5 query matching names that contain ``fragment`` (spaces removed): one character
    in ``chars``, two or more as the phrase of their pairs in ``pairs``."""
    if len(fragment.replace(" ", "")) == 1:
        return 'chars : "' + fts_text(fragment) + '"'
    return 'pairs : "' + fts_pairs(fragment) + '"'


def decode(chars: str) -> str:
    """A name as ``name_fts`` holds it, back to characters (spaces removed)."""
    return "".join(chr(int(t, 16)) for t in chars.split())


def grams(name: str) -> set[str]:
    """The 1-, 2- and 3-character grams of a name, spaces removed (``name_gram``, PostgreSQL)."""
    s = name.replace(" ", "")
    return set(s) | {s[i : i + 2] for i in range(len(s) - 1)} | {s[i : i + 3] for i in range(len(s) - 2)}


def _is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def replace(session: Session, seeker_id: int, name: str | None) -> None:
    """Index ``name`` as seeker ``seeker_id``'s (None: take the seeker out of the index)."""
    conn = session.connection()
    if _is_sqlite(conn):
        conn.exec_driver_sql(f"DELETE FROM {FTS} WHERE rowid = ?", (seeker_id,))
    else:
        from hwdesk.models import NameGram

        table = NameGram.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
        conn.execute(delete(table).where(table.c.seeker_id == seeker_id))
    if name is not None:
        add_core(conn, [seeker_id], [name])


def add_sqlite(cursor, ids: Iterable[int], names: Iterable[str]) -> None:
    """Index new seekers on an SQLite DBAPI cursor (the import's and the benchmark's bulk path)."""
    cursor.executemany(_INSERT_FTS, map(fts_row, ids, names))


def add_core(conn: Connection, ids: Sequence[int], names: Sequence[str]) -> None:
    """Index new seekers through SQLAlchemy Core (PostgreSQL's import path; SQLite too)."""
    if _is_sqlite(conn):
        if ids:
            conn.exec_driver_sql(_INSERT_FTS, list(map(fts_row, ids, names)))
        return
    from hwdesk.models import NameGram

    rows = [{"gram": g, "seeker_id": sid} for sid, name in zip(ids, names) for g in grams(name)]
    if rows:
        conn.execute(insert(NameGram.__table__), rows)  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it


def copy_pg(cursor, ids: Sequence[int], names: Sequence[str]) -> None:
    """Index new seekers on a psycopg cursor with ``COPY`` (PostgreSQL's import path)."""
    from hwdesk.pgcopy import copy_text

    copy_text(cursor, GRAM_COPY, gram_lines(ids, names))


GRAM_COPY = f"COPY {GRAM_TABLE} (gram, seeker_id) FROM STDIN"


def gram_lines(ids: Sequence[int], names: Sequence[str]) -> str:
    """The ``COPY`` lines (text format) of the grams of seekers ``ids`` named ``names``, in key order."""
    # In key order: consecutive rows land on the same leaf of the (gram, seeker_id) key, where the
    # order of the names touched a leaf per gram, all over an index larger than the buffer cache.
    # The lines themselves are sorted: the tab after the gram sorts below every character, so
    # line order is (gram, id) order (ids of one length; one chunk rarely crosses a power of ten,
    # and then only the locality suffers); sorting strings in C was half the cost of sorting pairs.
    from hwdesk.pgcopy import needs_escaping, pairs_text

    if needs_escaping(names):  # escaped: sorted as pairs, since an escape changes the order
        return pairs_text(sorted((g, sid) for sid, name in zip(ids, names) for g in grams(name)))
    lines: list[str] = []
    extend = lines.extend
    for sid, name in zip(ids, names):
        tail = f"\t{sid}\n"
        extend([g + tail for g in grams(name)])
    lines.sort()
    return "".join(lines)


def match(db, fragment: str, cols: str, where: str, scope: list) -> tuple[str, list]:
    """SQL (and its parameters) selecting ``cols`` of the seekers ``k`` whose name contains
    ``fragment`` (no spaces) and who pass ``where``, in id order, without ORDER BY or LIMIT.

    ``db`` is a ``hwdesk.rawsql.RawSql`` (``?`` placeholders on both backends)."""
    if db.sqlite:
        # CROSS JOIN keeps the FTS table outside: given an office filter the planner could
        # otherwise walk the office's seekers and run the phrase query once for each.
        return (
            f"SELECT {cols} FROM {FTS} f CROSS JOIN seeker k ON k.id = f.rowid WHERE {FTS} MATCH ? AND {where}",
            [fts_phrase(fragment), *scope],
        )
    n = min(len(fragment), 3)
    keys = sorted({fragment[i : i + n] for i in range(len(fragment) - n + 1)})
    if len(keys) > 1:  # drive from the rarest trigram (counting a key range is cheap)
        size = {g: db.rows(f"SELECT count(*) FROM {GRAM_TABLE} WHERE gram = ?", [g])[0][0] for g in keys}
        keys.sort(key=lambda g: size[g])
    # Walk the driving gram's key range and join the seeker by id; the other grams are EXISTS
    # probes. It stops at one page (``id IN (subquery)`` built the whole posting list first).
    sql = f"SELECT {cols} FROM {GRAM_TABLE} g JOIN seeker k ON k.id = g.seeker_id WHERE g.gram = ? AND {where}"
    params = [keys[0], *scope]
    for g in keys[1:]:
        sql += f" AND EXISTS (SELECT 1 FROM {GRAM_TABLE} o WHERE o.gram = ? AND o.seeker_id = k.id)"
        params.append(g)
    if len(fragment) > 3:  # trigrams all present does not prove they are adjacent
        sql += " AND strpos(replace(k.name, ' ', ''), ?) > 0"
        params.append(fragment)
    return sql, params


def expected_tables(tables: Iterable[str], *, sqlite: bool) -> set[str]:
    """The tables a database of this backend has, given the models' (SQLite keeps ``name_fts``
    instead of ``name_gram``, outside the models: SQLAlchemy cannot describe a virtual table)."""
    out = set(tables)
    if sqlite:
        out.discard(GRAM_TABLE)
        out.add(FTS)
    return out


def include_object(sqlite: bool):
    """Alembic's ``include_object`` hook: compare the models with a database of this backend
    without the FTS5 table (and its shadow tables), on SQLite the absent ``name_gram``, and on
    PostgreSQL what migration 0009 changed (``hwdesk.pgindex``)."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        table = obj.table.name if type_ in ("index", "column", "unique_constraint", "foreign_key_constraint") else name
        if not sqlite and differs_on_pg(type_, name, table):  # migration 0009 (hwdesk.pgindex)
            return False
        if table is None:
            return True
        if table == FTS or table.startswith(FTS + "_"):
            return False
        return not (sqlite and table == GRAM_TABLE)

    return include


def indexed(conn: Connection) -> dict[int, str]:
    """Seeker id → the name as indexed, spaces removed (SQLite; what tests compare)."""
    return {i: decode(c) for i, c in conn.exec_driver_sql(f"SELECT rowid, chars FROM {FTS}")}


def problems(conn: Connection, limit: int = 10) -> tuple[int, list[str]]:
    """How many rows the name index gets wrong, and the first ``limit`` of them: every active
    seeker indexed under their current name, and no one else (neither FTS5 nor, since migration
    0009, PostgreSQL's name_gram has a foreign key). Read-only; ``structure_problem`` checks the index itself."""
    # A merge of two id-ordered streams: constant memory at a million seekers.
    sqlite = _is_sqlite(conn)
    if sqlite:
        index = conn.exec_driver_sql(f"SELECT rowid, chars, pairs FROM {FTS} ORDER BY rowid")
        seekers = conn.exec_driver_sql("SELECT id, name FROM seeker WHERE anonymized_at IS NULL ORDER BY id")
        expect = fts_row
    else:  # name_gram: one row a seeker with its grams sorted, against the name's
        streaming = conn.execution_options(stream_results=True, yield_per=10_000)
        index = streaming.exec_driver_sql(
            f'SELECT seeker_id, array_agg(gram ORDER BY gram COLLATE "C") FROM {GRAM_TABLE}'
            " GROUP BY seeker_id ORDER BY seeker_id"
        )
        seekers = streaming.exec_driver_sql("SELECT id, name FROM seeker WHERE anonymized_at IS NULL ORDER BY id")

        def expect(sid: int, name: str) -> tuple:
            return sid, sorted(grams(name))

    wrong: list[str] = []
    count = 0

    def report(message: str) -> None:
        nonlocal count
        count += 1
        if len(wrong) < limit:
            wrong.append(message)

    end: tuple[Any, ...] = (float("inf"), "", "")  # after every id: the stream that ends first waits
    fts, seeker = next(index, end), next(seekers, end)
    while fts is not end or seeker is not end:
        if fts[0] < seeker[0]:
            report(
                f"{FTS if sqlite else GRAM_TABLE} {'rowid' if sqlite else 'seeker_id'} {fts[0]}: no such active seeker"
            )
            fts = next(index, end)
        elif seeker[0] < fts[0]:
            report(f"seeker {seeker[0]}: not indexed")
            seeker = next(seekers, end)
        else:
            if tuple(expect(seeker[0], seeker[1])) != tuple(fts):
                report(f"seeker {seeker[0]}: indexed under another name")
            fts, seeker = next(index, end), next(seekers, end)
    return count, wrong


def structure_problem(conn: Connection) -> str | None:
    """FTS5's own check that its index agrees with its content (None when it does).

    It is written as an INSERT, so it needs a write transaction (it writes nothing): ~0.4 s of
    the write lock at a million seekers."""
    try:
        conn.exec_driver_sql(f"INSERT INTO {FTS} ({FTS}) VALUES ('integrity-check')")
    except DBAPIError as exc:
        message = str(exc.orig)
        if "malformed" in message or "corrupt" in message:  # what FTS5 says of a damaged index
            return f"{FTS}: {message}"
        raise  # read-only, locked …: the check could not run, which says nothing of the index
    return None


def rebuild(conn: Connection) -> int:
    """Index every active seeker afresh (SQLite: ``name_fts``; PostgreSQL: ``name_gram``);
    the number indexed. For ``hwdesk reindex`` after ``hwdesk check`` found the index wrong."""
    sqlite = _is_sqlite(conn)
    if sqlite:
        # Dropped and made afresh: deleting rows from a damaged index leaves its stray entries.
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS}")
        conn.exec_driver_sql(FTS_DDL)
    else:
        conn.execute(text(f"DELETE FROM {GRAM_TABLE}"))
    rows = conn.exec_driver_sql("SELECT id, name FROM seeker WHERE anonymized_at IS NULL ORDER BY id")
    count = 0
    while part := rows.fetchmany(20_000):  # a million names at once would be ~300 MB
        count += len(part)
        add_core(conn, [r[0] for r in part], [r[1] for r in part])
    if sqlite:
        conn.exec_driver_sql(f"INSERT INTO {FTS} ({FTS}) VALUES ('optimize')")
    return count


__all__ = [
    "FTS",
    "FTS_DDL",
    "GRAM_TABLE",
    "fts_text",
    "fts_pairs",
    "fts_row",
    "fts_phrase",
    "decode",
    "grams",
    "replace",
    "add_sqlite",
    "add_core",
    "copy_pg",
    "gram_lines",
    "GRAM_COPY",
    "match",
    "expected_tables",
    "include_object",
    "indexed",
    "problems",
    "structure_problem",
    "rebuild",
]
