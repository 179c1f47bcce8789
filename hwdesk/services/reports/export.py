"""The report as flat CSV rows: every table, the single figures, the daily series, and — for a
supervisor — the supervisor's figures (``figures.ManagerFigures``), each cell already suppressed.

The rows carry the same figures as the JSON (``OfficeReport.as_dict`` and
``ManagerFigures.as_dict``), with the suppression marks as text: ``"<5"``, ``"*"`` and ``"x"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hwdesk.jtext.dates import format_wareki
from hwdesk.services.reports.suppression import legend
from hwdesk.services.reports.tables import SERIES, Breakdown, OfficeReport

if TYPE_CHECKING:
    from sqlmodel import Session

    from hwdesk.services.context import Actor
    from hwdesk.services.figures import ManagerFigures


def report_rows(report: OfficeReport, figures: ManagerFigures | None = None) -> list[list[object]]:
    """The report as flat rows for a CSV: section, key, label (ja), label (en), value, then the
    daily series with ISO and 和暦 dates, then ``figures`` (the supervisor's, when given; see
    ``figures_rows``). Every count is already suppressed."""
    rows: list[list[object]] = [
        ["section", "key", "label", "label_en", "value", "date", "date_wareki"],
        [
            "period",
            "date_from",
            "期間（開始）",
            "From",
            "",
            report.date_from.isoformat(),
            format_wareki(report.date_from),
        ],
        ["period", "date_to", "期間（終了）", "To", "", report.date_to.isoformat(), format_wareki(report.date_to)],
        [
            "period",
            "outstanding_as_of",
            "未了件数の基準日",
            "Outstanding figures as of",
            "",
            report.as_of.isoformat(),
            format_wareki(report.as_of),
        ],
        [
            "suppression",
            "threshold",
            legend(report.threshold, "ja"),
            legend(report.threshold, "en"),
            report.threshold,
            "",
            "",
        ],
    ]
    for b in report.breakdowns():
        rows += _breakdown_rows(b)
    for key, ja, en, f in report.singles():
        rows.append(["figures", key, ja, en, f.text, "", ""])
    for p in report.daily:
        for name, (ja, en, uja, uen) in SERIES.items():
            rows.append(
                [
                    f"daily_{name}",
                    p.day.isoformat(),
                    f"{ja}（単位: {uja}）",
                    f"{en} (unit: {uen})",
                    getattr(p, name).text,
                    p.day.isoformat(),
                    format_wareki(p.day),
                ]
            )
    if figures is not None:
        rows += figures_rows(figures)
    return rows


def _breakdown_rows(b: Breakdown) -> list[list[object]]:
    """A table's cells, then its total, each labelled with the table's title and unit."""
    unit_ja, unit_en = f"（単位: {b.unit_ja}）", f" (unit: {b.unit_en})"
    rows: list[list[object]] = [
        [
            b.key,
            i.key,
            f"{b.title_ja}: {i.label_ja}{unit_ja}",
            f"{b.title_en}: {i.label_en}{unit_en}",
            i.figure.text,
            "",
            "",
        ]
        for i in b.items
    ]
    rows.append([b.key, "total", f"{b.title_ja}: 計{unit_ja}", f"{b.title_en}: total{unit_en}", b.total.text, "", ""])
    return rows


def figures_rows(fig: ManagerFigures) -> list[list[object]]:
    """The supervisor's figures as rows of the report's CSV, in the JSON's order: staff load per
    week (each week's total, then each staff member's sessions and hours, dated by its Monday),
    booking lead time, attendance by the reminder call's outcome, waitlist offers and interpreter
    needs and coverage. Suppressed as in ``ManagerFigures.as_dict``: the same figures, as text."""
    rows: list[list[object]] = []
    for w in fig.week_totals:
        when = [w.week.isoformat(), format_wareki(w.week)]
        lines = [("total", "週の計", "week total", w.sessions, w.hours)]
        lines += [(s.staff, s.staff, s.staff, s.sessions, s.hours) for s in fig.staff_weeks if s.week == w.week]
        for key, ja, en, sessions, hours in lines:
            for what, unit_ja, unit_en, f in (
                ("sessions", "件", "sessions", sessions),
                ("hours", "時間", "hours", hours),
            ):
                label_ja, label_en = f"職員別の担当: {ja}（単位: {unit_ja}）", f"Staff load: {en} (unit: {unit_en})"
                rows.append(["staff_load", f"{key}:{what}", label_ja, label_en, f.text, *when])
    rows += [["supervisor_figures", key, ja, en, f.text, "", ""] for key, ja, en, f in fig.singles()]
    for a in fig.attendance:
        for key, what_ja, what_en, f in (
            ("expected", "見込みの席数", "seats expected", a.expected),
            ("attended", "出席", "attended", a.attended),
            ("no_show", "不参加", "no-show", a.no_show),
            ("attendance_rate", "出席率", "attendance rate", a.rate),
        ):
            rows.append(
                [
                    "attendance_by_reminder",
                    f"{a.key}:{key}",
                    f"{a.label_ja}: {what_ja}",
                    f"{a.label_en}: {what_en}",
                    f.text,
                    "",
                    "",
                ]
            )
    for b in fig.breakdowns():
        rows += _breakdown_rows(b)
    return rows


def supervisor_figures(session: Session, *, actor: Actor, report: OfficeReport) -> ManagerFigures | None:
    """The supervisor's figures of ``report``'s office and period, suppressed as the report, when
    ``actor`` is a supervisor (they name staff members); None for a clerk."""
    if not actor.at_least("supervisor"):
        return None
    from hwdesk.services.figures import manager_figures  # figures builds on this package's tables

    return manager_figures(
        session,
        actor=actor,
        office_id=report.office_id,
        date_from=report.date_from,
        date_to=report.date_to,
        threshold=report.threshold,
        report=report,
    )
