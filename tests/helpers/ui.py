"""Helpers for the UI tests (tests/test_ui_*.py): a fresh SQLite database per test, Pilot helpers."""

from __future__ import annotations

from hwdesk.db import open_store
from hwdesk.models import Meta
from hwdesk.services import auth
from hwdesk.services.context import SYSTEM, Actor
from hwdesk.services.offices import sync_offices

PW = "hwdesk-demo"
SIZE = (120, 40)


# --- fixtures and helpers -----------------------------------------------------------------------


def _build(path, *, staff: bool = True, demo: bool = False) -> str:
    store = open_store(path)
    with store.write() as s:
        sync_offices(s)
        if staff:
            auth.create_staff(
                s,
                actor=SYSTEM,
                login="clerk1",
                name="高松 花子",
                role="clerk",
                office_id="takamatsu",
                password=PW,
                check_policy=False,
            )
        if demo:
            s.add(Meta(key="demo", value="1"))
    store.dispose()
    return str(path)


def add_seeker(
    db: str,
    *,
    no: str,
    name: str,
    kana: str,
    birth: str = "1985-04-01",
    phone: str = "",
    office: str = "takamatsu",
    registered: str = "2025-04-01",
) -> int:
    """A seeker in the database file ``db`` (registered by the system; webcam not yet confirmed),
    through the same builder as the store tests (``helpers.new_seeker``); returns its id."""
    from helpers import new_seeker

    store = open_store(db)
    try:
        return new_seeker(
            store,
            SYSTEM,
            seeker_no=no,
            name=name,
            kana=kana,
            birth=birth,
            phone=phone,
            office_id=office,
            registered=registered,
            webcam=False,
        ).id
    finally:
        store.dispose()


def add_supervisor(store) -> Actor:
    """Create super1 (supervisor at 高松, password PW); returns clerk1 as the actor for setup."""
    from sqlmodel import select

    from hwdesk.models import Staff

    with store.write() as s:
        auth.create_staff(
            s,
            actor=SYSTEM,
            login="super1",
            name="高松 監督",
            role="supervisor",
            office_id="takamatsu",
            password=PW,
            check_policy=False,
        )
    with store.read() as s:
        return Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())


def read(db: str, fn):
    store = open_store(db, migrate=False)
    try:
        with store.read() as s:
            return fn(s)
    finally:
        store.dispose()


def make_app(db: str, **kw):
    from screens.app import HwdeskApp

    return HwdeskApp(db, **kw)


async def settle(pilot, rounds: int = 6) -> None:
    """Let workers finish and their results reach the screen (results may start more workers)."""
    import asyncio

    from textual.worker import WorkerCancelled

    for _ in range(rounds):
        workers, lanes = pilot.app.db_work()
        for worker in workers:
            try:
                await worker.wait()
            except WorkerCancelled:  # superseded (the query retyped, the screen left): the app's way, no error
                pass
        for _ in range(500):  # a search lane's job: ~1 ms, allow 5 s
            if not pilot.app.db_work()[1]:
                break
            await asyncio.sleep(0.01)
        await pilot.pause()
        workers, lanes = pilot.app.db_work()
        if not workers and not lanes:
            return


async def sign_in(pilot, login: str = "clerk1", password: str = PW, *, typed: bool = False) -> None:
    """Sign in on the sign-in screen (``typed``: key by key; else fill the fields and press Enter)."""
    await settle(pilot)
    screen = pilot.app.screen
    screen.query_one("#login").focus()
    if typed:
        await pilot.press(*login, "enter", *password, "enter")
    else:
        screen.query_one("#login").value = login
        screen.query_one("#password").value = password
        screen.query_one("#password").focus()
        await pilot.press("enter")
    await settle(pilot)


async def open_session_signed_in(pilot, session_id: int, login: str = "clerk1"):
    """Sign in and open a session's screen; returns the screen."""
    await sign_in(pilot, login)
    pilot.app.open_session(session_id)
    await settle(pilot)
    return pilot.app.screen


async def search_signed_in(pilot, text: str):
    """Sign in as clerk1, type ``text`` into the search key by key; the results table, settled."""
    await sign_in(pilot)
    await type_text(pilot, text)
    await settle(pilot)
    return pilot.app.screen.query_one("#search-results")


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


def plain(widget) -> str:
    """The text a Static / Label shows (its visual's plain text)."""
    visual = widget.visual
    return getattr(visual, "plain", str(visual))


def screen_text(app) -> str:
    """All text of the Static widgets on the active screen."""
    from textual.widgets import Static

    return "\n".join(plain(w) for w in app.screen.query(Static))


def readiness(app) -> dict[str, bool]:
    return {r.key: r.ok for r in app.screen.reqs}
