"""Interpreters in the app (issue 20 item 1; Pilot, fresh SQLite per test): booking a seeker whose
companion notice asks for a language warns when nobody covers the session and offers the nearest
covered times (a warning: Enter again books), from the seeker page and from the session's book
dialog; the queue marks the sessions that need an interpreter; the supervisor's roster screen
adds, ends and shows the week's load, and a clerk reads the roster only."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from helpers import make_ready, new_seeker
from helpers.ui import SIZE, add_supervisor, make_app, plain, read, settle, sign_in
from sqlmodel import select

from hwdesk.clock import JST, today_jst
from hwdesk.db import open_store
from hwdesk.models import Enrollment, Interpreter
from hwdesk.services import calendar, consent, interpreters, scheduling
from hwdesk.services.context import SYSTEM


def setup(db: str) -> dict:
    """Three weeks ahead, two open days: counseling at 14:00 on the first (nobody interprets then)
    and at 10:00 on the second (the Vietnamese interpreter's hours); 上田 asks for ベトナム語."""
    store = open_store(db)
    try:
        clerk = add_supervisor(store)
        with store.read() as s:
            day = calendar.next_open_day(s, office_id="takamatsu", day=today_jst() + timedelta(days=21))
            nxt = calendar.next_open_day(s, office_id="takamatsu", day=day)

        def at(hm: str, d: date) -> datetime:
            return datetime.combine(d, datetime.strptime(hm, "%H:%M").time(), JST)

        with store.write() as s:
            bare = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at("14:00", day),
                end=at("14:45", day),
                staff_login="clerk1",
            ).id
            covered = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at("10:00", nxt),
                end=at("10:45", nxt),
                staff_login="clerk1",
            ).id
            interpreters.add(
                s,
                actor=SYSTEM,
                office_id="takamatsu",
                mode="in_person",
                name="グエン 通訳",
                language="ベトナム語",
                weekdays=str(nxt.isoweekday()),
                start="09:00",
                end="12:00",
                valid_from=today_jst(),
            )
        p = new_seeker(store, clerk, name="上田 三郎", kana="ウエダ サブロウ")
        make_ready(store, clerk, p.id, "takamatsu", service="counseling")
        with store.write() as s:
            consent.record_companion(
                s, actor=clerk, seeker_id=p.id, office_id="takamatsu", kind="interpreter", language="ベトナム語"
            )
        return {"day": day, "next": nxt, "bare": bare, "covered": covered, "no": p.seeker_no, "id": p.id}
    finally:
        store.dispose()


def bookings(db: str, seeker_id: int) -> list:
    return read(db, lambda s: s.exec(select(Enrollment).where(Enrollment.seeker_id == seeker_id)).all())


