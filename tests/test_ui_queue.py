"""The daily queue (live), the session screen and the handout preview (Pilot, fresh SQLite per test)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from datetime import date, datetime
from pathlib import Path
from time import monotonic

from helpers import make_ready, new_seeker
from helpers.ui import SIZE, add_supervisor, make_app, open_session_signed_in, plain, settle, sign_in
from rich.cells import cell_len

from hwdesk.clock import JST
from hwdesk.db import open_store
from hwdesk.services import consent, scheduling

DAY = date(2027, 2, 2)  # a Tuesday, an open day


def at(hm: str) -> datetime:
    return datetime.combine(DAY, datetime.strptime(hm, "%H:%M").time(), JST)


def setup_day(db: str) -> dict:
    """A supervisor, a counseling session with a booked seeker (interpreter), a seminar, a free slot,
    and a ready seeker not yet booked."""
    store = open_store(db)
    try:
        clerk = add_supervisor(store)
        with store.write() as s:
            c1 = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at("10:00"),
                end=at("10:45"),
                staff_login="clerk1",
                join_url="https://zoom.us/j/1112223334",
                meeting_id="111 222 3334",
                passcode="p-secret-1",
            )
            sem = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="seminar",
                start=at("13:00"),
                end=at("14:00"),
                staff_login="super1",
                capacity=3,
            )
            free = scheduling.create_session(
                s,
                actor=clerk,
                office_id="takamatsu",
                kind="counseling",
                start=at("15:00"),
                end=at("15:45"),
                staff_login="clerk1",
                join_url="https://zoom.us/j/5556667778",
            )
            ids = {"c1": c1.id, "sem": sem.id, "free": free.id}
        a = new_seeker(store, clerk, name="青木 一郎", kana="アオキ イチロウ")
        make_ready(store, clerk, a.id, "takamatsu")
        b = new_seeker(store, clerk, name="伊藤 二郎", kana="イトウ ジロウ")
        make_ready(store, clerk, b.id, "takamatsu")
        c = new_seeker(store, clerk, name="上田 三郎", kana="ウエダ サブロウ")  # no consent, no env check
        with store.write() as s:
            scheduling.book(s, actor=clerk, session_id=ids["c1"], seeker_id=a.id)
            consent.record_companion(
                s, actor=clerk, seeker_id=a.id, office_id="takamatsu", kind="interpreter", language="ベトナム語"
            )
        return {**ids, "a": a.seeker_no, "a_id": a.id, "b": b.seeker_no, "b_id": b.id, "c": c.seeker_no, "clerk": clerk}
    finally:
        store.dispose()


async def open_queue(pilot) -> object:
    """F2 from the search screen, then the test day."""
    app = pilot.app
    await pilot.press("f2")
    await settle(pilot)
    assert type(app.screen).__name__ == "QueueScreen"
    app.screen.day = DAY
    app.screen.reload()
    await settle(pilot)
    return app.screen


def table_text(screen, wid: str = "#q-table") -> str:
    table = screen.query_one(wid)
    return "\n".join(" | ".join(r) for r in table.rows)


async def wait_for(pilot, cond, timeout: float = 2.0) -> float:
    """Seconds until ``cond()`` holds, with no key press (only pauses); fails after ``timeout``."""
    t0 = monotonic()
    while not cond():
        if monotonic() - t0 > timeout:
            raise AssertionError(f"not within {timeout}s")
        await asyncio.sleep(0.05)
        await pilot.pause()
    return monotonic() - t0


# --- the queue ---------------------------------------------------------------------------------


async def test_queue_shows_sessions_counts_companions_warnings_and_filters(db):
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        q = await open_queue(pilot)
        rows = q.query_one("#q-table").rows
        assert [r[0] for r in rows] == ["10:00-10:45", "13:00-14:00", "15:00-15:45"]
        first = rows[0]
        assert first[2] == "予定" and first[3] == "高松 花子" and d["a"] in first[4] and "青木 一郎" in first[4]
        assert first[5] == "通訳（ベトナム語）✘"  # nobody on the interpreter roster covers it
        assert first[6].startswith("通訳未手配（ベトナム語）")
        assert rows[1][4] == "0/3" and "参加URL未設定" in rows[1][6]
        assert rows[2][4] == "（空き）"
        assert "全 3｜予定 3｜実施中 0" in plain(q.query_one("#q-counts"))
        assert "令和9年2月2日" in plain(q.query_one("#q-head"))
        # filter by kind (k), then by state (s), then clear (x)
        await pilot.press("k")
        await settle(pilot)
        kinds = [r[1] for r in q.query_one("#q-table").rows]
        assert len(kinds) in (1, 2) and len(set(kinds)) == 1
        await pilot.press("x", "s", "s")  # state: scheduled → in progress
        await settle(pilot)
        assert q.query_one("#q-table").rows == [] and "状態: 実施中" in plain(q.query_one("#q-filters"))
        assert "全 3" in plain(q.query_one("#q-counts"))  # counts before the state filter
        await pilot.press("x", "f", "f")  # staff filter: the second staff member
        await settle(pilot)
        assert len(q.query_one("#q-table").rows) in (1, 2)
        await pilot.press("x", "right_square_bracket")
        await settle(pilot)
        assert q.day == date(2027, 2, 3) and q.query_one("#q-table").rows == []
        await pilot.press("left_square_bracket")
        await settle(pilot)
        # Enter opens the session
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "SessionScreen" and app.screen.session_id == d["c1"]


async def test_queue_reachable_from_command_palette(db):
    setup_day(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"daily queue")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "QueueScreen"


async def test_booking_by_another_process_appears_without_a_key_press(db):
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        q = await open_queue(pilot)
        assert q.query_one("#q-table").rows[2][4] == "（空き）"
        script = textwrap.dedent(f"""
            from hwdesk.db import open_store
            from hwdesk.services import scheduling
            from hwdesk.services.context import Actor
            store = open_store({db!r}, migrate=False)
            actor = Actor({d["clerk"].id}, "clerk1", "高松 花子", "clerk", "takamatsu")
            with store.write() as s:
                scheduling.book(s, actor=actor, session_id={d["free"]}, seeker_id={d["b_id"]})
            store.dispose()
        """)
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            cwd=str(Path(__file__).resolve().parents[1]),
        )
        assert done.returncode == 0, done.stderr
        took = await wait_for(pilot, lambda: d["b"] in q.query_one("#q-table").rows[2][4])
        assert took < 2.0
        assert "伊藤 二郎" in q.query_one("#q-table").rows[2][4]


async def test_two_apps_on_one_file_booking_in_a_appears_in_b(db):
    d = setup_day(db)
    app_a, app_b = make_app(db), make_app(db)
    async with app_a.run_test(size=SIZE) as pa, app_b.run_test(size=SIZE) as pb:
        await sign_in(pa)
        await sign_in(pb)
        qb = await open_queue(pb)
        assert qb.query_one("#q-table").rows[2][4] == "（空き）"
        # App A: open the free session and book seeker B by 求職番号.
        app_a.open_session(d["free"])
        await settle(pa)
        await pa.press("b")
        await settle(pa)
        app_a.screen.query_one("#bk-no").value = d["b"]
        await pa.press("enter")
        await settle(pa)
        assert type(app_a.screen).__name__ == "SessionScreen"
        assert d["b"] in table_text(app_a.screen, "#s-people")
        took = await wait_for(pb, lambda: d["b"] in qb.query_one("#q-table").rows[2][4])
        assert took < 2.0


# --- the session screen ------------------------------------------------------------------------


async def test_session_moves_refusals_passcode_and_booking_refusal(db):
    d = setup_day(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        s = await open_session_signed_in(pilot, d["c1"])
        info = plain(s.query_one("#s-info"))
        assert "p-secret-1" not in info and "●●●●" in info
        assert "受付" in plain(s.query_one("#s-moves")) or "実施中" in plain(s.query_one("#s-moves"))
        # complete while scheduled: refused with the reason
        await pilot.press("c")
        await settle(pilot)
        msg = plain(s.query_one("#s-msg"))
        assert "「予定」から「完了」にはできません" in msg and "次に選べる状態" in msg
        # no-show before the start: refused
        await pilot.press("a")
        await settle(pilot)
        assert "開始時刻" in plain(s.query_one("#s-msg"))
        # reveal the passcode (audited)
        await pilot.press("p")
        await settle(pilot)
        assert "p-secret-1" in plain(s.query_one("#s-info"))
        from helpers.ui import read
        from sqlmodel import select

        from hwdesk.models import AuditLog

        assert read(db, lambda ss: ss.exec(select(AuditLog).where(AuditLog.action == "session.passcode_view")).all())
        # check in, then complete
        await pilot.press("i")
        await settle(pilot)
        assert "実施中" in plain(s.query_one("#s-info"))
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "FinalConfirm"  # a final state waits for y
        await pilot.press("y")
        await settle(pilot)
        assert "完了" in plain(s.query_one("#s-info")) and "なし（確定済み）" in plain(s.query_one("#s-moves"))
        await pilot.press("escape")
        # book a seeker without consent into the seminar: each failed requirement with its article
        app.open_session(d["sem"])
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        app.screen.query_one("#bk-no").value = d["c"]
        await pilot.press("enter")
        await settle(pilot)
        result = plain(app.screen.query_one("#bk-result"))
        assert "予約できません" in result and "✘" in result and "第" in result
        await pilot.press("escape")
        await settle(pilot)
        # cancel the seminar with a reason
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "キャンセル" in plain(app.screen.query_one("#s-info"))


# --- the handout preview -----------------------------------------------------------------------


async def test_handout_preview_shows_qr_and_saves_pdf(db, tmp_path, monkeypatch):
    d = setup_day(db)
    import screens.handout_preview as hp

    monkeypatch.setattr(hp, "downloads_dir", lambda: tmp_path / "Downloads")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_session(d["c1"])
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        p = app.screen
        assert type(p).__name__ == "HandoutPreview"
        from hwdesk.handout import qr_halfblocks

        qr = plain(p.query_one("#hp-qr")).split("\n")
        assert qr == qr_halfblocks("https://zoom.us/j/1112223334") and len(qr) > 10
        details = plain(p.query_one("#hp-details"))
        assert "https://zoom.us/j/1112223334" in details and "p-secret-1" not in details
        # the preview lists the terms' own lines with their articles, as the sheet prints them
        assert (
            "第5条(5)" in details
            and "ファイル共有ソフト（Winny、Share等）" in details
            and "録画・録音は禁止されています。（第12条(2)）" in details
        )
        await pilot.press("l")
        await pilot.press("s")  # asks where, the Downloads folder filled in
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        saved = p.saved_path
        assert saved is not None and saved.parent == tmp_path / "Downloads" and saved.read_bytes()[:5] == b"%PDF-"
        assert str(saved) in plain(p.query_one("#hp-status"))
        monkeypatch.setattr("shutil.which", lambda name: None)  # no CUPS: print saves and says so
        await pilot.press("p")
        await settle(pilot)
        status = plain(p.query_one("#hp-status"))
        assert "プリンタ" in status and str(p.saved_path) in status and p.saved_path != saved


def table_lines(app, wid: str) -> list[str]:
    """The lines of table ``wid`` as the composed screen shows them."""
    region = app.screen.query_one(wid).region
    strips = list(app.screen._compositor.render_strips())
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


def shown(app, wid: str) -> str:
    """The table's text as the user reads it: each line trimmed, wrapped lines joined."""
    return "".join(line.strip() for line in table_lines(app, wid))


