"""Text fields whose own keys take effect in the order they were typed.

Textual runs a widget's key *bindings* (Backspace, ←, Enter, Ctrl+W …) only after the key has
bubbled up to the app, while printable characters are inserted by the widget as they arrive.
When keys come in one burst — fast typing, and always over SSH, where a terminal sends what
was typed in one packet — the characters typed after a Backspace are inserted before it runs:
``abc⌫de`` became ``abcd`` (measured in tmux on Textual 8.2.8, a plain ``Input`` included).
These subclasses run their own bindings as the key arrives, in order, and stop it there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import events
from textual.widgets import Input as _Input


class InOrderKeys:
    """Mixin for a text widget: its own (non-priority) bindings run when their key arrives."""

    async def _on_key(self, event: events.Key) -> None:
        from screens.textual_private import key_bindings

        own = key_bindings(self)
        for key in event.aliases:
            for binding in own.get(key, ()):
                if binding.priority or not self.check_action(binding.action, ()):  # type: ignore[attr-defined]  # a mixin of Textual's text widgets (DOMNode has it)
                    continue
                event.stop()
                event.prevent_default()
                await self.run_action(binding.action)  # type: ignore[attr-defined]  # a mixin of Textual's text widgets
                return
        await super()._on_key(event)  # type: ignore[misc]  # a mixin of Textual's text widgets


class Input(InOrderKeys, _Input):
    """``textual.widgets.Input`` with editing keys applied in typing order.

    Focusing a field puts the cursor at its end and selects nothing.
    ``advance=True``: Enter submits the field and moves to the next one. The app does both when
    Enter arrives, before it hands on the keys typed after it (a screen that moved focus on
    ``Input.Submitted`` did so only after those keys had gone to the field it left)."""

    def __init__(self, *args: Any, advance: bool = False, **kwargs: Any) -> None:
        # Entering a field never selects what is in it: Textual's default (select on focus) made
        # the first key typed after Tab replace a whole filled-in field (issue 17).
        kwargs.setdefault("select_on_focus", False)
        super().__init__(*args, **kwargs)
        self.advance = advance


if TYPE_CHECKING:  # what __getattr__ below makes, for type checkers
    from textual.widgets import TextArea as _TextArea

    class TextArea(InOrderKeys, _TextArea):
        """``textual.widgets.TextArea`` with editing keys applied in typing order."""


def __getattr__(name: str) -> Any:
    # ``TextArea`` is made on first use: Textual's TextArea and its document machinery cost ~15 ms
    # of the cold start, and the sign-in screen has none.
    if name != "TextArea":
        raise AttributeError(name)
    from textual.widgets import TextArea as _TextArea

    class TextArea(InOrderKeys, _TextArea):
        """``textual.widgets.TextArea`` with editing keys applied in typing order."""

    TextArea.__qualname__ = TextArea.__name__
    TextArea.__module__ = __name__
    globals()["TextArea"] = TextArea
    return TextArea
