"""Forms that don't bite (issue 17 item 5): labels that stay, placeholders that cannot pass for
data, no selection on entering a field, refusals that go once fixed, Enter on "registration"
lands on the registration fields, unusual ages asked about (Pilot)."""

from __future__ import annotations

from datetime import date

from helpers.ui import add_seeker, make_app, plain, settle, sign_in
from textual.widgets import Input, Label, Static

from hwdesk.clock import today_jst
from hwdesk.services.seekers import validate_field


def _label_of(field) -> str:
    """The text of the label shown with ``field``: the Label/Static just before it (or before
    the row it is in)."""
    node = field
    for _ in range(2):
        siblings = list(node.parent.children)
        before = siblings[: siblings.index(node)]
        for w in reversed(before):
            if isinstance(w, (Label, Static)) and not isinstance(w, Input) and w.display:
                text = plain(w).strip()
                if text:
                    return text
            break
        node = node.parent
    return ""


async def _every_input_is_labelled(pilot, app) -> list[str]:
    await settle(pilot)
    found = []
    for field in app.screen.query(Input):
        if not field.display or not field.parent.display:
            continue
        field.value = "ａｂｃ"  # typed in: the label must still be there
        await pilot.pause()
        label = _label_of(field)
        assert label, f"{type(app.screen).__name__} #{field.id} has no visible label"
        found.append(label)
    return found


async def test_every_field_keeps_a_visible_label_and_placeholders_are_not_data(db):
    from screens.audit_log import AuditLogScreen
    from screens.book_dialog import BookModal
    from screens.termination import TerminationScreen
    from tests.test_ui_queue import setup_day

    d = setup_day(db)
    sid = add_seeker(db, no="37010-77777777", name="表示 確認", kana="ヒョウジ カクニン")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "super1")
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        # any text is a name: its hint is a description without the space a full name has
        assert " " not in str(form.query_one("#f-name", Input).placeholder)
        for name in ("seeker_no", "name_kana", "birth_date", "phone", "email", "registered_on"):
            hint = str(form.query_one(f"#f-{name}", Input).placeholder)
            try:
                validate_field(name, hint)
            except Exception:
                continue
            raise AssertionError(f"the placeholder of {name} passes for data: {hint}")
        labels = await _every_input_is_labelled(pilot, app)
        assert {"求職番号", "氏名", "フリガナ", "生年月日"} <= set(labels)
        await pilot.press("escape")
        for screen in (TerminationScreen(sid, "takamatsu"), BookModal(d["free"]), AuditLogScreen()):
            app.push_screen(screen)
            assert await _every_input_is_labelled(pilot, app)
            app.pop_screen()
            await settle(pilot)


async def test_entering_a_filled_field_selects_nothing_and_typing_adds(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        name = form.query_one("#f-name", Input)
        name.value = "山田"
        form.query_one("#f-seeker_no", Input).focus()
        await pilot.pause()
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is name and name.selection.is_empty and name.cursor_position == len("山田")
        await pilot.press("x")
        assert name.value == "山田x"


async def test_a_fixed_error_clears_itself(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        values = {"seeker_no": "37010-1", "name": "山田 太郎", "name_kana": "yamada", "birth_date": "1985-04-01"}
        for k, v in values.items():
            form.query_one(f"#f-{k}", Input).value = v
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "保存できません" in plain(form.query_one("#form-msg")) or plain(form.query_one("#form-msg"))
        assert form.query_one("#err-name_kana").display
        assert app.focused is form.query_one("#f-name_kana")
        form.query_one("#f-name_kana", Input).value = "ヤマダ タロウ"
        await settle(pilot)
        assert not form.query_one("#err-name_kana").display
        assert plain(form.query_one("#form-msg")) == ""


async def test_enter_on_registration_in_readiness_lands_on_the_registration_fields(db):
    sid = add_seeker(db, no="37010-88888888", name="未登録 花子", kana="ミトウロク ハナコ", registered="")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        keys = [r.key for r in app.screen.reqs]
        assert not next(r for r in app.screen.reqs if r.key == "registration").ok
        app.screen.query_one("#r-list").highlighted = keys.index("registration")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerFormScreen"
        assert app.focused is app.screen.query_one("#f-registered_on")
        assert app.focused.region.height and app.screen.query_one("#f-registration_kind").region.height


async def test_a_birth_date_under_15_or_over_100_asks_first(db):
    today = today_jst()
    young = date(today.year - 10, 1, 1).isoformat()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        values = {"seeker_no": "37010-2", "name": "若井 一", "name_kana": "ワカイ ハジメ", "birth_date": young}
        for k, v in values.items():
            form.query_one(f"#f-{k}", Input).value = v
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "FinalConfirm"
        assert "15歳未満か100歳超" in plain(app.screen.query_one("#fc-text"))
        await pilot.press("n")  # no: back to the birth date, nothing saved
        await settle(pilot)
        assert app.screen is form and app.focused is form.query_one("#f-birth_date")
        form.query_one("#f-birth_date", Input).value = date(today.year - 105, 6, 1).isoformat()  # over 100
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "FinalConfirm"
        await pilot.press("y")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        # an ordinary age saves without a question
        app.open_form(None)
        await settle(pilot)
        form = app.screen
        values = {"seeker_no": "37010-3", "name": "中井 二郎", "name_kana": "ナカイ ジロウ", "birth_date": "1985-04-01"}
        for k, v in values.items():
            form.query_one(f"#f-{k}", Input).value = v
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
