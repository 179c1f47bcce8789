"""The idle lock: hides every screen until the same person types the password again.

It is a modal screen over whatever was open, so what the clerk was typing stays in the screens
behind; keys typed here go to the password field only (the app refuses its own actions while
locked, see ``HwdeskApp.check_action``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Label, Static

from screens.base import HwModal, StaffHeader, lit
from screens.footer import KeyFooter
from screens.inputs import Input


class LockScreen(HwModal):
    """Password prompt over an opaque background."""

    CSS_PATH = "lock.tcss"
    AUTO_FOCUS = "#unlock-password"
    BINDINGS = [
        Binding("escape", "noop", show=False),
        Binding("ctrl+o", "app.sign_out", "k.sign_out"),
    ]

    def __init__(self, *, manual: bool = False) -> None:
        super().__init__()
        self.manual = manual  # Ctrl+L: the clerk locked it, not the idle timer

    def compose(self) -> ComposeResult:
        actor = self.hw.actor
        yield StaffHeader(self.t("lock.title"))
        with Center():
            with Vertical(id="lock-box"):
                yield Static(lit(self.t("lock.title")), id="lock-title")
                yield Static(
                    lit(
                        self.t(
                            "lock.body_manual" if self.manual else "lock.body",
                            name=actor.name if actor else "",
                            login=actor.login if actor else "",
                        )
                    )
                )
                yield Label(self.t("lock.password"), markup=False, classes="field-label")
                yield Input(id="unlock-password", password=True, compact=True)
                yield Static("", id="lock-msg", markup=False)
                yield Static(lit(self.t("lock.kept")), classes="muted")
                yield Static(lit(self.t("lock.other")), classes="muted")
        yield KeyFooter(compact=True)

    def action_noop(self) -> None:
        """Esc does not leave the lock."""

    @on(Input.Submitted, "#unlock-password")
    def _unlock(self) -> None:
        field = self.query_one("#unlock-password", Input)
        password = field.value
        field.value = ""
        if not password:
            return
        actor = self.hw.actor
        self.query_one("#lock-msg", Static).update(lit(self.t("lock.checking")))

        def work(store):
            from hwdesk.services import auth

            return auth.verify_unlock(store, actor=actor, password=password)

        self.db(work, self._checked, self._failed, store=True, group="unlock")

    def _checked(self, ok: bool) -> None:
        if ok:
            self.hw.unlocked()
        else:
            self.query_one("#lock-msg", Static).update(lit(self.t("lock.wrong")))
            self.query_one("#unlock-password", Input).focus()

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#lock-msg", Static).update(lit(self.hw.message_of(exc)))
