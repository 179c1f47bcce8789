"""Monthly figures of the signed-in person's office: daily sparklines and breakdown bars.

Supervisors only (a clerk sees the refusal and nothing else). Every figure comes from
``hwdesk.services.reports.monthly_report`` already suppressed: a small cell shows "<5" and no bar,
a count hidden to protect another shows "*", a rate on a hidden count "x". Each table names its
unit; a series' total is the total of the table it splits by day, not the sum of its shown days. ``[`` / ``]`` move by a month; ``x`` writes the month's
CSV (``exports.export_report``, audited) to the user's Downloads and shows the path.
UI strings are the ``reports.*`` messages of ``hwdesk.texts``; the report's own labels come from the service.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from hwdesk.clock import today_jst
from hwdesk.texts import pick, tr
from screens.base import HwScreen, StaffHeader, fit, lit, supervisor_refusal
from screens.footer import KeyFooter

BAR = 30  # cells for the longest bar


def downloads_dir() -> Path:
    """Where the CSV goes (the user's Downloads; tests replace this function)."""
    from platformdirs import user_downloads_path

    return Path(user_downloads_path())


def bar_lines(breakdown, lang: str, *, width: int = BAR, label_width: int = 22) -> list[str]:
    """A breakdown as text bars: label, a bar of █ scaled to the largest shown cell, the figure
    as the service gives it ("<5" / "x" for suppressed cells, which get no bar)."""
    values = [v for v in breakdown.values() if v]
    top = max(values) if values else 0
    out = []
    for item in breakdown.items:
        v = item.figure.value
        n = 0 if not v or not top else max(1, round(v * width / top))
        out.append(f"{fit(item.label(lang), label_width)} {'█' * n}{' ' * (width - n)} {item.figure.text}")
    out.append(f"{fit(tr('reports.total', lang), label_width)} {' ' * width} {breakdown.total.text}")
    return out


class ReportsScreen(HwScreen):
    """A month of the office's figures: sparklines for the days, bars for the breakdowns."""

    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("left_square_bracket", "month(-1)", "reports.k.prev_month", key_display="["),
        Binding("right_square_bracket", "month(1)", "reports.k.next_month", key_display="]"),
        Binding("x", "export", "reports.k.export"),
        Binding("ctrl+r", "reload", "reports.k.reload"),
    ]

    def __init__(self, year: int | None = None, month: int | None = None) -> None:
        super().__init__()
        actor = self.hw.actor
        self.refused = supervisor_refusal(actor, "reports.what", self.lang)
        if year is None or month is None:
            today = today_jst()
            year, month = today.year, today.month
        self.year, self.month = year, month
        self.office_id = getattr(actor, "office_id", "")
        self.report = None
        self.figures = None
        self.exported: Path | None = None

    def compose(self) -> ComposeResult:
        yield StaffHeader(self.t("reports.title"))
        if self.refused is not None:
            yield Static(lit(self.refused), id="report-refused", markup=False)
            yield KeyFooter(compact=True)
            return
        yield Static(lit(self.t("reports.loading")), id="report-period", markup=False)
        with VerticalScroll(id="report-body"):
            from hwdesk.services.reports import SERIES

            for name, (ja, en, _uja, _uen) in SERIES.items():
                with Vertical(classes="report-series", id=f"series-{name}"):
                    with Horizontal(classes="series-head"):
                        yield Static(lit(pick(ja, en, self.lang), "bold"), classes="series-title", markup=False)
                        yield Static("", classes="series-range", markup=False)
                    yield Sparkline([], id=f"spark-{name}", summary_function=max)
            yield Static("", id="report-singles", markup=False)
            yield Vertical(id="report-bars")
            yield Static("", id="report-figures-title", classes="figures-title", markup=False)
            yield Static("", id="report-figures", classes="bars", markup=False)  # services/figures
            yield Static("", id="report-legend", markup=False)
        yield Static("", id="report-export", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        if self.refused is None:
            self.action_reload()

    # --- work ---------------------------------------------------------------------------------

    def _bounds(self) -> tuple[date, date]:
        from hwdesk.services.reports import month_bounds

        return month_bounds(self.year, self.month)

    def action_reload(self) -> None:
        if self.refused is not None:
            return
        actor, office, year, month = self.hw.actor, self.office_id, self.year, self.month

        def work(s):
            from hwdesk.services.figures import manager_figures
            from hwdesk.services.reports import monthly_report

            report = monthly_report(s, office_id=office, year=year, month=month, actor=actor)
            figs = manager_figures(
                s,
                actor=actor,
                office_id=office,
                date_from=report.date_from,
                date_to=report.date_to,
                threshold=report.threshold,
                report=report,
            )
            return report, figs

        self.query_one("#report-period", Static).update(lit(self.t("reports.loading")))
        self.db(work, self._show, group="report")

    def _show(self, result) -> None:
        from hwdesk.jtext.dates import format_date_en, format_wareki

        report, self.figures = result
        self.report = report
        lang = self.lang
        fmt = pick(format_wareki, format_date_en, lang)
        first, last = report.date_from, report.date_to
        month = pick(f"{format_wareki(first).split('月')[0]}月", f"{first:%Y-%m}", lang)
        name = self.hw.office_name(report.office_id) if hasattr(self.hw, "office_name") else report.office_id
        self.query_one("#report-period", Static).update(
            lit(self.t("reports.period", office=name, month=month, first=fmt(first), last=fmt(last)), "bold")
        )
        from hwdesk.services.reports import SERIES, legend

        for series, (_ja, _en, uja, uen) in SERIES.items():
            values = report.series(series)
            shown = [v for v in values if v is not None]
            self.query_one(f"#spark-{series}", Sparkline).data = [float(v or 0) for v in values]
            # the total is the table's (sessions by kind …), never the sum of the days left visible
            info = self.t(
                "reports.series.range",
                max=max(shown) if shown else 0,
                total=report.series_total(series).text,
                unit=pick(uja, uen, lang),
            )
            if any(v is None for v in values):
                info += " " + self.t("reports.series.note")
            self.query_one(f"#series-{series} .series-range", Static).update(lit(info, "$text-muted"))
        from hwdesk.jtext.cells import cell_width
        from screens.columns import wrap_cells

        room = max(40, self.size.width - 6)  # padding and the scrollbar
        labels = [(pick(ja, en, lang), f.text) for _k, ja, en, f in report.singles()]
        label_width = min(max((cell_width(lab) for lab, _ in labels), default=0), room - 8)
        singles = []
        for lab, figure in labels:  # a label too long for the width wraps; its figure on its first line
            first, *more = wrap_cells(lab, label_width, limit=3) or [""]
            singles.append(f"{fit(first, label_width)} {figure}")
            singles += more
        self.query_one("#report-singles", Static).update(lit("\n".join(singles), multiline=True))
        bars = self.query_one("#report-bars", Vertical)
        bars.remove_children()
        widgets = []
        for b in report.breakdowns():
            widgets.append(
                Static(
                    lit(b.title(lang) + self.t("q.paren", text=self.t("reports.unit", unit=b.unit(lang))), "bold"),
                    classes="bars-title",
                    markup=False,
                )
            )
            names = [item.label(lang) for item in b.items] + [tr("reports.total", lang)]
            name_width = min(max(cell_width(n) for n in names), room - 18)
            bar = max(8, min(BAR, room - name_width - 8))
            lines = bar_lines(b, lang, width=bar, label_width=name_width)
            widgets.append(Static(lit("\n".join(lines), multiline=True), classes="bars", markup=False))
        bars.mount_all(widgets)
        self._show_figures(lang)
        self.query_one("#report-legend", Static).update(lit(legend(report.threshold, lang), "$text-muted"))

    def _show_figures(self, lang: str) -> None:
        """The supervisor's figures: staff load per week, lead time, attendance by reminder call,
        offers and interpreter needs (``services/figures``), in the report's marks."""
        from hwdesk.services.figures import figures_lines

        figs = self.figures
        if figs is None:  # a clerk's report: no supervisor's figures
            return
        lines = figures_lines(figs, lang)
        for b in figs.breakdowns():
            lines += ["", b.title(lang), *bar_lines(b, lang)]
        self.query_one("#report-figures-title", Static).update(lit(self.t("reports.figures"), "bold"))
        self.query_one("#report-figures", Static).update(lit("\n".join(lines), multiline=True))

    def action_month(self, delta: int) -> None:
        if self.refused is not None:
            return
        m = self.year * 12 + (self.month - 1) + delta
        self.year, self.month = divmod(m, 12)
        self.month += 1
        self.action_reload()

    def action_export(self) -> None:
        if self.refused is not None or self.busy("report-export"):
            return
        actor, office = self.hw.actor, self.office_id
        first, last = self._bounds()
        folder = downloads_dir()

        def work(s):
            from hwdesk.services.exports import export_report

            data = export_report(s, actor=actor, office_id=office, date_from=first, date_to=last, fmt="csv")
            folder.mkdir(parents=True, exist_ok=True)
            base = f"hwdesk-report-{office}-{first:%Y-%m}"
            path = folder / f"{base}.csv"
            n = 2
            while path.exists():
                path = folder / f"{base}-{n}.csv"
                n += 1
            path.write_bytes(bytes(data))
            return path

        self.query_one("#report-export", Static).update(lit(self.t("reports.exporting")))
        self.db(work, self._exported, write=True, group="report-export")

    def _exported(self, path: Path) -> None:
        self.exported = path
        msg = self.t("reports.exported", path=str(path))
        self.query_one("#report-export", Static).update(lit(msg, "$success"))
        self.hw.say(msg)

    def action_back(self) -> None:
        self.hw.pop_screen()


__all__ = ["ReportsScreen", "bar_lines", "downloads_dir"]
