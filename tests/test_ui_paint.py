"""Painting fast without painting wrong: the frame pacer, the search lane, prepared rows (Pilot).

These guard the latency work of issue #8 (measured by ``python -m bench``, never timed here).
"""

from __future__ import annotations

import threading
import time

from helpers.ui import SIZE, add_seeker, make_app, search_signed_in, settle, sign_in
from hypothesis import given
from hypothesis import strategies as st

from screens.base import _Lane
from screens.textual_private import FramePacer
from screens.widgets import Column, RowTable


def calls_of(obj, name: str) -> list[float]:
    """Replace ``obj.name`` by a wrapper that notes when each call began (then calls through)."""
    real = getattr(obj, name)
    times: list[float] = []

    def noted(*args, **kwargs):
        times.append(time.perf_counter())
        return real(*args, **kwargs)

    setattr(obj, name, noted)
    return times


def test_a_lane_runs_the_newest_job_and_skips_the_ones_it_replaced():
    lane = _Lane()
    ran: list[int] = []
    release = threading.Event()

    def job(n: int):
        def run() -> None:
            if n == 1:
                release.wait(5)
            ran.append(n)

        return run

    class FakeWorker:
        is_cancelled = False

    import screens.base as base

    real = base.get_current_worker
    worker = FakeWorker()
    base.get_current_worker = lambda: worker
    try:
        t = threading.Thread(target=lane.loop)
        t.start()
        lane.submit(job(1))
        for _ in range(100):
            if not lane.idle and lane._job is None:  # job 1 is running
                break
            time.sleep(0.01)
        for n in (2, 3, 4):  # typed while job 1 runs: only the newest is kept
            lane.submit(job(n))
        release.set()
        for _ in range(200):
            if lane.idle:
                break
            time.sleep(0.01)
        worker.is_cancelled = True
        t.join(2)
    finally:
        base.get_current_worker = real
    assert ran == [1, 4] and lane.finished and not t.is_alive()


async def test_screens_repaint_through_the_frame_pacer(db):
    # Textual's Screen._update_timer is replaced by PacedRepaint; if a Textual release renames
    # it, this fails instead of the latency quietly coming back.
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen._update_timer, FramePacer)
        await sign_in(pilot)
        assert isinstance(app.screen._update_timer, FramePacer)
        assert app.screen._update_timer._interval <= 1 / 60


async def test_search_results_are_painted_from_prepared_lines_and_relaid_on_resize(db):
    add_seeker(db, no="37010-33333333", name="佐藤 一郎", kana="サトウ イチロウ", birth="1983-12-21")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await search_signed_in(pilot, "さとう")
        assert table._lines_layout == table.column_layout()  # laid out by the worker for this width
        line = table.render_line(1).text
        assert "37010-33333333" in line and "佐藤 一郎" in line and "サトウ イチロウ" in line
        assert "昭和58年12月21日" in line  # the longest 和暦 date is not cut
        await pilot.resize_terminal(90, 30)
        await settle(pilot)
        line = table.render_line(1).text
        assert "佐藤 一郎" in line and len(line) <= 90


def test_prepare_is_the_same_layout_as_painting_and_keeps_text_literal():
    table = RowTable([Column("a", width=6), Column("b", weight=1)])
    layout = (30, tuple(table._compute_widths(30)))
    rows = [["[bold]x[/]", "山田\x1b]2;t\x07"], ["12345678", "ﾔﾏﾀﾞ"]]
    prepared = RowTable.prepare(rows, layout)
    assert prepared.rows[0][0] == "[bold]x[/]" and "\x1b" not in prepared.lines[0]
    assert prepared.lines[1].startswith("12345…")
    assert all(len(line) <= 30 for line in prepared.lines)
    from screens.base import fit

    # the worker's lines are exactly what painting without them would produce
    assert prepared.lines == [fit(table._line(r, list(layout[1])), 30) for r in prepared.rows]


async def test_a_held_frame_waits_for_release_or_its_deadline(db):
    import asyncio

    from textual.widgets import Static

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        frames = calls_of(screen, "_compositor_refresh")
        label = screen.query(Static).first()

        screen.hold_repaint(2.0)
        label.update("held")
        await asyncio.sleep(0.15)
        assert frames == []  # kept back
        screen.release_repaint()
        await asyncio.sleep(0.1)
        assert len(frames) >= 1  # painted once released

        frames.clear()
        screen.hold_repaint(0.05)  # never released: the deadline paints it
        label.update("deadline")
        await asyncio.sleep(0.3)
        assert len(frames) >= 1


