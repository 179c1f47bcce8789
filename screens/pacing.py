"""Frame pacing: repaint as soon as the last frame is one frame-interval old.

Textual's screen repaints on a ``Timer`` aligned to a fixed grid of ``1 / TEXTUAL_FPS``. When
the timer wakes after being idle it skips ahead by one to two whole intervals, so the second
repaint of a keystroke (the typed letter is painted first, the search results a few
milliseconds later) waited 4–8 ms at 240 fps and 17–33 ms at 60 fps, doing nothing. Measured
with ``python -m bench``: that wait was a third of the keystroke-to-results latency.

``FramePacer`` keeps the same cap on the frame rate but measures it from the previous frame,
not from the grid: a frame is painted at once if the last one is at least one interval old,
otherwise when it becomes so. Screens get it through ``PacedRepaint``, which supplies the
screen's repaint timer (Textual's ``Screen._update_timer`` property; pinned by
``tests/test_ui_paint.py::test_screens_repaint_through_the_frame_pacer``).
"""

from __future__ import annotations

import asyncio

from textual import _time
from textual.timer import EventTargetGone, Timer


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
        self._update_timer.hold(seconds)  # type: ignore[attr-defined]  # a mixin of Screen: its private update timer

    def release_repaint(self) -> None:
        """End a ``hold_repaint``."""
        self._update_timer.release()  # type: ignore[attr-defined]  # a mixin of Screen: its private update timer

    @property
    def _update_timer(self) -> Timer:
        timer = self.__dict__.get("_hw_pacer")
        if timer is None:
            from textual.screen import UPDATE_PERIOD

            timer = FramePacer(self, UPDATE_PERIOD, name="screen_update", callback=self._on_timer_update, pause=True)  # type: ignore[attr-defined, arg-type]  # a mixin of Screen, which has both
            timer._start()
            self._timers.add(timer)  # type: ignore[attr-defined]  # Screen's private timer set: stopped with the screen
            self.__dict__["_hw_pacer"] = timer
        return timer


__all__ = ["FramePacer", "PacedRepaint"]
