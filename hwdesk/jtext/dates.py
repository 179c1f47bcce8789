"""Dates and 和暦: :func:`parse_date` / :func:`parse_day` read what a clerk typed,
:func:`format_wareki`, :func:`format_wareki_short` and :func:`format_date_en` write a date."""

from __future__ import annotations

import re
from datetime import date

from hwdesk.jtext.base import _HYPHEN_TABLE, ParseError, _as_text, _labels, _nfkc, _shown

__all__ = [
    "DAY_MAX",
    "DAY_MIN",
    "WEEKDAYS_EN",
    "WEEKDAYS_JA",
    "format_date_en",
    "format_day",
    "format_wareki",
    "format_wareki_short",
    "parse_date",
    "parse_day",
    "weekday_name",
]

WEEKDAYS_JA: tuple[str, ...] = ("月", "火", "水", "木", "金", "土", "日")
"""Japanese weekday letters indexed by ``date.weekday()`` (Monday = 0)."""

WEEKDAYS_EN: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""English weekday abbreviations indexed by ``date.weekday()``: fixed, since ``strftime("%a")``
depends on the process locale."""


# (name, letter, first day, last day or None).  Newest first so a boundary day
# (1926-12-25 is both 大正15年 and 昭和元年) formats in the newer era.
_ERAS: tuple[tuple[str, str, date, date | None], ...] = (
    ("令和", "R", date(2019, 5, 1), None),
    ("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    ("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    ("大正", "T", date(1912, 7, 30), date(1926, 12, 25)),
)
_ERA_BY_KEY = {k: e for e in _ERAS for k in (e[0], e[1])}

_DATE_HINT_JA = "YYYY-MM-DD または 令和7年12月2日 / R7.12.2 の形式で入力してください"
_DATE_HINT_EN = "Enter it as YYYY-MM-DD, 令和7年12月2日 or R7.12.2"

_WEEKDAY_SUFFIX_RE = re.compile(r"\(([月火水木金土日])(?:曜日?)?\)$")
_ISO_DATE_RE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_COMPACT_DATE_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_PLAIN_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # nothing to fold: read it directly
_KANJI_DATE_RE = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?")
_WAREKI_RE = re.compile(
    r"(?P<era>令和|平成|昭和|大正|[RHST])(?P<y>元|[0-9]{1,4})"
    r"(?:年(?P<m1>[0-9]{1,2})月(?P<d1>[0-9]{1,2})日?"
    r"|(?P<sep>[-/.])(?P<m2>[0-9]{1,2})(?P=sep)(?P<d2>[0-9]{1,2}))"
)


def _era_of(d: date) -> tuple[str, str, date, date | None] | None:
    for era in _ERAS:
        if d >= era[2]:
            return era
    return None


def format_wareki(d: date, *, weekday: bool = False) -> str:
    """'令和7年12月2日', '令和元年5月1日', with weekday '令和7年12月2日(火)'.

    平成/昭和/大正 for older dates; before 大正 (1912-07-30) the Western year
    is written with 年月日 ('1900年1月1日'), which :func:`parse_date` reads back.
    """
    era = _era_of(d)
    if era is None:
        text = f"{d.year:04d}年{d.month}月{d.day}日"
    else:
        n = d.year - era[2].year + 1
        text = f"{era[0]}{'元' if n == 1 else n}年{d.month}月{d.day}日"
    if weekday:
        text += f"({WEEKDAYS_JA[d.weekday()]})"
    return text


def format_wareki_short(d: date) -> str:
    """'R7.12.2' (year 1 is written R1); before 大正, 'YYYY.M.D'."""
    era = _era_of(d)
    if era is None:
        return f"{d.year:04d}.{d.month}.{d.day}"
    return f"{era[1]}{d.year - era[2].year + 1}.{d.month}.{d.day}"


def format_date_en(d: date, *, weekday: bool = False) -> str:
    """'2025-12-02', with weekday 'Tue 2025-12-02' (locale independent)."""
    iso = d.isoformat()
    return f"{WEEKDAYS_EN[d.weekday()]} {iso}" if weekday else iso


def format_day(d: date, lang: str = "ja", *, weekday: bool = False) -> str:
    """A date as staff read it: 和暦 in Japanese, ISO in English (``weekday`` adds the day's name)."""
    return format_date_en(d, weekday=weekday) if lang == "en" else format_wareki(d, weekday=weekday)


def weekday_name(d: date, lang: str = "ja") -> str:
    """The day's weekday: '火' in Japanese, 'Tue' in English (locale independent)."""
    return (WEEKDAYS_EN if lang == "en" else WEEKDAYS_JA)[d.weekday()]


def _make_date(y: int, m: int, d: int, value: str, field: str, ja: str, en: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ParseError(
            f"{ja}: {y}年{m}月{d}日という日付はありません。入力: {_shown(value)}",
            f"The {en} {y:04d}-{m:02d}-{d:02d} does not exist. Got: {_shown(value)}",
            field=field,
        ) from None


def parse_date(value: str, *, field: str = "date") -> date:
    """Parse a date typed at the counter.

    Accepts 2025-12-02, 2025/12/02, 2025.12.2, 20251202, 2025年12月2日,
    和暦 '令和7年12月2日' / '令和元年5月1日', abbreviations 'R7.12.2', 'r7/12/2',
    'H31.4.30', 'S64.1.7', full-width digits and spaces anywhere, and an
    optional weekday suffix '(火)' which must then be right.  Era ranges are
    checked (平成31年5月1日 is refused and the message names 令和元年5月1日);
    impossible days such as 2月30日 are refused.
    """
    text = _as_text(value)
    hit = _DATE_CACHE.get((text, field))
    if hit is not None:
        return hit
    if type(text) is str and _PLAIN_ISO_DATE_RE.fullmatch(text):
        try:
            d = date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            pass  # no such day: the full path words the message
        else:
            if len(_DATE_CACHE) >= 8192:
                _DATE_CACHE.clear()
            _DATE_CACHE[(text, field)] = d
            return d
    ja, en = _labels(field, ("日付", "date"))
    s = "".join(_nfkc(text).translate(_HYPHEN_TABLE).split())
    if not s:
        raise ParseError(
            f"{ja}を入力してください。{_DATE_HINT_JA}。",
            f"Enter the {en}. {_DATE_HINT_EN}.",
            field=field,
        )
    wd = _WEEKDAY_SUFFIX_RE.search(s)
    if wd:
        s = s[: wd.start()]
    d = _parse_date_core(s, text, field, ja, en)
    if wd and WEEKDAYS_JA[d.weekday()] != wd.group(1):
        raise ParseError(
            f"{ja}の曜日が合いません: {format_wareki(d)}は{WEEKDAYS_JA[d.weekday()]}曜日です。入力: {_shown(text)}",
            f"The weekday does not match: {d.isoformat()} is a {WEEKDAYS_EN[d.weekday()]}. Got: {_shown(text)}",
            field=field,
        )
    if len(_DATE_CACHE) >= 8192:
        _DATE_CACHE.clear()
    _DATE_CACHE[(text, field)] = d
    return d


# The days staff work with (queues, weeks, reports, exports, closures): wide enough for any real
# use, narrow enough that a week or a month around them never leaves the calendar (0001-01-01 or
# 9999-12-31 made date arithmetic overflow into a traceback).
DAY_MIN = date(1900, 1, 1)
DAY_MAX = date(2199, 12, 31)


def parse_day(value: str, *, field: str = "date") -> date:
    """:func:`parse_date`, refused with a clear message outside ``DAY_MIN`` … ``DAY_MAX``."""
    d = parse_date(value, field=field)
    if not DAY_MIN <= d <= DAY_MAX:
        ja, en = _labels(field, ("日付", "date"))
        raise ParseError(
            f"{ja}は{DAY_MIN.year}年から{DAY_MAX.year}年までの日付で入力してください。入力: {_shown(value)}",
            f"The {en} must be between {DAY_MIN.isoformat()} and {DAY_MAX.isoformat()}. Got: {_shown(value)}",
            field=field,
        )
    return d


# (text, field) → date for parse_date: the result depends on nothing else, and an imported
# file repeats the same dates (registration days, birth dates) thousands of times.
_DATE_CACHE: dict[tuple[str, str], date] = {}


def _parse_date_core(s: str, value: str, field: str, ja: str, en: str) -> date:
    for rx, groups in ((_ISO_DATE_RE, (1, 3, 4)), (_COMPACT_DATE_RE, (1, 2, 3)), (_KANJI_DATE_RE, (1, 2, 3))):
        m = rx.fullmatch(s)
        if m:
            y, mo, dd = (int(m.group(g)) for g in groups)
            return _make_date(y, mo, dd, value, field, ja, en)

    m = _WAREKI_RE.fullmatch(s.upper() if s[:1].isascii() else s)
    if not m:
        raise ParseError(
            f"{ja}は {_DATE_HINT_JA}。入力: {_shown(value)}",
            f"The {en} is not a date I can read. {_DATE_HINT_EN}. Got: {_shown(value)}",
            field=field,
        )
    name, _letter, start, end = _ERA_BY_KEY[m.group("era")]
    n = 1 if m.group("y") == "元" else int(m.group("y"))
    if n == 0:
        raise ParseError(
            f"{ja}: {name}0年はありません（1年目は「元年」です）。入力: {_shown(value)}",
            f"The {en} has era year 0, which does not exist (the first year is 元年 = 1). Got: {_shown(value)}",
            field=field,
        )
    mo = int(m.group("m1") or m.group("m2"))
    dd = int(m.group("d1") or m.group("d2"))
    d = _make_date(start.year + n - 1, mo, dd, value, field, ja, en)
    if d < start or (end is not None and d > end):
        yname = "元" if n == 1 else str(n)
        if d < start:
            bound_ja = f"{name}は{format_wareki(start)}（{start.isoformat()}）から始まります"
            bound_en = f"{name} began on {format_wareki(start)} ({start.isoformat()})"
        else:
            assert end is not None
            end_n = end.year - start.year + 1
            end_txt = f"{name}{'元' if end_n == 1 else end_n}年{end.month}月{end.day}日"
            bound_ja = f"{name}は{end_txt}（{end.isoformat()}）で終わっています"
            bound_en = f"{name} ended on {end_txt} ({end.isoformat()})"
        if _era_of(d) is not None:
            right_ja = f"{d.isoformat()} は{format_wareki(d)}です"
            right_en = f"{d.isoformat()} is {format_wareki(d)}"
        else:
            right_ja = f"{d.isoformat()} は明治以前のため西暦で入力してください"
            right_en = f"{d.isoformat()} is before 大正; enter it as YYYY-MM-DD"
        raise ParseError(
            f"{ja}: {name}{yname}年{mo}月{dd}日はありません。{bound_ja}。{right_ja}。入力: {_shown(value)}",
            f"The {en} {name}{yname}年{mo}月{dd}日 does not exist: {bound_en}; {right_en}. Got: {_shown(value)}",
            field=field,
        )
    return d
