"""Reminder calls, the termination form and the week view (Pilot, fresh SQLite per test)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from helpers.ui import SIZE, add_supervisor, make_app, plain, read, settle, sign_in

from hwdesk.clock import JST, today_jst
from hwdesk.db import open_store
from hwdesk.errors import HwdeskError
from hwdesk.services import calendar, consent, scheduling, terminations
from hwdesk.services.context import SYSTEM


def setup(db: str) -> dict:
    """A supervisor; on an open day three weeks ahead: a counseling session with a booked seeker
    (interpreter), a free slot without a link, and a session the next day with the same seeker."""
    store = open_store(db)
    try:
        clerk = add_supervisor(store)
        with store.read() as s:
            day = calendar.next_open_day(s, office_id="takamatsu", day=today_jst() + timedelta(days=21))
            day2 = calendar.next_open_day(s, office_id="takamatsu", day=day)

        def at(d: date, hm: str) -> datetime:
            return datetime.combine(d, datetime.strptime(hm, "%H:%M").time(), JST)

        with store.write() as s:
            c1 = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at(day, "10:00"),
                end=at(day, "10:45"),
                staff_login="clerk1",
                join_url="https://zoom.us/j/1112223334",
            )
            free = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at(day, "15:00"),
                end=at(day, "15:45"),
                staff_login="super1",
            )
            c2 = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at(day2, "11:00"),
                end=at(day2, "11:45"),
                staff_login="clerk1",
                join_url="https://zoom.us/j/5556667778",
            )
            ids = {"c1": c1.id, "free": free.id, "c2": c2.id}
        a = new_seeker(store, clerk, name="青木 一郎", kana="アオキ イチロウ", phone="090-1111-2222")
        make_ready(store, clerk, a.id, "takamatsu")
        with store.write() as s:
            scheduling.book(s, actor=clerk, session_id=ids["c1"], seeker_id=a.id)
            scheduling.book(s, actor=clerk, session_id=ids["c2"], seeker_id=a.id)
            consent.record_companion(
                s, actor=clerk, seeker_id=a.id, office_id="takamatsu", kind="interpreter", language="ベトナム語"
            )
        return {**ids, "day": day, "a": a.seeker_no, "a_id": a.id, "clerk": clerk}
    finally:
        store.dispose()


def rows(screen, wid: str) -> list[list[str]]:
    return screen.query_one(wid).rows


async def test_reminder_marks_are_stored_and_shown(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        scr = app.screen
        assert type(scr).__name__ == "RemindersScreen"
        scr.base, scr.view = d["day"] - timedelta(days=1), None
        scr.reload()
        await settle(pilot)
        assert scr.view.target_day == d["day"]
        (row,) = rows(scr, "#rem-table")
        assert row[0] == "10:00-10:45" and row[1] == d["a"] and row[2] == "青木 一郎"
        assert "090" in row[3] and row[4] == "通訳（ベトナム語）" and row[6] == ""
        await pilot.press("m")  # message left
        await settle(pilot)
        assert rows(scr, "#rem-table")[0][6].startswith("伝言済み") and "clerk1" in rows(scr, "#rem-table")[0][6]
        assert "伝言済み" in plain(scr.query_one("#rem-msg"))
        await pilot.press("y")  # reached, later call: the newest mark shows
        await settle(pilot)
        assert rows(scr, "#rem-table")[0][6].startswith("連絡済み")

        def stored(s):
            from sqlmodel import select

            from hwdesk.models import Reminder

            return [(r.session_id, r.seeker_id, r.outcome) for r in s.exec(select(Reminder).order_by(Reminder.id))]

        assert read(db, stored) == [(d["c1"], d["a_id"], "message_left"), (d["c1"], d["a_id"], "reached")]
        await pilot.press("right_square_bracket")  # the next open day: the second session
        await settle(pilot)
        assert scr.view.target_day > d["day"] and [r[0] for r in rows(scr, "#rem-table")] == ["11:00-11:45"]
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert scr.view.target_day == d["day"]


async def test_supervisor_terminates_sees_future_bookings_and_lifts(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        app.open_seeker(d["a_id"])
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        scr = app.screen
        assert type(scr).__name__ == "TerminationScreen" and scr.grounds
        assert all(cite for *_, cite in scr.grounds)
        ground = next((g for g, *_ in scr.grounds if g == "threats_abuse"), scr.grounds[0][0])
        scr.query_one("#tm-ground").value = ground
        scr.query_one("#tm-scope").value = "suspended"
        scr.query_one("#tm-until").value = (d["day"] + timedelta(days=30)).isoformat()
        scr.query_one("#tm-narrative").text = "窓口で大声を出し、職員を脅した。"
        await pilot.press("ctrl+s")
        await settle(pilot)
        booked = plain(scr.query_one("#tm-bookings"))
        assert "（2件）" in booked and f"#{d['c1']}" in booked and f"#{d['c2']}" in booked
        assert "［有効］" in plain(scr.query_one("#tm-current"))

        store = open_store(db, migrate=False)
        try:
            with pytest.raises(HwdeskError):
                with store.write() as s:
                    scheduling.book(s, actor=d["clerk"], session_id=d["free"], seeker_id=d["a_id"])
        finally:
            store.dispose()

        scr.query_one("#tm-scope").focus()
        await pilot.press("L")
        await settle(pilot)
        assert type(app.screen).__name__ == "LiftModal"
        await pilot.press(*"反省の申出", "enter")
        await settle(pilot)
        assert app.screen is scr and "解除しました" in plain(scr.query_one("#tm-msg"))
        terms = read(
            db,
            lambda s: [
                (t.lift_reason, t.lifted_by is not None)
                for t in terminations.terminations_of(s, actor=SYSTEM, seeker_id=d["a_id"])
            ],
        )
        assert terms == [("反省の申出", True)]


async def test_clerk_is_refused_the_termination_form(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_seeker(d["a_id"])
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert type(app.screen).__name__ == "SeekerDetailScreen"
        assert any("利用の中止は統括職員以上の権限が必要です" in n.message for n in app._notifications)


async def test_week_view_lists_the_weeks_sessions(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        scr = app.screen
        assert type(scr).__name__ == "WeekScreen"
        scr.monday = d["day"] - timedelta(days=d["day"].weekday())
        scr.reload()
        await settle(pilot)
        table = rows(scr, "#wk-table")
        heads = [r[0] for r in table if not r[0].startswith("  ")]
        assert len(heads) == 5 and heads[0].endswith("（月）") and heads[4].endswith("（金）")
        times = [r[0].strip() for r in table if r[0].startswith("  ")]
        assert "10:00-10:45" in times and "15:00-15:45" in times
        await pilot.press("m")  # only mine (clerk1): the free slot of super1 goes
        await settle(pilot)
        times = [r[0].strip() for r in rows(scr, "#wk-table") if r[0].startswith("  ")]
        assert "10:00-10:45" in times and "15:00-15:45" not in times
        assert "自分" in plain(scr.query_one("#wk-head"))
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert scr.monday == d["day"] - timedelta(days=d["day"].weekday()) + timedelta(days=7)