async def test_a_full_page_says_how_many_match_in_all(db):
    from datetime import date, timedelta

    from helpers.ui import SYSTEM, plain, settle

    from hwdesk.db import open_store
    from hwdesk.services import seekers
    from screens.search import COUNT_AFTER

    store = open_store(db)
    try:
        with store.write() as s:  # one transaction: 57 seekers in well under a second
            for i in range(57):
                birth = (date(1960, 1, 1) + timedelta(days=i)).isoformat()
                form = seekers.SeekerForm(
                    seeker_no=f"37010-5{i:03d}",
                    name=f"佐藤 {i}",
                    name_kana="サトウ ハナコ",
                    birth_date=birth,
                    office_id="takamatsu",
                    registered_on="2025-04-01",
                )
                seekers.create_seeker(s, actor=SYSTEM, form=form, allow_same_person=True)
    finally:
        store.dispose()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await search_signed_in(pilot, "さとう")
        await pilot.pause(COUNT_AFTER + 0.05)  # a full page is counted once the typing pauses
        await settle(pilot)
        assert len(table.keys) == 50
        assert plain(app.screen.query_one("#search-status")) == "57件中 50件を表示（さらに絞り込めます）"
        # Typing on: the page follows every key, the count waits for the typing to pause.
        await pilot.press("backspace")
        await settle(pilot)
        assert plain(app.screen.query_one("#search-status")) == "50件以上（件数を数えています…）"
        await pilot.pause(COUNT_AFTER + 0.05)
        await settle(pilot)
        assert plain(app.screen.query_one("#search-status")) == "57件中 50件を表示（さらに絞り込めます）"


# Text a table cell may hold: ASCII, kana (half- and full-width), kanji, combining marks, controls.
_CELL_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs", "Cc", "Cf")), max_size=30
)


def _slow_fit(text: str, width: int) -> str:
    from rich.cells import cell_len, set_cell_size

    if width <= 0:
        return ""
    return set_cell_size(text, width - 1) + "…" if cell_len(text) > width else set_cell_size(text, width)


def _slow_visible(text: str) -> str:
    from hwdesk.jtext.safety import _DISPLAY_BAD_RE, _display_char

    # One character at a time, as safe_display's regex replaces them (issue 21: visible is safe_display).
    return "".join(_display_char(ch) if _DISPLAY_BAD_RE.fullmatch(ch) else ch for ch in text)


@given(_CELL_TEXT, st.integers(0, 40))
def test_fast_fit_and_visible_agree_with_the_general_path(text, width):
    """The ASCII path of ``fit`` and the regex of ``visible`` (issue 8) change nothing painted."""
    from rich.cells import cell_len

    from screens.base import fit, visible

    shown = visible(text)
    assert shown == _slow_visible(text)
    assert fit(shown, width) == _slow_fit(shown, width)
    assert cell_len(fit(shown, width)) == max(width, 0)


async def test_the_table_paints_what_the_styles_cache_would(db):
    """RowTable's own line loop (issue 8) gives the very strips Textual's styles cache gives:
    header, odd and even rows, the cursor, blank lines below, focused or not, any crop."""
    from textual.geometry import Region
    from textual.widget import Widget

    for i in range(5):
        add_seeker(
            db, no=f"37010-2222222{i}", name=f"佐藤 [b]{i}[/]", kana="サトウ イチロウ", birth=f"1980-01-0{i + 1}"
        )
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await search_signed_in(pilot, "さとう")
        assert len(table.rows) == 5 and table._plain_box()
        width, height = table.size
        for focused in (False, True):
            if focused:
                table.focus()
                table.move(2)
                await settle(pilot)
            for crop in (Region(0, 0, width, height), Region(3, 1, width - 10, 4), Region(0, height - 2, 7, 2)):
                fast = table.render_lines(crop)
                table._styles_cache.clear()
                general = Widget.render_lines(table, crop)
                assert fast == general, crop
        assert (
            sum("佐藤 [b]" in strip.text for strip in table.render_lines(Region(0, 0, width, height))) == 5
        )  # literal


async def test_typing_in_search_never_relayouts_the_screen_and_long_text_still_scrolls(db):
    """The search field has a fixed size and a virtual size that needs no layout (issue 8): a
    keystroke costs no screen layout, and text wider than the field scrolls to keep the cursor."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        screen = app.screen
        layouts = calls_of(screen, "_refresh_layout")
        await pilot.press(*"yamada")
        await settle(pilot)
        assert layouts == []
        inp = screen.query_one("#search-input")
        text = "ヤマダ" * 50  # 300 cells in a field of ~118
        inp.value = ""
        await pilot.press(*text[:60])
        await settle(pilot)
        assert inp.value == text[:60]
        assert inp.scroll_x > 0  # scrolled to the cursor
        x = inp.cursor_screen_offset.x
        assert (
            inp.region.x <= x <= inp.region.right
        )  # as a plain Input: the cursor cell just past a full-width character
        await pilot.press("home")
        await settle(pilot)
        assert inp.scroll_x == 0
