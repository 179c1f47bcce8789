"""Sessions made and booked in the app, and a stop of use reaching the reminder calls and the
termination form (issue 16; Pilot, fresh SQLite per test): n on the queue (one session, a series
listing its skipped days) and on the week view, g jumps the queue to a date typed in 和暦, b on the
seeker page books them into a session they are ready for, the book dialog finds a seeker by name,
the seeker page shows their place in line, the reminder list says 'stopped', K cancels the
bookings a stop covers with the notice recorded."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from helpers import make_ready, new_seeker
from helpers.ui import SIZE, add_supervisor, make_app, plain, read, settle, sign_in
from sqlmodel import select

from hwdesk.clock import JST, today_jst
from hwdesk.db import open_store
from hwdesk.jtext.dates import format_wareki
from hwdesk.models import AuditLog, Enrollment, Series
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, scheduling, terminations
from hwdesk.services.context import SYSTEM


def setup(db: str) -> dict:
    """A supervisor; three weeks ahead: a seminar (capacity 1) with 青木 booked and 伊藤 waitlisted,
    and a counseling slot; 上田 ready for counseling, not booked."""
    store = open_store(db)
    try:
        clerk = add_supervisor(store)
        with store.read() as s:
            day = calendar.next_open_day(s, office_id="takamatsu", day=today_jst() + timedelta(days=21))

        def at(hm: str) -> datetime:
            return datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), JST)

        with store.write() as s:
            sem = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="seminar",
                start=at("13:00"),
                end=at("14:00"),
                staff_login="clerk1",
                capacity=1,
                join_url="https://zoom.us/j/1112223334",
            ).id
            slot = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at("10:00"),
                end=at("10:45"),
                staff_login="super1",
                join_url="https://zoom.us/j/5556667778",
            ).id
        out = {"day": day, "sem": sem, "slot": slot, "clerk": clerk}
        for key, name, kana in (
            ("a", "青木 一郎", "アオキ イチロウ"),
            ("b", "伊藤 二郎", "イトウ ジロウ"),
            ("c", "上田 三郎", "ウエダ サブロウ"),
        ):
            p = new_seeker(store, clerk, name=name, kana=kana)
            make_ready(store, clerk, p.id, "takamatsu", service="seminar")
            make_ready(store, clerk, p.id, "takamatsu", service="counseling")
            out[key], out[key + "_id"] = p.seeker_no, p.id
        with store.write() as s:
            scheduling.book(s, actor=clerk, session_id=sem, seeker_id=out["a_id"])
            scheduling.book(s, actor=clerk, session_id=sem, seeker_id=out["b_id"])
        return out
    finally:
        store.dispose()


def sessions_on(db: str, day: date) -> list[SessionRow]:
    lo, hi = calendar.day_bounds(day)
    return read(
        db,
        lambda s: list(
            s.exec(
                select(SessionRow)
                .where(SessionRow.start_at >= lo, SessionRow.start_at < hi)
                .order_by(SessionRow.start_at)
            )
        ),
    )


async def open_queue(pilot, login: str = "super1"):
    await sign_in(pilot, login)
    pilot.app.action_queue()
    await settle(pilot)
    return pilot.app.screen


async def test_queue_jumps_to_a_date_typed_in_wareki_and_creates_a_session_and_a_series(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        q = await open_queue(pilot)
        assert type(q).__name__ == "QueueScreen"
        await pilot.press("g")
        await settle(pilot)
        ask = app.screen
        ask.query_one("#ask-input").value = "令和2年13月40日"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is ask and plain(ask.query_one("#ask-msg"))  # refused in the dialog, text kept
        ask.query_one("#ask-input").value = format_wareki(d["day"])
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is q and q.day == d["day"] and {r.id for r in q.view.rows} == {d["sem"], d["slot"]}
        # n: one session at 15:00
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert type(form).__name__ == "NewSessionModal" and form.query_one("#sf-date").value == d["day"].isoformat()
        form.query_one("#sf-kind").value = "counseling"
        form.query_one("#sf-time").value = "15:00-15:45"
        form.query_one("#sf-staff").value = "clerk1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is q
        made = [r for r in sessions_on(db, d["day"]) if r.start_at.astimezone(JST).hour == 15]
        assert len(made) == 1 and made[0].kind == "counseling"
        assert made[0].id in {r.id for r in q.view.rows}
        # a clash is refused in the form, everything kept
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        form.query_one("#sf-kind").value = "counseling"
        form.query_one("#sf-time").value = "15:15-16:00"
        form.query_one("#sf-staff").value = "clerk1"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "別のセッションを担当" in plain(form.query_one("#sf-msg"))
        # a weekly series of 3 seminars: created, and a day it could not use is listed
        form.query_one("#sf-kind").value = "seminar"
        form.query_one("#sf-time").value = "16:00-17:00"
        form.query_one("#sf-capacity").value = "10"
        form.query_one("#sf-rrule").value = "FREQ=DAILY;COUNT=7"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is q
        series = read(db, lambda s: s.exec(select(Series)).one())
        skipped = json.loads(series.skipped_json)
        created = read(db, lambda s: s.exec(select(SessionRow).where(SessionRow.series_id == series.id)).all())
        assert len(created) + len(skipped) == 7 and skipped and all(k["reason"] for k in skipped)


async def test_week_view_creates_a_session_on_the_selected_day(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        await pilot.press("f4")
        await settle(pilot)
        wk = app.screen
        wk.monday = d["day"] - timedelta(days=d["day"].weekday())
        wk.reload()
        await settle(pilot)
        table = wk.query_one("#wk-table")
        table.cursor = table.keys.index(f"day:{d['day'].isoformat()}")
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert type(form).__name__ == "NewSessionModal" and form.query_one("#sf-date").value == d["day"].isoformat()
        form.query_one("#sf-kind").value = "counseling"
        form.query_one("#sf-time").value = "11:00-11:45"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is wk
        new = [r for r in sessions_on(db, d["day"]) if r.start_at.astimezone(JST).hour == 11]
        assert len(new) == 1 and new[0].id in wk.query_one("#wk-table").keys


async def test_book_this_seeker_from_the_seeker_page_and_their_place_in_line(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_seeker(d["b_id"])
        await settle(pilot)
        page = app.screen
        text = plain(page.query_one("#b-sessions"))
        assert f"#{d['sem']}" in text and "待ち1番目" in text  # 伊藤 waits first in line
        app.open_seeker(d["c_id"])
        await settle(pilot)
        page = app.screen
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        assert type(modal).__name__ == "BookSeekerModal"
        keys = modal.query_one("#bs-table").keys
        assert d["slot"] in keys and d["sem"] in keys  # ready for both; the seminar would waitlist
        assert "待ち" in modal.query_one("#bs-table").rows[keys.index(d["sem"])][2]
        table = modal.query_one("#bs-table")
        table.cursor = keys.index(d["slot"])
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is page
        got = read(db, lambda s: s.exec(select(Enrollment).where(Enrollment.seeker_id == d["c_id"])).one())
        assert (got.session_id, got.state) == (d["slot"], "booked")
        await pilot.press("b")  # the booked slot is no longer offered
        await settle(pilot)
        assert d["slot"] not in app.screen.query_one("#bs-table").keys


async def test_book_dialog_finds_a_seeker_by_name(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_session(d["slot"])
        await settle(pilot)
        scr = app.screen
        await pilot.press("b")
        await settle(pilot)
        await pilot.press(*"ウエダ")
        await settle(pilot)
        modal = app.screen
        assert [r[0] for r in modal.query_one("#bk-matches").rows] == [d["c"]]
        await pilot.press("enter")  # the one match is booked
        await settle(pilot)
        assert app.screen is scr and d["c"] in plain(scr.query_one("#s-msg"))
        assert read(db, lambda s: s.exec(select(Enrollment.state).where(Enrollment.session_id == d["slot"])).all()) == [
            "booked"
        ]


async def test_stopped_seeker_in_reminders_and_termination_cancels_with_notice(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        app.open_seeker(d["a_id"])
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        scr = app.screen
        scr.query_one("#tm-ground").value = next(g for g, *_ in scr.grounds if g == "disturbing")
        scr.query_one("#tm-scope").value = "ended"
        scr.query_one("#tm-narrative").text = "録画していた。"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "K:" in plain(scr.query_one("#tm-bookings"))
        # the reminder list for that day says: stopped, tell them the booking is cancelled
        await pilot.press("f3")
        await settle(pilot)
        rem = app.screen
        rem.base, rem.view = d["day"] - timedelta(days=1), None
        rem.reload()
        await settle(pilot)
        row = next(r for r in rem.query_one("#rem-table").rows if r[1] == d["a"])
        assert "利用中止 — 予約の取消しを伝える" in row[5]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is scr
        scr.query_one("#tm-scope").focus()
        await pilot.press("K")
        await settle(pilot)
        app.screen.query_one("#ask-input").value = "電話で本人に伝えた"
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "FinalConfirm" and "1件" in plain(app.screen.query_one("#fc-text"))
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is scr and "取り消しました" in plain(scr.query_one("#tm-msg"))
    states = read(
        db,
        lambda s: {e.seeker_id: e.state for e in s.exec(select(Enrollment).where(Enrollment.session_id == d["sem"]))},
    )
    assert states == {d["a_id"]: "cancelled", d["b_id"]: "offered"}  # the freed seat offered to 伊藤
    notice = read(db, lambda s: s.exec(select(AuditLog).where(AuditLog.action == "termination.notice")).one())
    assert json.loads(notice.detail_json)["notice"] == "電話で本人に伝えた"
    assert read(db, lambda s: terminations.terminations_of(s, actor=SYSTEM, seeker_id=d["a_id"])[0].lifted_at) is None


LONG_TITLE = "応募書類の書き方と面接対策セミナー（外国籍の方向け・やさしい日本語）第三回：志望動機と自己ＰＲを実際に書いてみる実践編"


def _table_lines(app, wid: str) -> list[str]:
    region = app.screen.query_one(wid).region
    strips = list(app.screen._compositor.render_strips())
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


async def test_book_this_seeker_at_80x24_keeps_time_and_service_whole_and_space_shows_the_title(db):
    d = setup(db)
    store = open_store(db)
    try:
        with store.write() as s:
            start = datetime.combine(d["day"], datetime.strptime("15:00", "%H:%M").time(), JST)
            long = scheduling.create_session(
                s,
                actor=d["clerk"],
                office_id="takamatsu",
                kind="seminar",
                start=start,
                end=start + timedelta(hours=1),
                staff_login="clerk1",
                capacity=5,
                title=LONG_TITLE,
                join_url="https://zoom.us/j/9998887776",
            ).id
    finally:
        store.dispose()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_seeker(d["c_id"])
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        modal = app.screen
        table = modal.query_one("#bs-table")
        rows = dict(zip(table.keys, table.rows))
        lines = _table_lines(app, "#bs-table")
        for when, kind, _seats, _title in rows.values():
            (line,) = [ln for ln in lines if ln.startswith(when)]  # time and service whole on the row
            assert kind in line, line
        title = rows[long][3]  # the title as stored (normalized)
        assert len(title) > 50 and title not in "".join(ln.strip() for ln in lines)  # two lines under the row, cut
        table.cursor = table.keys.index(long)
        await pilot.press("space")
        await settle(pilot)
        assert ("内容: " + title) in "".join(ln.strip() for ln in _table_lines(app, "#bs-table"))
        await pilot.press("space")
        await settle(pilot)
        assert title not in "".join(ln.strip() for ln in _table_lines(app, "#bs-table"))
        assert type(app.screen).__name__ == "BookSeekerModal"  # space books nothing
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        lines = _table_lines(app, "#bs-table")
        for when, kind, seats, _title in rows.values():
            (line,) = [ln for ln in lines if ln.startswith(when)]
            assert kind in line and seats in line, line
        assert "…" not in "".join(lines)
