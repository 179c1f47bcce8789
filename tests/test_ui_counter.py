"""The counter flow, sign-in, first run, English, readiness fixes and the command palette (Pilot).

Each test runs on a fresh SQLite database and asserts what the screen shows and what was stored.
"""

from __future__ import annotations

import json

from helpers.ui import (
    PW,
    SIZE,
    _build,
    add_seeker,
    make_app,
    plain,
    read,
    readiness,
    screen_text,
    settle,
    sign_in,
    type_text,
)
from sqlmodel import select

from hwdesk.clock import today_jst
from hwdesk.db import open_store
from hwdesk.models import CompanionNotice, Consent, EnvCheck, Seeker, Staff, TermsVersion
from hwdesk.services import auth
from hwdesk.services.context import SYSTEM

# --- the whole counter flow ---------------------------------------------------------------------


async def test_counter_flow_register_consent_ready_with_interpreter(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, typed=True)
        assert type(app.screen).__name__ == "SearchScreen"
        assert "高松 花子（clerk1）｜窓口職員｜ハローワーク高松" in screen_text(app)

        # Register a new seeker: type field after field (Enter moves to the next one).
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerFormScreen"
        assert app.focused.id == "f-seeker_no"
        for text in ("3701012345678", "山田 太郎", "やまだ", "S60.4.1", "09012345678"):
            await type_text(pilot, text)
            await pilot.press("enter")
        assert app.focused.id == "f-email"
        app.screen.query_one("#f-name_kana").value = "やまだ たろう"
        app.screen.query_one("#f-registered_on").value = today_jst().isoformat()
        await settle(pilot)
        assert not app.screen.query_one("#err-birth_date").display  # S60.4.1 is a valid date
        await pilot.press("ctrl+s")
        await settle(pilot)

        # The detail opens with the readiness panel for 高松 / online counseling.
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        profile = plain(app.screen.query_one("#b-profile"))
        assert "37010-12345678" in profile and "山田 太郎" in profile and "昭和60年4月1日" in profile
        assert readiness(app) == {
            "service": True,
            "consent": False,
            "registration": True,
            "registration_valid": True,
            "webcam": False,
            "environment": False,
            "private_room": False,
            "termination": True,
        }
        # The registration's end (the month after next, in principle) is on the page (issue 15).
        from hwdesk.jtext.dates import format_wareki
        from hwdesk.services.registration import initial_end

        assert f"有効期間 {format_wareki(initial_end(today_jst()))}まで（原則）" in plain(
            app.screen.query_one("#b-registration")
        )
        assert "第2条(1)" in str(app.screen.query_one("#r-list").get_option("consent").prompt)

        # Enter on the failed consent item opens the terms; 7 jumps to 第7条; Ctrl+S records consent.
        assert app.screen.query_one("#r-list").highlighted == 1
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "TermsScreen"
        await pilot.press("7")
        await pilot.pause()
        assert app.screen.current == 7
        assert app.screen.query_one("#art-7").has_class("current")
        assert "第7条" in plain(app.screen.query_one("#art-7"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        assert readiness(app)["consent"] is True
        assert "現行" in plain(app.screen.query_one("#b-consent"))

        # Webcam: Enter on the item (it is highlighted as the next failure), confirm with y.
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "WebcamScreen"
        await pilot.press("y")
        await settle(pilot)
        assert readiness(app)["webcam"] is True

        # Environment: every item of 高松 第5条 plus the private room, answered yes.
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "EnvCheckScreen"
        shown = screen_text(app)
        assert "ウイルス対策ソフト" in shown and "個室又は周囲に他人がいない環境" in shown
        for _ in range(7):
            await pilot.press("y")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"

        # Interpreter notice (standing), from the detail with c.
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "CompanionScreen"
        app.screen.query_one("#c-language").focus()
        await type_text(pilot, "英語")
        app.screen.query_one("#c-name").value = "John Smith"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"

        # Ready: every requirement passes, and the screen says so.
        assert all(readiness(app).values()), readiness(app)
        assert "利用できます" in plain(app.screen.query_one("#r-summary"))
        companions = plain(app.screen.query_one("#b-companions"))
        assert "通訳（英語） John Smith" in companions and "継続" in companions
        assert "すべて満たす" in plain(app.screen.query_one("#b-env"))
        assert "確認済み" in plain(app.screen.query_one("#b-registration"))

    # What was stored.
    def stored(s):
        sk = s.exec(select(Seeker)).one()
        consent = s.exec(select(Consent)).one()
        tv = s.get(TermsVersion, consent.terms_version_id)
        env = s.exec(select(EnvCheck)).one()
        comp = s.exec(select(CompanionNotice)).one()
        return sk, consent, tv, env, comp

    sk, consent, tv, env, comp = read(db, stored)
    assert (sk.seeker_no, sk.name, sk.name_kana, sk.birth_date.isoformat(), sk.phone) == (  # as the services clean them
        "37010-12345678",
        "山田 太郎",
        "ヤマダ タロウ",
        "1985-04-01",
        "09012345678",
    )
    assert sk.webcam_confirmed and sk.registration_kind == "office"
    assert (consent.office_id, consent.method, tv.version) == ("takamatsu", "application", 2)
    assert env.all_ok and set(json.loads(env.answers_json)) >= {"antivirus", "private_room"}
    assert (comp.kind, comp.language, comp.name, comp.session_id, comp.late) == (
        "interpreter",
        "英語",
        "John Smith",
        None,
        False,
    )


# --- first run ----------------------------------------------------------------------------------


async def test_first_run_creates_the_admin_and_signs_in(tmp_path):
    db = _build(tmp_path / "empty.sqlite3", staff=False)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert type(app.screen).__name__ == "FirstRunScreen"
        assert app.focused.id == "fr-login"
        await type_text(pilot, "admin1")
        app.screen.query_one("#fr-name").value = "管理 太郎"
        app.screen.query_one("#fr-password").value = "short"
        app.screen.query_one("#fr-password2").value = "short"
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused by the password policy: the message shows and the cursor is on the password.
        assert "10文字以上" in plain(app.screen.query_one("#fr-password-error"))
        assert app.focused.id == "fr-password"
        app.screen.query_one("#fr-password").value = "kagawa-counter-2025"
        app.screen.query_one("#fr-password2").value = "kagawa-counter-2025"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SearchScreen"
        assert "管理 太郎（admin1）｜管理者" in screen_text(app)
    staff = read(db, lambda s: s.exec(select(Staff)).all())
    assert [(st.login, st.role) for st in staff] == [("admin1", "admin")]


# --- sign-in ------------------------------------------------------------------------------------


async def test_failed_sign_in_shows_the_services_message(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, password="wrong-password")
        assert type(app.screen).__name__ == "SignInScreen"
        from hwdesk.services.auth import BAD_SIGN_IN

        assert plain(app.screen.query_one("#signin-msg")) == BAD_SIGN_IN.message_ja
        assert plain(app.screen.query_one("#signin-msg")).startswith("職員IDまたはパスワードが違います。")
        assert app.screen.query_one("#password").value == ""
        assert app.focused.id == "password"


async def test_demo_accounts_show_on_the_sign_in_screen_only(tmp_path):
    db = _build(tmp_path / "demo.sqlite3", demo=True)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        demo = plain(app.screen.query_one("#demo-box"))
        assert (
            "デモ用データベース" in demo and "clerk1" in demo and "super1" in demo and "admin1" in demo and PW in demo
        )
        await sign_in(pilot)
        assert type(app.screen).__name__ == "SearchScreen"
        assert PW not in screen_text(app) and "super1" not in screen_text(app)
        assert app.screen.query_one("#hdr-demo").display  # the DEMO badge stays in the header


async def test_english_labels_and_messages(db):
    app = make_app(db, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        labels = " ".join(str(label.visual) for label in app.screen.query("Label"))
        assert "Staff ID" in labels and "Password" in labels
        await sign_in(pilot, password="nope-nope-nope")
        assert plain(app.screen.query_one("#signin-msg")).startswith("Wrong staff ID or password. After 10 failures")
        app.screen.query_one("#password").value = PW
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "SearchScreen"
        assert "Clerk" in screen_text(app) and "Hello Work Takamatsu" in screen_text(app)
        footer = " ".join(b.binding.description for b in app.screen.active_bindings.values() if b.binding.show)
        assert "New seeker" in footer and "Lock" in footer, footer
        await pilot.press("ctrl+n")
        await settle(pilot)
        app.screen.query_one("#f-birth_date").focus()
        await type_text(pilot, "1985-2-30")
        await settle(pilot)
        assert "does not exist" in plain(app.screen.query_one("#err-birth_date"))


# --- feel ---------------------------------------------------------------------------------------


async def test_command_palette_lists_screens_and_actions_in_both_languages(db):
    from screens.commands import HwdeskCommands

    sid = add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        names = [name for name, _, _ in HwdeskCommands(app.screen)._commands()]
        for expected in (
            "求職者検索の画面へ / Go to the seeker search",
            "求職者を新規登録する / Register a new seeker",
            "画面をロックする / Lock the screen",
            "規約・同意 / Terms",
            "同席者 / Companion",
            "環境確認 / Env. check",
            "編集 / Edit",
        ):
            assert expected in names, names
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press("escape")
        await pilot.pause()
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme


async def test_readable_at_80x24(db):
    sid = add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        assert app.screen.has_class("narrow")
        readiness_panel = app.screen.query_one("#readiness")
        assert readiness_panel.region.height >= 8 and readiness_panel.region.width == 80
        assert app.screen.query_one("#detail-info").region.height >= 5


# --- 渋谷: approval, and a refused environment check ---------------------------------------------


async def test_shibuya_counseling_needs_an_approval_recorded_from_the_readiness_panel(db):
    store = open_store(db, migrate=False)
    with store.write() as s:
        auth.create_staff(
            s,
            actor=SYSTEM,
            login="clerk1_shi",
            name="渋谷 次郎",
            role="clerk",
            office_id="shibuya",
            password=PW,
            check_policy=False,
        )
        # The one who recognizes the need (個別支援担当) is not the clerk typing it in.
        support = auth.create_staff(
            s,
            actor=SYSTEM,
            login="support_shi",
            name="[b]支援[/] 花子",
            role="clerk",
            office_id="shibuya",
            password=PW,
            check_policy=False,
        ).id
    store.dispose()
    sid = add_seeker(db, no="13010-11111111", name="渋谷 一郎", kana="シブヤ イチロウ", office="shibuya")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, login="clerk1_shi")
        app.open_seeker(sid)
        await settle(pilot)
        assert app.screen.office == "shibuya" and app.screen.service == "counseling"
        assert readiness(app)["approval"] is False
        assert "第1条(4)" in str(app.screen.query_one("#r-list").get_option("approval").prompt)
        app.screen.query_one("#r-list").highlighted = [r.key for r in app.screen.reqs].index("approval")
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ApprovalScreen"
        who = app.screen.query_one("#a-who")
        assert "渋谷 次郎（clerk1_shi）" in plain(who.query_one("SelectCurrent #label"))
        assert who.value == app.actor.id  # the signed-in clerk by default
        app.screen.query_one("#a-note").load_text("[bold]継続支援[/] が必要")
        app.screen.query_one("#a-wish").value = True  # 第1条(4): the seeker wishes continuing counseling
        who.focus()
        await pilot.press("enter")  # open the list of the office's staff
        await settle(pilot)
        await pilot.press("down", "enter")  # clerk1_shi, then support_shi (by login)
        await settle(pilot)
        assert who.value == support
        assert "[b]支援[/] 花子（support_shi）" in plain(who.query_one("SelectCurrent #label"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        assert readiness(app)["approval"] is True
        approvals = plain(app.screen.query_one("#b-approvals"))
        assert "[bold]継続支援[/] が必要" in approvals
        assert "[b]支援[/] 花子" in approvals  # the name shows literally

        # The environment check refuses to save with an item unanswered, and says which.
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("y", "n")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "EnvCheckScreen"
        assert "未回答の項目があります" in plain(app.screen.query_one("#e-msg"))
        assert app.focused.id == "e-os_supported"
        # Esc keeps the answers as a draft.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert app.screen.query_one("#e-secure_device").value is True
        assert app.screen.query_one("#e-internet").value is False


async def test_terms_jump_by_typed_number_and_the_jump_field(db):
    sid = add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_terms("takamatsu", sid)
        await settle(pilot)
        screen = app.screen
        assert screen.numbers == list(range(1, 15))
        await pilot.press("1", "2")  # typed quickly: 第12条
        await pilot.pause()
        assert screen.current == 12
        await pilot.press("p")
        assert screen.current == 11
        await pilot.press("j", "９", "enter")  # full-width digits work in the jump field
        await pilot.pause()
        assert screen.current == 9
        await pilot.press("j", "9", "9", "enter")
        await pilot.pause()
        assert "第99条はありません" in plain(screen.query_one("#jump-msg"))


def test_app_module_loads_no_orm_at_import():
    """Cold start: the sign-in screen paints before SQLAlchemy/SQLModel/migrations are imported."""
    import subprocess
    import sys

    code = (
        "import sys, screens.app\n"
        "bad = [m for m in ('sqlmodel', 'sqlalchemy', 'alembic', 'hwdesk.db', 'hwdesk.services') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run(
        [sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).parent.parent)
    )
