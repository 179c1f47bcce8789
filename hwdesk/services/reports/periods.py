"""A report of one day or one calendar month, and the month as staff type it."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from sqlmodel import Session

from hwdesk.errors import ValidationFailed
from hwdesk.services.context import Actor
from hwdesk.services.reports.build import period_report
from hwdesk.services.reports.suppression import DEFAULT_THRESHOLD
from hwdesk.services.reports.tables import OfficeReport


def daily_report(
    session: Session,
    *,
    office_id: str,
    day: date,
    threshold: int = DEFAULT_THRESHOLD,
    keep_zero: bool = False,
    actor: Actor | None = None,
    today: date | None = None,
) -> OfficeReport:
    """One day's figures (a period of one day)."""
    return period_report(
        session,
        office_id=office_id,
        date_from=day,
        date_to=day,
        threshold=threshold,
        keep_zero=keep_zero,
        actor=actor,
        today=today,
    )


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    if not 1 <= month <= 12:
        raise ValidationFailed("月は1〜12です。", "The month is 1 to 12.", field="month")
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def parse_month(text: str) -> tuple[int, int]:
    """'2026-03' (or '2026/3', '2026年3月') → (2026, 3)."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?\s*", unicodedata.normalize("NFKC", text or ""))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationFailed(
            f"月は YYYY-MM の形式で入力してください（入力: {text}）。",
            f"Enter the month as YYYY-MM (got: {text}).",
            field="month",
        )
    return int(m.group(1)), int(m.group(2))


def monthly_report(
    session: Session,
    *,
    office_id: str,
    year: int,
    month: int,
    threshold: int = DEFAULT_THRESHOLD,
    keep_zero: bool = False,
    actor: Actor | None = None,
    today: date | None = None,
) -> OfficeReport:
    """A month's figures with the daily series for sparklines."""
    first, last = month_bounds(year, month)
    return period_report(
        session,
        office_id=office_id,
        date_from=first,
        date_to=last,
        threshold=threshold,
        keep_zero=keep_zero,
        actor=actor,
        today=today,
    )
