"""Small typed dialogs shared by the counter screens.

- ``FinalConfirm`` (bool): a step nobody can undo alone (a final state, declining an offer,
  cancelling bookings). It says what will happen; only ``y`` goes ahead — Enter, ``n`` and Esc
  keep things as they are (the default is No, so no single stray key finalizes anything).
- ``Pick`` (str | None): one of a few options by its digit.
- ``Ask`` (str | None): one line of text (a reason, a date); an optional ``check`` turns the text
  into a value or raises an ``HwdeskError`` whose message is shown in the dialog, input kept.
- ``ConfirmModal`` (bool): a yes/no question for a step that can be undone (reprint, a seat).
- ``CancelReasonModal`` (str | None): why a session or a seat is cancelled, by its digit.
- ``LiftModal`` (str | None): the reason for lifting a stop of use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from hwdesk.texts import pick
from screens.base import HwModal, lines, lit
from screens.inputs import Input


class FinalConfirm(HwModal, ModalScreen[bool]):
    """What will happen, then ``y`` to do it; Enter, ``n`` or Esc keep things as they are."""

    BINDINGS = [
        Binding("y", "answer(True)", "k.yes"),
        Binding("n,escape,enter", "answer(False)", "k.no"),
    ]
    DEFAULT_CSS = """
    FinalConfirm { align: center middle; }
    FinalConfirm > Vertical { width: 74; max-width: 100%; height: auto; border: thick $error; background: $surface; padding: 1 2; }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(lines(lit(self.what, multiline=True), self.t("dlg.final_keys")), markup=False, id="fc-text")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Pick(HwModal, ModalScreen["str | None"]):
    """A prompt and up to nine options, chosen by digit; Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "pick(-1)", "k.back"),
        *(Binding(str(n), f"pick({n})", show=False) for n in range(1, 10)),
    ]
    DEFAULT_CSS = """
    Pick { align: center middle; }
    Pick > Vertical { width: 70; max-width: 100%; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, prompt: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.prompt = prompt
        self.options = options[:9]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                lines(
                    lit(self.prompt, multiline=True), *(f"{i}: {label}" for i, (_, label) in enumerate(self.options, 1))
                ),
                markup=False,
                id="pk-text",
            )

    def action_pick(self, n: int) -> None:
        if n == -1:
            self.dismiss(None)
        elif 1 <= n <= len(self.options):
            self.dismiss(self.options[n - 1][0])


class Ask(HwModal, ModalScreen[Any]):
    """One line of text; Enter gives it back (through ``check`` when given), Esc goes back."""

    BINDINGS = [Binding("escape", "dismiss_none", "k.back")]
    AUTO_FOCUS = "#ask-input"
    DEFAULT_CSS = """
    Ask { align: center middle; }
    Ask > Vertical { width: 74; max-width: 100%; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    Ask #ask-msg { color: $error; height: auto; }
    """

    def __init__(
        self, prompt: str, *, placeholder: str = "", value: str = "", check: Callable[[str], Any] | None = None
    ) -> None:
        super().__init__()
        self.prompt, self.placeholder, self.value, self.check = prompt, placeholder, value, check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(lit(self.prompt, multiline=True), markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="ask-input", compact=True)
            yield Static("", id="ask-msg", markup=False)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        if self.check is None:
            self.dismiss(text)
            return
        try:
            value = self.check(text)
        except Exception as exc:  # a parse error is shown here, the text kept
            self.query_one("#ask-msg", Static).update(lit(self.hw.message_of(exc)))
            return
        self.dismiss(value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class CancelReasonModal(HwModal, ModalScreen["str | None"]):
    """Why the session (or one seat, with its own ``prompt``) is cancelled (str): 1 by the seeker,
    2 by the office, 3 connection trouble; Esc goes back (None)."""

    BINDINGS = [
        Binding("1", "pick('by_seeker')", show=False),
        Binding("2", "pick('by_office')", show=False),
        Binding("3", "pick('connection')", show=False),
        Binding("escape", "dismiss_none", "k.back"),
    ]
    DEFAULT_CSS = """
    CancelReasonModal { align: center middle; }
    CancelReasonModal > Vertical { width: 60; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, prompt: str | None = None) -> None:
        super().__init__()
        self.prompt = prompt

    def compose(self) -> ComposeResult:
        from hwdesk.states import CANCEL_LABELS

        opts = [
            f"{n}: {pick(*CANCEL_LABELS[k], self.lang)}"
            for n, k in ((1, "by_seeker"), (2, "by_office"), (3, "connection"))
        ]
        with Vertical():
            prompt = lit(self.prompt, multiline=True) if self.prompt else self.t("sess.cancel_prompt")
            yield Static(lines(prompt, *opts), markup=False)

    def action_pick(self, reason: str) -> None:
        self.dismiss(reason)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConfirmModal(HwModal, ModalScreen[bool]):
    """A yes/no question for a step that can be undone (shown literally; bool): y or Enter
    answers yes, n or Esc no. A final step asks with ``FinalConfirm`` instead."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", show=False),
        Binding("n,escape", "answer(False)", show=False),
    ]
    DEFAULT_CSS = """
    ConfirmModal { align: center middle; }
    ConfirmModal > Vertical { width: 70; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(lines(lit(self.question, multiline=True), self.t("sess.confirm_keys")), markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class LiftModal(HwModal, ModalScreen["str | None"]):
    """The reason for lifting a stop of use (str; Enter lifts, Esc goes back: None)."""

    BINDINGS = [Binding("escape", "dismiss_none", "k.back")]
    AUTO_FOCUS = "#lift-reason"
    DEFAULT_CSS = """
    LiftModal { align: center middle; }
    LiftModal > Vertical { width: 70; height: auto; border: thick $warning; background: $surface; padding: 1 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(lit(self.t("term.lift_prompt")), markup=False)
            yield Input(placeholder=self.t("term.lift_reason"), id="lift-reason", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if value:
            self.dismiss(value)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
