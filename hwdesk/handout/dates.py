"""How a handout writes the session's date and time (和暦 and western, always in Japan time).

The Japanese line is ``jtext.format_span``, as everywhere staff read a session's time; the
English line is the handout's own, longer form for a reader abroad ("Tue 2 Dec 2025 … (JST)").
"""

from __future__ import annotations

from datetime import date, datetime

from hwdesk.clock import JST
from hwdesk.jtext import format_span

_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _span_ja(start: datetime, end: datetime) -> str:
    return format_span(start, end, lang="ja")


def _date_en(d: date) -> str:
    return f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def _span_en(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(JST), end.astimezone(JST)
    if s.date() == e.date():
        return f"{_date_en(s.date())} {s:%H:%M}–{e:%H:%M} (JST)"
    return f"{_date_en(s.date())} {s:%H:%M} – {_date_en(e.date())} {e:%H:%M} (JST)"


def _western(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(JST), end.astimezone(JST)
    if s.date() == e.date():
        return s.date().isoformat()
    return f"{s.date().isoformat()} – {e.date().isoformat()}"
