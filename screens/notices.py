"""Notices to seekers (issue 20): the outbox and the send run.

Opened from the command palette (the office's outbox) or from the seeker page (``n``: that
seeker's notices — the record of what they were told). Each notice shows its kind, the seeker's
求職番号, its state — pending, sent, failed (retried by the next run) or skipped — with the
delivery result or why; ``s`` runs the send (``services.outbox.send_due``, the same as
``hwdesk notices send``), ``d`` shows what a run would do without sending, ``f`` narrows the list.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from screens.base import HwScreen, lit
from screens.footer import KeyFooter

FILTERS: tuple[tuple[str, ...], ...] = ((), ("pending", "failed"), ("failed",), ("sent",), ("skipped",))


class NoticesScreen(HwScreen):
    """``NoticesScreen(seeker_id=None)``: the office's outbox, or one seeker's notices."""

    CSS_PATH = "notices.tcss"
    TITLE_KEY = "notices.title"
    BINDINGS = [
        Binding("s", "send", "k.notices_send"),
        Binding("d", "dry_run", "k.notices_dry"),
        Binding("f", "filter", "k.notices_filter"),
        Binding("r", "reload", "k.reload", show=False),
        Binding("escape", "back", "k.back"),
    ]

    def __init__(self, seeker_id: int | None = None) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.filter = 0
        self.rows: list = []

    def compose(self) -> ComposeResult:
        yield self.header()
        with VerticalScroll(id="n-body"):
            yield Static("", id="n-channel", classes="muted", markup=False)
            yield Static("", id="n-msg", markup=False)
            yield Static(lit(self.t("common.loading")), id="n-list", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        actor = self.hw.actor
        if actor is None:
            return
        sid, states = self.seeker_id, FILTERS[self.filter]

        def work(s):
            from hwdesk.services.notices import channel
            from hwdesk.services.outbox import outbox

            office = None if sid is not None else actor.office_id
            rows = outbox(s, actor=actor, office_id=office, seeker_id=sid, states=states)
            return channel(s, actor.office_id), rows

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        ch, rows = result
        self.rows = rows
        what = "/".join(FILTERS[self.filter]) or self.t("notices.all")
        self.query_one("#n-channel", Static).update(
            lit(self.t("notices.channel", channel=ch.describe(self.lang), what=what))
        )
        self.query_one("#n-list", Static).update(lit(self._text(rows), multiline=True))

    def _text(self, rows) -> str:
        from hwdesk.clock import JST

        if not rows:
            return self.t("notices.none")
        lines = [self.t("notices.count", n=len(rows))]
        for r in rows:
            when = (r.sent_at or r.attempted_at or r.due_at).astimezone(JST).strftime("%m/%d %H:%M")
            where = f" S-{r.session_id:06d}" if r.session_id else ""
            lines.append(f"#{r.id} {when} {r.kind_label(self.lang)} {r.seeker_no}{where}  {r.state_label(self.lang)}")
            if r.result:
                lines.append(f"    {r.result}")
        return "\n".join(lines)

    def action_filter(self) -> None:
        self.filter = (self.filter + 1) % len(FILTERS)
        self.action_reload()

    def _run(self, dry_run: bool) -> None:
        actor = self.hw.actor
        if actor is None or self.busy("send"):
            return
        self._message().update(lit(self.t("common.working")))

        def work(store):
            from hwdesk.services.outbox import send_due

            return send_due(store, actor=actor, office_id=actor.office_id, dry_run=dry_run)

        self.db(work, self._sent, self._failed, store=True, group="send", exclusive=False)

    def _sent(self, report) -> None:
        n = {k: report.count(k) for k in ("sent", "would send", "failed", "skipped", "waiting")}
        key = "notices.dry_summary" if report.dry_run else "notices.sent_summary"
        text = self.t(key, sent=n["sent"] or n["would send"], failed=n["failed"], skipped=n["skipped"])
        msg = self._message()
        msg.set_class(bool(n["failed"]), "error")
        if report.dry_run:
            lines = [text] + [
                f"#{o.notice_id} {o.kind} {o.seeker_no}: {o.state_label(self.lang)}"
                + (f" ({o.result})" if o.result else "")
                for o in report.outcomes
            ]
            msg.update(lit("\n".join(lines), multiline=True))
        else:
            msg.update(lit(text))
            self.hw.say(text)
        self.action_reload()

    def _failed(self, exc: BaseException) -> None:
        msg = self._message()
        msg.add_class("error")
        msg.update(lit(self.hw.message_of(exc)))

    def _message(self) -> Static:
        """The send run's message line, shown from the first run on (hidden, it takes no lines)."""
        msg = self.query_one("#n-msg", Static)
        msg.display = True
        return msg

    def action_send(self) -> None:
        self._run(False)

    def action_dry_run(self) -> None:
        self._run(True)

    def action_back(self) -> None:
        self.hw.pop_screen()
