"""Everything the screens take from Textual's internals, gathered here and fenced by a test.

Textual 8's public API has no way to do these; each is a speed-up or a fix for a Textual bug,
and ``tests/test_private_apis.py`` checks every internal named below against the installed
release, failing with the name of the one that changed (Textual is pinned ``>=8.0,<9``).

- Frame pacing (``FramePacer``, ``PacedRepaint``): the screen's repaint timer. Textual's screen
  repaints on a ``Timer`` aligned to a fixed grid of ``1 / TEXTUAL_FPS``; when the timer wakes
  after being idle it skips ahead by one to two whole intervals, so the second repaint of a
  keystroke (the typed letter is painted first, the search results a few milliseconds later)
  waited 4–8 ms at 240 fps and 17–33 ms at 60 fps, doing nothing — measured with
  ``python -m bench``, a third of the keystroke-to-results latency. ``FramePacer`` keeps the cap
  on the frame rate but measures it from the previous frame, not from the grid. Uses
  ``Screen._update_timer`` (a property), ``Screen._on_timer_update``, ``Screen._timers``,
  ``textual.screen.UPDATE_PERIOD``, and ``Timer._run``/``_tick``/``_start``/``_active``/
  ``_interval``/``_reset``, ``textual._time``.
- Key bindings in the UI language and shown or hidden per row (``key_bindings``): a node's
  ``_bindings.key_to_bindings``.
- The app's event loop from another thread (``event_loop``): ``App._loop``.
- The footer's stale watchers (``forget_closed_watchers``): the ``__watchers`` attribute
  ``textual.reactive`` keeps on a node, and ``_closing``/``_closed`` of a node.
- Three crashes in Textual 8.2's command palette (``guard_option_list_paging``,
  ``guard_palette_closing``, ``guard_palette_countdowns``): ``OptionList._move_page``/
  ``_index_to_line``, ``CommandPalette._watch__list_visible``, ``_start_no_matches_countdown``,
  ``_start_busy_countdown`` and ``_watch__show_busy``.
- ``FooterKey`` from ``textual.widgets._footer`` (not exported by ``textual.widgets``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual import _time
from textual.binding import Binding
from textual.timer import EventTargetGone, Timer
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

__all__ = [
    "FooterKey",
    "FramePacer",
    "PacedRepaint",
    "event_loop",
    "forget_closed_watchers",
    "guard_option_list_paging",
    "guard_palette_closing",
    "guard_palette_countdowns",
    "key_bindings",
]


# --- frame pacing -------------------------------------------------------------------------------


class FramePacer(Timer):
    """A repaint timer that waits only for what is left of one frame interval.

    ``hold(seconds)`` asks it to keep the next frame back until ``release()`` or the deadline:
    a search keystroke holds the echo of the typed letter for the ~2 ms its query takes, so the
    letter and its results are painted in one frame instead of two (at any frame rate).
    """

    _hold_until = 0.0
    _released: asyncio.Event | None = None

    def hold(self, seconds: float) -> None:
        """Keep the next frame back for at most ``seconds`` (or until ``release``)."""
        self._hold_until = _time.get_time() + seconds
        if self._released is None:
            self._released = asyncio.Event()
        self._released.clear()

    def release(self) -> None:
        """Paint now (within the frame-rate cap) what a ``hold`` kept back."""
        self._hold_until = 0.0
        if self._released is not None:
            self._released.set()

    async def _run(self) -> None:
        interval = self._interval
        last = -interval
        while True:
            await self._active.wait()  # paused until a widget needs repainting
            held = self._hold_until - _time.get_time()
            if held > 0 and self._released is not None:
                try:
                    await asyncio.wait_for(self._released.wait(), held)
                except TimeoutError:
                    pass
            wait = last + interval - _time.get_time()
            if wait > 0:
                await _time.sleep(wait)
            last = _time.get_time()
            self._reset = False
            try:
                await self._tick(next_timer=last, count=0)
            except EventTargetGone:
                break


class PacedRepaint:
    """Mixin for a Screen: its repaint timer is a ``FramePacer``."""

    def hold_repaint(self, seconds: float) -> None:
        """Paint the next frame only when ``release_repaint`` is called, or after ``seconds``."""
        self._update_timer.hold(seconds)  # type: ignore[attr-defined]  # the screen's timer is a FramePacer (see _update_timer)

    def release_repaint(self) -> None:
        """End a ``hold_repaint``."""
        self._update_timer.release()  # type: ignore[attr-defined]  # the screen's timer is a FramePacer (see _update_timer)

    @property
    def _update_timer(self) -> Timer:
        timer = self.__dict__.get("_hw_pacer")
        if timer is None:
            from textual.screen import UPDATE_PERIOD

            timer = FramePacer(self, UPDATE_PERIOD, name="screen_update", callback=self._on_timer_update, pause=True)  # type: ignore[attr-defined, arg-type]  # a mixin of Screen, which has both
            timer._start()
            self._timers.add(timer)  # type: ignore[attr-defined]  # stopped with the screen
            self.__dict__["_hw_pacer"] = timer
        return timer


# --- bindings, the event loop, watchers ---------------------------------------------------------


def key_bindings(node: Any) -> dict[str, list[Binding]]:
    """A node's own bindings by key (the live mapping: assigning into it changes them; call
    ``refresh_bindings`` after)."""
    return node._bindings.key_to_bindings


def set_key_bindings(node: Any, mapping: dict[str, list[Binding]]) -> None:
    """Replace a node's own bindings by key."""
    node._bindings.key_to_bindings = mapping


