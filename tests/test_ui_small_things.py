"""Small things a clerk notices (issue 17 item 7), and search by given name and romaji from the
search screen in both languages (item 6): Pilot."""

from __future__ import annotations

from datetime import date

import pytest
from helpers.ui import add_seeker, make_app, plain, screen_text, settle, sign_in, type_text
from test_ui_queue import setup_day

from hwdesk.jtext.dates import format_wareki


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_search_screen_finds_the_given_name_and_romaji(db, lang):
    a = add_seeker(db, no="37010-11111111", name="山田 さくら", kana="ヤマダ サクラ")
    b = add_seeker(db, no="37010-22222222", name="松本 勉", kana="マツモト ツトム", birth="1970-01-01")
    app = make_app(db, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        field = app.screen.query_one("#search-input")
        table = app.screen.query_one("#search-results")
        for q, want in (("さくら", [a]), ("sakura", [a]), ("yamada", [a]), ("tutomu", [b]), ("tsutomu", [b])):
            field.value = ""
            await type_text(pilot, q)
            await settle(pilot)
            assert list(table.keys) == want, q


async def test_a_manual_lock_says_the_clerk_locked_it_an_idle_lock_says_why(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        text = screen_text(app)
        assert "高松 花子（clerk1）が画面をロックしました" in text and "一定時間操作がなかった" not in text
        app.screen.query_one("#unlock-password").value = "hwdesk-demo"
        app.screen.query_one("#unlock-password").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert not app.locked
        app.action_lock(idle=True)
        await settle(pilot)
        assert "一定時間操作がなかったため" in screen_text(app)


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 12, 5), date(2026, 12, 7)),  # Saturday: the coming week
        (date(2026, 12, 6), date(2026, 12, 7)),  # Sunday
        (date(2026, 12, 4), date(2026, 11, 30)),  # Friday: its own week
        (date(2026, 12, 7), date(2026, 12, 7)),  # Monday
    ],
)
async def test_the_week_view_on_a_weekend_shows_the_coming_week(db, monkeypatch, today, monday):
    import screens.week as week

    monkeypatch.setattr(week, "today_jst", lambda: today)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.monday == monday
        await pilot.press("]", "d")  # "this week" again: the same rule
        await settle(pilot)
        assert app.screen.monday == monday


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_textual_palette_entries_and_footer_keys_speak_the_ui_language(db, lang):
    from textual.widgets._footer import FooterKey

    from hwdesk.texts import CATALOGUE as MESSAGES

    said = {pair[0 if lang == "ja" else 1] for pair in MESSAGES.values()}
    app = make_app(db, lang=lang)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        for key in ("f2", "f3", "f4", "escape"):
            await pilot.press(key)
            await settle(pilot)
            shown = [k.description for k in app.screen.query(FooterKey)]
            assert shown and all(d in said for d in shown), (key, shown)
            commands = list(app.get_system_commands(app.screen))
            titles = [c.title for c in commands]
            assert all(t in said for t in titles) and all(c.help in said for c in commands), titles
        if lang == "ja":
            assert {"テーマ", "終了", "キー一覧", "画面の保存"} <= set(titles)


async def _preview(pilot, app, d):
    await sign_in(pilot)
    app.open_session(d["c1"])
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    return app.screen


