"""``COPY … FROM STDIN`` in PostgreSQL's text format, written by hand (the import's bulk path).

psycopg's ``Copy.write_row`` costs a few µs a row in Python; a CSV import writes ~9 rows a seeker
(the seeker and its name's grams), so formatting the lines here and writing them in one piece
took most of that off the import's Python side. Values are ints, strings, dates, aware
datetimes, booleans or None, as their ``str`` gives them (what PostgreSQL's input functions
read); a batch whose strings hold a character the format escapes (backslash, tab, newline,
carriage return) goes through ``write_row`` instead, which escapes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

SPECIAL = ("\\", "\t", "\n", "\r")  # the characters the text format escapes


def _cell(v) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    return str(v)


def copy_rows(cursor, statement: str, rows: Sequence[Sequence]) -> None:
    """Run ``statement`` (``COPY table (cols) FROM STDIN``) with ``rows`` on a psycopg cursor."""
    strings = "".join(v for row in rows for v in row if v.__class__ is str)
    with cursor.copy(statement) as copy:
        if any(ch in strings for ch in SPECIAL):
            for row in rows:
                copy.write_row(row)
            return
        copy.write("".join(["\t".join(map(_cell, row)) + "\n" for row in rows]))


def copy_pairs(cursor, statement: str, pairs: Iterable[tuple[str, int]]) -> None:
    """``copy_rows`` for (text, int) rows, the name index's (gram, seeker id)."""
    pairs = list(pairs)
    strings = "".join(g for g, _ in pairs)
    with cursor.copy(statement) as copy:
        if any(ch in strings for ch in SPECIAL):
            for row in pairs:
                copy.write_row(row)
            return
        copy.write("".join([f"{g}\t{i}\n" for g, i in pairs]))


def copy_lines(cursor, statement: str, text: str) -> None:
    """``COPY`` text already in the format (``value	value
    `` lines) whose values the caller has
        checked hold no character the format escapes (``copy_pairs`` escapes them)."""
    with cursor.copy(statement) as copy:
        copy.write(text)


__all__ = ["copy_rows", "copy_pairs", "copy_lines"]
