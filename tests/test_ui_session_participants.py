"""The session screen's participant actions: cancel one seat (reason, confirm), the freed seat
offered to the waitlist, confirming the offer, refusals (Pilot, fresh SQLite per test)."""

from __future__ import annotations

from datetime import datetime, timedelta

from helpers import make_ready, new_seeker
from helpers.ui import SIZE, make_app, open_session_signed_in, plain, read, settle
from sqlmodel import select

from hwdesk.clock import JST, today_jst
from hwdesk.db import open_store
from hwdesk.models import AuditLog, Enrollment, Staff
from hwdesk.services import calendar, scheduling
from hwdesk.services.context import Actor


def setup(db: str) -> dict:
    """A seminar (capacity 2) three weeks ahead: 青木 and 伊藤 booked, 上田 waitlisted."""
    store = open_store(db)
    try:
        with store.read() as s:
            clerk = Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())
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
                capacity=2,
                title="応募書類セミナー",
            )
            sem_id = sem.id
        people = {}
        for key, name, kana in (
            ("a", "青木 一郎", "アオキ イチロウ"),
            ("b", "伊藤 二郎", "イトウ ジロウ"),
            ("c", "上田 三郎", "ウエダ サブロウ"),
        ):
            p = new_seeker(store, clerk, name=name, kana=kana)
            make_ready(store, clerk, p.id, "takamatsu", service="seminar")
            with store.write() as s:
                scheduling.book(s, actor=clerk, session_id=sem_id, seeker_id=p.id)
            people[key], people[key + "_id"] = p.seeker_no, p.id
        return {"sem": sem_id, **people}
    finally:
        store.dispose()


def states(db: str, sem: int) -> dict[int, str]:
    return read(
        db, lambda s: {e.seeker_id: e.state for e in s.exec(select(Enrollment).where(Enrollment.session_id == sem))}
    )


def audits(db: str, action: str) -> list[AuditLog]:
    return read(db, lambda s: list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))))


def people(screen) -> dict[str, list[str]]:
    """Participants table rows by 求職番号."""
    return {r[0]: r for r in screen.query_one("#s-people").rows}


def footer(screen) -> set[str]:
    """The key descriptions the Footer shows."""
    return {k.description for k in screen.query("FooterKey")}


def select_row(screen, seeker_id: int) -> None:
    table = screen.query_one("#s-people")
    table.cursor = table.keys.index(seeker_id)


async def test_cancel_one_seat_then_waitlisted_seeker_gets_offer_and_clerk_confirms(db):
    d = setup(db)
    assert states(db, d["sem"]) == {d["a_id"]: "booked", d["b_id"]: "booked", d["c_id"]: "waitlisted"}
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        assert type(scr).__name__ == "SessionScreen"
        assert "予約取消" in footer(scr) and "空席確定" not in footer(scr)  # o is listed only on an offer
        rows = people(scr)
        assert (
            rows[d["a"]][2] == "予約済み" and rows[d["b"]][2] == "予約済み" and rows[d["c"]][2] == "キャンセル待ち #1"
        )
        # d on 青木: the reason picker (reused) names the participant; 1 = by the seeker; then confirm
        select_row(scr, d["a_id"])
        await pilot.press("d")
        await settle(pilot)
        modal = app.screen
        assert type(modal).__name__ == "CancelReasonModal"
        assert "青木 一郎" in plain(modal.query_one("Static")) and "本人都合" in plain(modal.query_one("Static"))
        await pilot.press("1")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        assert "理由: 本人都合" in plain(app.screen.query_one("Static"))
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is scr
        msg = plain(scr.query_one("#s-msg"))
        assert f"{d['a']} の予約を取り消しました" in msg and "上田 三郎" in msg and "空席を案内中" in msg
        rows = people(scr)
        assert rows[d["a"]][2] == "キャンセル" and rows[d["b"]][2] == "予約済み" and rows[d["c"]][2] == "空席案内中"
        assert states(db, d["sem"]) == {d["a_id"]: "cancelled", d["b_id"]: "booked", d["c_id"]: "offered"}
        (cancel,) = audits(db, "enrollment.cancel")
        assert cancel.seeker_id == d["a_id"] and "by_seeker" in cancel.detail_json
        assert [a.seeker_id for a in audits(db, "enrollment.offer")] == [d["c_id"]]
        # o on 上田: the offer becomes a booking
        select_row(scr, d["c_id"])
        await pilot.pause()
        assert "空席確定" in footer(scr)
        await pilot.press("o")
        await settle(pilot)
        assert f"{d['c']} の空席案内を確定しました" in plain(scr.query_one("#s-msg"))
        assert people(scr)[d["c"]][2] == "予約済み"
        assert states(db, d["sem"])[d["c_id"]] == "booked"
        assert [a.seeker_id for a in audits(db, "enrollment.confirm")] == [d["c_id"]]
        assert "定員 2　予約 2　キャンセル待ち 0" in plain(scr.query_one("#s-info"))