async def test_space_expands_the_highlighted_row_with_every_folded_cell_whole_at_80x24(db):
    d = setup_day(db)
    store = open_store(db)
    try:
        with store.write() as s:
            for language in ("ポルトガル語", "タガログ語", "インドネシア語"):
                consent.record_companion(
                    s,
                    actor=d["clerk"],
                    seeker_id=d["a_id"],
                    office_id="takamatsu",
                    kind="interpreter",
                    language=language,
                )
    finally:
        store.dispose()
    warning = "警告: 通訳未手配（ベトナム語、ポルトガル語、タガログ語、インドネシア語）"
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        q = await open_queue(pilot)
        table = q.query_one("#q-table")
        table.focus()
        await settle(pilot)
        # folded at 80 columns: companions and warnings share two lines under the row, cut with …
        assert warning not in shown(app, "#q-table") and "…" in shown(app, "#q-table")
        assert "行を展開" in {k.description for k in app.screen.query("FooterKey") if k.display}
        await pilot.press("space")
        await settle(pilot)
        lines = table_lines(app, "#q-table")
        assert warning in shown(app, "#q-table") and "…" not in shown(app, "#q-table")
        assert any(line.strip().startswith("警告:") for line in lines)  # one label: text a column
        assert all(cell_len(line) == table.region.width for line in lines)
        await pilot.press("space")
        await settle(pilot)
        assert warning not in shown(app, "#q-table")
        # at 160 columns the companions have their column and the warning its whole detail line
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert warning in shown(app, "#q-table") and "…" not in shown(app, "#q-table")
        assert "同席者" in table_lines(app, "#q-table")[0]
