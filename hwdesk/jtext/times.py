"""Times and datetimes: :func:`parse_time`, :func:`parse_datetime`, the database's naive UTC
(:func:`to_db`, :func:`from_db`) and a session's span (:func:`format_span`).

Time convention (docs/design.md): the database stores naive UTC, everything shown is
Asia/Tokyo, and a naive datetime coming from a clerk means JST.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from hwdesk.clock import JST
from hwdesk.jtext.base import ParseError, _as_text, _nfkc, _shown
from hwdesk.jtext.dates import format_date_en, format_wareki, parse_date

__all__ = ["format_span", "from_db", "parse_datetime", "parse_time", "to_db"]

_TIME_COLON_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TIME_DIGITS_RE = re.compile(r"([0-9]{1,2}?)([0-9]{2})")
_TIME_KANJI_RE = re.compile(r"([0-9]{1,2})時(?:([0-9]{1,2})分|(半))?")
_TIME_HOUR_RE = re.compile(r"([0-9]{1,2})")


def parse_time(value: str) -> time:
    """'10:00', '1000', '930', '10', '10時', '10時30分', '10時半', full-width ok.

    Range 0:00–23:59; seconds are not accepted (slots are per minute).
    """
    text = _as_text(value)
    s = "".join(_nfkc(text).split())
    h = mi = None
    for rx in (_TIME_COLON_RE, _TIME_KANJI_RE, _TIME_HOUR_RE, _TIME_DIGITS_RE):
        m = rx.fullmatch(s)
        if m:
            h = int(m.group(1))
            if rx is _TIME_KANJI_RE:
                mi = 30 if m.group(3) else int(m.group(2) or 0)
            elif rx is _TIME_HOUR_RE:
                mi = 0
            else:
                mi = int(m.group(2))
            break
    if h is None or mi is None or not (0 <= h <= 23 and 0 <= mi <= 59):
        raise ParseError(
            f"時刻は 10:00 や 10時30分 の形式で、0:00〜23:59 の範囲で入力してください。入力: {_shown(text)}",
            f"Enter a time such as 10:00 or 1030, between 0:00 and 23:59. Got: {_shown(text)}",
            field="time",
        )
    return time(h, mi)


def to_db(dt: datetime) -> datetime:
    """Datetime → naive UTC for the database; a naive input is taken as JST.

    Naive means JST because naive values come from clerks typing local time.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=JST)
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(dt: datetime) -> datetime:
    """Naive UTC from the database → aware JST (an aware input is just converted)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(JST)


_ISO_DT_START_RE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ]")
# Greedy date part so the *last* break is used: dates may contain spaces
# ("令和 7年12月2日 10:00"); "日" or ")" may also end the date without a space.
_DT_SPLIT_RE = re.compile(r"(?P<d>.+)(?:\s+|(?<=日)|(?<=\)))(?P<t>\S+)")


def parse_datetime(value: str) -> datetime:
    """Date and time → aware JST datetime.

    ISO 8601 with an offset ('2025-12-02T10:00+09:00', 'Z' ok) is converted to
    JST; without an offset JST is assumed.  Otherwise 'DATE TIME' where DATE
    is anything :func:`parse_date` accepts and TIME anything :func:`parse_time`
    accepts ('令和7年12月2日(火) 10:00', 'R7.12.2 10時').  A date alone is
    refused: a time is required.
    """
    text = _as_text(value)
    s = _nfkc(text).strip()
    if _ISO_DT_START_RE.match(s):
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            pass
        else:
            try:
                return dt.replace(tzinfo=JST) if dt.tzinfo is None else dt.astimezone(JST)
            except (OverflowError, ValueError):
                raise ParseError(
                    f"日時が扱える範囲を超えています。入力: {_shown(text)}",
                    f"The date and time is out of range. Got: {_shown(text)}",
                    field="datetime",
                ) from None
    m = _DT_SPLIT_RE.fullmatch(s)
    if not m:
        raise ParseError(
            "日時は「日付 時刻」の形式で入力してください"
            f"（例: 2025-12-02 10:00, 令和7年12月2日 10時30分）。入力: {_shown(text)}",
            f"Enter a date and a time (e.g. 2025-12-02 10:00 or 令和7年12月2日 10時30分). Got: {_shown(text)}",
            field="datetime",
        )
    d = parse_date(m.group("d"), field="date")
    t = parse_time(m.group("t"))
    return datetime.combine(d, t, tzinfo=JST)


def format_span(start: datetime, end: datetime, *, lang: str = "ja") -> str:
    """'令和7年12月2日(火) 10:00〜11:00' / en 'Tue 2025-12-02 10:00-11:00', in JST.

    Naive datetimes are taken as JST (as in :func:`to_db`).  If the span
    crosses midnight the end date is repeated.
    """
    s = _as_jst(start)
    e = _as_jst(end)
    en = str(lang).lower().startswith("en")
    day = format_date_en if en else format_wareki
    sep = "-" if en else "〜"
    left = f"{day(s.date(), weekday=True)} {s:%H:%M}"
    if e.date() == s.date():
        return f"{left}{sep}{e:%H:%M}"
    return f"{left}{sep}{day(e.date(), weekday=True)} {e:%H:%M}"


def _as_jst(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=JST)
    return dt.astimezone(JST)
