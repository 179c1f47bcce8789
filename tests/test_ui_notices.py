"""Notices in the app (Pilot): the seeker page's ``n`` opens that seeker's notices; ``d`` shows what a
run would do and sends nothing; ``s`` sends through a real SMTP server (aiosmtpd) and the list shows
the notice as sent; a server that is down leaves it failed with the reason, shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiosmtpd.controller import Controller
from helpers.ui import add_seeker, make_app, plain, read, settle, sign_in
from sqlmodel import select
from test_notices import Inbox, free_port

from hwdesk.clock import JST
from hwdesk.db import open_store
from hwdesk.models import Enrollment, Notice, Seeker, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import notices
from hwdesk.services.context import SYSTEM


def _booked_with_notice(db: str, seeker_id: int, port: int) -> None:
    store = open_store(db)
    try:
        with store.write() as s:
            notices.set_channel(
                s, actor=SYSTEM, office_id="takamatsu", kind="mail", host="127.0.0.1", port=port,
                sender="desk@hellowork.example.jp",
            )  # fmt: skip
            sk = s.get(Seeker, seeker_id)
            sk.email = "ichiro@example.jp"
            s.add(sk)
            staff = s.exec(select(Staff).where(Staff.login == "clerk1")).one()
            start = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
            row = SessionRow(
                office_id="takamatsu", kind="counseling", start_at=start, end_at=start + timedelta(minutes=45),
                staff_id=staff.id, join_url="https://zoom.us/j/5550001111", passcode="pc-77",
            )  # fmt: skip
            s.add(row)
            s.flush()
            s.add(Enrollment(session_id=row.id, seeker_id=seeker_id, state="booked"))
            s.add(Notice(seeker_id=seeker_id, office_id="takamatsu", kind="confirmation", session_id=row.id))
    finally:
        store.dispose()


async def test_the_seeker_page_shows_their_notices_and_sends_them(db):
    sid = add_seeker(db, no="37010-8", name="通知 一郎", kana="ツウチ イチロウ")
    port = free_port()
    _booked_with_notice(db, sid, port)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert type(screen).__name__ == "NoticesScreen"
        text = plain(screen.query_one("#n-list"))
        assert "予約の確認 37010-8" in text and "送信待ち" in text
        assert "mail smtp://127.0.0.1" in plain(screen.query_one("#n-channel"))
        await pilot.press("s")  # the server is down
        await settle(pilot, rounds=12)
        assert "失敗（次回再送） 1件" in plain(screen.query_one("#n-msg"))
        assert "Not sent" in plain(screen.query_one("#n-list"))
        inbox = Inbox()
        ctl = Controller(inbox, hostname="127.0.0.1", port=port)
        ctl.start()
        try:
            await pilot.press("d")
            await settle(pilot, rounds=12)
            assert "確認のみ" in plain(screen.query_one("#n-msg")) and inbox.mails == []
            await pilot.press("s")
            await settle(pilot, rounds=12)
        finally:
            ctl.stop()
        assert "送信 1件" in plain(screen.query_one("#n-msg"))
        assert "送信済み" in plain(screen.query_one("#n-list"))
    assert len(inbox.mails) == 1 and "pc-77" in inbox.mails[0][1].get_content()
    assert read(db, lambda s: [(n.state, n.attempts) for n in s.exec(select(Notice))]) == [("sent", 2)]
