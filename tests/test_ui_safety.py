"""Shared terminals and hostile text: the idle lock, markup-like and control-character names (Pilot)."""

from __future__ import annotations

import asyncio

from helpers.ui import (
    PW,
    SIZE,
    add_seeker,
    make_app,
    plain,
    read,
    screen_text,
    search_signed_in,
    settle,
    sign_in,
    type_text,
)
from sqlmodel import select

from hwdesk.db import open_store
from hwdesk.jtext.safety import safe_display
from hwdesk.models import Seeker

# --- the idle lock ------------------------------------------------------------------------------


async def test_idle_lock_hides_keeps_the_draft_and_unlocks_with_the_password(db):
    app = make_app(db)
    app.idle_seconds = 90
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert app.lock_after == 90  # the override replaces the office's 5 minutes
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.query_one("#f-name").focus()
        await type_text(pilot, "山田")
        app.lock_after = 0.3  # now let it go idle
        await asyncio.sleep(0.6)
        await pilot.pause()
        assert type(app.screen).__name__ == "LockScreen"
        assert app.locked
        # Nothing of the form shows: the lock screen is opaque and shows no seeker data.
        assert "山田" not in screen_text(app)
        # Keys typed while locked reach the password field only, never the form behind.
        await pilot.press(*"abc", "ctrl+s", "escape", "ctrl+n", "ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "LockScreen"
        assert form.query_one("#f-name").value == "山田"
        assert app.drafts["seeker:new"]["f-name"] == "山田"
        # A wrong password keeps the lock.
        app.screen.query_one("#unlock-password").value = ""
        await pilot.press(*"wrong", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "LockScreen"
        assert "パスワードが違います" in plain(app.screen.query_one("#lock-msg"))
        app.lock_after = 3600  # no second lock while the test finishes
        app.screen.query_one("#unlock-password").value = PW
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is form and not app.locked
        assert form.query_one("#f-name").value == "山田"
        assert form.query_one("#f-seeker_no").value == ""


async def test_lock_key_and_sign_out_from_the_lock(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert type(app.screen).__name__ == "LockScreen"
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert type(app.screen).__name__ == "SignInScreen" and app.actor is None and not app.locked


# --- hostile text -------------------------------------------------------------------------------

HOSTILE = [
    "[bold]山田[/] 太郎",
    "[@click=app.quit]山田[/] 一郎",
    "C:\\[tmp] 山田",
    "\x1b[31m山田 赤\x1b[0m",
    "\x1b]2;x\x1b\\山田 題",
    "[link=https://example.com]山田[/link] [/",
]


async def test_markup_like_names_show_literally_and_do_nothing_when_clicked(db):
    ids = []
    for i, _name in enumerate(HOSTILE):
        # Names with control characters cannot be typed in (the form refuses them), but they may
        # arrive by import or a database edit: store a clean one, then change it directly.
        ids.append(add_seeker(db, no=f"37010-5000000{i}", name=f"山田 {i}", kana="ヤマダ", birth=f"198{i}-01-01"))
    store = open_store(db, migrate=False)
    with store.write() as s:
        for sid, name in zip(ids, HOSTILE):
            s.get(Seeker, sid).name = name
    store.dispose()

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await search_signed_in(pilot, "やまだ")
        shown = {row[1] for row in table.rows}
        assert shown == {safe_display(n) for n in HOSTILE}
        assert "[@click=app.quit]山田[/] 一郎" in shown and "[bold]山田[/] 太郎" in shown
        assert all("\x1b" not in cell for row in table.rows for cell in row)
        # Clicking on the rows does nothing but select them.
        await pilot.click("#search-results", offset=(20, 2))
        await pilot.click("#search-results", offset=(20, 2))
        await pilot.pause()
        assert app.is_running

        for sid, name in list(zip(ids, HOSTILE))[1:5]:  # [@click…], C:\[tmp], ANSI colour, OSC title
            app.open_seeker(sid)
            await settle(pilot)
            body = app.screen.query_one("#b-profile")
            text = plain(body)
            assert safe_display(name) in text
            for span in body.visual.spans:
                assert "@click" not in str(span.style) and "link" not in str(span.style)
            await pilot.click("#b-profile", offset=(16, 1))
            await pilot.pause()
            assert app.is_running and type(app.screen).__name__ == "SeekerDetailScreen"
            await pilot.press("escape")
            await settle(pilot)
        assert app.is_running and app.return_code is None


async def test_markup_typed_in_the_form_is_stored_and_shown_as_typed(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.query_one("#f-seeker_no").value = "37010-77777777"
        form.query_one("#f-name").value = "[@click=app.quit]山田[/]"
        form.query_one("#f-name_kana").value = "ヤマダ"
        form.query_one("#f-birth_date").value = "1985-04-01"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        assert "[@click=app.quit]山田[/]" in plain(app.screen.query_one("#b-profile"))
        await pilot.click("#b-profile", offset=(16, 1))
        await pilot.pause()
        assert app.is_running
    assert read(db, lambda s: s.exec(select(Seeker)).one().name) == "[@click=app.quit]山田[/]"
