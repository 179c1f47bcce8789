"""The supervisor's daily queue: an office's sessions of one day in time order, live.

Rows come from ``queue.daily_queue`` (formatted in the worker). A timer polls
``hwdesk.watch.ChangeWatcher.changed()`` in a thread worker every 0.5 s (SQLite ``PRAGMA data_version``,
PostgreSQL LISTEN); when another terminal committed, the queue reloads without a key press.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from hwdesk.clock import today_jst
from hwdesk.states import SESSION_STATES
from hwdesk.texts import pick, tr
from screens.base import OfficeScreen, lit
from screens.footer import KeyFooter
from screens.widgets import Column, RowTable

POLL_SECONDS = 0.5


class QueueScreen(OfficeScreen):
    """An office's day: counts by state, filters, and every session with its warnings."""

    CSS_PATH = "queue.tcss"
    TITLE_KEY = "queue.title"
    AUTO_FOCUS = "#q-table"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("left_square_bracket", "day(-1)", "k.prev_day"),
        Binding("right_square_bracket", "day(1)", "k.next_day"),
        Binding("d", "today", "k.today"),
        Binding("g", "goto_date", "k.goto_date"),
        Binding("n", "new_session", "k.new_session"),
        Binding("f", "cycle_staff", "k.filter_staff"),
        Binding("k", "cycle_kind", "k.filter_kind"),
        Binding("s", "cycle_state", "k.filter_state"),
        Binding("x", "clear_filters", "k.clear_filters", show=False),
        Binding("o", "next_office", "k.office", show=False),
        Binding("h", "handout", "k.handout"),
        Binding("c", "followup", "k.followup"),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, office_id: str | None = None, day: date | None = None) -> None:
        super().__init__()
        self.office_id = office_id
        self.day = day or today_jst()
        self.staff_filter: int | None = None
        self.kind_filter: str | None = None
        self.state_filter: str | None = None
        self.staff_options: list[tuple[int, str]] = []
        self.kind_options: list[str] = []
        self.reloads = 0
        self._watcher: Any = None
        self._polling = False

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        yield Static("", id="q-head", markup=False)
        yield Static("", id="q-counts", markup=False)
        yield Static("", id="q-filters", markup=False)
        yield Static("", id="q-followup", markup=False)  # seekers to phone now (services/followup)
        # 80 columns: time, kind, state and who whole; companions and warnings on a line under the
        # row, then the staff column folds away (the f filter still names them).
        yield RowTable(session_columns(t, time_width=11, companions=True), id="q-table", fit_content=True)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._timer = self.set_interval(POLL_SECONDS, self._poll)

    def on_unmount(self) -> None:
        w, self._watcher = self._watcher, None
        if w is not None:
            w.close()

    # --- loading ---------------------------------------------------------------------------------

    def reload(self) -> None:
        office, day, lang = self.office_id or self.home_office(), self.day, self.lang
        staff, kind, state = self.staff_filter, self.kind_filter, self.state_filter

        def work(s):
            from hwdesk.services import queue
            from hwdesk.watch import ChangeWatcher

            if self._watcher is None:
                # The change baseline is taken before the first read, so a booking committed while it
                # runs is seen by the next poll.
                self._watcher = ChangeWatcher(self.hw.store)
            # one read; the filtered view is derived from it (the filter lists need the whole day anyway)
            whole = queue.daily_queue(s, actor=self.hw.actor, office_id=office, day=day)
            view = queue.filter_view(whole, staff_id=staff, kind=kind, state=state)
            staff_opts = sorted({(r.staff_id, r.staff_name or r.staff_login) for r in whole.rows}, key=lambda x: x[1])
            kinds = sorted({r.kind for r in whole.rows})
            from screens.followup import late_lines

            late = late_lines(s, self.hw.actor, office, day, lang)
            return view, staff_opts, kinds, [format_row(r, lang) for r in view.rows], late

        self.db(work, self._show, group="queue")

    def _show(self, result) -> None:
        view, staff_opts, kinds, cells, late = result
        panel = self.query_one("#q-followup", Static)
        panel.update(lit("\n".join(late), multiline=True))
        panel.display = bool(late)
        self.view, self.staff_options, self.kind_options = view, staff_opts, kinds
        self.reloads += 1
        self.query_one(RowTable).reload_rows(cells, [r.id for r in view.rows])
        self._show_head()

    def _show_head(self) -> None:
        view, lang = self.view, self.lang
        from hwdesk.jtext.dates import format_day, weekday_name

        when, wd = format_day(self.day, lang), weekday_name(self.day, lang)
        head = self.t("q.head", office=self.hw.office_name(self.office_id or ""), when=when, weekday=wd)
        if self.day == today_jst():
            head += f" {self.t('common.today')}"
        if view is not None and view.closed:
            ja, en = view.closed
            head += "　" + self.t("q.closed", reason=pick(ja, en, lang))
        if view is not None and view.holiday_warning:
            ja, en = view.holiday_warning
            head += "　⚠ " + pick(ja, en, lang)
        self.query_one("#q-head", Static).update(lit(head))
        if view is not None:
            from hwdesk.states import state_label

            parts = [f"{self.t('q.total')} {view.counts.get('total', 0)}"]
            parts += [f"{state_label(s, lang)} {view.counts.get(s, 0)}" for s in SESSION_STATES]
            self.query_one("#q-counts", Static).update(lit(self.t("q.counts_sep").join(parts)))
        self.query_one("#q-filters", Static).update(lit(self.filter_text()))

    def filter_text(self) -> str:
        from hwdesk.states import state_label
        from hwdesk.terms import service_label

        every = self.t("q.all")
        staff = (
            next((n for i, n in self.staff_options if i == self.staff_filter), every) if self.staff_filter else every
        )
        kind = service_label(self.kind_filter, self.lang) if self.kind_filter else every
        state = state_label(self.state_filter, self.lang) if self.state_filter else every
        n = len(self.view.rows) if self.view is not None else 0
        return self.t("q.filters", staff=staff, kind=kind, state=state, n=n)

    # --- live ------------------------------------------------------------------------------------

    def _poll(self) -> None:
        if self._polling or self.hw.store is None or self not in self.app.screen_stack:
            return  # another mode is shown: it reloads when shown again (on_screen_resume)
        self._polling = True

        def work(_s):
            from hwdesk.services import offers
            from hwdesk.watch import ChangeWatcher

            due = offers.due(_s)  # an offer past its deadline: the app moves it on (one index probe)
            if self._watcher is None:
                self._watcher = ChangeWatcher(self.hw.store)
                return False, due
            return self._watcher.changed(), due

        def done(result) -> None:
            self._polling = False
            changed, due = result
            if due:
                self.hw.settle_offers()  # its commit reloads this queue through the watcher
            if changed:
                self.reload()

        def failed(exc) -> None:
            self._polling = False

        self.db(work, done, failed, group="queue-poll", exclusive=False)

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.hw.go_back()  # a top-level mode: Esc goes back to search

    def action_day(self, delta: int) -> None:
        self.day = self.day + timedelta(days=delta)
        self.reload()

    def action_today(self) -> None:
        self.day = today_jst()
        self.reload()

    def action_goto_date(self) -> None:
        """Jump to a date typed in 和暦 or ISO."""
        from screens.dialogs import Ask

        def check(text: str):
            from hwdesk.jtext.dates import parse_date

            return parse_date(text, field="date")

        def go(day: date | None) -> None:
            if day is not None:
                self.day = day
                self.reload()

        self.app.push_screen(Ask(self.t("q.goto"), value=self.day.isoformat(), check=check), go)

    def action_new_session(self) -> None:
        """Create a session or a series on this office (the day shown is the default date)."""
        from screens.session_form import open_new_session

        open_new_session(self, self.office_id or self.home_office(), self.day, self.reload_saying)

    def action_cycle_staff(self) -> None:
        ids = [None] + [i for i, _ in self.staff_options]
        self.staff_filter = ids[(ids.index(self.staff_filter) + 1) % len(ids)] if self.staff_filter in ids else None
        self.reload()

    def action_cycle_kind(self) -> None:
        kinds: list[str | None] = [None, *self.kind_options]
        self.kind_filter = (
            kinds[(kinds.index(self.kind_filter) + 1) % len(kinds)] if self.kind_filter in kinds else None
        )
        self.reload()

    def action_cycle_state(self) -> None:
        states: list[str | None] = [None, *SESSION_STATES]
        self.state_filter = states[(states.index(self.state_filter) + 1) % len(states)]
        self.reload()

    def action_clear_filters(self) -> None:
        self.staff_filter = self.kind_filter = self.state_filter = None
        self.reload()

    def action_next_office(self) -> None:
        actor = self.hw.actor
        if actor is None or not actor.all_offices or not self.hw.offices:
            return
        ids = [o["id"] for o in self.hw.offices]
        self.office_id = ids[(ids.index(self.office_id) + 1) % len(ids)] if self.office_id in ids else ids[0]
        self.staff_filter = None
        self.reload()

    def action_handout(self) -> None:
        key = self.query_one(RowTable).current_key
        if key is not None:
            from screens.handout_preview import HandoutPreview

            self.app.push_screen(HandoutPreview(int(key)))

    def action_followup(self) -> None:
        """The follow-up list: seekers to phone now, environment-check suggestions, last week's no-shows."""
        from screens.followup import FollowupScreen

        self.app.push_screen(FollowupScreen(self.office_id))

    @on(RowTable.Chosen)
    def _chosen(self, event: RowTable.Chosen) -> None:
        self.hw.open_session(int(event.key))


