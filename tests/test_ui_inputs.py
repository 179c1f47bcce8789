"""Keys typed in one burst (fast typing; SSH sends them in one packet) edit text in order."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.ui import SIZE, make_app, settle, sign_in
from textual import events

BURST = [("a", "a"), ("b", "b"), ("c", "c"), ("backspace", "\x7f"), ("d", "d"), ("left", None), ("e", "e")]


def burst(app, keys) -> None:
    for key, char in keys:  # no await in between: all queued at once, as from one read()
        app.post_message(events.Key(key, char))


async def test_a_burst_with_backspace_and_arrows_edits_in_order(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        field = app.screen.query_one("#search-input")
        field.focus()
        await pilot.pause()
        burst(app, BURST)
        await settle(pilot)
        assert field.value == "abed"  # textual's own Input gave "abcd" (⌫ ran after d and e)
        burst(
            app,
            [
                ("end", None),
                ("ctrl+u", None),
                ("や", "や"),
                ("ま", "ま"),
                ("backspace", "\x7f"),
                ("ま", "ま"),
                ("だ", "だ"),
            ],
        )
        await settle(pilot)
        assert field.value == "やまだ"


async def test_a_burst_with_tab_fills_the_next_field(db):
    """Tab moves focus before the letters typed after it are handed on (it used to run only
    when it came back up to the app: "clerk1⇥hw…" signed in as "clerk1hw")."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        login, password = app.screen.query_one("#login"), app.screen.query_one("#password")
        assert app.focused is login
        burst(
            app,
            [(c, c) for c in "clerk1"]
            + [("tab", "\t")]
            + [(c, c) for c in "pw"]
            + [("shift+tab", None), ("end", None), ("x", "x")],
        )
        await settle(pilot)
        assert (login.value, password.value) == ("clerk1x", "pw")


async def test_a_burst_with_enter_fills_the_next_field_and_signs_in(db):
    """Enter in the login field moves to the password before the letters typed after it are
    handed on (the screen used to move focus on Input.Submitted, after they had gone)."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, [(c, c) for c in "clerk1"] + [("enter", "\r")] + [(c, c) for c in "hwdesk-demo"] + [("enter", "\r")])
        await settle(pilot)
        for _ in range(50):
            if app.actor is not None:
                break
            await pilot.pause(0.05)
        assert app.actor is not None and app.actor.login == "clerk1"


async def test_a_text_area_that_indents_still_gets_tab(db):
    from screens.inputs import TextArea

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        area = TextArea(tab_behavior="indent")
        await app.screen.mount(area)
        area.focus()
        await pilot.pause()
        burst(app, [("a", "a"), ("tab", "\t"), ("b", "b")])
        await settle(pilot)
        assert area.text.startswith("a") and area.text.endswith("b") and len(area.text) > 2 and app.focused is area


def test_screens_use_the_in_order_text_fields():
    root = Path(__file__).parent.parent / "screens"
    offenders = []
    for path in root.glob("*.py"):
        if path.name in ("inputs.py", "base.py"):  # base only checks isinstance against the parents
            continue
        for m in re.finditer(r"^from textual\.widgets import (.+)$", path.read_text(encoding="utf-8"), re.M):
            names = {n.strip() for n in m.group(1).split(",")}
            if names & {"Input", "TextArea"}:
                offenders.append(path.name)
    assert offenders == [], "use screens.inputs.Input / TextArea (keys applied in typing order)"