async def test_book_this_seeker_warns_offers_the_covered_time_and_books_on_a_second_enter(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_seeker(d["id"])
        await settle(pilot)
        page = app.screen
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        table = modal.query_one("#bs-table")
        rows = dict(zip(table.keys, table.rows, strict=True))
        assert "ベトナム語✘" in rows[d["bare"]][3] and "ベトナム語✔" in rows[d["covered"]][3]
        table.cursor = table.keys.index(d["bare"])
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal and bookings(db, d["id"]) == []  # warned, nothing booked yet
        msg = plain(modal.query_one("#bs-msg"))
        assert "ベトナム語の通訳者がいません" in msg and f"#{d['covered']}" in msg and "もう一度" in msg
        await pilot.press("enter")  # a warning, not a condition: Enter again books
        await settle(pilot)
        assert app.screen is page
        [got] = bookings(db, d["id"])
        assert (got.session_id, got.state) == (d["bare"], "booked")


async def test_book_dialog_on_the_session_warns_then_books(db):
    d = setup(db)
    app = make_app(db, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_session(d["bare"])
        await settle(pilot)
        session_screen = app.screen
        await pilot.press("b")
        await settle(pilot)
        app.screen.query_one("#bk-no").value = d["no"]
        await pilot.press("enter")
        await settle(pilot)
        msg = plain(app.screen.query_one("#bk-result"))
        assert "No interpreter (ベトナム語)" in msg and f"#{d['covered']}" in msg and "again" in msg
        assert bookings(db, d["id"]) == []
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is session_screen
        assert [e.session_id for e in bookings(db, d["id"])] == [d["bare"]]


async def test_a_covered_session_books_at_once(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_session(d["covered"])
        await settle(pilot)
        screen = app.screen
        await pilot.press("b")
        await settle(pilot)
        app.screen.query_one("#bk-no").value = d["no"]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and [e.session_id for e in bookings(db, d["id"])] == [d["covered"]]


async def test_queue_marks_the_sessions_needing_an_interpreter(db):
    d = setup(db)
    store = open_store(db)
    try:
        with store.write() as s:
            scheduling.book(s, actor=SYSTEM, session_id=d["bare"], seeker_id=d["id"])
            scheduling.book(s, actor=SYSTEM, session_id=d["covered"], seeker_id=d["id"])
    finally:
        store.dispose()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("f2")
        await settle(pilot)
        q = app.screen
        for day, sid, mark, warned in ((d["day"], d["bare"], "✘", True), (d["next"], d["covered"], "✔", False)):
            q.day = day
            q.reload()
            await settle(pilot)
            table = q.query_one("#q-table")
            row = table.rows[table.keys.index(sid)]
            assert row[5] == f"通訳（ベトナム語）{mark}"
            assert ("通訳未手配（ベトナム語）" in row[6]) is warned


async def test_supervisor_roster_screen_adds_ends_and_shows_the_week(db):
    d = setup(db)
    store = open_store(db)
    try:
        with store.write() as s:
            scheduling.book(s, actor=SYSTEM, session_id=d["bare"], seeker_id=d["id"])
    finally:
        store.dispose()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        await pilot.press("f4")
        await settle(pilot)
        wk = app.screen
        wk.monday = d["day"] - timedelta(days=d["day"].weekday())
        await pilot.press("i")
        await settle(pilot)
        scr = app.screen
        assert type(scr).__name__ == "InterpretersScreen"
        roster = scr.query_one("#in-roster")
        assert [r[0] for r in roster.rows] == ["ベトナム語"] and "グエン 通訳" in roster.rows[0][2]
        assert "第12条(3)" in plain(scr.query_one("#in-intro"))
        langs = plain(scr.query_one("#in-langs"))
        assert f"#{d['bare']}" in langs and "未手配 1" in langs
        # add an English line through the form
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        form.query_one("#if-name").value = "Smith"
        form.query_one("#if-language").value = "English"
        form.query_one("#if-weekdays").value = "月-金"
        form.query_one("#if-hours").value = "25:00-26:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "時刻" in plain(form.query_one("#if-msg"))  # kept, with the reason
        form.query_one("#if-hours").value = "13:00-17:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is scr
        assert sorted(r[0] for r in roster.rows) == ["English", "ベトナム語"]
        # end the Vietnamese line with a reason: gone from the roster, kept in the history
        roster.cursor = [r[0] for r in roster.rows].index("ベトナム語")
        await pilot.press("e")
        await settle(pilot)
        app.screen.query_one("#ask-input").value = "契約終了"
        await pilot.press("enter")
        await settle(pilot)
        assert [r[0] for r in roster.rows] == ["English"]
        await pilot.press("h")
        await settle(pilot)
        assert any("契約終了" in r[5] for r in roster.rows)
        ended = read(db, lambda s: s.exec(select(Interpreter).where(Interpreter.language == "ベトナム語")).one())
        assert ended.end_reason == "契約終了" and ended.ended_at is not None


async def test_a_clerk_reads_the_roster_but_cannot_change_it(db):
    setup(db)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.action_interpreters()
        await settle(pilot)
        scr = app.screen
        assert [r[0] for r in scr.query_one("#in-roster").rows] == ["ベトナム語"]
        assert "統括職員" in plain(scr.query_one("#in-week-head"))
        await pilot.press("a")
        await settle(pilot)
        assert app.screen is scr  # refused: no form
        assert read(db, lambda s: len(s.exec(select(Interpreter)).all())) == 1