def event_loop(app: Any) -> asyncio.AbstractEventLoop | None:
    """The running app's event loop (to call into it from another thread), or None."""
    return app._loop


def forget_closed_watchers(node: Any) -> None:
    """Drop the reactive watchers ``node`` keeps for nodes that have been removed."""
    watchers = getattr(node, "__watchers", None)  # Textual's own attribute name (reactive._watch)
    for items in (watchers or {}).values():
        items[:] = [(other, cb) for other, cb in items if not (other._closing or other._closed)]


# --- command palette fixes ----------------------------------------------------------------------


def guard_option_list_paging() -> None:
    """PageUp/PageDown typed quickly after a letter in the command palette crashed the app with
    ``KeyError`` (Textual 8.2: ``OptionList._move_page`` reads the line of the highlighted option
    before the list, still hidden while the search runs, has laid out its lines; its sibling
    ``scroll_to_highlight`` already guards this). Page only once the list knows where its options
    are. Found by tests/test_monkey.py."""
    original = OptionList._move_page
    if getattr(original, "_hwdesk_guarded", False):
        return

    def _move_page(self: OptionList, direction) -> None:
        highlighted = self.highlighted
        if highlighted is not None and highlighted not in self._index_to_line:
            return
        original(self, direction)

    _move_page._hwdesk_guarded = True  # type: ignore[attr-defined]  # a marker on the function: the guard is installed once
    OptionList._move_page = _move_page  # type: ignore[method-assign]  # patching Textual's method is this guard's purpose


def guard_palette_closing() -> None:
    """Esc typed while the palette's search worker was still gathering hits crashed the app with
    ``NoMatches`` (Textual 8.2: the worker, not cancelled when the palette closes, then sets
    ``_list_visible``, whose watcher queries the palette's list after it was removed). Update the
    list's classes only while the palette is open and still holds it (not once it began to close:
    its widgets go one by one then). Found by tests/test_monkey.py."""
    from textual.command import CommandList, CommandPalette

    original = CommandPalette._watch__list_visible
    if getattr(original, "_hwdesk_guarded", False):
        return

    def _watch__list_visible(self: CommandPalette) -> None:
        if self._closing or self._closed or not self.is_attached or not self.query(CommandList):
            return
        original(self)

    _watch__list_visible._hwdesk_guarded = True  # type: ignore[attr-defined]  # a marker on the function: the guard is installed once
    CommandPalette._watch__list_visible = _watch__list_visible  # type: ignore[method-assign]  # patching Textual's method is this guard's purpose


def guard_palette_countdowns() -> None:
    """A letter typed just before Esc can reach the palette after Esc closed it (the key's
    ``Input.Changed`` travels up separately from the key): the palette then starts a search the
    close does not cancel (Textual 8.2 cancels a widget's workers only at unmount, after its
    children are gone). When that search found nothing it started the 'No matches' countdown on
    the closing palette, whose timers had already been stopped; nothing stopped the new one, and
    half a second later it queried the removed list (``NoMatches('CommandList')``) and took the app
    down. A closing palette starts no countdown, and its busy indicator is left alone once its
    widgets are gone. Found by tests/test_monkey.py under ``-n 4``."""
    from textual.command import CommandList, CommandPalette

    for name in ("_start_no_matches_countdown", "_start_busy_countdown"):
        original = getattr(CommandPalette, name)
        if getattr(original, "_hwdesk_guarded", False):
            continue

        def start(self: CommandPalette, *args: Any, _original: Callable[..., None] = original) -> None:
            if self._closing or self._closed or not self.is_attached:
                return
            _original(self, *args)

        start._hwdesk_guarded = True  # type: ignore[attr-defined]  # a marker on the function: the guard is installed once
        setattr(CommandPalette, name, start)

    watch_busy = CommandPalette._watch__show_busy
    if not getattr(watch_busy, "_hwdesk_guarded", False):

        async def _watch__show_busy(self: CommandPalette) -> None:
            if self._closing or self._closed or not self.is_attached or not self.query(CommandList):
                return
            await watch_busy(self)

        _watch__show_busy._hwdesk_guarded = True  # type: ignore[attr-defined]  # a marker on the function: the guard is installed once
        CommandPalette._watch__show_busy = _watch__show_busy  # type: ignore[method-assign]  # patching Textual's method is this guard's purpose
