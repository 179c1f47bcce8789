"""A monkey test: thousands of random keys (fixed seeds) on the app with demo data.

The app is built on a small demo database (``hwdesk.services.demo.build_demo``), signed in as
``clerk1``, then fed random keys — letters, kana, digits, Enter, Escape, Tab, arrows, page keys,
Ctrl combinations (not Ctrl+Q / Ctrl+C, which quit or copy by design) and function keys — with
Escape pressed now and then to move back between screens. After every batch the app must still be
running with no exception and no traceback on the screen. Printing and saving go to a temporary
directory; a lock or sign-out (Ctrl+L, Ctrl+O) is undone by unlocking / signing in again.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata

import pytest
from helpers.ui import PW, SIZE, make_app, screen_text, settle, sign_in
from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

from hwdesk.db import open_store
from hwdesk.services import demo

SEEDS = (11, 23, 37)
KEYS_PER_SEED = 800  # 2400 keys in all
BATCH = 40

LETTERS = list("abcdefghijklmnopqrstuvwxyz") + list("ABCXYZ")
KANA = list("あいうえおかきくけこやまだたろうはなこアイウエオヤマダタロウｱｲｳｶﾞー・")
DIGITS = list("0123456789") + ["minus", "slash", "full_stop", "space"]
NAV = [
    "enter",
    "escape",
    "tab",
    "shift+tab",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "backspace",
    "delete",
    "left_square_bracket",
    "right_square_bracket",
]
CTRL = [f"ctrl+{c}" for c in "abdefghijklmnoprstuvwxyz"]  # no ctrl+q (quit) or ctrl+c (copy / quit help)
FKEYS = [f"f{n}" for n in range(1, 13)]
POOLS = [(LETTERS, 30), (KANA, 10), (DIGITS, 15), (NAV, 30), (CTRL, 8), (FKEYS, 7)]


async def type_ahead(pilot, keys: list[str]) -> None:
    """Send keys the way a fast typist (or a stuck key) does: each key event goes to the app's
    driver at once, without ``Pilot.press``'s wait for idle after every key (which costs ~70 ms a
    key); the app handles them in order, on whatever screen is active when each arrives."""
    app = pilot.app
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        original = REPLACED_KEYS.get(key, key)
        try:
            char = unicodedata.lookup(_get_unicode_name_from_key(original))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    await pilot.pause()


def random_keys(rng: random.Random, n: int) -> list[str]:
    pools, weights = zip(*POOLS)
    return [rng.choice(rng.choices(pools, weights)[0]) for _ in range(n)]


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> bytes:
    """A demo database with a few seekers per office, built once for the module."""
    path = tmp_path_factory.mktemp("monkey") / "demo.sqlite3"
    store = open_store(str(path))
    with store.write() as s:
        demo.build_demo(s, seekers_per_office=6, seed=3)
    store.dispose()
    return path.read_bytes()


@pytest.fixture
def demo_db(demo_template, tmp_path, monkeypatch):
    """A fresh copy of the demo database; saved files stay in tmp_path (and CUPS is nowhere: conftest)."""
    path = tmp_path / "demo.sqlite3"
    path.write_bytes(demo_template)
    import screens.handout_preview as handout_preview
    import screens.reports as reports

    out = tmp_path / "downloads"
    out.mkdir()
    monkeypatch.setattr(handout_preview, "downloads_dir", lambda: out)
    monkeypatch.setattr(reports, "downloads_dir", lambda: out)
    monkeypatch.chdir(tmp_path)
    return str(path)


async def _recover(pilot) -> None:
    """Back to a signed-in app after a lock or a sign-out the monkey caused."""
    app = pilot.app
    name = type(app.screen).__name__
    if name == "LockScreen":
        field = app.screen.query_one("#unlock-password")
        field.value = PW
        field.focus()
        await pilot.press("enter")
        await settle(pilot)
    elif name == "SignInScreen":
        await sign_in(pilot)


def _assert_alive(app, seed: int, step: int, keys: list[str]) -> None:
    where = f"seed {seed}, after key {step}: {keys[-BATCH:]} on {type(app.screen).__name__}"
    assert app.is_running and app.return_code is None, f"{where}: rc={app.return_code} exc={app._exception!r}"
    assert app._exception is None, f"{where}: {app._exception!r}"
    assert "Traceback" not in screen_text(app), where


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
async def test_random_keys_never_crash_the_app(demo_db, seed):
    rng = random.Random(seed)
    keys = random_keys(rng, KEYS_PER_SEED)
    app = make_app(demo_db, demo_notice="demo")
    app.idle_seconds = 3600  # no idle lock while the monkey types
    # "Quit the app" is one of the palette's commands (F1 / Ctrl+P): the monkey can pick it by
    # chance, and quitting is then the app doing what it was told, not a crash. Count it instead.
    quits: list[int] = []
    app.action_quit = lambda: quits.append(1)
    screens_seen: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "clerk1", PW)
        assert type(app.screen).__name__ == "SearchScreen"
        for i in range(0, len(keys), BATCH):
            batch = keys[i : i + BATCH]
            await type_ahead(pilot, batch)
            if rng.random() < 0.3:  # move between screens: back out now and then
                await pilot.press(*["escape"] * rng.randint(1, 3))
            await settle(pilot, rounds=2)
            screens_seen.add(type(app.screen).__name__)
            _assert_alive(app, seed, i + BATCH, keys[: i + BATCH])
            await _recover(pilot)
        _assert_alive(app, seed, len(keys), keys)
    assert app.return_code in (None, 0) and app._exception is None
    assert len(screens_seen) >= 3, screens_seen  # the monkey went beyond the search screen


async def test_page_keys_typed_ahead_in_the_command_palette_do_not_crash(demo_db):
    """Regression (found by the monkey): F1, a letter, then PageUp before the palette's search
    finished raised KeyError in Textual's OptionList and closed the app."""
    app = make_app(demo_db, demo_notice="demo")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "clerk1", PW)
        for seq in (["f1", "i", "pageup"], ["f1", "i", "pagedown"], ["f1", "down", "k", "pageup"]):
            await type_ahead(pilot, seq)
            await settle(pilot)
            assert app.is_running and app._exception is None, seq
            await pilot.press("escape")
            await settle(pilot)
        assert app.return_code is None


