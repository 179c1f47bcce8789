"""How a handout writes the session's date and time (和暦 and western, always in Japan time).

The Japanese line is ``jtext.times.format_span``, as everywhere staff read a session's time; the
English line is the handout's own, longer form for a reader abroad ("Tue 2 Dec 2025 … (JST)"),
from jtext's weekday names; the western date is ``jtext.dates.format_date_en``.
"""

from __future__ import annotations

from datetime import date, datetime

from hwdesk.clock import JST
from hwdesk.jtext.dates import WEEKDAYS_EN, format_date_en
from hwdesk.jtext.times import format_span

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _span_ja(start: datetime, end: datetime) -> str:
    return format_span(start, end, lang="ja")


def _date_en(d: date) -> str:
    return f"{WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def _span_en(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(JST), end.astimezone(JST)
    if s.date() == e.date():
        return f"{_date_en(s.date())} {s:%H:%M}–{e:%H:%M} (JST)"
    return f"{_date_en(s.date())} {s:%H:%M} – {_date_en(e.date())} {e:%H:%M} (JST)"


def _western(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(JST), end.astimezone(JST)
    if s.date() == e.date():
        return format_date_en(s.date())
    return f"{format_date_en(s.date())} – {format_date_en(e.date())}"
