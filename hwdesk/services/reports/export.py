"""The report as flat CSV rows: every table, the single figures and the daily series, each cell
already suppressed, with the suppression marks as text (``"<5"``, ``"*"`` and ``"x"``) as in the
JSON (``OfficeReport.as_dict``).
"""

from __future__ import annotations

from hwdesk.jtext import format_wareki
from hwdesk.services.reports.suppression import legend
from hwdesk.services.reports.tables import SERIES, OfficeReport


def report_rows(report: OfficeReport) -> list[list[object]]:
    """The report as flat rows for a CSV: section, key, label (ja), label (en), value, then the
    daily series with ISO and 和暦 dates. Every count is already suppressed."""
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
        unit_ja, unit_en = f"（単位: {b.unit_ja}）", f" (unit: {b.unit_en})"
        for i in b.items:
            rows.append(
                [
                    b.key,
                    i.key,
                    f"{b.title_ja}: {i.label_ja}{unit_ja}",
                    f"{b.title_en}: {i.label_en}{unit_en}",
                    i.figure.text,
                    "",
                    "",
                ]
            )
        rows.append(
            [b.key, "total", f"{b.title_ja}: 計{unit_ja}", f"{b.title_en}: total{unit_en}", b.total.text, "", ""]
        )
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
    return rows