async def test_a_search_that_reaches_the_palette_as_it_closes_does_not_crash(demo_db, monkeypatch):
    """Regression (the monkey under load, ``-n 4``): a letter typed just before Esc reached the
    command palette after Esc had closed it (the key's ``Input.Changed`` bubbles up separately from
    the key). The palette then began a search that found nothing and, its own timers already
    stopped, started a 'No matches' countdown nothing stopped: half a second later the countdown
    queried the removed list (``NoMatches('CommandList')``) and the app died. Here the late search
    is made to arrive in that order on purpose, and the list made slow to go, as under load."""
    from textual.command import CommandInput, CommandList, CommandPalette

    async def slow_to_go(self) -> None:
        await asyncio.sleep(0.3)  # longer than one round of the palette's search (0.1 s)

    monkeypatch.setattr(CommandList, "on_unmount", slow_to_go, raising=False)

    app = make_app(demo_db, demo_notice="demo")
    app.idle_seconds = 3600
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "clerk1", PW)
        for text in ("ヶ", "ヶヶ", ""):
            await pilot.press("ctrl+p")
            await settle(pilot)
            palette = app.screen
            assert isinstance(palette, CommandPalette)
            field = palette.query_one(CommandInput)
            palette.post_message(CommandInput.Changed(field, text))  # queued before the close
            app.pop_screen()  # closed by whatever key came first
            await pilot.pause(0.8)  # longer than the palette's 0.5 s countdowns
            await settle(pilot)
            assert app.is_running and app._exception is None, text
        assert app.return_code is None
