"""``COPY … FROM STDIN`` in PostgreSQL's text format, written by hand (the import's bulk path).

psycopg's ``Copy.write_row`` costs a few µs a row in Python; a CSV import writes ~9 rows a seeker
(the seeker and its name's grams), so the lines are formatted here and written in one piece.
Values are ints, strings, dates, aware datetimes, booleans or None, as their ``str`` gives them
(what PostgreSQL's input functions read); strings are escaped as the format requires (backslash,
tab, newline, carriage return), which is checked once for a whole batch: names almost never
need it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

SPECIAL = ("\\", "\t", "\n", "\r")  # the characters the text format escapes
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def escape(value: str) -> str:
    """``value`` as a field of the text format."""
    return value.translate(_ESCAPES)


def needs_escaping(strings: Iterable[str]) -> bool:
    """Whether any of ``strings`` holds a character the format escapes."""
    joined = "".join(strings)
    return any(ch in joined for ch in SPECIAL)


def _cell(v) -> str:
    if v is None:
        return "\\N"
    if v is True:
        return "t"
    if v is False:
        return "f"
    return str(v)


def rows_text(rows: Sequence[Sequence]) -> str:
    """``rows`` (of equal length) as the lines of a ``COPY`` in the text format."""
    if not rows:
        return ""
    # A column at a time: a column of strings is used as it is; any other is converted one
    # distinct value at a time (dates, flags and timestamps repeat down an import's chunk), which
    # took the formatting from ~5 to ~1 µs a row.
    columns: list[Iterable[str]] = []
    for column in zip(*rows):
        kinds = set(map(type, column))
        if kinds == {str}:
            columns.append(map(escape, column) if needs_escaping(column) else column)
        elif kinds == {int}:  # ids: distinct
            columns.append(map(str, column))
        else:
            done = {v: escape(v) if v.__class__ is str else _cell(v) for v in set(column)}
            columns.append(map(done.__getitem__, column))
    return "\n".join(map("\t".join, zip(*columns))) + "\n"


def pairs_text(pairs: Sequence[tuple[str, int]]) -> str:
    """``rows_text`` for (text, int) rows, the name index's (gram, seeker id)."""
    if needs_escaping(g for g, _ in pairs):
        return "".join([f"{escape(g)}\t{i}\n" for g, i in pairs])
    return "".join([f"{g}\t{i}\n" for g, i in pairs])


def copy_text(cursor, statement: str, text: str) -> None:
    """Run ``statement`` (``COPY table (cols) FROM STDIN``) on a psycopg cursor with ``text``,
    lines already in the format (``rows_text``, ``pairs_text``)."""
    with cursor.copy(statement) as copy:
        copy.write(text)


__all__ = ["SPECIAL", "escape", "needs_escaping", "rows_text", "pairs_text", "copy_text"]
