"""Usage records in the app (Pilot): a clerk adds one from the seeker page, a supervisor lists them
(an audited view); bad input names its field and loses nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers.ui import add_seeker, add_supervisor, make_app, plain, read, settle, sign_in
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.db import open_store
from hwdesk.models import AuditLog, Enrollment, Staff, UsageRecord
from hwdesk.models import Session as SessionRow


def _session_with(db: str, seeker_id: int) -> int:
    store = open_store(db)
    try:
        with store.write() as s:
            staff = s.exec(select(Staff).where(Staff.login == "clerk1")).one()
            start = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
            row = SessionRow(
                office_id="takamatsu",
                kind="counseling",
                start_at=start,
                end_at=start + timedelta(minutes=45),
                staff_id=staff.id,
                capacity=1,
                state="completed",
            )
            s.add(row)
            s.flush()
            s.add(Enrollment(session_id=row.id, seeker_id=seeker_id, state="completed"))
            return row.id
    finally:
        store.dispose()


async def test_clerk_adds_a_record_from_the_seeker_page_and_cannot_list(db):
    sid = add_seeker(db, no="37010-7", name="記録 一郎", kana="キロク イチロウ")
    session_id = _session_with(db, sid)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "UsageRecordsScreen"
        assert screen.query_one("#u-seeker").value == "37010-7"
        assert "第7条" in plain(screen.query_one("#u-intro"))
        screen.query_one("#u-session").value = str(session_id)
        screen.query_one("#u-joined").value = "25:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.query_one("#err-joined_at").display and screen.query_one("#u-joined").value == "25:00"
        assert read(db, lambda s: s.exec(select(UsageRecord)).all()) == []
        screen.query_one("#u-joined").value = "10:02"
        screen.query_one("#u-left").value = "10:40"
        screen.query_one("#u-device").value = "iPhone"
        screen.query_one("#u-participant").value = "zoom-42"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "#1" in plain(screen.query_one("#u-msg"))
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert "統括職員" in plain(screen.query_one("#u-list"))
    recs = read(
        db,
        lambda s: [
            (r.session_id, r.seeker_id, r.joined_at.astimezone(JST).strftime("%H:%M"), r.participant_id)
            for r in s.exec(select(UsageRecord))
        ],
    )
    assert recs == [(session_id, sid, "10:02", "zoom-42")]
    assert read(db, lambda s: s.exec(select(AuditLog).where(AuditLog.action == "usage.view")).all()) == []


async def test_supervisor_lists_from_the_palette_and_the_view_is_audited(db):
    sid = add_seeker(db, no="37010-8", name="記録 二郎", kana="キロク ジロウ")
    session_id = _session_with(db, sid)
    store = open_store(db)
    add_supervisor(store)
    store.dispose()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "super1")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"usage records")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "UsageRecordsScreen"
        screen.query_one("#u-session").value = str(session_id)
        screen.query_one("#u-seeker").value = "37010-8"
        screen.query_one("#u-joined").value = "10:05"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        listed = plain(screen.query_one("#u-list"))
        assert "37010-8" in listed and "10:05" in listed and "監査" in listed
    views = read(db, lambda s: s.exec(select(AuditLog).where(AuditLog.action == "usage.view")).all())
    assert len(views) == 1
