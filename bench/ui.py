"""Pilot half of the benchmark (run in its own process by ``python -m bench``).

``python -m bench.ui ARGS_JSON`` signs in on the real app, types search text key by key and
prints one JSON line: per-keystroke latency from ``pilot.press`` start to the end of the first
frame painted after the results table was updated (``Screen._compositor_refresh`` wrapped, as
in ../shared/perf-probe), then opens the busiest day's queue in the same process and reports
peak RSS (VmHWM). The frame rate is Textual's ``TEXTUAL_FPS`` (set by the parent).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from textual.app import App
from textual.screen import Screen

FRAMES: list[tuple[float, float]] = []
UPDATES: list[tuple[float, str, int]] = []
_orig_refresh, _orig_display = Screen._compositor_refresh, App._display


def _refresh(self):
    t = time.perf_counter()
    _orig_refresh(self)
    FRAMES.append((t, time.perf_counter()))


def _display(self, screen, renderable):
    # The headless driver never turns the update into terminal output: do it, so the cost counts.
    from textual._compositor import CompositorUpdate

    if isinstance(renderable, CompositorUpdate) and not self._batch_count:
        renderable.render_segments(self.console)
    _orig_display(self, screen, renderable)


Screen._compositor_refresh, App._display = _refresh, _display  # type: ignore[method-assign]  # the bench swaps Textual's methods for measured ones

KEYS = {"-": "minus", " ": "space"}


def vm_hwm_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _until(pred, timeout: float = 5.0, step: float = 0.002) -> bool:
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if pred():
            return True
        await asyncio.sleep(step)
    return False


async def run(args: dict) -> dict:
    from textual.widgets import Input

    from screens.app import HwdeskApp
    from screens.search import SearchScreen
    from screens.widgets import RowTable

    orig_set_rows = RowTable.set_rows

    def set_rows(self, rows, keys):
        orig_set_rows(self, rows, keys)
        try:
            value = self.screen.query_one("#search-input", Input).value
        except Exception:
            value = ""
        UPDATES.append((time.perf_counter(), value, len(keys)))

    RowTable.set_rows = set_rows  # type: ignore[method-assign]  # the bench swaps Textual's methods for measured ones

    app = HwdeskApp(args["db"])
    samples: list[dict] = []
    timeouts = 0
    async with app.run_test(size=(120, 40)) as pilot:
        if not await _until(lambda: app.store is not None or app.store_error is not None, 120):
            raise SystemExit("store did not open")
        if app.store_error is not None:
            raise app.store_error
        await pilot.pause()
        screen = app.screen
        screen.query_one("#login", Input).value = args["login"]
        screen.query_one("#password", Input).value = args["password"]
        screen.query_one("#password", Input).focus()
        await pilot.press("enter")
        if not await _until(lambda: isinstance(app.screen, SearchScreen), 60):
            raise SystemExit("sign-in did not reach the search screen")
        await pilot.pause()
        inp = app.screen.query_one("#search-input", Input)
        inp.cursor_blink = False
        inp.focus()
        await pilot.pause(0.1)
        for rep in range(args["reps"] + 1):  # rep 0 warms caches and is dropped
            for category, text in args["texts"]:
                inp.value = ""
                await asyncio.sleep(0.08)
                for i, ch in enumerate(text):
                    current = text[: i + 1]
                    n_before = len(UPDATES)
                    t0 = time.perf_counter()
                    await pilot.press(KEYS.get(ch, ch))

                    def done(n_before=n_before, current=current) -> bool:
                        ups = [u for u in UPDATES[n_before:] if u[1] == current]
                        return bool(ups) and any(f[0] >= ups[-1][0] for f in FRAMES)

                    ok = await _until(done, 5.0)
                    if not ok:
                        timeouts += 1
                        continue
                    tu, _, n = [u for u in UPDATES[n_before:] if u[1] == current][-1]
                    frame = next(f for f in FRAMES if f[0] >= tu)
                    if rep:
                        cat = category
                        if category == "kanji":
                            cat = "kanji1" if len(current) == 1 else "kanji2" if len(current) == 2 else "kanji3+"
                        samples.append(
                            {
                                "path": cat,
                                "q": current,
                                "rows": n,
                                "ms": (frame[1] - t0) * 1e3,
                                "update_ms": (tu - t0) * 1e3,
                            }
                        )
                    await asyncio.sleep(args.get("gap", 0.06))
        # Memory: the busiest day's queue loaded in this process next to the search results.
        from datetime import date

        from hwdesk.services.context import SYSTEM
        from hwdesk.services.queue import daily_queue

        inp.value = args["texts"][0][1][:1]  # a one-letter reading: a full page out of 1M
        await asyncio.sleep(0.3)
        with app.store.read() as s:
            view = daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=date.fromisoformat(args["day"]))
        await pilot.pause(0.2)
        rss = vm_hwm_mb()
        queue_rows = len(view.rows)
    return {
        "fps": args.get("fps"),
        "samples": samples,
        "timeouts": timeouts,
        "peak_rss_mb": rss,
        "queue_rows": queue_rows,
    }


def main() -> None:
    args = json.loads(sys.argv[1])
    out = asyncio.run(run(args))
    sys.stdout.write("BENCH-UI " + json.dumps(out, ensure_ascii=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