async def test_confirm_without_offer_is_refused_and_cancel_can_be_backed_out(db):
    d = setup(db)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        # o on a booked seeker: the service's refusal is shown
        select_row(scr, d["b_id"])
        await pilot.press("o")
        await settle(pilot)
        msg = scr.query_one("#s-msg")
        assert "空席案内中ではありません" in plain(msg) and "予約済み" in plain(msg) and msg.has_class("-error")
        assert states(db, d["sem"])[d["b_id"]] == "booked" and not audits(db, "enrollment.confirm")
        # d, a reason, then n: nothing is cancelled
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is scr and states(db, d["sem"])[d["b_id"]] == "booked" and not audits(db, "enrollment.cancel")
        # Esc at the reason picker: nothing either
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is scr and not audits(db, "enrollment.cancel")
        # a cancelled seat cannot be cancelled again: refused before any dialog
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert people(scr)[d["b"]][2] == "キャンセル"
        [cancel] = audits(db, "enrollment.cancel")
        assert "connection" in cancel.detail_json
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is scr and "取り消せません" in plain(scr.query_one("#s-msg"))


async def test_english_labels(db):
    d = setup(db)
    app = make_app(db, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        assert "Cancel seat" in footer(scr) and "Confirm offer" not in footer(scr)
        assert people(scr)[d["c"]][2] == "Waitlisted #1"
        select_row(scr, d["a_id"])
        await pilot.press("d")
        await settle(pilot)
        assert "By the seeker" in plain(app.screen.query_one("Static"))
        await pilot.press("2")
        await settle(pilot)
        assert "reason: By the office" in plain(app.screen.query_one("Static"))
        await pilot.press("enter")
        await settle(pilot)
        msg = plain(scr.query_one("#s-msg"))
        assert f"Cancelled the seat of {d['a']}" in msg and "Seat offered to waitlisted" in msg
        assert people(scr)[d["c"]][2] == "Seat offered"
        select_row(scr, d["c_id"])
        await pilot.pause()
        assert "Confirm offer" in footer(scr)
        select_row(scr, d["b_id"])
        await pilot.press("o")
        await settle(pilot)
        assert "has no seat offered" in plain(scr.query_one("#s-msg"))


async def test_at_80_columns_the_footer_wraps_and_cuts_no_key(db):
    """Textual's one-line Footer cut the session screen's keys at 80 columns; KeyFooter wraps them
    (each with its whole label), leaving the app-wide keys to the command palette if need be."""
    from rich.cells import cell_len
    from textual.widgets._footer import FooterKey

    from screens.footer import KeyFooter

    ids = setup(db)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_session_signed_in(pilot, ids["sem"])
        await settle(pilot)
        foot = screen.query_one("KeyFooter")
        shown = [k for k in foot.query(FooterKey) if k.display and not k.has_class("-command-palette")]
        assert {"受付", "完了", "欠席", "接続不良", "中止", "キャンセル", "予約", "予約取消", "案内書"} <= {
            k.description for k in shown
        }
        assert 2 <= foot.size.height <= KeyFooter.MAX_ROWS
        for k in shown:  # on the screen and as wide as its label
            assert k.region.right <= foot.region.right and k.region.y >= foot.region.y
            assert k.region.width >= cell_len(k.key_display) + 1 + cell_len(k.description)
        await pilot.resize_terminal(200, 40)
        await settle(pilot)
        assert foot.size.height == 1 and all(k.display for k in foot.query(FooterKey))
        await pilot.resize_terminal(64, 24)  # too narrow for every key in three rows
        await settle(pilot)
        shown = {k.description for k in foot.query(FooterKey) if k.display}
        assert "ロック" not in shown and {"受付", "完了", "欠席", "予約取消", "案内書"} <= shown


async def test_the_footer_fits_its_keys_before_the_palette_key_is_laid_out():
    """Before the command palette's key has a size the footer guesses it, and fits again after.
    The guess was 2 cells over, so keys filling one line to the cell, as the environment
    check's do at 120 columns, were laid out on two when the first fit came before the layout
    (a snapshot on a loaded machine). The guess is now the width Textual gives the key."""
    from textual.app import App
    from textual.widgets._footer import FooterKey

    from screens.footer import KeyFooter

    for compact in (True, False):

        class Bare(App):
            COMPACT = compact

            def compose(self):
                yield KeyFooter(compact=self.COMPACT)

        app = Bare()
        async with app.run_test(size=(120, 10)) as pilot:
            await pilot.pause()
            footer = app.query_one(KeyFooter)
            palette = next(k for k in footer.query(FooterKey) if k.has_class("-command-palette"))
            assert footer.palette_width(palette) == palette.outer_size.width > 0


def table_lines(app, wid: str) -> list[str]:
    """The lines of table ``wid`` as the composed screen shows them."""
    region = app.screen.query_one(wid).region
    strips = list(app.screen._compositor.render_strips())
    return [strips[y].crop(region.x, region.right).text for y in range(region.y, region.bottom)]


LONG_NAME = "長谷川ヴィクトリア・アレクサンドラ"


async def test_participants_keep_number_name_and_state_whole_at_80x24_and_show_everything_at_120x40(db):
    d = setup(db)
    store = open_store(db)
    try:
        with store.read() as s:
            clerk = Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())
        long = new_seeker(store, clerk, name=LONG_NAME, kana="ハセガワ ヴィクトリア")
        make_ready(store, clerk, long.id, "takamatsu", service="seminar")
        with store.write() as s:
            scheduling.book(s, actor=clerk, session_id=d["sem"], seeker_id=long.id)
            # 青木's seat freed: 上田 is offered it, with a reply deadline in the notes column
            scheduling.cancel_enrollment(s, actor=clerk, session_id=d["sem"], seeker_id=d["a_id"], reason="by_seeker")
    finally:
        store.dispose()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        scr = await open_session_signed_in(pilot, d["sem"])
        await settle(pilot)
        table = scr.query_one("#s-people")
        rows = {r[0]: r for r in table.rows}
        note = rows[d["c"]][3]
        assert note.startswith("回答期限")
        lines = table_lines(app, "#s-people")
        for no, (_, name, state, _) in rows.items():
            (line,) = [ln for ln in lines if ln.startswith(no + " ")]
            assert name in line and state in line, line  # number, name and state whole on the row
        assert "…" not in "".join(lines)
        assert note not in "".join(lines[0:1])  # the notes column folds away at 80
        (under,) = [ln for ln in lines if note in ln]
        assert not under.lstrip().startswith(d["c"]) and under.startswith(" ")  # on a line under 上田's row
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        lines = table_lines(app, "#s-people")
        assert "備考" in lines[0]  # every column has its place at 120
        for no, row in rows.items():
            (line,) = [ln for ln in lines if ln.startswith(no + " ")]
            assert all(cell in line for cell in row), line
        assert "…" not in "".join(lines)
        assert "行を展開" not in {k.description for k in scr.query("FooterKey") if k.display}
