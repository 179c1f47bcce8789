"""Companion notice: an interpreter (with language), a caregiver or another companion, for one
session or standing; the time of the notice is recorded (late when after the session started)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Select, Static

from screens.base import lit, restore, snapshot
from screens.footer import KeyFooter
from screens.forms import FormScreen, hide_field_errors, show_error
from screens.inputs import Input


class CompanionScreen(FormScreen):
    """``CompanionScreen(seeker_id, office_id)``."""

    CSS_PATH = "companion.tcss"
    TITLE_KEY = "comp.title"
    AUTO_FOCUS = "#c-kind"
    BINDINGS = [
        Binding("ctrl+s", "save", "k.save"),
        Binding("escape", "back", "k.back"),
    ]

    def __init__(self, seeker_id: int, office_id: str) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.office_id = office_id
        self.draft_key = f"companion:{seeker_id}:{office_id}"
        self._ready = False

    def _row(self, label: str, widget, error_id: str) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label, markup=False, classes="form-label")
            yield widget
        yield Static("", id=error_id, classes="field-error", markup=False)

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        with VerticalScroll(id="c-body"):
            yield Static(lit(t("comp.title")), classes="section-title")
            yield Static("", id="c-seeker", markup=False)
            yield Static("", id="c-intro", classes="muted", markup=False)
            yield from self._row(
                t("comp.kind"),
                Select(
                    [
                        (t("comp.interpreter"), "interpreter"),
                        (t("comp.caregiver"), "caregiver"),
                        (t("comp.other"), "other"),
                    ],
                    id="c-kind",
                    allow_blank=False,
                    compact=True,
                    value="interpreter",
                ),
                "err-kind",
            )
            yield from self._row(
                t("comp.language"),
                Input(advance=True, id="c-language", compact=True, max_length=40, placeholder="英語 / English"),
                "err-language",
            )
            yield from self._row(
                t("comp.name"),
                Input(advance=True, id="c-name", compact=True, max_length=60, placeholder=t("comp.name_hint")),
                "err-name",
            )
            yield from self._row(
                t("comp.scope"),
                Select(
                    [(t("comp.standing"), "standing"), (t("comp.one"), "one")],
                    id="c-scope",
                    allow_blank=False,
                    compact=True,
                    value="standing",
                ),
                "err-scope",
            )
            yield from self._row(
                t("comp.session_id"),
                Input(advance=True, id="c-session", compact=True, max_length=12, restrict=r"[0-9]*", placeholder="123"),
                "err-session_id",
            )
            yield Static(lit(t("comp.when")), classes="muted")
            yield Static("", id="c-msg", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        hide_field_errors(self)
        draft = self.hw.drafts.get(self.draft_key)
        if draft:
            with self.prevent(Input.Changed, Select.Changed):
                restore(self, draft)
        self._sync()
        self._ready = True
        sid, office = self.seeker_id, self.office_id

        def work(s):
            from hwdesk.services.offices import profile
            from hwdesk.services.seekers import seeker_of

            sk = seeker_of(s, actor=self.hw.actor, seeker_id=sid)
            return sk.name, sk.seeker_no, profile(s, office)

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        name, no, prof = result
        self.query_one("#c-seeker", Static).update(lit(f"{name}（{no}）", "bold"))
        self.query_one("#c-intro", Static).update(
            lit(self.t("comp.intro", office=prof.display_name(self.lang), cite=prof.cite("companions")))
        )

    def _sync(self) -> None:
        kind = self.query_one("#c-kind", Select).value
        self.query_one("#c-language", Input).disabled = kind != "interpreter"
        one = self.query_one("#c-scope", Select).value == "one"
        self.query_one("#c-session", Input).disabled = not one

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._sync()
        self.keep_draft()

    def _error(self, field: str | None, text: str) -> None:
        target = {"kind": "c-kind", "language": "c-language", "name": "c-name", "session_id": "c-session"}.get(
            field or ""
        )
        show_error(self, text, "c-msg", field, target)

    def action_save(self) -> None:
        if self.busy("save"):
            return
        v = snapshot(self)
        kind = v.get("c-kind") or "interpreter"
        session_id = None
        if v.get("c-scope") == "one":
            raw = (v.get("c-session") or "").strip()
            if not raw.isdigit():
                self._error("session_id", self.t("comp.session_needed"))
                return
            session_id = int(raw)
        language = v.get("c-language", "") if kind == "interpreter" else ""
        name = v.get("c-name", "")
        sid, office, actor = self.seeker_id, self.office_id, self.hw.actor

        def work(s):
            from hwdesk.services.consent import record_companion

            n = record_companion(
                s,
                actor=actor,
                seeker_id=sid,
                office_id=office,
                kind=kind,
                name=name,
                language=language,
                session_id=session_id,
            )
            return n.late

        self.save(work, self._saved, lambda exc: self._error(getattr(exc, "field", None), self.hw.message_of(exc)))

    def _saved(self, late: bool) -> None:
        self.close_saved(self.t("comp.saved_late" if late else "comp.saved"))
