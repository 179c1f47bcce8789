"""Seeker search and the seeker form: search as you type, refused saves keep the draft (Pilot)."""

from __future__ import annotations

import pytest
from helpers.ui import (
    SIZE,
    _build,
    add_seeker,
    make_app,
    plain,
    read,
    settle,
    sign_in,
    type_text,
)
from sqlmodel import select

from hwdesk.models import Seeker

# --- seekers: search ----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def both_db(request, tmp_path) -> str:
    """The screens' database on each backend: an SQLite file, or a fresh PostgreSQL schema (the
    search runs there on ``Store.lookup``'s own read-only pool)."""
    if request.param == "sqlite":
        return _build(tmp_path / "ui.sqlite3")
    return _build(request.getfixturevalue("pg_url"))


async def test_search_by_reading_number_kanji_fragment_and_phone(both_db):
    db = both_db
    a = add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ", phone="090-1111-2222")
    b = add_seeker(db, no="37010-22222222", name="山本 花子", kana="ヤマモト ハナコ", birth="1990-01-01")
    c = add_seeker(db, no="37010-33333333", name="佐藤 一郎", kana="サトウ イチロウ", birth="1970-01-01")
    other = add_seeker(db, no="13010-44444444", name="山田 次郎", kana="ヤマダ ジロウ", office="shibuya")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        field = app.screen.query_one("#search-input")
        table = app.screen.query_one("#search-results")

        async def search(q: str) -> list:
            field.focus()
            field.value = q[:-1]  # the last character is typed: the keystroke starts the query
            field.cursor_position = len(field.value)
            await type_text(pilot, q[-1])
            await settle(pilot)
            return list(table.keys)

        assert await search("やまだ") == [a]  # hiragana; 渋谷's 山田 次郎 is another office's
        assert await search("ヤマ") == [a, b]  # katakana prefix
        assert await search("ﾔﾏﾓﾄ") == [b]  # half-width
        assert await search("37010-3333") == [c]  # 求職番号 prefix
        assert await search("3701033333333") == [c]
        assert await search("田太") == [a]  # kanji fragment (2 characters)
        assert await search("山田太") == [a]  # 3 characters: the trigram index
        assert await search("山田太郎") == [a]  # longer: its trigrams, then the substring
        assert await search("佐") == [c]  # one kanji
        assert await search("090-1111") == [a]  # phone
        assert await search("該当なし") == []
        assert "該当する求職者はいません" in plain(app.screen.query_one("#search-status"))
        assert other not in table.keys

        # Rows show the literal values, full-width aware, and Enter opens the detail.
        await search("さとう")
        assert table.rows[0][:3] == ["37010-33333333", "佐藤 一郎", "サトウ イチロウ"]
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen" and app.screen.seeker_id == c
        # Esc goes back to the search with the query still there.
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "SearchScreen"
        assert app.screen.query_one("#search-input").value == "さとう"


async def test_search_keystrokes_never_wait_and_stale_results_are_dropped(db):
    add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ")
    add_seeker(db, no="37010-22222222", name="山本 花子", kana="ヤマモト ハナコ", birth="1990-01-01")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        # Type without waiting for any query: only the last one's rows may remain.
        await pilot.press(*"やまも")
        await settle(pilot)
        table = app.screen.query_one("#search-results")
        assert [row[1] for row in table.rows] == ["山本 花子"]


# --- seekers: the form --------------------------------------------------------------------------


