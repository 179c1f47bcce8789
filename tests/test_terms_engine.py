"""Issue 15 (part A): the rule engine's conditions, the registration period, registration kinds,
the approval's wish, the agreement rule in readiness, the private room, and the counter commands.
On SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from hwdesk.cli import main
from hwdesk.clock import JST, today_jst
from hwdesk.errors import PermissionDenied, RuleRefusal, ValidationFailed
from hwdesk.models import Approval, AuditLog, RegistrationRenewal, Seeker
from hwdesk.services import consent, eligibility, importer, queue, registration, scheduling, terminations
from hwdesk.services.context import SYSTEM
from hwdesk.services.registration import initial_end, month_end, registration_end

CLERK = {"takamatsu": "clerk1", "shibuya": "clerk1_shi", "maebashi": "clerk1_mae"}
SUPER = {"takamatsu": "super1", "shibuya": "super1_shi", "maebashi": "super1_mae"}


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def check(store, seeker_id: int, office: str, service: str = "counseling", on: date | None = None) -> dict:
    with store.read() as s:
        return {r.key: r for r in eligibility.check(s, seeker_id=seeker_id, office_id=office, service=service, on=on)}


def session_row(
    store, actors, office="takamatsu", kind="counseling", day="2027-01-12", start="10:00", end="10:45", **kw
):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors[CLERK[office]],
            office_id=office,
            kind=kind,
            start=at(day, start),
            end=at(day, end),
            staff_login=CLERK[office],
            **kw,
        )


def book(store, actor, session_id, seeker_id, **kw):
    with store.write() as s:
        return scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id, **kw)


# --- the registration period (Hello Work's rule, docs/rules.md (p)) ------------------------------


def test_registration_end_month_after_next_and_extensions():
    assert initial_end(date(2026, 12, 6)) == date(2027, 2, 28)
    assert initial_end(date(2026, 11, 30)) == date(2027, 1, 31)
    assert initial_end(date(2027, 1, 1)) == date(2027, 3, 31)
    reg = date(2026, 10, 15)  # → 2026-12-31
    assert registration_end(reg) == date(2026, 12, 31)
    assert registration_end(reg, [date(2026, 11, 20)]) == date(2026, 12, 31)  # not the final month: nothing
    assert registration_end(reg, [date(2026, 12, 1)]) == date(2027, 1, 31)  # the final month: one month more
    assert registration_end(reg, [date(2026, 12, 1), date(2027, 1, 31)]) == date(2027, 2, 28)  # a month at a time
    assert registration_end(reg, [date(2026, 12, 1), date(2026, 12, 20)]) == date(2027, 1, 31)  # twice in a month: once
    assert registration_end(reg, [date(2027, 1, 5)]) == date(2026, 12, 31)  # after it lapsed: no extension
    assert registration_end(reg, renewals=[date(2027, 3, 3)]) == date(2027, 5, 31)  # a renewal restarts the period
    assert registration_end(None) is None


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
    st.lists(st.integers(min_value=0, max_value=900), max_size=12),
)
def test_registration_end_never_shrinks_and_ends_a_month(applied, offsets):
    days = [applied + timedelta(days=o) for o in offsets]
    end = registration_end(applied, days)
    assert end >= initial_end(applied) and end == month_end(end.year, end.month)
    assert registration_end(applied, days + [applied + timedelta(days=40)]) >= end  # an attendance never shortens it
    assert registration_end(applied, days, [applied]) == end  # a renewal on the registration day changes nothing


def test_registration_valid_on_the_session_date_with_attendance_and_renewal(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a, registered="2026-10-15")  # valid to 2026-12-31
    make_ready(store, a, sk.id, "takamatsu")
    r = check(store, sk.id, "takamatsu", on=date(2026, 12, 31))["registration_valid"]
    assert r.ok and r.cite == "第2条(2)" and r.phrase == "ハローワークへの求職登録が完了している方"
    lapsed = check(store, sk.id, "takamatsu", on=date(2027, 1, 12))["registration_valid"]
    assert not lapsed.ok and lapsed.code == "registration_lapses" and "令和8年12月31日" in lapsed.detail
    assert "registration_valid" not in check(store, sk.id, "maebashi", "seminar")  # 前橋 asks for no registration
    # Counseling attended in the final month (December) extends it to the end of January.
    dec = session_row(store, actors, day="2026-12-08")
    book(store, a, dec.id, sk.id)
    with store.write() as s:
        scheduling.set_state(s, actor=a, session_id=dec.id, seeker_id=sk.id, state="checked_in")
    assert check(store, sk.id, "takamatsu", on=date(2027, 1, 12))["registration_valid"].ok
    jan = session_row(store, actors, day="2027-01-12")
    assert book(store, a, jan.id, sk.id).state == "booked"
    # Beyond January: refused with its article until a renewal elsewhere is recorded (audited).
    feb = session_row(store, actors, day="2027-02-09")
    with pytest.raises(RuleRefusal) as exc:
        book(store, a, feb.id, sk.id)
    assert [(f.key, f.cite) for f in exc.value.failures] == [("registration_valid", "第2条(2)")]
    with store.write() as s:
        registration.renew(s, actor=a, seeker_id=sk.id, renewed_on=date(2026, 12, 1), note="ハローワーク丸亀で更新")
    assert book(store, a, feb.id, sk.id).state == "booked"
    with store.read() as s:
        log = s.exec(select(AuditLog).where(AuditLog.action == "registration.renew")).one()
        assert json.loads(log.detail_json)["after"]["valid_until"] == "2027-02-28" and log.seeker_id == sk.id
        assert s.exec(select(RegistrationRenewal)).one().note == "ハローワーク丸亀で更新"


def test_renewal_refusals(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a, registered="2026-10-15")
    for kw, field in (
        (dict(renewed_on=date(2026, 12, 1), note=" "), "note"),
        (dict(renewed_on=date(2026, 9, 1), note="x"), "renewed_on"),
        (dict(renewed_on=today_jst() + timedelta(days=1), note="x"), "renewed_on"),
    ):
        with store.write() as s, pytest.raises(ValidationFailed) as exc:
            registration.renew(s, actor=a, seeker_id=sk.id, **kw)
        assert exc.value.field == field
    with store.write() as s, pytest.raises(PermissionDenied):  # another office's clerk
        registration.renew(s, actor=actors["clerk1_shi"], seeker_id=sk.id, renewed_on=date(2026, 12, 1), note="x")


def test_queue_warns_when_the_registration_lapses_before_the_session(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a, registered="2026-10-15")
    make_ready(store, a, sk.id, "takamatsu")
    row = session_row(store, actors, day="2026-12-22", join_url="https://zoom.us/j/1")
    book(store, a, row.id, sk.id)
    with store.write() as s:  # the session moves past the registration's end: the booking stays, the queue warns
        s.get(scheduling.SessionRow, row.id).start_at = at("2027-01-12")
        s.get(scheduling.SessionRow, row.id).end_at = at("2027-01-12", "10:45")
    with store.read() as s:
        view = queue.daily_queue(
            s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 1, 12), now=at("2027-01-11", "08:00")
        )
    [w] = view.rows[0].warnings
    assert (w.key, w.cite, w.seekers) == ("registration_lapses", "第2条(2)", (sk.seeker_no,))
    assert w.text() == "実施日までに求職登録の有効期間切れ（第2条(2)）"


# --- registration kinds (渋谷 第1条(3), 高松 第2条(2)) ----------------------------------------------


HEADER = "求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日\n"


def test_import_refuses_provisional_and_unknown_kinds_with_the_accepted_list(store, actors):
    data = (
        HEADER + "37010-900001,仮 一郎,カリ イチロウ,1980-01-01,,,インターネット仮登録,2026-11-01\n"
        "37010-900002,謎 二郎,ナゾ ジロウ,1980-01-02,,,ネット,2026-11-01\n"
        "37010-900003,窓 三郎,マド サブロウ,1980-01-03,,,オンライン登録,2026-11-01\n"
    ).encode()
    with store.write() as s:
        result = importer.import_seekers(s, actor=actors["clerk1"], data=data, office_id="takamatsu", source="x.csv")
    assert result.added == 1
    first, second = result.errors
    assert (first.line, first.field, second.line) == (2, "registration_kind", 3)
    assert "仮登録は求職登録の完了ではありません" in first.message_ja and "第1条(3)" in first.message_ja
    assert "窓口・office・安定所・来所・オンライン・online・オンライン登録" in second.message_ja
    assert "one of: 窓口, office" in second.message_en
    with store.read() as s:
        assert [k.registration_kind for k in s.exec(select(Seeker).where(Seeker.seeker_no == "37010-900003"))] == [
            "online"
        ]


def test_a_provisional_registration_never_passes(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    with store.write() as s:  # a value written by an older release or by hand
        s.get(Seeker, sk.id).registration_kind = "仮登録"
    reqs = check(store, sk.id, "takamatsu")
    assert not reqs["registration"].ok and reqs["registration"].cite == "第2条(2)"


# --- 渋谷 第1条(4): the wish for continuing counseling ------------------------------------------------


def test_shibuya_approval_needs_the_wish_for_continuing_counseling(store, actors):
    a = actors["clerk1_shi"]
    sk = new_seeker(store, a, office_id="shibuya")
    make_ready(store, a, sk.id, "shibuya", service="seminar")
    with store.write() as s:
        consent.record_approval(s, actor=a, seeker_id=sk.id, office_id="shibuya", note="必要")
    r = check(store, sk.id, "shibuya")["approval"]
    assert not r.ok and r.cite == "第1条(4)" and "継続的な職業相談の希望" in r.detail
    assert r.phrase == "継続的な職業相談を希望する者であり、ハローワークがその必要性を認めた者であること"
    with store.write() as s:
        consent.record_approval(
            s, actor=a, seeker_id=sk.id, office_id="shibuya", note="本人希望", wishes_continuing=True
        )
    assert check(store, sk.id, "shibuya")["approval"].ok
    with store.read() as s:
        assert [x.wishes_continuing for x in s.exec(select(Approval).order_by(Approval.id))] == [False, True]


# --- readiness and booking agree: 渋谷 第9条第2項 -----------------------------------------------------


def test_readiness_shows_the_ended_agreement_as_booking_refuses_it(store, actors):
    a, sup = actors["clerk1_shi"], actors["super1_shi"]
    sk = new_seeker(store, a, office_id="shibuya")
    make_ready(store, a, sk.id, "shibuya", service="seminar")
    with store.write() as s:
        res = terminations.terminate(
            s, actor=sup, seeker_id=sk.id, office_id="shibuya", ground="disturbing", narrative="妨害", scope="ended"
        )
        terminations.lift(s, actor=sup, termination_id=res.termination.id, reason="再発なし")
    reqs = check(store, sk.id, "shibuya", "seminar")
    assert [(k, r.cite) for k, r in reqs.items() if not r.ok] == [("agreement", "第9条第2項")]
    row = session_row(store, actors, office="shibuya", kind="seminar", capacity=5, end="11:00")
    with pytest.raises(RuleRefusal) as exc:
        book(store, a, row.id, sk.id)
    assert [(f.key, f.cite) for f in exc.value.failures] == [("agreement", "第9条第2項")]
    with store.write() as s:
        consent.record_consent(s, actor=a, seeker_id=sk.id, office_id="shibuya")
    assert all(r.ok for r in check(store, sk.id, "shibuya", "seminar").values())
    assert book(store, a, row.id, sk.id).state == "booked"


# --- the private room: its own item -----------------------------------------------------------------


@pytest.mark.parametrize("office,cite", [("maebashi", "第3条(7)"), ("shibuya", "第6条(2)"), ("takamatsu", "第12条(3)")])
def test_private_room_is_its_own_condition(store, actors, office, cite):
    a = actors[CLERK[office]]
    sk = new_seeker(store, a, office_id=office)
    make_ready(store, a, sk.id, office, service="seminar")
    with store.write() as s:
        items = consent.env_items(s, office)
        consent.record_env_check(
            s, actor=a, seeker_id=sk.id, office_id=office, answers={i.key: i.key != "private_room" for i in items}
        )
    reqs = check(store, sk.id, office, "seminar")
    assert [(k, r.cite) for k, r in reqs.items() if not r.ok] == [("private_room", cite)]
    assert reqs["environment"].ok  # the device self-check (渋谷 第3条 / 高松 第5条 / 前橋 第3条) is met


# --- the counter commands ---------------------------------------------------------------------------


@pytest.fixture
def cli(store, db_url, monkeypatch, capsys):
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    monkeypatch.delenv("HWDESK_STAFF", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, as_: str | None = None):
        code = main(["--db", db_url, *(["--as", as_] if as_ else []), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_counter_commands_make_a_seeker_ready(cli, store, actors):
    sk = new_seeker(store, actors["clerk1_shi"], office_id="shibuya", webcam=False)
    no = sk.seeker_no
    code, out, _ = cli("eligibility", no, "--office", "shibuya", "--service", "counseling", "--json", as_="clerk1_shi")
    assert code == 1
    code, _, err = cli("consent", no, "--office", "shibuya", as_="clerk1_shi")
    assert code == 0, err
    code, out, err = cli("env-check", no, "--office", "shibuya", "--no", "private_room", as_="clerk1_shi")
    assert code == 0 and "private_room (第6条(2))" in out
    code, _, err = cli("--lang", "en", "env-check", no, "--office", "shibuya", "--no", "bogus", as_="clerk1_shi")
    assert code == 2 and "Not an item at shibuya: bogus" in err and "webcam" in err
    code, _, err = cli("env-check", no, "--office", "shibuya", as_="clerk1_shi")  # everything yes, webcam too
    assert code == 0, err
    code, _, err = cli("companion", no, "--office", "shibuya", "--kind", "interpreter", as_="clerk1_shi")
    assert code == 2 and "通訳の言語" in err
    assert (
        cli(
            "companion",
            no,
            "--office",
            "shibuya",
            "--kind",
            "interpreter",
            "--language",
            "ベトナム語",
            as_="clerk1_shi",
        )[0]
        == 0
    )
    code, _, err = cli("approval", no, "--office", "takamatsu", "--service", "counseling", "--note", "x", as_="clerk1")
    assert code == 2  # 高松 asks for no approval (and the seeker is 渋谷's)
    code, _, err = cli(
        "approval", no, "--office", "shibuya", "--service", "counseling", "--note", "必要", as_="clerk1_shi"
    )
    assert code == 0 and "--wishes-continuing" in err
    code, out, _ = cli("eligibility", no, "--office", "shibuya", "--service", "counseling", "--json", as_="clerk1_shi")
    assert code == 1 and [r["key"] for r in json.loads(out)["requirements"] if not r["ok"]] == ["approval"]
    assert (
        cli(
            "approval",
            no,
            "--office",
            "shibuya",
            "--service",
            "counseling",
            "--note",
            "本人希望",
            "--wishes-continuing",
            as_="clerk1_shi",
        )[0]
        == 0
    )
    code, out, _ = cli("eligibility", no, "--office", "shibuya", "--service", "counseling", "--json", as_="clerk1_shi")
    assert code == 0 and json.loads(out)["eligible"] is True
    with store.read() as s:
        actions = [r.action for r in s.exec(select(AuditLog).where(AuditLog.seeker_id == sk.id).order_by(AuditLog.id))]
    assert actions[1:] == [
        "consent.record",
        "env.check",
        "seeker.webcam",
        "env.check",
        "seeker.webcam",
        "companion.record",
        "approval.record",
        "approval.record",
    ]


def test_env_check_help_lists_the_items_of_each_office(capsys):
    with pytest.raises(SystemExit):
        main(["env-check", "--help"])
    out = capsys.readouterr().out
    takamatsu = out[out.index("takamatsu:") :]
    assert "private_room     A private room (no one else around) (第12条(3))" in takamatsu
    assert "webcam           Device with a webcam (第2条(3))" in takamatsu
    maebashi = out[out.index("maebashi:") : out.index("shibuya:")]
    assert "第3条(7)" in maebashi and "webcam" not in maebashi  # 前橋's terms ask for no webcam device


def test_consent_command_at_maebashi_says_use_is_consent(cli, store, actors):
    sk = new_seeker(store, actors["clerk1_mae"], office_id="maebashi")
    code, _, err = cli("consent", sk.seeker_no, "--office", "maebashi", as_="clerk1_mae")
    assert code == 2 and "利用をもって同意したものとみなされます（第1条）" in err


def test_registration_commands(cli, store, actors):
    sk = new_seeker(store, actors["clerk1"], registered="2026-10-15")
    code, out, _ = cli("registration", "show", sk.seeker_no, "--json", as_="clerk1")
    assert json.loads(out)["valid_until"] == "2026-12-31"
    code, _, err = cli("registration", "renew", sk.seeker_no, "--on", "R8.12.1", "--note", "丸亀", as_="clerk1_shi")
    assert code == 2  # another office's clerk
    code, out, err = cli("registration", "renew", sk.seeker_no, "--on", "R8.12.1", "--note", "丸亀", as_="clerk1")
    assert code == 0 and "令和9年2月28日まで（原則）" in out
    code, out, _ = cli("--lang", "en", "registration", "show", sk.seeker_no, as_="clerk1")
    assert "valid until 2027-02-28 (in principle)" in out
    with pytest.raises(SystemExit):
        cli("env-check", "--help")


# --- the seeker page (Pilot) ----------------------------------------------------------------------


async def test_seeker_page_shows_the_lapsed_registration_and_records_a_renewal(tmp_path):
    from helpers.ui import _build, add_seeker, make_app, plain, readiness, settle, sign_in

    db = _build(tmp_path / "ui.sqlite3")
    sid = add_seeker(db, no="37010-55555555", name="更新 花子", kana="コウシン ハナコ", registered="2026-09-10")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        ready = readiness(app)
        # Registered 2026-09-10: valid to 2026-11-30 (in principle), lapsed today.
        assert ready["registration_valid"] is False
        assert "有効期間切れ（令和8年11月30日まで・原則）" in plain(app.screen.query_one("#b-registration"))
        assert ready["private_room"] is False and "第12条(3)" in str(
            app.screen.query_one("#r-list").get_option("private_room").prompt
        )
        app.screen.query_one("#r-list").highlighted = [r.key for r in app.screen.reqs].index("registration_valid")
        await pilot.press("enter")  # the failed item opens the renewal form
        await settle(pilot)
        assert type(app.screen).__name__ == "RenewalScreen"
        assert "令和8年11月30日まで" in plain(app.screen.query_one("#g-intro"))
        app.screen.query_one("#g-date").value = "R8.11.20"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "どこで更新したか" in plain(app.screen.query_one("#g-msg"))  # the note is required
        app.screen.query_one("#g-note").value = "ハローワーク丸亀"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        await settle(pilot)
        assert "有効期間 令和9年1月31日まで（原則）" in plain(app.screen.query_one("#b-registration"))
        assert readiness(app)["registration_valid"] is True


# --- migration 0004 -----------------------------------------------------------------------------------


def test_migration_0004_goes_down_and_up_keeping_approvals(store, actors):
    """Down: the approval's wish and the renewals go, the stored requirements lose the engine's
    keys; up: the shipped requirements (with their phrases) come back and old approvals have no
    recorded wish (it was never asked)."""
    from alembic import command
    from sqlalchemy import inspect, text

    from hwdesk.db import _alembic_config, current_revision, head_revision
    from hwdesk.services.offices import profile

    a = actors["clerk1_shi"]
    sk = new_seeker(store, a, office_id="shibuya")
    with store.write() as s:
        consent.record_approval(s, actor=a, seeker_id=sk.id, office_id="shibuya", note="必要", wishes_continuing=True)
    command.downgrade(_alembic_config(store), "0003")
    store.dispose()
    assert current_revision(store) == "0003"
    with store.engine.connect() as conn:
        assert "registration_renewal" not in inspect(conn).get_table_names()
        assert "wishes_continuing" not in {c["name"] for c in inspect(conn).get_columns("approval")}
        req = json.loads(conn.execute(text("SELECT profile_json FROM office WHERE id = 'shibuya'")).scalar())[
            "requirements"
        ]
    assert (
        "agreement" not in req
        and "phrase" not in req["approval"]
        and req["approval"]["cite"] == {"article": 1, "item": 4}
    )
    command.upgrade(_alembic_config(store), "head")
    store.dispose()
    assert current_revision(store) == head_revision()
    with store.read() as s:
        assert profile(s, "shibuya").requirements["agreement"]["phrase"] == "当該利用者との間において本規約を解約し"
        assert [x.wishes_continuing for x in s.exec(select(Approval))] == [False]
    assert not check(store, sk.id, "shibuya")["approval"].ok
