"""Make the README's screenshots: ``python -m screens.screenshots OUT_DIR [--size 120x40] [--png]``.

Builds a small demo database in a temporary directory, drives the app with Textual's Pilot and
saves SVGs (sign-in, search, seeker detail with readiness, terms viewer, the daily queue, and the
handout preview with the printer choice open). The printers shown are two fixed demo printers, not
this machine's CUPS. With ``--png`` each SVG is also rendered to ``screen-*.png`` by
:mod:`screens.svg_to_png` (Japanese in a monospace CJK font, each wide character on exactly two
cells; needs ``rsvg-convert`` and Debian's ``fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from hwdesk.clock import JST

#: The day the pictures are taken: Wednesday 3 February 2027 (令和9年), 10:30 in Japan, an open
#: day in a week with sessions. tests/test_snapshots.py takes its pictures in the same world.
NOW = datetime(2027, 2, 3, 10, 30, tzinfo=JST)
SEED = 3
SEEKERS_PER_OFFICE = 40


@contextmanager
def frozen():
    """The clock stopped at ``NOW`` (dates and wall-clock time; asyncio's monotonic clock runs),
    so every date, age, "today" and audit time in a picture is the same on every run.
    Needs ``time-machine`` (a test dependency)."""
    import time_machine

    with time_machine.travel(NOW, tick=False):
        yield


def build_db(folder: Path, name: str = "shots.sqlite3") -> str:
    """The demo database (the same builder as ``hwdesk demo``) from a fixed seed on ``NOW``'s day,
    with an interpreter announced for the day's first booked seeker at 高松."""
    from hwdesk.db import open_store
    from hwdesk.services.demo import build_demo

    path = folder / name
    with frozen():
        store = open_store(path)
        with store.write() as s:
            build_demo(s, seekers_per_office=SEEKERS_PER_OFFICE, seed=SEED, today=NOW.date())
        with store.write() as s:
            _interpreter_today(s)
        store.dispose()
    return str(path)


def _interpreter_today(s) -> None:
    """Today's first booked seeker at 高松 brings an interpreter (the widest cells of the queue)."""
    from hwdesk.services import consent, queue
    from hwdesk.services.context import SYSTEM

    view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=NOW.date())
    row = next(r for r in view.rows if not r.group and r.seeker)
    assert row.seeker is not None
    consent.record_companion(
        s,
        actor=SYSTEM,
        seeker_id=row.seeker.id,
        office_id="takamatsu",
        kind="interpreter",
        language="ベトナム語",
        name="グエン・ヴァン・アン",
    )


async def shoot(db: str, out: Path, size: tuple[int, int], suffix: str, lang: str) -> list[Path]:
    from textual.widgets import Input

    from screens.app import HwdeskApp
    from screens.widgets import RowTable

    app = HwdeskApp(db, lang=lang)
    saved: list[Path] = []

    async with app.run_test(size=size) as pilot:

        async def settle() -> None:
            import asyncio

            for _ in range(3):
                workers, _lanes = app.db_work()
                if workers:
                    await app.workers.wait_for_complete(workers)
                while app.db_work()[1]:  # a search lane's job (the lane itself never completes)
                    await asyncio.sleep(0.01)
                await pilot.pause()

        def save(name: str) -> None:
            path = out / f"screen-{name}{suffix}.svg"
            app.save_screenshot(str(path))
            saved.append(path)

        await settle()
        app.screen.query_one("#login", Input).value = "clerk1"
        app.screen.query_one("#password").focus()
        save("signin")
        app.screen.query_one("#password", Input).value = "hwdesk-demo"
        await pilot.press("enter")
        await settle()
        await pilot.press(*"やま")
        await settle()
        save("search")
        # The detail of a seeker who is not ready yet (so failed items show).
        from screens.data import readiness

        target = None
        with app.store.read() as s:
            from hwdesk.services.context import SYSTEM
            from hwdesk.services.seeker_search import search

            for row in search(s, "ア", actor=SYSTEM, limit=50, office_id="takamatsu") + search(
                s, "ヤ", actor=SYSTEM, limit=50, office_id="takamatsu"
            ):
                _, reqs = readiness(s, row.id, "takamatsu", "counseling")
                if 1 <= sum(not r.ok for r in reqs) <= 3:
                    target = row.id
                    break
        app.open_seeker(target or 1)
        await settle()
        save("detail")
        await pilot.press("t")
        await settle()
        await pilot.press("7")
        await pilot.pause()
        save("terms")
        # The daily queue on the next day with sessions, then the first session's handout preview
        # with the printer list open (the demo printers below).
        app.action_queue()
        await settle()
        for _ in range(7):
            if app.screen.query_one("#q-table", RowTable).rows:
                break
            await pilot.press("right_square_bracket")
            await settle()
        save("queue")
        await pilot.press("h")
        await settle()
        await pilot.press("r")
        await settle()
        save("printer")
        # The notices outbox, then a supervisor's interpreter roster with the week's load and the
        # monthly report's management figures.
        app.action_notices()
        await settle()
        save("notices")
        app.action_sign_out()
        await settle()
        app.screen.query_one("#login", Input).value = "super1"
        app.screen.query_one("#password", Input).value = "hwdesk-demo"
        app.screen.query_one("#password").focus()
        await pilot.pause()
        await pilot.press("enter")
        await settle()
        app.action_interpreters()
        await settle()
        save("interpreters")
        from screens.reports import ReportsScreen

        app.push_screen(ReportsScreen())
        await settle()
        save("reports")
    return saved


def demo_printers():
    """Two printers as CUPS would list them (the screenshots do not show this machine's printers)."""
    from hwdesk.printing import Destination

    return [
        Destination("counter-1f", "1階 窓口", "1F", "idle", True, (), "", True),
        Destination("consult-2f", "2階 相談室", "2F", "stopped", True, ("media-empty-error", "paused"), "", False),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--lang", default="ja")
    parser.add_argument("--png", action="store_true", help="also render PNGs (screens.svg_to_png)")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    suffix = "" if (w, h) == (120, 40) else f"-{w}x{h}"
    if args.lang != "ja":
        suffix += f"-{args.lang}"
    args.out.mkdir(parents=True, exist_ok=True)
    from hwdesk import printing
    from screens.svg_to_png import to_png

    printing.destinations = lambda **_kw: demo_printers()
    printing.chosen_printer = lambda: None
    with tempfile.TemporaryDirectory() as tmp:
        db = build_db(Path(tmp))
        with frozen():
            saved = asyncio.run(shoot(db, args.out, (w, h), suffix, args.lang))
    for svg in saved:
        print(to_png(svg, svg.with_suffix(".png")) if args.png else svg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
