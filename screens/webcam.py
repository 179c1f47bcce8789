"""Confirm (or withdraw) that the seeker has a device able to communicate by webcam."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from screens.base import HwModal, lit
from screens.footer import KeyFooter


class WebcamScreen(HwModal):
    """Dismisses with True (confirmed), False (not confirmed) or None (Esc)."""

    CSS_PATH = "webcam.tcss"
    AUTO_FOCUS = "#wc-yes"
    BINDINGS = [
        Binding("y", "answer(True)", "k.confirm"),
        Binding("n", "answer(False)", "k.not_confirmed"),
        Binding("escape", "answer(None)", "k.back"),
    ]

    def __init__(self, seeker_name: str, cite: str) -> None:
        super().__init__()
        self.seeker_name = seeker_name
        self.cite = cite

    def compose(self) -> ComposeResult:
        with Vertical(id="wc-box"):
            yield Static(lit(self.t("webcam.title")), classes="section-title")
            yield Static(lit(self.seeker_name), id="wc-name")
            yield Static(lit(self.t("webcam.body", cite=self.cite)))
            with Horizontal(id="wc-buttons"):
                yield Button(self.t("k.confirm") + " (y)", id="wc-yes", variant="success", compact=True)
                yield Button(self.t("k.not_confirmed") + " (n)", id="wc-no", variant="error", compact=True)
        yield KeyFooter(compact=True)

    @on(Button.Pressed, "#wc-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#wc-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, value: bool | None) -> None:
        self.dismiss(value)
