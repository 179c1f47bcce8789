"""Finding job seekers: by 求職番号, phone, reading, romaji or any part of the name, one page at a time.

Search is designed for a million seekers: every path is an index seek that stops at one page.
- 求職番号 and phone: prefix range on a unique/plain index;
- reading (hiragana, katakana or half-width): prefix range on ``kana_key`` (the whole reading)
  and on ``given_key`` (the reading after its first word: さくら finds 山田 さくら);
- romaji (Hepburn or kunrei: ``yamada``, ``tutomu``): the same two ranges for each reading it may
  stand for (``hwdesk.romaji``), beside the name index (a name may be written in Latin letters);
- any part of the kanji name: ``hwdesk.nameindex`` (an FTS5 phrase query on SQLite, the 1-, 2-
  and 3-character grams in ``name_gram`` on PostgreSQL), one page in id order.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from sqlmodel import Session

from hwdesk import nameindex, romaji
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.kana import kana_key, to_katakana
from hwdesk.jtext.numbers import looks_like_seeker_no, parse_seeker_no
from hwdesk.rawsql import RawSql
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard

__all__ = ["COUNT_CAP", "PAGE", "SeekerRow", "search", "search_count"]

PAGE = 50


class SeekerRow(NamedTuple):
    """One search result (columns only: fast to fetch and to paint)."""

    id: int
    seeker_no: str
    name: str
    name_kana: str
    birth_date: date
    phone: str
    office_id: str


_COLS = "k.id, k.seeker_no, k.name, k.name_kana, k.birth_date, k.phone, k.office_id"


def _is_kana_query(q: str) -> bool:
    k = to_katakana(q).replace(" ", "").replace("・", "")
    return bool(k) and all(("\u30a1" <= ch <= "\u30fa") or ch in "ーヽヾ" for ch in k)


class _Raw(RawSql):
    """Search SQL on the DBAPI connection (search is the hottest path: every keystroke), plus
    the prefix condition each backend can answer from an index. Never prepared on PostgreSQL
    (``RawSql.prepare``): each keystroke's statement is planned for its own values."""

    prepare = False

    def prefix(self, column: str, value: str) -> tuple[str, list]:
        """A range on the column's binary order: SQLite's LIKE is case-insensitive and skips the
        index; PostgreSQL's compares in the database's collation, which no B-tree of the prefix
        serves, so there the range and the order are in ``COLLATE "C"`` (hwdesk/pgindex.py)."""
        column = self.ordered(column)
        return f"{column} >= ? AND {column} < ?", [value, value + "\U0010ffff"]

    def ordered(self, column: str) -> str:
        """``column`` as the prefix indexes order it (binary; ``COLLATE "C"`` on PostgreSQL)."""
        return column if self.sqlite else f'{column} COLLATE "C"'


class _Part(NamedTuple):
    """One index path of a search: SQL selecting ``_COLS`` (no ORDER BY / LIMIT) and its order."""

    sql: str
    params: list
    order: str  # "" when the path has no useful order (a gram walk)


def _plan(db: _Raw, query: str, office_id: str | None) -> list[_Part]:
    """The index paths that answer ``query`` (empty for a blank query)."""
    import unicodedata

    q = unicodedata.normalize("NFKC", query).strip()
    if not q:
        return []
    where = "k.anonymized_at IS NULL"
    scope: list = []
    if office_id:
        where += " AND k.office_id = ?"
        scope = [office_id]
    base = f"SELECT {_COLS} FROM seeker k WHERE {where} AND "
    digits = q.replace("-", "").replace(" ", "")
    parts: list[_Part] = []
    if digits.isdigit():
        num_prefix = digits[:5] + ("-" + digits[5:] if len(digits) > 5 else "")
        if looks_like_seeker_no(q):
            try:
                canonical = parse_seeker_no(q)
            except ParseError:
                canonical = num_prefix
            # The prefix range below lists an exact match first; only a number written another
            # way (one the range would miss) needs its own lookup.
            if not canonical.startswith(num_prefix):
                parts.append(_Part(base + "k.seeker_no = ?", [*scope, canonical], ""))
        cond, params = db.prefix("k.seeker_no", num_prefix)
        parts.append(_Part(base + cond, [*scope, *params], "k.seeker_no"))
        if digits.startswith("0"):
            cond, params = db.prefix("k.phone", digits)
            parts.append(_Part(base + cond, [*scope, *params], "k.phone"))
    elif _is_kana_query(q):
        parts += _reading_parts(db, base, scope, [kana_key(q)], given=" " not in q)
    else:
        if romaji.looks_like_romaji(q):
            parts += _reading_parts(db, base, scope, romaji.readings(q), given=" " not in q.strip())
        sql, params = nameindex.match(db, q.replace(" ", ""), _COLS, where, scope)
        parts.append(_Part(sql, params, ""))
    return parts


def _reading_parts(db: _Raw, base: str, scope: list, keys: list[str], *, given: bool) -> list[_Part]:
    """A prefix range on the whole reading for each key, then (``given``: the query is one word)
    on the given name's reading: the family name is what staff type first and list by."""
    parts = []
    columns = ("k.kana_key", "k.given_key") if given else ("k.kana_key",)
    for column in columns:
        for key in keys:
            if key:
                cond, params = db.prefix(column, key)
                parts.append(_Part(base + cond, [*scope, *params], column))
    return parts


@guard("clerk")
def search(
    session: Session, query: str, *, actor: Actor, limit: int = PAGE, office_id: str | None = None
) -> list[SeekerRow]:
    """Seekers matching ``query`` by number, phone, reading or any part of the name (one page).

    Every path is an index seek that stops at ``limit`` rows: 求職番号 exact and prefix, phone
    prefix (digits starting with 0), reading prefix on ``kana_key`` and ``given_key`` (kana, or
    the readings romaji may stand for), and kanji fragments through ``hwdesk.nameindex``.
    """
    rows: list = []
    with _Raw(session) as db:
        for part in _plan(db, query, office_id):
            order = f" ORDER BY {db.ordered(part.order)}" if part.order else ""
            rows += db.rows(part.sql + order + " LIMIT ?", [*part.params, limit])
    seen: set[int] = set()
    out = []
    for r in rows:
        if r[0] not in seen:
            seen.add(r[0])
            bd = r[4]
            out.append(
                SeekerRow(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    bd if isinstance(bd, date) else date.fromisoformat(bd),  # SQLite gives text
                    r[5],
                    r[6],
                )
            )
    return out[:limit]


COUNT_CAP = 1000


@guard("clerk")
def search_count(
    session: Session, query: str, *, actor: Actor, office_id: str | None = None, cap: int = COUNT_CAP
) -> int:
    """How many seekers ``query`` matches, counted up to ``cap + 1`` (more than ``cap`` means
    "over cap": a one-letter reading matches tens of thousands, and counting them all would walk
    the whole index range on every keystroke)."""
    with _Raw(session) as db:
        parts = _plan(db, query, office_id)
        if not parts:
            return 0
        union = " UNION ".join(f"SELECT id FROM ({p.sql} LIMIT ?) AS p{i}" for i, p in enumerate(parts))
        params = [x for p in parts for x in (*p.params, cap + 1)]
        return db.rows(f"SELECT count(*) FROM ({union}) AS u", params)[0][0]
