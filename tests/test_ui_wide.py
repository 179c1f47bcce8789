"""Wide characters at odd terminal widths (issue 17 item 4): every screen renders every line in
exactly the terminal's cells, no wide character of a name is split or dropped, and a toast over
the panes keeps every character of its text (Pilot, real SQLite)."""

from __future__ import annotations

import pytest
from helpers.ui import add_seeker, make_app, settle, sign_in
from test_ui_queue import setup_day

NAMES = ["齋藤龍之介ＡＢＣ", "長谷川ヴィクトリア"]
TOAST = "利用の中止は本人の申出によります（第12条）。予約は所都合で取り消しました。"


def _lines(app) -> list:
    return list(app.screen._compositor.render_strips())


def _problems(app, where: str, width: int) -> list[str]:
    out = []
    for y, strip in enumerate(_lines(app)):
        text = strip.text
        if strip.cell_length != width:
            out.append(f"{where} line {y}: {strip.cell_length} cells, not {width}: {text!r}")
        for name in NAMES:
            for i in range(1, len(name)):
                start = text.find(name[:i])
                if start < 0 or len(name[:i]) < 1:
                    continue
                after = text[start + i : start + i + 1]
                # the name goes on, or is cut with an ellipsis, or the row ends: never a blank
                # where its next character was
                if after == " " and text[start + i + 1 : start + i + 2] == name[i + 1 : i + 2] != "":
                    out.append(f"{where} line {y}: {name[i]} of {name} dropped: {text!r}")
    return out


def _toast_text(app) -> str:
    """What the toasts show, read off the composed screen inside each toast's content region."""
    strips = _lines(app)
    out = []
    for toast in app.screen.query("Toast"):
        r = toast.content_region
        for y in range(r.y, r.bottom):
            out.append(strips[y].crop(r.x, r.right).text)
    return "".join("".join(out).split())


@pytest.mark.parametrize("size", [(81, 24), (97, 31)])
async def test_every_screen_keeps_wide_characters_whole_at_odd_widths(db, size):
    from screens.audit_log import AuditLogScreen
    from screens.reports import ReportsScreen
    from screens.termination import TerminationScreen

    d = setup_day(db)
    ids = [
        add_seeker(db, no=f"37010-9000000{i}", name=name, kana=kana, birth=f"198{i}-01-01")
        for i, (name, kana) in enumerate(zip(NAMES, ("サイトウ リュウノスケ", "ハセガワ ヴィクトリア")))
    ]
    app = make_app(db)
    width = size[0]
    problems: list[str] = []
    async with app.run_test(size=size, notifications=True) as pilot:
        await sign_in(pilot, "super1")

        async def look(where: str) -> None:
            await settle(pilot)
            problems.extend(_problems(app, where, width))

        app.screen.query_one("#search-input").value = "サイトウ"
        await look("search")
        app.screen.query_one("#search-input").value = "ハセガワ"
        await look("search")
        app.open_seeker(ids[0])
        await look("detail")
        app.open_form(ids[1])
        await look("form")
        await pilot.press("escape")
        for key in ("f2", "f3", "f4"):
            await pilot.press(key)
            await look(key)
        await pilot.press("f2")
        app.open_session(d["c1"])
        await look("session")
        await pilot.press("h")
        await look("handout preview")
        await pilot.press("escape")
        for screen in (AuditLogScreen(), ReportsScreen(2027, 2), TerminationScreen(ids[0], "takamatsu")):
            app.push_screen(screen)
            await look(type(screen).__name__)
            app.pop_screen()
        # toasts over the seeker page's panes: every character of the message is shown
        app.open_seeker(ids[1])
        await settle(pilot)
        for n in range(4):
            app.clear_notifications()
            app.say(TOAST + "ー" * n)
            await settle(pilot)
            await pilot.pause(0.2)
            assert _toast_text(app) == "".join((TOAST + "ー" * n).split()), (n, _toast_text(app))
            problems.extend(p for p in _problems(app, f"toast {n}", width) if "cells" in p)
    assert problems == [], "\n".join(problems)