def session_columns(t: Callable[..., str], *, time_width: int, companions: bool) -> list[Column]:
    """The columns of ``format_row``'s cells (``t``: the screen's texts); the week view leaves the
    companions out."""
    return [
        Column(t("q.col.time"), width=time_width),
        Column(t("q.col.kind"), min_width=8, priority=1),
        Column(t("q.col.state"), min_width=4),
        Column(t("q.col.staff"), min_width=6, priority=2),
        Column(t("q.col.who"), min_width=12),
        *([Column(t("q.col.companion"), min_width=8, priority=3, detail=True)] if companions else []),
        Column(t("q.col.warnings"), min_width=10, priority=3, detail=True),
    ]


def format_row(r, lang: str) -> list[str]:
    """One queue row as plain cells (worker side)."""
    from hwdesk.services.interpreting import companion_text, uncovered_text

    sep = tr("common.sep", lang)
    comps = sep.join(dict.fromkeys(companion_text(c, r.interpreting, lang) for c in r.companions))
    warns = sep.join(
        x for x in (uncovered_text(r.interpreting, lang, r.state), *(w.text(lang) for w in r.warnings)) if x
    )
    if r.overrides:
        warns = tr("q.override", lang) + (sep + warns if warns else "")
    return [
        f"{r.start:%H:%M}-{r.end:%H:%M}",
        r.kind_label(lang),
        r.state_label(lang),
        r.staff_name or r.staff_login,
        r.who(lang),
        comps,
        warns,
    ]
