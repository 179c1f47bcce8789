"""The follow-up list (issue 20, item 4): seekers not checked in N minutes after the start (to phone
now), environment-check suggestions after repeated connection failures (never a stop of use), and
last week's no-shows with whether a reminder call was made.

Rows come from ``followup.followup_view``; ``y`` / ``n`` record a call's result on the row under the
cursor of either table (``followup.record_call``, audited); ``e`` corrects the latest result to the
other one with a reason (supervisors, ``followup.correct_call``: a new row, the old one kept). The
queue shows the late seekers above its table (``late_lines``) and opens this screen with ``c``.
"""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from hwdesk.texts import pick
from screens.base import OfficeScreen, lit, when_composed
from screens.footer import KeyFooter
from screens.widgets import Column, RowTable

QUEUE_LINES = 3  # late seekers shown on the queue; the rest are counted


def _outcome(outcome: str | None, lang: str) -> str:
    from hwdesk.services.followup import OUTCOME_LABELS

    if outcome is None:
        return ""
    return pick(*OUTCOME_LABELS.get(outcome, (outcome, outcome)), lang)


def _reminder(reminder: str, lang: str) -> str:
    from hwdesk.services.followup import REMINDER_LABELS

    return pick(*REMINDER_LABELS.get(reminder, (reminder, reminder)), lang)


def late_lines(session, actor, office_id: str, day: date, lang: str) -> list[str]:
    """The queue's follow-up panel for ``day`` (worker side): the late seekers when ``day`` is today
    by the services' clock, else nothing."""
    from hwdesk.clock import JST, now_utc
    from hwdesk.services import followup
    from hwdesk.texts import tr

    now = now_utc()
    if actor is None or now.astimezone(JST).date() != day:
        return []
    rows = followup.late_seekers(session, actor=actor, office_id=office_id, now=now)
    out = []
    for r in rows[:QUEUE_LINES]:
        call = ""
        if r.last is not None:
            call = tr("fu.call_sep", lang) + _outcome(r.last.outcome, lang)
        out.append(
            tr(
                "fu.queue_line",
                lang,
                time=f"{r.start:%H:%M}",
                session=r.session_id,
                no=r.seeker_no,
                name=r.name,
                phone=r.phone,
                late=r.minutes_late,
                call=call,
            )
        )
    if len(rows) > QUEUE_LINES:
        out.append(tr("fu.queue_more", lang, n=len(rows) - QUEUE_LINES))
    return out


def _calls_text(calls, history: dict, lang: str) -> str:
    if not calls:
        return ""
    last = calls[-1]
    text = f"{_outcome(last.outcome, lang)} {last.at:%H:%M} {last.by}".strip()
    old = history.get(last.id)
    if old:
        from hwdesk.texts import tr

        text += " (" + tr("fu.corrected_from", lang, old=_outcome(old[0].outcome, lang)) + ")"
    return text


