"""The session screen, made safe to use fast (issue 16): a final state needs ``y`` after a
dialog that says what will happen (no single key changes one), a supervisor corrects a final state
with a reason (a clerk cannot), an offer shows its deadline and can be declined, a stopped
seeker's seat is flagged, one seat's handout, and moving the session (Pilot, fresh SQLite)."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import make_ready, new_seeker
from helpers.ui import SIZE, add_supervisor, make_app, open_session_signed_in, plain, read, settle
from sqlmodel import select

from hwdesk.clock import JST, today_jst
from hwdesk.db import open_store
from hwdesk.models import AuditLog, Enrollment, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, scheduling, terminations
from hwdesk.services.context import Actor

STATE_ACTIONS = (
    "session.state",
    "enrollment.state",
    "session.correct",
    "enrollment.correct",
    "session.cancel",
    "enrollment.cancel",
)


def setup(db: str, *, started: bool = False) -> dict:
    """A seminar (capacity 2) three weeks ahead with 青木 and 伊藤 booked and 上田 waitlisted;
    ``started``: 青木 checked in (the session in progress, as if 5 minutes after its start)."""
    store = open_store(db)
    try:
        add_supervisor(store)
        with store.read() as s:
            clerk = Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())
            sup = Actor.of(s.exec(select(Staff).where(Staff.login == "super1")).one())
            day = calendar.next_open_day(s, office_id="takamatsu", day=today_jst() + timedelta(days=21))
        start = datetime.combine(day, datetime.strptime("13:00", "%H:%M").time(), JST)
        with store.write() as s:
            sem = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="seminar",
                start=start,
                end=start + timedelta(hours=1),
                staff_login="clerk1",
                capacity=2,
                join_url="https://zoom.us/j/123456789",
            ).id
        out = {"sem": sem, "start": start, "clerk": clerk, "sup": sup}
        for key, name, kana in (
            ("a", "青木 一郎", "アオキ イチロウ"),
            ("b", "伊藤 二郎", "イトウ ジロウ"),
            ("c", "上田 三郎", "ウエダ サブロウ"),
        ):
            p = new_seeker(store, clerk, name=name, kana=kana)
            make_ready(store, clerk, p.id, "takamatsu", service="seminar")
            with store.write() as s:
                scheduling.book(s, actor=clerk, session_id=sem, seeker_id=p.id)
            out[key], out[key + "_id"] = p.seeker_no, p.id
        if started:
            with store.write() as s:
                scheduling.set_state(
                    s,
                    actor=clerk,
                    session_id=sem,
                    state="checked_in",
                    seeker_id=out["a_id"],
                    now=start + timedelta(minutes=5),
                )
        return out
    finally:
        store.dispose()


def states(db: str, sem: int) -> tuple[str, dict[int, str]]:
    def fn(s):
        return s.get(SessionRow, sem).state, {
            e.seeker_id: e.state for e in s.exec(select(Enrollment).where(Enrollment.session_id == sem))
        }

    return read(db, fn)


def state_audits(db: str) -> list[str]:
    return read(db, lambda s: [a.action for a in s.exec(select(AuditLog).where(AuditLog.action.in_(STATE_ACTIONS)))])


def select_row(screen, seeker_id: int) -> None:
    table = screen.query_one("#s-people")
    table.cursor = table.keys.index(seeker_id)


async def back_to(pilot, screen) -> None:
    """Esc until ``screen`` is on top again (a dialog opened by the key just pressed)."""
    for _ in range(3):
        if pilot.app.screen is screen:
            return
        await pilot.press("escape")
        await settle(pilot)


async def test_no_single_key_press_changes_a_final_state(db):
    d = setup(db, started=True)
    with _Store(db) as store, store.write() as s:
        scheduling.set_state(
            s, actor=d["clerk"], session_id=d["sem"], state="completed", now=d["start"] + timedelta(minutes=50)
        )
    before, audits_before = states(db, d["sem"]), state_audits(db)
    assert before == ("completed", {d["a_id"]: "completed", d["b_id"]: "absent", d["c_id"]: "cancelled"})
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"], login="super1")
        keys = "icanzxbdowfmphPr" + "yY1234567890"
        for seeker in (d["a_id"], d["b_id"]):
            for key in keys:
                select_row(scr, seeker)
                await pilot.press(key)
                await settle(pilot)
                await back_to(pilot, scr)
                assert states(db, d["sem"]) == before, key
            for key in ("enter", "space", "tab", "delete", "backspace"):
                await pilot.press(key)
                await settle(pilot)
                await back_to(pilot, scr)
                assert states(db, d["sem"]) == before, key
    assert state_audits(db) == audits_before


class _Store:
    """open_store as a context manager (disposed on exit)."""

    def __init__(self, db: str) -> None:
        self.store = open_store(db, migrate=False)

    def __enter__(self):
        return self.store

    def __exit__(self, *exc) -> None:
        self.store.dispose()


async def test_final_moves_say_what_they_do_and_wait_for_y(db):
    d = setup(db, started=True)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert type(dialog).__name__ == "FinalConfirm"
        text = plain(dialog.query_one("#fc-text"))
        assert (
            f"#{d['sem']} を「完了」にします" in text
            and "受付済み 1名は完了" in text
            and "未受付の予約 1名は「欠席」" in text
        )
        assert "y: 実行する" in text and "既定" in text
        await pilot.press("enter")  # the default is No
        await settle(pilot)
        assert app.screen is scr and states(db, d["sem"])[0] == "in_progress"
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert states(db, d["sem"])[0] == "in_progress"
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is scr
        assert states(db, d["sem"]) == (
            "completed",
            {d["a_id"]: "completed", d["b_id"]: "absent", d["c_id"]: "cancelled"},
        )
        assert "完了" in plain(scr.query_one("#s-msg"))


async def test_supervisor_corrects_a_seat_with_a_reason_clerk_cannot(db):
    d = setup(db, started=True)
    with _Store(db) as store, store.write() as s:
        scheduling.set_state(
            s, actor=d["clerk"], session_id=d["sem"], state="completed", now=d["start"] + timedelta(minutes=50)
        )
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        select_row(scr, d["b_id"])
        await pilot.press("f")
        await settle(pilot)
        assert app.screen is scr and "監督者" in plain(scr.query_one("#s-msg"))
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"], login="super1")
        await pilot.pause(0.2)  # the footer is recomposed after the bindings change, a frame later
        assert "状態を訂正" in {k.description for k in scr.query("FooterKey")}
        select_row(scr, d["b_id"])
        await pilot.press("f")
        await settle(pilot)
        pick = app.screen
        assert type(pick).__name__ == "Pick"
        text = plain(pick.query_one("#pk-text"))
        assert (
            "伊藤 二郎" in text and "いま: 欠席（本人不参加）" in text and "1: 完了" in text and "2: 接続不良" in text
        )
        await pilot.press("2")
        await settle(pilot)
        assert type(app.screen).__name__ == "Ask"
        app.screen.query_one("#ask-input").value = "回線の不具合と本人から電話"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is scr
        assert "「欠席（本人不参加）」を「接続不良」に訂正しました" in plain(scr.query_one("#s-msg"))
        assert states(db, d["sem"])[1][d["b_id"]] == "connection_failed"
        info = plain(scr.query_one("#s-info"))
        assert "訂正" in info and "super1" in info and "回線の不具合と本人から電話" in info


async def test_offer_deadline_shown_declined_and_stopped_seat_flagged(db):
    d = setup(db)
    with _Store(db) as store:
        with store.write() as s:
            scheduling.cancel_enrollment(
                s, actor=d["clerk"], session_id=d["sem"], seeker_id=d["a_id"], reason="by_seeker"
            )
        with store.write() as s:
            cite = terminations.terminate(
                s,
                actor=d["sup"],
                seeker_id=d["b_id"],
                office_id="takamatsu",
                ground="disturbing",
                narrative="録画",
                scope="ended",
            ).termination.cite
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        rows = {r[0]: r for r in scr.query_one("#s-people").rows}
        assert rows[d["c"]][2] == "空席案内中" and "回答期限" in rows[d["c"]][3] and "まで" in rows[d["c"]][3]
        assert f"利用中止中（{cite}）" in rows[d["b"]][3]
        select_row(scr, d["c_id"])
        await pilot.pause()
        assert "空席辞退" in {k.description for k in scr.query("FooterKey")}
        await pilot.press("w")
        await settle(pilot)
        assert type(app.screen).__name__ == "FinalConfirm" and "上田 三郎" in plain(app.screen.query_one("#fc-text"))
        await pilot.press("enter")
        await settle(pilot)
        assert states(db, d["sem"])[1][d["c_id"]] == "offered"
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert states(db, d["sem"])[1][d["c_id"]] == "cancelled"
        assert f"{d['c']} の空席案内を辞退として取り消しました" in plain(scr.query_one("#s-msg"))
        # one seat's handout
        select_row(scr, d["b_id"])
        await pilot.press("P")
        await settle(pilot)
        assert type(app.screen).__name__ == "HandoutPreview" and app.screen.seeker_id == d["b_id"]


async def test_supervisor_moves_the_session_and_is_offered_a_reprint(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"], login="super1")
        await pilot.press("m")
        await settle(pilot)
        ask = app.screen
        assert type(ask).__name__ == "Ask" and ask.query_one("#ask-input").value == f"{d['start']:%Y-%m-%d} 13:00-14:00"
        ask.query_one("#ask-input").value = "sometime"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is ask and "日付 開始-終了" in plain(ask.query_one("#ask-msg"))
        with _Store(db) as store, store.read() as s:
            new_day = calendar.next_open_day(s, office_id="takamatsu", day=d["start"].date() + timedelta(days=1))
        ask.query_one("#ask-input").value = f"{new_day:%Y-%m-%d} 10:00-11:00"
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmModal" and "印刷し直しますか" in plain(
            app.screen.query_one("Static")
        )
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is scr and scr.session_id != d["sem"]
        msg = plain(scr.query_one("#s-msg"))
        assert f"#{d['sem']} を #{scr.session_id} に移しました" in msg and "青木 一郎" in msg
        new = read(db, lambda s: s.get(SessionRow, scr.session_id))
        assert new.rescheduled_from_id == d["sem"] and new.start_at.astimezone(JST).date() == new_day
        assert new.join_url == "https://zoom.us/j/123456789"
        assert states(db, d["sem"])[0] == "cancelled"


async def test_an_offer_past_its_deadline_moves_on_when_the_session_opens(db):
    d = setup(db)
    with _Store(db) as store:
        with store.write() as s:
            scheduling.cancel_enrollment(
                s, actor=d["clerk"], session_id=d["sem"], seeker_id=d["a_id"], reason="by_seeker"
            )
        with store.write() as s:  # 青木 cancelled, so 上田 was offered the seat; now the reply period is over
            e = s.exec(select(Enrollment).where(Enrollment.seeker_id == d["c_id"])).one()
            assert e.state == "offered"
            e.offered_until = datetime.now(JST) - timedelta(minutes=1)
            s.add(e)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        await settle(pilot)
        assert states(db, d["sem"])[1][d["c_id"]] == "cancelled"
        rows = {r[0]: r for r in scr.query_one("#s-people").rows}
        assert rows[d["c"]][2] == "キャンセル"
    assert (
        read(
            db, lambda s: s.exec(select(AuditLog).where(AuditLog.action == "enrollment.offer_expired")).one().seeker_id
        )
        == d["c_id"]
    )
