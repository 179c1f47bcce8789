"""Dates as staff read them on the screens: 和暦 with the weekday in Japanese ("令和9年2月2日(火)"),
"Tue 2027-02-02" in English. The CLI and JSON keep ISO (hwdesk.cli)."""

from __future__ import annotations

from datetime import date, datetime

from hwdesk.texts import pick


def day(d: date, lang: str) -> str:
    """``d`` with its weekday, in the staff's language (a datetime: its day in Japan)."""
    from hwdesk.clock import JST
    from hwdesk.jtext.dates import format_date_en, format_wareki

    if isinstance(d, datetime):  # a datetime is a date too, but compares with neither
        d = d.astimezone(JST).date()
    return pick(format_wareki, format_date_en, lang)(d, weekday=True)


def span(start: datetime, end: datetime, lang: str) -> str:
    """A session's day and times in Japan time: "令和9年2月2日(火) 10:00–10:45"."""
    from hwdesk.clock import JST

    s, e = start.astimezone(JST), end.astimezone(JST)
    return f"{day(s.date(), lang)} {s:%H:%M}–{e:%H:%M}"


__all__ = ["day", "span"]
