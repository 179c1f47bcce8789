"""Top-level navigation: F2 / F3 / F4 and the palette switch modes instead of piling up screens
(Pilot, fresh SQLite per test).

Search (with sign-in) is the base mode; queue, reminders and week are modes with their own
stacks. Pressing their keys any number of times leaves at most one screen of each; Esc from one
goes back to search; lock, sign-out and the palette work from every one of them; a form's typing
survives a trip through the others.
"""

from __future__ import annotations

import asyncio
import gc

import pytest
from helpers.ui import PW, SIZE, add_seeker, make_app, settle, sign_in, type_text

MODES = {"f2": ("queue", "QueueScreen"), "f3": ("reminders", "RemindersScreen"), "f4": ("week", "WeekScreen")}


def name(app) -> str:
    return type(app.screen).__name__


def total_screens(app) -> int:
    """Screens on every mode's stack (the modes not shown included)."""
    return len(app.all_screens())


def live(kind) -> int:
    """Objects of ``kind`` still alive anywhere (closed screens and removed widgets are collected)."""
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def test_two_hundred_presses_keep_the_stack_bounded_and_memory_at_baseline(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        keys = ["f2", "f4", "f3"]
        for key in keys:  # warm up: each mode opened once
            await pilot.press(key)
            await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert name(app) == "SearchScreen"
        from textual.screen import Screen
        from textual.widget import Widget

        base_total, base_screens, base_widgets, base_rss = total_screens(app), live(Screen), live(Widget), rss_kib()
        assert base_total == 5  # blank + search, queue, reminders, week

        for i in range(200):
            key = keys[i % 3] if i % 2 else "f2"  # F2 / F4 / F3, F2 every other press
            await pilot.press(key)
            assert len(app.screen_stack) <= 2, (i, key, app.screen_stack)
            assert total_screens(app) == base_total
            if i % 20 == 0:
                await settle(pilot)
        await settle(pilot)
        assert name(app) in {"QueueScreen", "WeekScreen", "RemindersScreen"}
        # One Esc back to search, where the clerk started.
        await pilot.press("escape")
        await settle(pilot)
        assert name(app) == "SearchScreen" and app.current_mode == "search"
        assert len(app.screen_stack) == 2 and total_screens(app) == base_total
        assert live(Screen) <= base_screens  # no screen left behind
        # Footers recompose on every switch: the keys they removed are gone too (Textual kept
        # them through the footer's data binding, ~30 widgets a switch; see KeyFooter).
        assert live(Widget) < base_widgets + 300  # leaking, 200 presses kept ~6000
        # Generous: pushing grew ~2.5 MB a screen (≈500 MB for 200 presses), the kept footer
        # keys ~80 MB; measured now: under 10 MB, flat after the first hundred presses.
        assert rss_kib() - base_rss < 32 * 1024


@pytest.mark.parametrize("key", list(MODES))
async def test_esc_from_each_mode_goes_back_to_search(db, key):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        search = app.screen
        await pilot.press(key)
        await settle(pilot)
        mode, screen = MODES[key]
        assert name(app) == screen and app.current_mode == mode and len(app.screen_stack) == 1
        await pilot.press(key)  # again: still the same screen, nothing pushed
        await settle(pilot)
        assert name(app) == screen and len(app.screen_stack) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is search and app.current_mode == "search"
        await pilot.press("escape")  # Esc on search clears it; the app stays
        await settle(pilot)
        assert app.screen is search


@pytest.mark.parametrize("key", list(MODES))
async def test_lock_covers_each_mode_and_unlocks_back_to_it(db, key):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press(key)
        await settle(pilot)
        shown = app.screen
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert name(app) == "LockScreen" and app.locked
        # Mode keys and the palette do nothing while locked: the lock stays on top.
        await pilot.press("f2", "f3", "f4", "ctrl+p", "escape")
        await pilot.pause()
        assert name(app) == "LockScreen" and app.current_mode == MODES[key][0]
        app.screen.query_one("#unlock-password").value = PW
        app.screen.query_one("#unlock-password").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is shown and not app.locked


@pytest.mark.parametrize("key", list(MODES))
async def test_idle_lock_covers_each_mode(db, key):
    app = make_app(db)
    app.idle_seconds = 3600
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press(key)
        await settle(pilot)
        app.lock_after = 0.3
        await asyncio.sleep(0.6)
        await pilot.pause()
        assert name(app) == "LockScreen" and app.locked and app.current_mode == MODES[key][0]
        assert app.screen_stack[-1] is app.screen  # on top of the mode being shown
        app.lock_after = 3600


@pytest.mark.parametrize("key", list(MODES))
async def test_sign_out_from_each_mode_and_from_its_lock(db, key):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press(key)
        await settle(pilot)
        old = app.screen
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert name(app) == "SignInScreen" and app.actor is None and app.current_mode == "search"
        assert total_screens(app) == 2  # blank + sign-in: the other modes' screens are gone
        await sign_in(pilot)
        assert name(app) == "SearchScreen"
        await pilot.press(key)
        await settle(pilot)
        assert name(app) == MODES[key][1] and app.screen is not old  # a fresh screen for the new person
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert name(app) == "LockScreen"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert name(app) == "SignInScreen" and not app.locked and total_screens(app) == 2


PALETTE = {
    "queue": ("daily queue", "QueueScreen"),
    "reminders": ("reminder", "RemindersScreen"),
    "week": ("week view", "WeekScreen"),
    "search": ("seeker search", "SearchScreen"),
}


async def palette(pilot, text: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("start", ["search", *(m for m, _ in MODES.values())])
async def test_palette_switches_modes_from_each_mode(db, start):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        if start != "search":
            await palette(pilot, PALETTE[start][0])
        assert app.current_mode == start and name(app) == PALETTE[start][1]
        for target in ("week", "queue", "reminders", "search", start):
            await palette(pilot, PALETTE[target][0])
            assert app.current_mode == target and name(app) == PALETTE[target][1], target
            assert len(app.screen_stack) <= 2  # the palette closed; nothing piled up
        assert total_screens(app) == 5


async def test_a_form_keeps_its_typing_through_the_other_modes(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert name(app) == "SeekerFormScreen"
        form.query_one("#f-name").focus()
        await type_text(pilot, "山田")
        await pilot.press("f2", "f4", "f3")
        await settle(pilot)
        assert name(app) == "RemindersScreen"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and form.query_one("#f-name").value == "山田"
        # The palette's "search" goes to the search box; the form's typing is kept as a draft.
        await pilot.press("f4")
        await settle(pilot)
        await palette(pilot, PALETTE["search"][0])
        assert name(app) == "SearchScreen"
        assert app.drafts["seeker:new"]["f-name"] == "山田"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.query_one("#f-name").value == "山田"


async def test_a_screen_opened_in_a_mode_stays_in_that_mode(db):
    sid = add_seeker(db, no="37010-90000001", name="青木 一郎", kana="アオキ イチロウ")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot)
        queue = app.screen
        app.open_seeker(sid)  # as Enter on a participant does
        await settle(pilot)
        detail = app.screen
        assert name(app) == "SeekerDetailScreen" and app.screen_stack == [queue, detail]
        await pilot.press("f4", "f3", "f2")
        await settle(pilot)
        assert app.screen is detail  # the queue mode shows where it was left; nothing pushed
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue
        await pilot.press("escape")
        await settle(pilot)
        assert name(app) == "SearchScreen" and app.current_mode == "search"
