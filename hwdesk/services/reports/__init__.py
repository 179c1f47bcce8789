"""Daily and monthly figures per office, with small cells suppressed.

Every count leaves the package already suppressed (``"<5"``, ``"*"``, rates ``"x"``), so no screen
or export can show a small cell by mistake, and no identifier, not even a pseudonym, is in a report.

The package by responsibility: ``suppression`` (the rule: ``Figure``, ``Derived``, ``Policy`` and
the legend), ``tables`` (the report's dataclasses and their JSON), ``usage`` (usage records in a
fixed vocabulary), ``build`` (an office's report for a period), ``periods`` (a day, a month) and
``export`` (the flat CSV rows, the supervisor's figures among them).
"""

from __future__ import annotations

from hwdesk.services.reports.build import period_report
from hwdesk.services.reports.export import report_rows, supervisor_figures
from hwdesk.services.reports.periods import daily_report, month_bounds, monthly_report, parse_month
from hwdesk.services.reports.suppression import (
    DEFAULT_THRESHOLD,
    MIN_THRESHOLD,
    PROTECTED_MARK,
    SUPPRESSED_RATE,
    Derived,
    Figure,
    Policy,
    legend,
)
from hwdesk.services.reports.tables import SERIES, Breakdown, DayPoint, Item, OfficeReport
from hwdesk.services.reports.usage import DEVICE_CLASSES, OS_FAMILIES, device_class, os_family
from hwdesk.states import NO_SHOW_STATES  # noqa: F401 - the exports count no-shows by the report's states

__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_THRESHOLD",
    "SUPPRESSED_RATE",
    "PROTECTED_MARK",
    "SERIES",
    "legend",
    "DEVICE_CLASSES",
    "OS_FAMILIES",
    "Figure",
    "Derived",
    "Policy",
    "Item",
    "Breakdown",
    "DayPoint",
    "OfficeReport",
    "device_class",
    "os_family",
    "period_report",
    "daily_report",
    "monthly_report",
    "month_bounds",
    "parse_month",
    "report_rows",
    "supervisor_figures",
]
