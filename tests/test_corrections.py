"""Final states are corrected only by a supervisor with a reason (a new audited event, the old state
kept, reports counting the corrected state); the clock's checks on booking and creating sessions.
Both backends."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.cli import main
from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, RuleRefusal, ValidationFailed
from hwdesk.models import AuditLog, Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import corrections, reports, scheduling
from hwdesk.services.context import SYSTEM


def at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def seminar(store, actors, *, capacity=5, day="2027-02-02"):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="seminar",
            capacity=capacity,
            start=at(day, "13:00"),
            end=at(day, "14:00"),
            staff_login="clerk1",
        ).id


def counseling(store, actors, day="2027-02-02"):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            start=at(day, "10:00"),
            end=at(day, "10:45"),
            staff_login="clerk1",
        ).id


def ready(store, actors, **kw):
    sk = new_seeker(store, actors["clerk1"], **kw)
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="seminar")
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="counseling")
    return sk


def states(store, sid):
    with store.read() as s:
        row = s.get(SessionRow, sid)
        return row.state, {e.seeker_id: e.state for e in s.exec(select(Enrollment).where(Enrollment.session_id == sid))}


def no_show(store, actors, sid):
    """Book one seeker and mark the session a no-show after its start."""
    sk = ready(store, actors)
    with store.write() as s:
        scheduling.book(s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id)
    with store.write() as s:
        row = s.get(SessionRow, sid)
        scheduling.set_state(
            s, actor=actors["clerk1"], session_id=sid, state="absent", now=row.start_at + timedelta(minutes=20)
        )
    return sk


def test_supervisor_corrects_individual_no_show_with_reason_old_state_kept(store, actors):
    sid = counseling(store, actors)
    sk = no_show(store, actors, sid)
    assert states(store, sid) == ("no_show", {sk.id: "absent"})
    with store.write() as s, pytest.raises(PermissionDenied):
        corrections.correct_state(
            s, actor=actors["clerk1"], session_id=sid, state="completed", reason="本人は参加していた"
        )
    with store.write() as s, pytest.raises(ValidationFailed):
        corrections.correct_state(s, actor=actors["super1"], session_id=sid, state="completed", reason="  ")
    with store.write() as s:
        res = corrections.correct_state(
            s, actor=actors["super1"], session_id=sid, state="completed", reason="本人は参加していた"
        )
    assert (res.session_before, res.session_after, res.seats) == (
        "no_show",
        "completed",
        ((sk.id, "absent", "completed"),),
    )
    assert states(store, sid) == ("completed", {sk.id: "completed"})
    with store.read() as s:
        rows = s.exec(
            select(AuditLog).where(AuditLog.action.in_(corrections.CORRECT_ACTIONS)).order_by(AuditLog.id)
        ).all()
        hist = corrections.history(s, actor=SYSTEM, session_id=sid)
    details = [json.loads(r.detail_json) for r in rows]
    assert [
        (r.action, d["before"]["state"], d["after"]["state"], d["reason"]) for r, d in zip(rows, details, strict=True)
    ] == [
        ("enrollment.correct", "absent", "completed", "本人は参加していた"),
        ("session.correct", "no_show", "completed", "本人は参加していた"),
    ]
    assert [(h.seeker_id, h.before, h.after, h.by) for h in hist] == [
        (sk.id, "absent", "completed", "super1"),
        (None, "no_show", "completed", "super1"),
    ]
    assert "欠席（本人不参加） → 完了" in hist[0].line("ja")


def test_group_seat_corrected_and_report_counts_corrected_state(store, actors):
    sid = seminar(store, actors)
    a, a2, b, b2 = (ready(store, actors) for _ in range(4))
    with store.write() as s:
        for sk in (a, a2, b, b2):
            scheduling.book(s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id)
    with store.write() as s:
        now = s.get(SessionRow, sid).start_at + timedelta(minutes=5)
        for sk in (a, a2):
            scheduling.set_state(
                s, actor=actors["clerk1"], session_id=sid, state="checked_in", seeker_id=sk.id, now=now
            )
        scheduling.set_state(s, actor=actors["clerk1"], session_id=sid, state="completed", now=now)
    assert states(store, sid) == ("completed", {a.id: "completed", a2.id: "completed", b.id: "absent", b2.id: "absent"})
    with store.write() as s:
        for sk in (b, b2):
            corrections.correct_state(
                s,
                actor=actors["super1"],
                session_id=sid,
                seeker_id=sk.id,
                state="connection_failed",
                reason="回線の不具合と本人から連絡",
            )
    assert states(store, sid)[1] == {
        a.id: "completed",
        a2.id: "completed",
        b.id: "connection_failed",
        b2.id: "connection_failed",
    }
    with store.read() as s:
        rep = reports.monthly_report(s, office_id="takamatsu", year=2027, month=2, threshold=2, keep_zero=True)
    cells = {i.key: i.figure.value for i in rep.bookings_by_state.items}
    assert (cells["completed"], cells["connection_failed"], cells["absent"]) == (2, 2, 0)
    # a state that is not final is never "corrected"; a correction to the same state is refused
    sid2 = seminar(store, actors, day="2027-02-03")
    with store.write() as s, pytest.raises(RuleRefusal, match="確定した状態ではありません"):
        corrections.correct_state(s, actor=actors["super1"], session_id=sid2, state="completed", reason="x")
    with store.write() as s, pytest.raises(RuleRefusal, match="既に"):
        corrections.correct_state(
            s, actor=actors["super1"], session_id=sid, seeker_id=a.id, state="completed", reason="x"
        )


def test_final_state_without_correction_is_refused_with_the_way_to_correct(store, actors):
    sid = counseling(store, actors)
    no_show(store, actors, sid)
    with store.write() as s, pytest.raises(RuleRefusal) as exc:
        scheduling.set_state(s, actor=actors["super1"], session_id=sid, state="completed")
    assert "--correct" in exc.value.message_ja and "確定" in exc.value.message_ja and "final" in exc.value.message_en


def test_booking_respects_the_clock(store, actors):
    sid = seminar(store, actors)
    sk, sk2 = ready(store, actors), ready(store, actors)
    with store.read() as s:
        row = s.get(SessionRow, sid)
        start, end = row.start_at, row.end_at
    with store.write() as s, pytest.raises(RuleRefusal, match="終了しています") as exc:
        scheduling.book(
            s,
            actor=actors["super1"],
            session_id=sid,
            seeker_id=sk.id,
            override_reason="遅刻",
            now=end + timedelta(minutes=1),
        )
    assert "has ended" in exc.value.message_en
    with store.write() as s, pytest.raises(RuleRefusal, match="開始済み") as exc:
        scheduling.book(s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id, now=start + timedelta(minutes=5))
    assert [f.key for f in exc.value.failures] == ["started"]
    with store.write() as s, pytest.raises(PermissionDenied):
        scheduling.book(
            s,
            actor=actors["clerk1"],
            session_id=sid,
            seeker_id=sk.id,
            override_reason="遅れて参加",
            now=start + timedelta(minutes=5),
        )
    with store.write() as s:
        e = scheduling.book(
            s,
            actor=actors["super1"],
            session_id=sid,
            seeker_id=sk.id,
            override_reason="遅れて参加",
            now=start + timedelta(minutes=5),
        )
        assert (e.state, e.override_reason) == ("booked", "遅れて参加")
    with store.write() as s:  # before the start: no override needed
        assert (
            scheduling.book(
                s, actor=actors["clerk1"], session_id=sid, seeker_id=sk2.id, now=start - timedelta(hours=1)
            ).override_reason
            == ""
        )


def test_creating_or_moving_a_session_into_the_past_is_refused(store, actors):
    past = datetime.now(JST) - timedelta(days=3)
    with store.write() as s, pytest.raises(RuleRefusal, match="過去の日時") as exc:
        scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            start=past,
            end=past + timedelta(minutes=45),
            staff_login="clerk1",
        )
    assert "in the past" in exc.value.message_en
    sid = counseling(store, actors)
    with store.write() as s, pytest.raises(RuleRefusal, match="過去の日時"):
        scheduling.reschedule(
            s, actor=actors["clerk1"], session_id=sid, new_start=past, new_end=past + timedelta(minutes=45)
        )


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


def test_cli_status_correct(cli, store, actors):
    sid = seminar(store, actors)
    a, b = ready(store, actors), ready(store, actors)
    with store.write() as s:
        for sk in (a, b):
            scheduling.book(s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id)
        now = s.get(SessionRow, sid).start_at + timedelta(minutes=5)
        scheduling.set_state(s, actor=actors["clerk1"], session_id=sid, state="checked_in", seeker_id=a.id, now=now)
        scheduling.set_state(s, actor=actors["clerk1"], session_id=sid, state="completed", now=now)
    code, out, err = cli("status", str(sid), "completed", "--seeker", b.seeker_no, as_="super1")
    assert code == 2 and "--correct" in err and states(store, sid)[1][b.id] == "absent"
    code, out, err = cli(
        "status", str(sid), "completed", "--seeker", b.seeker_no, "--correct", "途中から参加", as_="clerk1"
    )
    assert code == 2 and states(store, sid)[1][b.id] == "absent"
    code, out, err = cli(
        "status", str(sid), "completed", "--seeker", b.seeker_no, "--correct", "途中から参加", as_="super1"
    )
    assert code == 0, err
    assert states(store, sid)[1][b.id] == "completed"
    code, out, err = cli("status", str(sid), "stopped", "--correct", "講師の回線断で中止", as_="super1")
    assert code == 0 and states(store, sid)[0] == "stopped", err


def test_cli_queue_json_offer_deadline_expires_on_read_and_stopped_warning(cli, store, actors):
    from hwdesk.services import terminations

    sid = seminar(store, actors, capacity=1)
    a, b, c = ready(store, actors), ready(store, actors), ready(store, actors)
    with store.write() as s:
        for sk in (a, b, c):
            scheduling.book(s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id)
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=actors["clerk1"], session_id=sid, seeker_id=a.id, reason="by_seeker")
    code, out, err = cli("queue", "--office", "takamatsu", "--date", "2027-02-02", "--json", as_="clerk1")
    [row] = json.loads(out)["sessions"]
    assert (
        code == 0
        and [o["seeker"] for o in row["offered"]] == [b.seeker_no]
        and row["offered"][0]["offered_until"].endswith("+09:00")
    )
    with store.write() as s:  # the reply period is over
        e = s.exec(select(Enrollment).where(Enrollment.seeker_id == b.id)).one()
        e.offered_until = datetime.now(JST) - timedelta(minutes=1)
        s.add(e)
        terminations.terminate(
            s,
            actor=actors["super1"],
            seeker_id=c.id,
            office_id="takamatsu",
            ground="disturbing",
            narrative="録画",
            scope="ended",
        )
    code, out, err = cli(
        "queue", "--office", "takamatsu", "--date", "2027-02-02", "--json", as_="clerk1"
    )  # the read moves it on
    [row] = json.loads(out)["sessions"]
    assert (
        [o["seeker"] for o in row["offered"]] == [c.seeker_no]
        and "stopped" in row["warnings"]
        and row["stopped"] == [c.seeker_no]
    )
    assert states(store, sid)[1][b.id] == "cancelled"
    code, out, err = cli("reminders", "--office", "takamatsu", "--date", "2027-02-01", "--json", as_="clerk1")
    calls = {x["seeker_no"]: x["call"] for x in json.loads(out)["calls"]}
    assert calls == {c.seeker_no: "stopped"}
