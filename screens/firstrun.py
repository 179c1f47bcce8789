"""First run: a database with no staff creates its administrator here, then signs in."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Label, Select, Static

from hwdesk.texts import pick
from screens.base import HwScreen, lit
from screens.footer import KeyFooter
from screens.inputs import Input

FIELDS = ("login", "name", "office", "password", "password2")


class FirstRunScreen(HwScreen):
    """Create the first administrator (``auth.create_staff`` allows it when there is no staff)."""

    CSS_PATH = "firstrun.tcss"
    TITLE_KEY = "first.title"
    AUTO_FOCUS = "#fr-login"
    BINDINGS = [Binding("ctrl+s", "create", "k.create_admin")]

    def compose(self) -> ComposeResult:
        yield self.header()
        with VerticalScroll(id="fr-box"):
            yield Static(lit(self.t("first.title")), classes="section-title")
            yield Static(lit(self.t("first.intro")), classes="muted")
            yield Label(self.t("first.login"), markup=False, classes="field-label")
            yield Input(id="fr-login", advance=True, compact=True, max_length=40)
            yield Static("", id="fr-login-error", classes="field-error", markup=False)
            yield Label(self.t("first.name"), markup=False, classes="field-label")
            yield Input(id="fr-name", advance=True, compact=True, max_length=60)
            yield Static("", id="fr-name-error", classes="field-error", markup=False)
            yield Label(self.t("first.office"), markup=False, classes="field-label")
            offices = [(pick(o["name"], o["name_en"], self.lang), o["id"]) for o in self.hw.offices]
            yield Select(offices, id="fr-office", allow_blank=False, compact=True)
            yield Static("", id="fr-office-error", classes="field-error", markup=False)
            yield Label(self.t("first.password"), markup=False, classes="field-label")
            yield Input(id="fr-password", advance=True, password=True, compact=True)
            yield Static("", id="fr-password-error", classes="field-error", markup=False)
            yield Label(self.t("first.password2"), markup=False, classes="field-label")
            yield Input(id="fr-password2", password=True, compact=True)
            yield Static("", id="fr-password2-error", classes="field-error", markup=False)
            yield Button(self.t("first.button"), id="fr-create", variant="primary", compact=True)
            yield Static("", id="fr-msg", markup=False)
        yield KeyFooter(compact=True)

    def _error(self, field: str, text: str) -> None:
        for f in FIELDS:
            self.query_one(f"#fr-{f}-error", Static).update("")
        self.query_one(f"#fr-{field}-error", Static).update(lit(text))
        self.query_one(f"#fr-{field}").focus()

    @on(Input.Submitted, "#fr-password2")
    def _submitted(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#fr-create")
    def action_create(self) -> None:
        login = self.query_one("#fr-login", Input).value.strip()
        name = self.query_one("#fr-name", Input).value
        office = self.query_one("#fr-office", Select).value
        pw = self.query_one("#fr-password", Input).value
        pw2 = self.query_one("#fr-password2", Input).value
        if pw != pw2:
            self._error("password2", self.t("first.mismatch"))
            return
        self.query_one("#fr-msg", Static).update(lit(self.t("common.working")))

        def work(store):
            from hwdesk.services import auth
            from hwdesk.services.context import SYSTEM
            from hwdesk.services.offices import profile

            with store.write() as s:
                auth.create_staff(
                    s,
                    actor=SYSTEM,
                    login=login,
                    name=name,
                    role="admin",
                    office_id=str(office) if office is not Select.NULL else "",
                    password=pw,
                )
            actor = auth.sign_in(store, login=login, password=pw)
            with store.read() as s:
                return actor, profile(s, actor.office_id).idle_lock_minutes

        self.db(work, self._created, self._refused, store=True, group="create")

    def _created(self, result) -> None:
        actor, minutes = result
        self.hw.staff_count = 1
        self.hw.say(self.t("first.created", login=actor.login))
        self.hw.signed_in(actor, minutes)

    def _refused(self, exc: BaseException) -> None:
        self.query_one("#fr-msg", Static).update("")
        field = getattr(exc, "field", None)
        if field in FIELDS:
            self._error(field, self.hw.message_of(exc))
        else:
            self.query_one("#fr-msg", Static).update(lit(self.hw.message_of(exc)))