async def test_refused_save_keeps_the_draft_and_focuses_the_field(db):
    add_seeker(db, no="37010-12345678", name="既存 一郎", kana="キゾン イチロウ", birth="1960-01-01")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        values = {
            "f-seeker_no": "37010-12345678",
            "f-name": "山田 太郎",
            "f-name_kana": "ヤマダ タロウ",
            "f-birth_date": "1985-04-01",
        }
        for wid, text in values.items():
            form.query_one(f"#{wid}").value = text
        form.query_one("#f-phone").focus()
        await type_text(pilot, "0901234")
        await settle(pilot)
        # The duplicate number is shown before saving …
        assert "既に登録されています" in plain(form.query_one("#dup-panel"))
        # … and a phone number too short is caught as it is typed.
        assert form.query_one("#err-phone").display
        form.query_one("#f-phone").value = "090-1234-5678"
        await settle(pilot)
        assert not form.query_one("#err-phone").display
        form.query_one("#f-email").focus()
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused by the service: still on the form, everything kept, cursor on the number.
        assert app.screen is form
        assert app.focused.id == "f-seeker_no"
        assert "既に登録されています" in plain(form.query_one("#err-seeker_no"))
        assert "保存できませんでした" in plain(form.query_one("#form-msg"))
        assert form.query_one("#f-name").value == "山田 太郎"
        assert form.query_one("#f-phone").value == "090-1234-5678"

        # A bad date is refused before the store is asked, with the cursor on the date.
        form.query_one("#f-seeker_no").value = "37010-99999999"
        form.query_one("#f-birth_date").value = "令和99年13月1日"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.focused.id == "f-birth_date"
        assert form.query_one("#err-birth_date").display

        # Esc goes back without losing the draft; Ctrl+N brings it back.
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "SearchScreen"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.query_one("#f-name").value == "山田 太郎"
        assert app.screen.query_one("#f-birth_date").value == "令和99年13月1日"
        assert "下書きを復元しました" in plain(app.screen.query_one("#form-msg"))
        app.screen.query_one("#f-birth_date").value = "1985-04-01"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
    numbers = read(db, lambda s: sorted(x.seeker_no for x in s.exec(select(Seeker))))
    assert numbers == ["37010-12345678", "37010-99999999"]


async def test_likely_same_person_is_shown_and_can_be_confirmed_different(db):
    add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ", birth="1985-04-01")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        form.query_one("#f-seeker_no").value = "37010-22222222"
        form.query_one("#f-name").value = "山田 太朗"
        form.query_one("#f-name_kana").value = "やまだ たろう"
        form.query_one("#f-birth_date").value = "昭和60年4月1日"
        await settle(pilot)
        assert "同じフリガナと生年月日の求職者がいます" in plain(form.query_one("#dup-panel"))
        assert form.query_one("#f-different").display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and app.focused.id == "f-name_kana"
        form.query_one("#f-different").value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
    assert read(db, lambda s: len(s.exec(select(Seeker)).all())) == 2


async def test_edit_seeker_switches_online_to_office(db):
    sid = add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert form.query_one("#f-name").value == "山田 太郎"
        form.query_one("#f-name").value = "山田 太一"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        assert "山田 太一" in plain(app.screen.query_one("#b-profile"))
    assert read(db, lambda s: s.get(Seeker, sid).name) == "山田 太一"


async def test_an_open_drop_down_names_its_key_in_the_ui_language(db):
    """Textual's own "Dismiss menu" label of an open Select is shown in Japanese (and English)."""
    from textual.widgets._footer import FooterKey

    from screens.footer import KeyFooter

    for lang, label in (("ja", "メニューを閉じる"), ("en", "Close menu")):
        app = make_app(db, lang=lang)
        async with app.run_test(size=SIZE) as pilot:
            await sign_in(pilot)
            await pilot.press("ctrl+n")
            await settle(pilot)
            app.screen.query_one("#f-registration_kind").focus()
            await pilot.press("enter")
            await settle(pilot)
            footer = app.screen.query_one(KeyFooter)
            labels = [k.description for k in footer.query(FooterKey)]
            assert label in labels and "Dismiss menu" not in labels, labels


async def test_the_empty_search_says_what_to_type_whole_at_80_columns(db):
    """Before anything is typed, the field's placeholder and the hint under it are read in full
    on an 80×24 terminal, in Japanese and in English (the English ones were cut at the edge)."""
    from hwdesk.texts import tr

    for lang in ("ja", "en"):
        app = make_app(db, lang=lang)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot)
            lines = [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]
            for key in ("search.placeholder", "search.hint"):
                assert any(line.strip() == tr(key, lang) for line in lines), (key, lines[:5])
