"""The supervisor's audit log and monthly report screens (Pilot, fresh SQLite per test)."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import new_seeker
from helpers.ui import PW, SIZE, make_app, plain, settle, sign_in

from hwdesk.clock import JST
from hwdesk.db import open_store
from hwdesk.models import Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import auth
from hwdesk.services.context import SYSTEM, Actor
from screens.widgets import RowTable


def add_supervisor(db: str) -> Actor:
    store = open_store(db)
    try:
        with store.write() as s:
            st = auth.create_staff(
                s,
                actor=SYSTEM,
                login="super1",
                name="高松 監督",
                role="supervisor",
                office_id="takamatsu",
                password=PW,
                check_policy=False,
            )
            return Actor.of(st)
    finally:
        store.dispose()


def add_month(db: str, sup: Actor) -> None:
    """February 2027 at 高松: six sessions on the 2nd (five completed, one absent booking each) and two on the 3rd."""
    store = open_store(db)
    try:
        starts = [datetime(2027, 2, 2, 9 + i, 0, tzinfo=JST) for i in range(6)] + [
            datetime(2027, 2, 3, 10 + i, 0, tzinfo=JST) for i in range(2)
        ]
        for i, start in enumerate(starts):
            with store.write() as s:
                row = SessionRow(
                    office_id="takamatsu",
                    kind="interview",
                    start_at=start,
                    end_at=start + timedelta(hours=1),
                    staff_id=sup.id,
                    capacity=1,
                    platform="webex",
                    join_url="https://hellowork.webex.com/meet/takamatsu01",
                    state="completed" if i < 6 else "scheduled",
                )
                s.add(row)
                s.flush()
                sid = row.id
            sk = new_seeker(store, sup, birth=f"1980-03-{i + 1:02d}")
            with store.write() as s:
                s.add(Enrollment(session_id=sid, seeker_id=sk.id, state="completed" if i < 6 else "booked"))
    finally:
        store.dispose()


async def test_supervisor_filters_audit_rows_by_action(db):
    sup = add_supervisor(db)
    store = open_store(db)
    try:
        new_seeker(store, sup)
    finally:
        store.dispose()
    from screens.audit_log import AuditLogScreen
    from screens.commands import palette_commands

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        names = [name for name, _cb, _help in palette_commands(app, "ja")]
        assert any("監査ログ" in n for n in names) and any("月次集計" in n for n in names)
        palette_commands(app, "ja")[0][1]()  # the palette's callback opens the screen
        await settle(pilot)
        assert isinstance(app.screen, AuditLogScreen)
        table = app.screen.query_one(RowTable)
        assert len(table.rows) >= 2
        assert "✔" in plain(app.screen.query_one("#audit-chain"))
        app.screen.query_one("#audit-action").value = "seeker."
        app.screen.query_one("#audit-action").focus()
        await pilot.press("enter")
        await settle(pilot)
        actions = {r[3] for r in table.rows}
        assert actions == {"seeker.create"}, actions
        assert {r[1] for r in table.rows} == {"super1"}
        # a bad date shows the parser's message and keeps the rows
        app.screen.query_one("#audit-from").value = "2027-13-01"
        await pilot.press("enter")
        await settle(pilot)
        assert "2027" in plain(app.screen.query_one("#audit-status"))
    store = open_store(db)
    try:
        with store.read() as s:
            from sqlmodel import select

            from hwdesk.models import AuditLog

            assert len(list(s.exec(select(AuditLog).where(AuditLog.action == "audit.view")))) == 2
    finally:
        store.dispose()


async def test_clerk_is_refused_both_screens(db):
    from screens.audit_log import AuditLogScreen
    from screens.reports import ReportsScreen

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "clerk1")
        for screen in (AuditLogScreen(), ReportsScreen(2027, 2)):
            app.push_screen(screen)
            await settle(pilot)
            text = plain(
                app.screen.query_one("#audit-refused" if isinstance(screen, AuditLogScreen) else "#report-refused")
            )
            assert "統括職員" in text
            assert (
                not app.screen.query(RowTable) and not app.screen.query("Sparkline") and not app.screen.query("Input")
            )
            await pilot.press("escape")
            await settle(pilot)


async def test_reports_sparkline_bars_and_export(db, tmp_path, monkeypatch):
    sup = add_supervisor(db)
    add_month(db, sup)
    from textual.widgets import Sparkline

    import screens.reports as rep

    monkeypatch.setattr(rep, "downloads_dir", lambda: tmp_path / "Downloads")
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        app.push_screen(rep.ReportsScreen(2027, 1))
        await settle(pilot)
        await pilot.press("right_square_bracket")  # → February
        await settle(pilot)
        screen = app.screen
        assert (screen.year, screen.month) == (2027, 2)
        spark = screen.query_one("#spark-sessions", Sparkline)
        assert len(spark.data) == 28 and max(spark.data) == 6
        bars = "\n".join(plain(w) for w in screen.query(".bars"))
        assert "█" in bars and "<5" in bars
        kind_line = next(line for line in bars.splitlines() if "█" in line)
        assert kind_line.rstrip().endswith(" 8")  # 8 interviews in the month
        await pilot.press("x")
        await settle(pilot)
        path = screen.exported
        assert path is not None and path.parent == tmp_path / "Downloads"
        assert str(path) in plain(screen.query_one("#report-export"))
        body = path.read_bytes()
        assert body.startswith(b"\xef\xbb\xbf") and "期間（開始）" in body.decode("utf-8-sig")


async def test_report_series_total_is_the_tables_total_and_every_table_names_its_unit(db):
    """The days left visible add up to less than the month (hidden days): the line shows the table's
    total (sessions by kind), with its unit, never the sum of the visible days."""
    sup = add_supervisor(db)
    add_month(db, sup)
    import screens.reports as rep

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot, "super1")
        app.push_screen(rep.ReportsScreen(2027, 2))
        await settle(pilot)
        screen = app.screen
        report = screen.report
        info = plain(screen.query_one("#series-sessions .series-range"))
        assert f"計 {report.sessions_by_kind.total.text}（単位: 件）" in info
        assert report.sessions_by_kind.total.value == 8 and "計 8" in info
        titles = [plain(w) for w in screen.query(".bars-title")]
        assert titles and all("単位:" in t for t in titles)
        assert any("席" in t for t in titles) and any("件" in t for t in titles)
        legend = plain(screen.query_one("#report-legend"))
        assert "* =" in legend and "x =" in legend