class FollowupScreen(OfficeScreen):
    """Late seekers to phone, environment-check suggestions, and last week's no-shows."""

    TITLE_KEY = "fu.title"
    AUTO_FOCUS = "#fu-late"
    DEFAULT_CSS = """
    FollowupScreen .fu-head { padding: 0 1; height: 1; text-style: bold; margin-top: 1; }
    FollowupScreen #fu-msg { padding: 0 1; height: auto; max-height: 2; color: $success; }
    FollowupScreen #fu-msg.-error { color: $error; }
    FollowupScreen #fu-env { padding: 0 2; height: auto; max-height: 8; color: $warning; }
    FollowupScreen RowTable { margin: 0 1; }
    FollowupScreen #fu-late { height: 12; }
    FollowupScreen #fu-noshow { height: 1fr; }
    FollowupScreen.short .fu-head { margin-top: 0; }
    FollowupScreen.short #fu-late { height: 6; }
    FollowupScreen.short #fu-env { max-height: 3; }
    """
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("y", "mark('reached')", "k.fu_reached"),
        Binding("n", "mark('no_answer')", "k.fu_no_answer"),
        Binding("e", "correct", "k.fu_correct"),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, office_id: str | None = None) -> None:
        super().__init__()
        self.office_id = office_id

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        yield Static("", id="fu-msg", markup=False)
        yield Static("", id="fu-late-head", classes="fu-head", markup=False)
        yield RowTable(
            [
                Column(t("q.col.time"), width=6),
                Column("ID", width=5),
                Column(t("col.seeker_no"), width=13),
                Column(t("col.name"), weight=2, min_width=8),
                Column(t("rem.col.phone"), width=14),
                Column(t("fu.col.late"), width=6),
                Column(t("fu.col.call"), weight=2, min_width=10),
            ],
            id="fu-late",
        )
        yield Static("", id="fu-env-head", classes="fu-head", markup=False)
        yield Static("", id="fu-env", markup=False)
        yield Static("", id="fu-noshow-head", classes="fu-head", markup=False)
        yield RowTable(
            [
                Column(t("q.col.time"), width=11),
                Column(t("col.seeker_no"), width=13),
                Column(t("col.name"), weight=2, min_width=8),
                Column(t("fu.col.state"), width=10),
                Column(t("fu.col.reminder"), width=14),
                Column(t("fu.col.call"), weight=2, min_width=10),
            ],
            id="fu-noshow",
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.set_interval(60, self.reload)  # minutes late grow, new late seekers appear

    def reload(self) -> None:
        office, lang, actor = self.office_id, self.lang, self.hw.actor

        def work(s):
            from hwdesk.services import followup

            assert office is not None  # set from the signed-in staff member's office on mount
            view = followup.followup_view(s, actor=actor, office_id=office)
            return view, self._cells(view, lang)

        self.db(work, self._show, group="followup")

    @staticmethod
    def _cells(view, lang: str):
        from hwdesk.services.scheduling import state_label
        from hwdesk.texts import tr

        late = [
            [
                f"{r.start:%H:%M}",
                str(r.session_id),
                r.seeker_no,
                r.name,
                r.phone,
                tr("fu.minutes_late", lang, n=r.minutes_late),
                _calls_text(r.calls, view.history, lang)
                + (("  ⚠ " + tr("fu.env_flag", lang)) if r.env_suggested else ""),
            ]
            for r in view.late
        ]
        env = [f"{e.seeker_no} {e.name} {e.phone}: {e.text(view.env_cite, lang)}" for e in view.suggestions]
        noshow = [
            [
                f"{r.start:%m/%d %H:%M}",
                r.seeker_no,
                r.name,
                state_label(r.state, lang),
                _reminder(r.reminder, lang) if r.reminded else tr("fu.no_reminder", lang),
                _calls_text(r.calls, view.history, lang),
            ]
            for r in view.no_shows
        ]
        return late, env, noshow

    @when_composed
    def _show(self, result) -> None:
        view, (late, env, noshow) = result
        self.view = view
        for wid, cells, rows in (("#fu-late", late, view.late), ("#fu-noshow", noshow, view.no_shows)):
            self.query_one(wid, RowTable).reload_rows(cells, [f"{r.session_id}:{r.seeker_id}" for r in rows])
        self.query_one("#fu-late-head", Static).update(
            lit(self.t("fu.late_head", minutes=view.minutes, n=len(view.late)))
        )
        self.query_one("#fu-env-head", Static).update(lit(self.t("fu.env_head")))
        self.query_one("#fu-env", Static).update(lit("\n".join(env) or self.t("fu.none"), multiline=True))
        self.query_one("#fu-noshow-head", Static).update(lit(self.t("fu.noshow_head")))

    @when_composed
    def say_here(self, text: str, *, error: bool = False) -> None:
        msg = self.query_one("#fu-msg", Static)
        msg.update(lit(text))
        msg.set_class(error, "-error")

    # --- actions ---------------------------------------------------------------------------------

    def _current(self):
        """(session id, seeker id, row) under the cursor of the focused table (the late list by default)."""
        focused = self.focused if isinstance(self.focused, RowTable) else self.query_one("#fu-late", RowTable)
        key = focused.current_key
        if key is None or self.view is None:
            return None
        sid, seeker = (int(x) for x in str(key).split(":"))
        rows = self.view.late if focused.id == "fu-late" else self.view.no_shows
        row = next((r for r in rows if (r.session_id, r.seeker_id) == (sid, seeker)), None)
        return sid, seeker, row

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_mark(self, outcome: str) -> None:
        cur = self._current()
        if cur is None:
            return
        sid, seeker, _row = cur
        actor = self.hw.actor

        def work(s):
            from hwdesk.services import followup

            followup.record_call(s, actor=actor, session_id=sid, seeker_id=seeker, outcome=outcome)

        def ok(_):
            self.say_here(self.t("fu.marked", mark=_outcome(outcome, self.lang)))
            self.reload()

        def err(exc):
            self.say_here(self.hw.message_of(exc), error=True)

        self.db(work, ok, err, write=True, group="followup-mark")

    def action_correct(self) -> None:
        """Correct the latest result of the row to the other outcome, with a reason (supervisors)."""
        from screens.dialogs import Ask

        cur = self._current()
        last = cur[2].calls[-1] if cur is not None and cur[2] is not None and cur[2].calls else None
        if cur is None or last is None:
            self.say_here(self.t("fu.nothing_to_correct"), error=True)
            return
        sid = cur[0]
        new = "no_answer" if last.outcome == "reached" else "reached"
        actor, lang = self.hw.actor, self.lang

        def save(reason: str | None) -> None:
            if not reason:
                return

            def work(s):
                from hwdesk.services import followup

                followup.correct_call(s, actor=actor, session_id=sid, call_id=last.id, outcome=new, reason=reason)

            def ok(_):
                self.say_here(self.t("fu.corrected", mark=_outcome(new, lang)))
                self.reload()

            def err(exc):
                self.say_here(self.hw.message_of(exc), error=True)

            self.db(work, ok, err, write=True, group="followup-correct")

        self.app.push_screen(
            Ask(self.t("fu.correct_prompt", old=_outcome(last.outcome, lang), new=_outcome(new, lang))), save
        )


__all__ = ["FollowupScreen", "late_lines"]