def _visible_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_the_preview_names_the_app_as_the_paper_does(db):
    """The preview said "Platform: zoom" (the stored code) where the page prints "Zoom"."""
    d = setup_day(db)
    app = make_app(db, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        p = await _preview(pilot, app, d)
        details = plain(p.query_one("#hp-details"))
        assert "Zoom" in details and "zoom\n" not in details + "\n", details


async def test_handout_save_asks_where_remembers_it_and_shows_the_result_at_80x24(db, tmp_path, monkeypatch):
    import screens.handout_preview as hp

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(hp, "downloads_dir", lambda: tmp_path / "Downloads")
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        p = await _preview(pilot, app, d)
        await pilot.press("s")
        await settle(pilot)
        field = p.query_one("#hp-folder")
        assert field.display and field.value == str(tmp_path / "Downloads") and p.saved_path is None
        assert any("保存先フォルダ" in line for line in _visible_lines(app))
        field.value = str(tmp_path / "handouts")
        await pilot.press("enter")
        await settle(pilot)
        assert p.saved_path is not None and p.saved_path.parent == tmp_path / "handouts"
        assert p.saved_path.read_bytes()[:5] == b"%PDF-"
        # the result is on screen at 80×24 (the status sits under the scrolling details)
        status = p.query_one("#hp-status")
        assert str(p.saved_path) in plain(status)
        assert any("PDFを保存しました" in line for line in _visible_lines(app))
        box = p.query_one("#hp-box").region
        assert status.region.height >= 1 and box.contains_region(status.region) and box.bottom <= 24
        # Esc on the question saves nothing; the next question offers the folder used last
        await pilot.press("s")
        await settle(pilot)
        assert p.query_one("#hp-folder").value == str(tmp_path / "handouts")
        await pilot.press("escape")
        await settle(pilot)
        assert not p.query_one("#hp-folder-row").display and type(app.screen).__name__ == "HandoutPreview"
    assert hp.save_folder() == tmp_path / "handouts"


async def test_a_folder_that_cannot_be_written_is_named_and_nothing_is_lost(db, tmp_path, monkeypatch):
    import screens.handout_preview as hp

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(hp, "downloads_dir", lambda: tmp_path / "Downloads")
    (tmp_path / "afile").write_text("x")
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        p = await _preview(pilot, app, d)
        await pilot.press("s")
        await settle(pilot)
        p.query_one("#hp-folder").value = str(tmp_path / "afile" / "sub")
        await pilot.press("enter")
        await settle(pilot)
        status = plain(p.query_one("#hp-status"))
        assert "保存できません" in status and str(tmp_path / "afile" / "sub") in status and p.saved_path is None


async def test_the_preview_counts_sheets_in_large_print_and_english_is_english(db, tmp_path, monkeypatch):
    import screens.handout_preview as hp
    from hwdesk.handout.render import _pdf_bytes

    monkeypatch.setattr(hp, "downloads_dir", lambda: tmp_path / "Downloads")
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        p = await _preview(pilot, app, d)
        details = plain(p.query_one("#hp-details"))
        start = p.job.pages[0].start
        from hwdesk.clock import JST

        assert format_wareki(start.astimezone(JST).date(), weekday=True) in details
        for large in (False, True):
            sheets = hp.pdf_page_count(_pdf_bytes(p.job.pages, large_print=large, lang="ja"))
            if large:
                await pilot.press("l")
                await settle(pilot)
            assert f"A4 {sheets}枚" in plain(p.query_one("#hp-details"))
        assert p.sheets[True] >= p.sheets[False] >= len(p.job.pages)
        await pilot.press("e")
        await settle(pilot)
        english = plain(p.query_one("#hp-details"))
        assert p.doc_lang == "en"
        assert "Passcode" in english and "Large print: Yes" in english and "Language: English" in english
        assert "パスコード" not in english and "拡大印刷" not in english and "令和" not in english
        sheets = hp.pdf_page_count(_pdf_bytes(p.job.pages, large_print=True, lang="en"))
        assert f"{sheets} A4 page(s)" in english


async def test_the_sign_in_of_a_demo_database_lists_every_offices_demo_accounts(tmp_path):
    from helpers.ui import _build

    from hwdesk.services.demo import DEMO_STAFF, OFFICE_PREFIX, _login

    db = _build(tmp_path / "demo.sqlite3", demo=True)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        box = app.screen.query_one("#demo-box")
        demo = plain(box)
        for office in OFFICE_PREFIX:
            for base, _role, _name in DEMO_STAFF:
                assert _login(office, base) in demo
        assert "前橋" in demo and "渋谷" in demo and "高松" in demo
        assert box.region.bottom <= 24 and box.region.height >= demo.count("\n") + 1


def test_every_demo_account_listed_can_sign_in(tmp_path):
    from sqlmodel import select

    from hwdesk.db import open_store
    from hwdesk.models import Staff
    from hwdesk.services.demo import build_demo, demo_accounts

    store = open_store(tmp_path / "d.sqlite3")
    try:
        with store.write() as s:
            build_demo(s, seekers_per_office=1)
        with store.read() as s:
            made = {(st.login, st.role, st.office_id) for st in s.exec(select(Staff))}
        assert set(demo_accounts()) <= made and {o for _, _, o in demo_accounts()} == {
            "maebashi",
            "shibuya",
            "takamatsu",
        }
    finally:
        store.dispose()


async def test_the_office_dropdown_offers_only_the_staff_members_offices(db):
    from textual.widgets import Select

    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        select = app.screen.query_one("#f-office_id", Select)
        assert [value for _label, value in select._options if value is not Select.BLANK] == ["takamatsu"]


def test_a_refusal_names_offices_not_ids(store, actors):
    from hwdesk.errors import PermissionDenied
    from hwdesk.services.context import require_office

    with pytest.raises(PermissionDenied) as refused:
        require_office(actors["clerk1"], "shibuya")
    assert "ハローワーク渋谷" in refused.value.message_ja and "ハローワーク高松" in refused.value.message_ja
    assert "shibuya" not in refused.value.message_ja and "takamatsu" not in refused.value.message_ja
    assert "Hello Work Shibuya" in refused.value.message_en


@pytest.mark.parametrize("lang", ["ja", "en"])
async def test_the_session_screen_dates_in_wareki_with_the_weekday(db, lang):
    from hwdesk.clock import JST
    from hwdesk.jtext.dates import format_date_en

    d = setup_day(db)
    app = make_app(db, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_session(d["c1"])
        await settle(pilot)
        info = plain(app.screen.query_one("#s-info"))
        day = app.screen.detail.start.astimezone(JST).date()
        shown = format_wareki(day, weekday=True) if lang == "ja" else format_date_en(day, weekday=True)
        assert f"{shown} 10:00–10:45" in info, info


async def test_a_bare_folder_name_is_a_folder_in_downloads(db, tmp_path, monkeypatch):
    import screens.handout_preview as hp

    monkeypatch.setattr(hp, "downloads_dir", lambda: tmp_path / "Downloads")
    monkeypatch.chdir(tmp_path)
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        p = await _preview(pilot, app, d)
        await pilot.press("s")
        await settle(pilot)
        p.query_one("#hp-folder").value = "配布用"
        await pilot.press("enter")
        await settle(pilot)
        assert p.saved_path is not None and p.saved_path.parent == tmp_path / "Downloads" / "配布用"
        assert not (tmp_path / "配布用").exists()
    assert hp.save_folder() == tmp_path / "Downloads" / "配布用"
