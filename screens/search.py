"""Seeker search: one input, results as you type, in a one-page Line-API table.

Each keystroke starts a query in an exclusive thread worker; a newer keystroke supersedes it and
an older result that arrives late is dropped (``DbMixin.db`` tokens). Rows are formatted in the
worker so the UI thread only swaps strings and repaints.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import Reactive
from textual.timer import Timer
from textual.widgets import Static

from hwdesk.texts import pick
from screens.base import HwScreen, lit
from screens.footer import KeyFooter
from screens.inputs import Input
from screens.widgets import Column, RowTable

HOLD = 0.008  # seconds a keystroke's echo may wait for its results (half a 60 Hz frame)
COUNT_AFTER = 0.25  # seconds of no typing before a full page is counted (a clerk types a key every ~0.1-0.2 s)


class SearchInput(Input):
    """The search field: a key that edits it holds the next frame as it arrives.

    Held only from ``_search``, the echo was sometimes painted in between (the field repaints as
    the key is inserted, before its Changed message is handled), and the results then waited out
    the rest of that frame's interval: ~2 ms a keystroke at 240 fps.
    """

    # Textual's Input sets its virtual size (the text's width) on every change, and the base
    # reactive relayouts the whole screen for it (~1.5 ms a keystroke). This field has a fixed
    # size (search.tcss) and scrolls its text itself: the new width needs no layout.
    virtual_size = Reactive(Size(0, 0), layout=False)

    async def _on_key(self, event) -> None:
        if event.is_printable or event.key in ("backspace", "delete", "ctrl+u", "ctrl+w", "ctrl+k"):
            self.screen.hold_repaint(HOLD)  # type: ignore[attr-defined]  # the screen is an HwScreen (PacedRepaint)
        await super()._on_key(event)


class SearchScreen(HwScreen):
    """The clerk's home: find a seeker, open the detail, or register a new one."""

    CSS_PATH = "search.tcss"
    TITLE_KEY = "search.title"
    AUTO_FOCUS = "#search-input"
    _count_timer: Timer | None = None  # the full page's count, waiting for the typing to pause
    BINDINGS = [
        Binding("ctrl+n", "new_seeker", "k.new_seeker"),
        Binding("enter", "open", "k.open", show=False),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
        Binding("escape", "clear", "k.clear"),
        Binding("ctrl+o", "app.sign_out", "k.sign_out"),
    ]

    def compose(self) -> ComposeResult:
        yield self.header()
        yield SearchInput(placeholder=self.t("search.placeholder"), id="search-input", compact=True)
        yield Static(lit(self.t("search.hint")), id="search-status", markup=False)
        t = self.t
        yield RowTable(
            [
                Column(t("col.seeker_no"), width=14),
                Column(t("col.name"), weight=3, min_width=8),
                Column(t("col.kana"), weight=3, min_width=8),
                Column(t("col.birth"), width=10 if self.lang != "ja" or self.app.size.width < 100 else 16),
                Column(t("col.phone"), width=13),
                Column(t("col.office"), width=6 if self.lang == "ja" else 10),
            ],
            id="search-results",
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        actor = self.hw.actor
        self._scope = None if actor is None or actor.all_offices else actor.office_id
        self._seq = 0

    def on_resize(self, event) -> None:
        # Narrow terminals show dates as S60.4.1 (10 cells) instead of 昭和60年4月1日.
        narrow = self.size.width < 100
        if self.lang == "ja" and narrow != getattr(self, "_narrow", None):
            self._narrow = narrow
            table = self.query_one(RowTable)
            table.columns[3] = Column(self.t("col.birth"), width=10 if narrow else 16)
            table._width_for = -1
            value = self.query_one("#search-input", Input).value
            if value.strip():
                self._search(value)
            table.refresh()

    def on_screen_resume(self) -> None:
        # Back from a detail or form: show fresh rows (a name may have changed).
        value = self.query_one("#search-input", Input).value
        if value.strip():
            self._search(value)

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        self._search(event.value)

    def _search(self, query: str) -> None:
        self.supersede("search-count")  # a count of the previous text must not show under this one
        if self._count_timer is not None:  # nor start after it: one pending count, the last text's
            self._count_timer.stop()
            self._count_timer = None
        if not query.strip():
            self.release_repaint()
            self.supersede("search")  # a query still in flight must not fill the table
            self.query_one(RowTable).set_rows([], [])
            self._status(self.t("search.hint"))
            return
        scope = self._scope
        actor = self.hw.actor
        lang = self.lang
        short_dates = self.size.width < 100
        short = {o["id"]: pick(o["short"], o["short_en"], lang) for o in self.hw.offices}
        layout = self.query_one(RowTable).column_layout()
        # The typed letter and its results in one frame: hold the echo for as long as a query
        # usually takes (~1-3 ms at a million seekers), never more than HOLD.
        self.hold_repaint(HOLD)

        def work(s):
            from hwdesk.jtext.dates import format_date_en, format_wareki, format_wareki_short
            from hwdesk.jtext.numbers import format_phone
            from hwdesk.services.seeker_search import PAGE, search

            rows = search(s, query, actor=actor, office_id=scope)
            total = None if len(rows) >= PAGE else len(rows)  # a full page is counted after it is painted
            fmt_date = pick(format_wareki_short if short_dates else format_wareki, format_date_en, lang)
            cells = [
                [
                    r.seeker_no,
                    r.name,
                    r.name_kana,
                    fmt_date(r.birth_date),
                    format_phone(r.phone) if r.phone else "",
                    short.get(r.office_id, r.office_id),
                ]
                for r in rows
            ]
            return RowTable.prepare(cells, layout), [r.id for r in rows], total

        self.db(work, self._show, group="search", lane=True)

    def _show(self, result) -> None:
        self.release_repaint()
        cells, keys, total = result
        self.query_one(RowTable).set_rows(cells, keys)
        n = len(keys)
        if total is None:
            # Counting a one-letter reading (up to the cap) takes 5 ms on SQLite and ~40 ms on
            # PostgreSQL at a million seekers: a second job, started once the typing pauses
            # (COUNT_AFTER), so that while the clerk types it never competes for the CPU with the
            # next key's query and paint (run beside the paint, its thread slowed the frame by ~3 ms).
            text = self.t("search.counting", n=n)
            query, scope = self.query_one("#search-input", Input).value, self._scope
            actor = self.hw.actor

            def count(s):
                from hwdesk.services.seeker_search import search_count

                return search_count(s, query, actor=actor, office_id=scope)

            def start() -> None:
                if self.is_attached and self.query_one("#search-input", Input).value == query:  # not typed past it
                    self.db(count, self._show_count, group="search-count", lane=True)

            self._count_timer = self.set_timer(COUNT_AFTER, start)
        elif n == 0:
            text = self.t("search.none")
        else:
            text = self.t("search.count", n=n)
        self._status(text)

    def _status(self, text: str) -> None:
        # One line of fixed size (search.tcss): no relayout of the screen on every keystroke.
        self.query_one("#search-status", Static).update(lit(text), layout=False)

    def _show_count(self, total: int) -> None:
        from hwdesk.services.seeker_search import COUNT_CAP

        n = len(self.query_one(RowTable).keys)
        if total > COUNT_CAP:
            text = self.t("search.count_more", n=f"{COUNT_CAP:,}")
        elif total > n:
            text = self.t("search.count_of", n=n, total=f"{total:,}")
        else:
            text = self.t("search.count", n=n)
        self._status(text)

    # --- actions ------------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self.query_one(RowTable).move(delta)

    @on(Input.Submitted, "#search-input")
    def action_open(self) -> None:
        key = self.query_one(RowTable).current_key
        if key is not None:
            self.hw.open_seeker(int(key))

    @on(RowTable.Chosen)
    def _chosen(self, event: RowTable.Chosen) -> None:
        self.hw.open_seeker(int(event.key))

    def action_new_seeker(self) -> None:
        self.hw.open_form(None)

    def action_clear(self) -> None:
        field = self.query_one("#search-input", Input)
        field.value = ""
        field.focus()
