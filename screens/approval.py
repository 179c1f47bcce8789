"""渋谷 individual counseling: record that the office recognized the need (who, when, note) and
the seeker's wish for continuing counseling (第1条(4) asks both)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Checkbox, Label, Select, Static

from hwdesk.clock import today_jst
from hwdesk.texts import pick
from screens.base import lines, lit
from screens.footer import KeyFooter
from screens.forms import FormScreen
from screens.inputs import Input, TextArea


class ApprovalScreen(FormScreen):
    """``ApprovalScreen(seeker_id, office_id, service)``: who recognized the need (the office's
    staff, the signed-in person first chosen), when, and a note (``consent.record_approval``)."""

    CSS_PATH = "approval.tcss"
    TITLE_KEY = "appr.title"
    AUTO_FOCUS = "#a-date"
    BINDINGS = [
        Binding("ctrl+s", "save", "k.save"),
        Binding("escape", "back", "k.back"),
    ]

    def __init__(self, seeker_id: int, office_id: str, service: str) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.office_id = office_id
        self.service = service
        self.draft_key = f"approval:{seeker_id}:{office_id}:{service}"

    def compose(self) -> ComposeResult:

        from hwdesk.jtext.dates import format_date_en, format_wareki

        actor = self.hw.actor
        today = today_jst()
        yield self.header()
        with VerticalScroll(id="a-body"):
            yield Static(lit(self.t("appr.title")), classes="section-title")
            yield Static("", id="a-intro", markup=False)
            with Horizontal(classes="form-row"):
                yield Label(self.t("appr.who"), markup=False, classes="form-label")
                yield Select(
                    [(lit(f"{actor.name}（{actor.login}）"), actor.id)],
                    value=actor.id,
                    allow_blank=False,
                    compact=True,
                    id="a-who",
                )
            with Horizontal(classes="form-row"):
                yield Label(self.t("appr.date"), markup=False, classes="form-label")
                yield Input(
                    pick(format_wareki, format_date_en, self.lang)(today),
                    id="a-date",
                    compact=True,
                    max_length=30,
                )
            yield Checkbox(self.t("appr.wish"), id="a-wish", compact=True)
            yield Label(self.t("appr.note"), markup=False, classes="field-label")
            yield TextArea(id="a-note", soft_wrap=True, show_line_numbers=False, compact=True)
            yield Static("", id="a-msg", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.restore_draft()
        sid, office = self.seeker_id, self.office_id

        def work(s):
            from hwdesk.services.consent import recognizers
            from hwdesk.services.offices import profile
            from hwdesk.services.seekers import seeker_of
            from hwdesk.terms import cite_text

            sk = seeker_of(s, actor=self.hw.actor, seeker_id=sid)
            prof = profile(s, office)
            appr = prof.requirements.get("approval") or {}
            return sk.name, sk.seeker_no, prof, cite_text(appr.get("cite")), recognizers(s, office_id=office)

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        from hwdesk.terms import service_label

        name, no, prof, cite, staff = result
        who = self.query_one("#a-who", Select)
        chosen = who.value
        choices = [(lit(f"{n}（{login}）"), i) for i, n, login in staff]
        if chosen not in {i for i, _, _ in staff}:  # e.g. an administrator of all offices: kept as the default
            choices.insert(0, (lit(f"{self.hw.actor.name}（{self.hw.actor.login}）"), chosen))
        with who.prevent(Select.Changed):
            who.set_options(choices)
            who.value = chosen
        draft = self.hw.drafts.get(self.draft_key)
        if draft and draft.get("a-who") is not None and draft["a-who"] in {v for _, v in choices}:
            who.value = draft["a-who"]
        self.query_one("#a-intro", Static).update(
            lines(
                lit(f"{name}（{no}）", "bold"),
                lit(
                    self.t(
                        "appr.intro",
                        office=prof.display_name(self.lang),
                        cite=cite,
                        service=service_label(self.service, self.lang),
                    ),
                    "$text-muted",
                ),
            )
        )

    def on_input_changed(self) -> None:
        self.keep_draft()

    def on_select_changed(self) -> None:
        self.keep_draft()

    def on_checkbox_changed(self) -> None:
        self.keep_draft()

    def on_text_area_changed(self) -> None:
        self.keep_draft()

    def action_save(self) -> None:
        if self.busy("save"):
            return
        from hwdesk.jtext.dates import parse_date

        msg = self.query_one("#a-msg", Static)
        try:
            on = parse_date(self.query_one("#a-date", Input).value, field="date")
        except Exception as exc:
            msg.update(lit(self.hw.message_of(exc)))
            self.query_one("#a-date", Input).focus()
            return
        note = self.query_one("#a-note", TextArea).text
        chosen = self.query_one("#a-who", Select).value
        who = chosen if isinstance(chosen, int) else None  # a staff id, or nobody chosen
        wish = self.query_one("#a-wish", Checkbox).value
        sid, office, service, actor = self.seeker_id, self.office_id, self.service, self.hw.actor

        def work(s):
            from hwdesk.services.consent import record_approval

            record_approval(
                s,
                actor=actor,
                seeker_id=sid,
                office_id=office,
                service=service,
                note=note,
                recognized_on=on,
                recognized_by=who,
                wishes_continuing=wish,
            )

        def refused(exc: BaseException) -> None:
            msg.update(lit(self.hw.message_of(exc)))
            field = getattr(exc, "field", None)
            if field in ("note", "recognized_by"):
                self.query_one("#a-note" if field == "note" else "#a-who").focus()

        self.save(work, self._saved, refused)

    def _saved(self, _) -> None:
        self.close_saved(self.t("appr.saved"))
