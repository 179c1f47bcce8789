"""The week view: an office's sessions Monday to Friday (Saturday and Sunday only when they hold
sessions), grouped by day, ``[``/``]`` previous / next week, ``m`` only the signed-in staff member.

Rows come from ``queue.week_view``; Enter on a session opens it.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from hwdesk.clock import today_jst
from hwdesk.jtext.dates import weekday_name
from hwdesk.texts import pick, tr
from screens.base import OfficeScreen, lit, when_composed
from screens.footer import KeyFooter
from screens.queue import format_row as queue_cells
from screens.queue import session_columns
from screens.widgets import RowTable


class WeekScreen(OfficeScreen):
    """Sessions of one week, a heading row per day."""

    CSS_PATH = "week.tcss"
    TITLE_KEY = "week.title"
    AUTO_FOCUS = "#wk-table"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("left_square_bracket", "week(-1)", "k.prev_week"),
        Binding("right_square_bracket", "week(1)", "k.next_week"),
        Binding("d", "this_week", "k.this_week"),
        Binding("m", "mine", "k.week_mine"),
        Binding("n", "new_session", "k.new_session"),
        Binding("i", "interpreters", "k.interpreters"),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, office_id: str | None = None, day: date | None = None) -> None:
        super().__init__()
        self.office_id = office_id
        self.monday = _shown_week(day or today_jst())
        self.mine = False

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        yield Static("", id="wk-head", markup=False)
        yield RowTable(session_columns(t, time_width=13, companions=False), id="wk-table", fit_content=True)
        yield KeyFooter(compact=True)

    def reload(self) -> None:
        office, monday, lang = self.office_id or self.home_office(), self.monday, self.lang
        staff = self.hw.actor.id if self.mine and self.hw.actor is not None else None

        def work(s):
            from hwdesk.services import queue

            view = queue.week_view(s, actor=self.hw.actor, office_id=office, week_start=monday, staff_id=staff)
            rows: list[list[str]] = []
            keys: list[object] = []  # a day ("day:…") or a session id
            for wd in view.days:
                if wd.day.weekday() >= 5 and not wd.rows:
                    continue
                rows.append([day_label(wd.day, lang), closed_text(wd.closed, lang), "", "", "", ""])
                keys.append(f"day:{wd.day.isoformat()}")
                for r in wd.rows:
                    c = queue_cells(r, lang)
                    rows.append(["  " + c[0], c[1], c[2], c[3], c[4], c[6]])
                    keys.append(r.id)
            return view, rows, keys

        self.db(work, self._show, group="week")

    @when_composed
    def _show(self, result) -> None:
        from hwdesk.jtext.dates import format_date_en, format_wareki

        view, rows, keys = result
        self.view = view
        self.query_one(RowTable).reload_rows(rows, keys)
        fmt = pick(format_wareki, format_date_en, self.lang)
        friday = self.monday + timedelta(days=4)
        who = self.t("week.mine") if self.mine else self.t("q.all")
        self.query_one("#wk-head", Static).update(
            lit(
                self.t(
                    "week.head",
                    office=self.hw.office_name(self.office_id or ""),
                    start=fmt(self.monday),
                    end=fmt(friday),
                    who=who,
                    n=view.counts.get("total", 0),
                )
            )
        )

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.hw.go_back()  # a top-level mode: Esc goes back to search

    def action_week(self, delta: int) -> None:
        self.monday += timedelta(days=7 * delta)
        self.reload()

    def action_this_week(self) -> None:
        self.monday = _shown_week(today_jst())
        self.reload()

    def action_mine(self) -> None:
        self.mine = not self.mine
        self.reload()

    def action_new_session(self) -> None:
        """Create a session or a series; the default date is the day row selected (else Monday or today)."""
        from screens.session_form import open_new_session

        key = self.query_one(RowTable).current_key
        day = (
            date.fromisoformat(key[4:])
            if isinstance(key, str) and key.startswith("day:")
            else max(self.monday, today_jst())
        )

        open_new_session(self, self.office_id or self.home_office(), day, self.reload_saying)

    def action_interpreters(self) -> None:
        """The interpreter roster and this week's interpreter load (screens/interpreters.py)."""
        from screens.interpreters import InterpretersScreen

        self.app.push_screen(InterpretersScreen(self.office_id, self.monday))

    @on(RowTable.Chosen)
    def _chosen(self, event: RowTable.Chosen) -> None:
        if isinstance(event.key, int):
            self.hw.open_session(event.key)


def day_label(d: date, lang: str) -> str:
    return tr("week.day", lang, month=d.month, day=d.day, weekday=weekday_name(d, lang))


def closed_text(closed: tuple[str, str] | None, lang: str) -> str:
    if not closed:
        return ""
    return tr("week.closed", lang, reason=pick(*closed, lang))


def _shown_week(day: date) -> date:
    """The Monday of the week to show for ``day``: its own week on a weekday, the coming week on
    a Saturday or Sunday (the office is closed; what a clerk plans then is the next week)."""
    monday = day - timedelta(days=day.weekday())
    return monday + timedelta(days=7) if day.weekday() >= 5 else monday
