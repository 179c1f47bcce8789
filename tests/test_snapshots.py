"""Every screen as the clerk sees it, at 80×24 and 120×40, in Japanese and English
(``pytest-textual-snapshot``; the SVGs are in tests/__snapshots__/test_snapshots/).

The world is tests/snapshot_app.py's: a demo database from a fixed seed, the clock stopped on a
fixed day, printers fixed. After a deliberate change of a screen, look at the new pictures and
accept them with ``pytest tests/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
from snapshot_app import NOW, build, frozen, make, seeker_id

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
LANGS = ["ja", "en"]


@pytest.fixture
def snap_db(tmp_path, monkeypatch) -> str:
    """The demo database, and the two demo printers instead of this machine's CUPS."""
    from hwdesk import printing
    from screens.screenshots import demo_printers

    monkeypatch.setattr(printing, "destinations", lambda **_kw: demo_printers())
    monkeypatch.setattr(printing, "chosen_printer", lambda: None)
    return build(tmp_path)


# --- how to reach each screen ---------------------------------------------------------------------


def _session(app, *, group: bool) -> int:
    """Today's first session at 高松 with a seeker booked (``group``: a seminar with seats)."""
    from hwdesk.services import queue
    from hwdesk.services.context import SYSTEM

    with app.wait_store().read() as s:
        view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=NOW.date())
    if group:
        return next(r.id for r in view.rows if r.group and r.enrolled)
    return next(r.id for r in view.rows if not r.group and r.seeker)


def _detail_seeker(app) -> int:
    return seeker_id(app, index=2)


async def signin(app, pilot):
    app.screen.query_one("#login").value = "clerk1"
    app.screen.query_one("#password").focus()


async def search(app, pilot):
    await pilot.press(*"やま")


def seeker(app, pilot):
    app.open_seeker(_detail_seeker(app))


def seeker_new(app, pilot):
    app.open_form(None)


def seeker_edit(app, pilot):
    app.open_form(_detail_seeker(app))


def terms(app, pilot):
    app.open_terms("takamatsu", None)


def queue(app, pilot):
    app.action_queue()


def week(app, pilot):
    app.action_week()


def reminders(app, pilot):
    app.action_reminders()


def usage_records(app, pilot):
    app.action_usage_records()


def session(app, pilot):
    app.open_session(_session(app, group=False))


def session_group(app, pilot):
    app.open_session(_session(app, group=True))


async def session_new(app, pilot):
    from snapshot_app import settle

    app.action_queue()
    await settle(pilot)
    await pilot.press("n")


async def handout(app, pilot):
    from snapshot_app import settle

    app.open_session(_session(app, group=False))
    await settle(pilot)
    await pilot.press("h")


async def book(app, pilot):
    from snapshot_app import settle

    app.open_session(_session(app, group=True))
    await settle(pilot)
    await pilot.press("b")


def _from_seeker(key: str):
    async def step(app, pilot):
        from snapshot_app import settle

        app.open_seeker(_detail_seeker(app))
        await settle(pilot)
        await pilot.press(key)

    step.__name__ = f"seeker_{key}"
    return step


def termination(app, pilot):
    app.open_termination(_detail_seeker(app), "takamatsu")


def audit_log(app, pilot):
    from screens.audit_log import AuditLogScreen

    app.push_screen(AuditLogScreen())


def reports(app, pilot):
    from screens.reports import ReportsScreen

    app.push_screen(ReportsScreen(NOW.year, NOW.month))


def notices(app, pilot):
    from screens.notices import NoticesScreen

    app.push_screen(NoticesScreen())


def lock(app, pilot):
    app.action_lock()


async def goto_date(app, pilot):
    from snapshot_app import settle

    app.action_queue()
    await settle(pilot)
    await pilot.press("g")


#: name → (who signs in, how to get there)
SCREENS = {
    "signin": (None, signin),
    "search": ("clerk1", search),
    "seeker": ("clerk1", seeker),
    "seeker_new": ("clerk1", seeker_new),
    "seeker_edit": ("clerk1", seeker_edit),
    "terms": ("clerk1", terms),
    "queue": ("super1", queue),
    "week": ("super1", week),
    "reminders": ("clerk1", reminders),
    "usage_records": ("clerk1", usage_records),
    "session": ("clerk1", session),
    "session_group": ("clerk1", session_group),
    "session_new": ("clerk1", session_new),
    "goto_date": ("clerk1", goto_date),
    "handout": ("clerk1", handout),
    "book": ("clerk1", book),
    "book_seeker": ("clerk1", _from_seeker("b")),
    "companion": ("clerk1", _from_seeker("c")),
    "environment": ("clerk1", _from_seeker("v")),
    "approval": ("super1", _from_seeker("a")),
    "renewal": ("clerk1", _from_seeker("g")),
    "webcam": ("clerk1", _from_seeker("w")),
    "termination": ("super1", termination),
    "audit_log": ("super1", audit_log),
    "reports": ("super1", reports),
    "notices": ("clerk1", notices),
    "lock": ("clerk1", lock),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(name, lang, size, snap_db, snap_compare):
    """The screen ``name`` in ``lang`` at ``size`` looks as accepted."""
    login, step = SCREENS[name]
    app, run_before = make(snap_db, lang, login, step)
    with frozen():
        assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("name", ["queue", "seeker", "session"])
def test_light_theme(name, snap_db, snap_compare):
    """The most used screens in the light theme (the cursor and warning colours differ)."""
    from screens.app import LIGHT

    login, step = SCREENS[name]
    app, run_before = make(snap_db, "ja", login, step, theme=LIGHT)
    with frozen():
        assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
