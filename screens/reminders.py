"""The reminder list: seekers with sessions on the next open day (or a chosen day), with phone,
companion notes and what is still missing; each call marked reached / not reached / message left.

Rows come from ``queue.reminder_list``; marks are stored with ``queue.record_reminder`` (audited)
and the last mark of each seeker is shown with who made it and when.

Not every call is a reminder: a seeker whose use is stopped is to be told the booking is
cancelled, and one offered a freed seat is asked for an answer by the offer's deadline — the
'still missing' cell says so first (``queue.reminder_call_text``).
"""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from hwdesk.clock import today_jst
from hwdesk.texts import pick
from screens.base import OfficeScreen, lit, when_composed
from screens.footer import KeyFooter
from screens.widgets import Column, RowTable


class RemindersScreen(OfficeScreen):
    """Reminder calls for the next open day after ``base`` (today by default)."""

    CSS_PATH = "reminders.tcss"
    TITLE_KEY = "rem.title"
    AUTO_FOCUS = "#rem-table"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("y", "mark('reached')", "k.rem_reached"),
        Binding("n", "mark('not_reached')", "k.rem_not_reached"),
        Binding("m", "mark('message_left')", "k.rem_message_left"),
        Binding("left_square_bracket", "day(-1)", "k.prev_day"),
        Binding("right_square_bracket", "day(1)", "k.next_day"),
        Binding("d", "today", "k.today"),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, office_id: str | None = None, base: date | None = None) -> None:
        super().__init__()
        self.office_id = office_id
        self.base = base or today_jst()

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        yield Static("", id="rem-head", markup=False)
        yield Static("", id="rem-msg", markup=False)
        yield RowTable(
            [
                # 80 columns: time, number, name and phone whole; what is missing and the last
                # call's result on a line under the row, the companions after them.
                Column(t("q.col.time"), width=11),
                Column(t("col.seeker_no"), min_width=8),
                Column(t("col.name"), min_width=8),
                Column(t("rem.col.phone"), min_width=8, priority=1),
                Column(t("q.col.companion"), min_width=8, priority=4, detail=True),
                Column(t("rem.col.missing"), min_width=10, priority=2, detail=True),
                Column(t("rem.col.mark"), min_width=10, priority=3, detail=True),
            ],
            id="rem-table",
            fit_content=True,
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.hw.settle_offers(lambda: self.reload())  # an offer past its deadline moves to the next in line first

    def reload(self, step: int = 0) -> None:
        office, base, lang = self.office_id or self.home_office(), self.base, self.lang
        current = self.view.target_day if self.view is not None else None

        def work(s):
            from hwdesk.services import queue

            b = base
            if step > 0 and current is not None:
                b = current
            elif step < 0 and current is not None:
                b = current - timedelta(days=1)
                for _ in range(21):  # back until the next open day after b is before the current one
                    view = queue.reminder_list(s, actor=self.hw.actor, office_id=office, day=b)
                    if view.target_day < current:
                        break
                    b -= timedelta(days=1)
            view = queue.reminder_list(s, actor=self.hw.actor, office_id=office, day=b)
            return view, [format_row(r, lang) for r in view.rows]

        self.db(work, self._show, group="reminders")

    @when_composed
    def _show(self, result) -> None:
        from hwdesk.jtext.dates import format_date_en, format_wareki

        view, cells = result
        self.view, self.base = view, view.from_day
        self.query_one(RowTable).reload_rows(cells, [f"{r.session_id}:{r.seeker_id}" for r in view.rows])
        d = view.target_day
        when = pick(format_wareki, format_date_en, self.lang)(d, weekday=True)
        self.query_one("#rem-head", Static).update(
            lit(self.t("rem.head", office=self.hw.office_name(self.office_id or ""), day=when, n=len(view.rows)))
        )

    @when_composed
    def say_here(self, text: str, *, error: bool = False) -> None:
        msg = self.query_one("#rem-msg", Static)
        msg.update(lit(text))
        msg.set_class(error, "-error")

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.hw.go_back()  # a top-level mode: Esc goes back to search

    def action_day(self, delta: int) -> None:
        self.reload(step=delta)

    def action_today(self) -> None:
        self.base = today_jst()
        self.view = None
        self.reload()

    def action_mark(self, outcome: str) -> None:
        key = self.query_one(RowTable).current_key
        if key is None:
            return
        sid, seeker = (int(x) for x in str(key).split(":"))
        actor = self.hw.actor

        def work(s):
            from hwdesk.services import queue

            queue.record_reminder(s, actor=actor, session_id=sid, seeker_id=seeker, outcome=outcome)

        def ok(_):
            from hwdesk.services.queue import OUTCOME_LABELS

            self.say_here(self.t("rem.marked", mark=pick(*OUTCOME_LABELS[outcome], self.lang)))
            self.reload()

        def err(exc):
            self.say_here(self.hw.message_of(exc), error=True)

        self.db(work, ok, err, write=True, group="reminder-mark")


def format_row(r, lang: str) -> list[str]:
    """One reminder row as plain cells (worker side)."""
    from hwdesk.services.queue import OUTCOME_LABELS, reminder_call_text
    from hwdesk.texts import tr

    sep = tr("common.sep", lang)
    comps = sep.join(dict.fromkeys(c.label(lang) for c in r.companions))
    mark = ""
    if r.last_outcome:
        lab = OUTCOME_LABELS.get(r.last_outcome, (r.last_outcome, r.last_outcome))
        mark = f"{lab[1] if lang == 'en' else lab[0]} {r.last_at:%H:%M} {r.last_by}".strip()
    call = reminder_call_text(r, lang)
    missing = r.missing_text(lang)
    if call:  # a stopped seeker: only that; an offer: the deadline, then what is still missing
        missing = "⚠ " + call if r.stopped is not None or not missing else f"⚠ {call}{sep}{missing}"
    return [f"{r.start:%H:%M}-{r.end:%H:%M}", r.seeker_no, r.name, r.phone, comps, missing, mark]
