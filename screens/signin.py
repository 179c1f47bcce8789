"""Sign-in: staff ID and password. On a demo database the demo accounts are shown here only."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Label, Static

from screens.base import HwScreen, StaffHeader, fit, lines, lit
from screens.footer import KeyFooter
from screens.inputs import Input

DEMO_PASSWORD = "hwdesk-demo"
ROLE_KEYS = {"clerk": "signin.demo_clerk", "supervisor": "signin.demo_super", "admin": "signin.demo_admin"}


class SignInScreen(HwScreen):
    """Staff ID + password. A failed sign-in shows the service's message."""

    CSS_PATH = "signin.tcss"
    TITLE_KEY = "signin.title"
    AUTO_FOCUS = "#login"

    def compose(self) -> ComposeResult:
        yield self.header()
        with Center():
            with Vertical(id="signin-box"):
                yield Static(lit(self.t("app.title")), id="signin-app")
                yield Label(self.t("signin.login"), markup=False)
                yield Input(id="login", compact=True, max_length=40, advance=True)
                yield Label(self.t("signin.password"), markup=False)
                yield Input(id="password", password=True, compact=True, max_length=200)
                yield Static("", id="signin-msg", markup=False)
                yield Button(self.t("signin.button"), id="signin-button", compact=True, variant="primary")
                yield Static(lit(self.t("common.store_wait")), id="signin-status", markup=False)
        with Center():
            yield Static("", id="demo-box", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        app = self.hw
        self.call_after_refresh(app.start_store)
        if app.store is not None or app.store_error is not None:
            self.store_opened() if app.store_error is None else self.store_failed(app.store_error)
        elif app.is_demo:
            self._show_demo()

    # --- store state --------------------------------------------------------------------------

    def store_opened(self) -> None:
        self.query_one("#signin-status", Static).update("")
        self.query_one(StaffHeader).refresh_who()
        self._show_demo()

    def store_failed(self, exc: BaseException) -> None:
        self.query_one("#signin-status", Static).update(lit(self.t("signin.store_failed", msg=self.hw.message_of(exc))))
        self.query_one("#signin-status").add_class("error")

    def _show_demo(self) -> None:
        box = self.query_one("#demo-box", Static)
        if not self.hw.is_demo:
            box.display = False
            return
        parts = [lit(self.t("signin.demo_title"), "bold")]
        if self.hw.demo_notice:
            parts.append(lit(self.hw.demo_notice))
        parts.append(lit(self.t("signin.demo_body", password=DEMO_PASSWORD)))
        # One line an office (every office's accounts fit at 80×24): its name and its logins, which
        # start with their role (the legend above them).
        by_office: dict[str, list[str]] = {}
        for login, _role, office in self.hw.demo_accounts:
            by_office.setdefault(office, []).append(login)
        parts.append(lit(self.t("signin.demo_roles")))
        for office, logins in by_office.items():
            parts.append(lit(f"  {fit(self.hw.office_name(office, short=True), 6)} {' '.join(logins)}"))
        box.update(lines(*parts))
        box.display = True

    # --- signing in ---------------------------------------------------------------------------

    @on(Input.Submitted, "#password")
    @on(Button.Pressed, "#signin-button")
    def action_sign_in(self) -> None:
        login = self.query_one("#login", Input).value.strip()
        password = self.query_one("#password", Input).value
        msg = self.query_one("#signin-msg", Static)
        if not login:
            msg.update(lit(self.t("signin.need_login")))
            self.query_one("#login", Input).focus()
            return
        if not password:
            msg.update(lit(self.t("signin.need_password")))
            self.query_one("#password", Input).focus()
            return
        msg.update(lit(self.t("signin.checking")))

        def work(store):
            from hwdesk.services import auth
            from hwdesk.services.offices import profile

            actor = auth.sign_in(store, login=login, password=password)
            with store.read() as s:
                minutes = profile(s, actor.office_id).idle_lock_minutes
            return actor, minutes

        self.db(work, self._signed_in, self._refused, store=True, group="signin")

    def _signed_in(self, result) -> None:
        actor, minutes = result
        self.hw.signed_in(actor, minutes)

    def _refused(self, exc: BaseException) -> None:
        self.query_one("#signin-msg", Static).update(lit(self.hw.message_of(exc)))
        pw = self.query_one("#password", Input)
        pw.value = ""
        pw.focus()
