"""Record a renewal of the seeker's 求職登録 done elsewhere (another office, 求職者マイページ):
the day and where (``registration.renew``, audited); the registration's end is computed again."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from hwdesk.clock import today_jst
from hwdesk.texts import pick
from screens.base import lines, lit
from screens.footer import KeyFooter
from screens.forms import FormScreen
from screens.inputs import Input


class RenewalScreen(FormScreen):
    """``RenewalScreen(seeker_id)``: the renewal's date (today by default) and where it was done."""

    CSS_PATH = "renewal.tcss"
    TITLE_KEY = "renew.title"
    AUTO_FOCUS = "#g-date"
    BINDINGS = [
        Binding("ctrl+s", "save", "k.save"),
        Binding("escape", "back", "k.back"),
    ]

    def __init__(self, seeker_id: int) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.draft_key = f"renewal:{seeker_id}"

    def compose(self) -> ComposeResult:

        from hwdesk.jtext.dates import format_date_en, format_wareki

        today = today_jst()
        yield self.header()
        with VerticalScroll(id="g-body"):
            yield Static(lit(self.t("renew.title")), classes="section-title")
            yield Static("", id="g-intro", markup=False)
            with Horizontal(classes="form-row"):
                yield Label(self.t("renew.date"), markup=False, classes="form-label")
                yield Input(
                    pick(format_wareki, format_date_en, self.lang)(today),
                    id="g-date",
                    compact=True,
                    max_length=30,
                )
            with Horizontal(classes="form-row"):
                yield Label(self.t("renew.note"), markup=False, classes="form-label")
                yield Input("", id="g-note", compact=True, max_length=300, placeholder=self.t("renew.note_hint"))
            yield Static("", id="g-msg", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.restore_draft()
        sid, actor = self.seeker_id, self.hw.actor

        def work(s):
            from hwdesk.services import registration
            from hwdesk.services.seekers import seeker_of

            sk = seeker_of(s, actor=actor, seeker_id=sid)
            return sk.name, sk.seeker_no, registration.end_of(s, seeker_id=sid, registered_on=sk.registered_on)

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        name, no, until = result
        when = "—" if until is None else self._date(until)
        self.query_one("#g-intro", Static).update(
            lines(lit(f"{name}（{no}）", "bold"), lit(self.t("renew.intro", date=when), "$text-muted"))
        )

    def _date(self, d) -> str:
        from hwdesk.jtext.dates import format_date_en, format_wareki

        return pick(format_wareki, format_date_en, self.lang)(d)

    def on_input_changed(self) -> None:
        self.keep_draft()

    def action_save(self) -> None:
        if self.busy("save"):
            return
        from hwdesk.jtext.dates import parse_date

        msg = self.query_one("#g-msg", Static)
        try:
            on = parse_date(self.query_one("#g-date", Input).value, field="renewed_on")
        except Exception as exc:
            msg.update(lit(self.hw.message_of(exc)))
            self.query_one("#g-date", Input).focus()
            return
        note = self.query_one("#g-note", Input).value
        sid, actor = self.seeker_id, self.hw.actor

        def work(s):
            from hwdesk.services import registration

            registration.renew(s, actor=actor, seeker_id=sid, renewed_on=on, note=note)

        def refused(exc: BaseException) -> None:
            msg.update(lit(self.hw.message_of(exc)))
            field = getattr(exc, "field", None)
            self.query_one("#g-note" if field == "note" else "#g-date").focus()

        self.save(work, self._saved, refused)

    def _saved(self, _) -> None:
        self.close_saved(self.t("renew.saved"))
