"""The stable world the snapshot tests (tests/test_snapshots*.py) are taken in, the README
screenshots' (screens/screenshots.py): a demo database built from a fixed seed on a fixed day,
and the clock stopped at that day's 10:30 JST while the app runs, so every date, age, "today"
and audit time is the same on every run and machine.

No tests here. ``build(folder)`` makes the database once per process (copied per test);
``make(...)`` gives an app and a ``run_before`` that signs a demo account in and opens a screen, as
``snap_compare`` takes them.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from screens.screenshots import NOW, frozen

__all__ = ["NOW", "build", "frozen", "make", "seeker_id", "settle"]

_TEMPLATE: dict[str, Path] = {}


def build(folder: Path) -> str:
    """The demo database at ``folder/snap.sqlite3``, built once per process and copied after."""
    from screens.screenshots import build_db

    target = folder / "snap.sqlite3"
    if "db" not in _TEMPLATE:
        _TEMPLATE["db"] = Path(build_db(folder, "template.sqlite3"))
    shutil.copyfile(_TEMPLATE["db"], target)
    from hwdesk import audit_hooks
    from hwdesk.db import open_store

    store = open_store(target)
    with store.read() as s:  # a copied file: anchored as if it had been written here
        audit_hooks.anchor_current(s)
    store.dispose()
    return str(target)


async def settle(pilot, rounds: int = 8) -> None:
    """Let database workers finish and their results reach the screen."""
    import asyncio

    app = pilot.app
    for _ in range(rounds):
        workers, lanes = app.db_work()
        if workers:
            await app.workers.wait_for_complete(workers)
        for _ in range(500):
            if not app.db_work()[1]:
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        workers, lanes = app.db_work()
        if not workers and not lanes:
            break
    await pilot.pause()


def sign_in_as(app, login: str) -> None:
    """Sign ``login`` in without the sign-in screen (its own snapshot covers that screen)."""
    from sqlmodel import select

    from hwdesk.models import Staff
    from hwdesk.services.context import Actor

    store = app.wait_store()
    with store.read() as s:
        actor = Actor.of(s.exec(select(Staff).where(Staff.login == login)).one())
    app.signed_in(actor, 24 * 60)


Step = Callable[[Any, Any], Awaitable[None] | None]


def make(db: str, lang: str, login: str | None, step: Step | None, *, theme: str | None = None):
    """The app, and a ``run_before`` that signs in, runs ``step(app, pilot)`` and lets it settle."""
    from screens.app import HwdeskApp

    app = HwdeskApp(db, lang=lang)
    if theme:
        app.theme = theme

    async def run_before(pilot) -> None:
        await settle(pilot)
        if login:
            sign_in_as(app, login)
            await settle(pilot)
        if step is not None:
            result = step(app, pilot)
            if result is not None:
                await result
        await settle(pilot)
        # A blinking cursor is on or off depending on when the picture is taken: keep it off.
        for field in app.screen.query("Input, TextArea"):
            field.cursor_blink = False
        await pilot.pause()

    return app, run_before


def seeker_id(app, seeker_no_prefix: str = "37010", *, index: int = 0, where=None) -> int:
    """A demo seeker of an office (the ``index``-th by id, or the first for which ``where(s, row)``)."""
    from sqlmodel import select

    from hwdesk.models import Seeker

    with app.wait_store().read() as s:
        rows = s.exec(select(Seeker).where(Seeker.seeker_no.startswith(seeker_no_prefix)).order_by(Seeker.id)).all()
        if where is not None:
            rows = [r for r in rows if where(s, r)]
        return rows[index].id
