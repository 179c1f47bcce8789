"""The base of the forms that record something for a seeker: draft, validate, save, close.

A form loses nothing: what is typed is kept as a draft in the app (``app.drafts``, restored
when the form opens again, also after Esc or a lock); a save runs in a thread worker, one at a
time; a refusal keeps the form open with the input and says why; a save drops the draft, says
so and closes the form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import Static

from screens.base import HwScreen, lit, restore, snapshot


def hide_field_errors(screen: Widget) -> None:
    """Hide the error line under every field of ``screen`` (its ``.field-error`` widgets)."""
    for w in screen.query(".field-error"):
        w.display = False


def show_error(screen: Widget, text: str, message_id: str, field: str | None, target: str | None) -> None:
    """Say a refusal ``text`` in ``#message_id`` as an error and, when it is about a field, also on
    that field's error line (``#err-<field>``), focusing its input ``#<target>``; every other error
    line is hidden."""
    hide_field_errors(screen)
    if target:
        err = screen.query_one(f"#err-{field}", Static)
        err.update(lit(text))
        err.display = True
        screen.query_one(f"#{target}").focus()
    msg = screen.query_one(f"#{message_id}", Static)
    msg.update(lit(text))
    msg.add_class("error")


class FormScreen(HwScreen):
    """A form with a draft. A subclass sets ``draft_key`` in ``__init__``, calls
    ``restore_draft()`` once its widgets exist and ``keep_draft()`` when a value changes; its
    ``action_save`` checks the input (validate), then calls ``save(work, saved, refused)``, and
    ``saved`` ends with ``close_saved(message)``."""

    draft_key = ""
    # False while the form is still filling its widgets: a draft taken then would replace the
    # one being restored with half-empty values.
    _ready = True

    def keep_draft(self) -> None:
        """Keep what is typed now (nothing while the form is still being filled)."""
        if self.draft_key and self._ready:
            self.hw.drafts[self.draft_key] = snapshot(self)

    def restore_draft(self) -> dict[str, Any] | None:
        """Put the kept draft back into the widgets; the draft (None when there is none)."""
        draft = self.hw.drafts.get(self.draft_key)
        if draft:
            restore(self, draft)
        return draft

    def drop_draft(self) -> None:
        """Forget the draft (saved, or discarded by the clerk)."""
        self.hw.drafts.pop(self.draft_key, None)

    def save(
        self, work: Callable[[Any], Any], saved: Callable[[Any], None], refused: Callable[[BaseException], None]
    ) -> None:
        """Run ``work(session)`` in a write transaction off the UI thread; ``saved(result)`` or
        ``refused(exc)`` on the UI thread. A second save while one is in flight is ignored."""
        if self.busy("save"):
            return
        self.db(work, saved, refused, write=True, group="save", exclusive=False)

    def close_saved(
        self, message: str, *, severity: SeverityLevel = "information", then: Callable[[], None] | None = None
    ) -> None:
        """After a save: drop the draft, say ``message`` and close the form (unless the clerk has
        already moved on to another screen), then ``then()`` (open what was saved)."""
        self.drop_draft()
        hw = self.hw
        hw.say(message, severity=severity)

        def go() -> None:
            if hw.screen is self:
                hw.pop_screen()
                if then is not None:
                    then()

        hw.later(go)

    def action_back(self) -> None:
        """Esc: close the form, keeping what was typed."""
        self.keep_draft()
        self.hw.pop_screen()
