"""How a handout writes the session's date and time (和暦 and western, always in Japan time)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

# ---------------------------------------------------------------------------
# Dates (private, independent of hwdesk.jtext)
# ---------------------------------------------------------------------------

_JST = timezone(timedelta(hours=9), "JST")  # Japan has no DST: a fixed offset is exact
_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ERAS = ((date(2019, 5, 1), "令和"), (date(1989, 1, 8), "平成"))


def _wareki(d: date) -> str:
    for first, era in _ERAS:
        if d >= first:
            n = d.year - first.year + 1
            year = "元" if n == 1 else str(n)
            return f"{era}{year}年{d.month}月{d.day}日"
    return f"{d.year}年{d.month}月{d.day}日"


def _wareki_wd(d: date) -> str:
    return f"{_wareki(d)}({_WEEKDAYS_JA[d.weekday()]})"


def _span_ja(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(_JST), end.astimezone(_JST)
    if s.date() == e.date():
        return f"{_wareki_wd(s.date())} {s:%H:%M}〜{e:%H:%M}"
    return f"{_wareki_wd(s.date())} {s:%H:%M}〜{_wareki_wd(e.date())} {e:%H:%M}"


def _date_en(d: date) -> str:
    return f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def _span_en(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(_JST), end.astimezone(_JST)
    if s.date() == e.date():
        return f"{_date_en(s.date())} {s:%H:%M}–{e:%H:%M} (JST)"
    return f"{_date_en(s.date())} {s:%H:%M} – {_date_en(e.date())} {e:%H:%M} (JST)"


def _western(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(_JST), end.astimezone(_JST)
    if s.date() == e.date():
        return s.date().isoformat()
    return f"{s.date().isoformat()} – {e.date().isoformat()}"
