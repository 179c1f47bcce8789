"""A stop of use reaches every booking (queue, session, reminders, handout batch; cancel with the
notice recorded; lifting clears the flags), and waitlist offers carry a reply deadline after which
the seat goes to the next in line. Both backends."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import RuleRefusal
from hwdesk.models import AuditLog, Enrollment
from hwdesk.services import calendar, handouts, offers, queue, scheduling, terminations
from hwdesk.services.context import SYSTEM

DAY = date(2027, 2, 2)  # a Tuesday


def at(hm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), JST)


def ready(store, actors, **kw):
    sk = new_seeker(store, actors["clerk1"], **kw)
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="seminar")
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="counseling")
    return sk


def create(store, actors, kind="seminar", start="13:00", end="14:00", day=DAY, capacity=None, staff="clerk1"):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind=kind,
            start=at(start, day),
            end=at(end, day),
            staff_login=staff,
            capacity=capacity,
            join_url="https://zoom.us/j/987",
        ).id


def book(store, actor, sid, seeker_id, **kw):
    with store.write() as s:
        return scheduling.book(s, actor=actor, session_id=sid, seeker_id=seeker_id, **kw).state


def test_stop_of_use_flags_every_booking_and_lifting_clears_them(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    stopped, other = (
        ready(store, actors, name="中止 花子", kana="チュウシ ハナコ"),
        ready(store, actors, name="通常 太郎", kana="ツウジョウ タロウ"),
    )
    one = create(store, actors, "counseling", "10:00", "10:45")
    sem = create(store, actors, "seminar", "13:00", "14:00", capacity=5, staff="super1")
    book(store, clerk, one, stopped.id)
    book(store, clerk, sem, stopped.id)
    book(store, clerk, sem, other.id)
    with store.write() as s:
        res = terminations.terminate(
            s,
            actor=sup,
            seeker_id=stopped.id,
            office_id="takamatsu",
            ground="disturbing",
            narrative="録画していた",
            scope="ended",
        )
        term_id, cite = res.termination.id, res.termination.cite
    assert {b.session_id for b in res.future_bookings} == {one, sem}
    with store.read() as s:
        data = queue.queue_json(s, actor=SYSTEM, office_id="takamatsu", day=DAY)
        detail = scheduling.session_detail(s, actor=SYSTEM, session_id=sem)
        rl = queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 1))
    rows = {r["id"]: r for r in data["sessions"]}
    assert "stopped" in rows[one]["warnings"] and "stopped" in rows[sem]["warnings"]
    assert rows[sem]["stopped"] == [stopped.seeker_no]
    with store.read() as s:
        view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY)
    warn = next(w for w in next(r for r in view.rows if r.id == sem).warnings if w.key == "stopped")
    assert warn.text("ja") == f"利用中止中（{cite}）" and warn.seekers == (stopped.seeker_no,)
    assert {e.seeker_no: e.stopped for e in detail.enrollments} == {stopped.seeker_no: cite, other.seeker_no: None}
    calls = {(r.session_id, r.seeker_no): r for r in rl.rows}
    assert queue.reminder_call(calls[(sem, stopped.seeker_no)]) == "stopped"
    assert queue.reminder_call_text(calls[(sem, stopped.seeker_no)]).startswith("利用中止 — 予約の取消しを伝える")
    assert "stopped" not in calls[(sem, stopped.seeker_no)].missing
    assert queue.reminder_call(calls[(sem, other.seeker_no)]) == "reminder"
    with store.write() as s:
        job = handouts.for_day(s, actor=clerk, office_id="takamatsu", day=DAY)
    assert sorted(job.stopped) == sorted([(one, stopped.seeker_no, "中止 花子"), (sem, stopped.seeker_no, "中止 花子")])
    assert (
        job.seeker_ids == [other.id] and len(job.pages) == 1
    )  # the stopped seeker's only session prints no blank page
    # a new booking is refused citing the office's article
    extra = create(store, actors, "counseling", "15:00", "15:45")
    with store.write() as s, pytest.raises(RuleRefusal) as exc:
        scheduling.book(s, actor=clerk, session_id=extra, seeker_id=stopped.id)
    assert cite in exc.value.message_ja
    # lifting clears every flag
    with store.write() as s:
        terminations.lift(s, actor=sup, termination_id=term_id, reason="誤りだった")
    with store.read() as s:
        data = queue.queue_json(s, actor=SYSTEM, office_id="takamatsu", day=DAY)
        assert all("stopped" not in r["warnings"] and r["stopped"] == [] for r in data["sessions"])
        assert all(e.stopped is None for e in scheduling.session_detail(s, actor=SYSTEM, session_id=sem).enrollments)
        assert all(
            queue.reminder_call(r) == "reminder"
            for r in queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 1)).rows
        )


def test_termination_cancels_covered_bookings_with_the_notice_recorded(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    sk = ready(store, actors)
    a = create(store, actors, "counseling", "10:00", "10:45")
    later = create(store, actors, "counseling", "10:00", "10:45", day=date(2027, 2, 16))
    book(store, clerk, a, sk.id)
    book(store, clerk, later, sk.id)
    with store.write() as s:
        term = terminations.terminate(
            s,
            actor=sup,
            seeker_id=sk.id,
            office_id="takamatsu",
            ground="disturbing",
            narrative="録画",
            scope="suspended",
            until=date(2027, 2, 10),
        ).termination
    with store.write() as s, pytest.raises(Exception, match="連絡方法"):
        terminations.cancel_bookings(s, actor=clerk, termination_id=term.id, notice=" ")
    with store.write() as s:
        done = terminations.cancel_bookings(s, actor=clerk, termination_id=term.id, notice="電話で本人に連絡")
    assert [b.session_id for b in done] == [a]  # the March booking is after the suspension: kept
    with store.read() as s:
        states = {
            e.session_id: (e.state, e.cancel_reason)
            for e in s.exec(select(Enrollment).where(Enrollment.seeker_id == sk.id))
        }
        notice = s.exec(select(AuditLog).where(AuditLog.action == "termination.notice")).one()
    assert states == {a: ("cancelled", "by_office"), later: ("booked", "")}
    assert json.loads(notice.detail_json)["notice"] == "電話で本人に連絡"


def test_offer_has_a_deadline_then_goes_to_the_next_in_line(store, actors):
    clerk = actors["clerk1"]
    a, b, c = (ready(store, actors) for _ in range(3))
    sem = create(store, actors, capacity=1)
    assert [book(store, clerk, sem, p.id) for p in (a, b, c)] == ["booked", "waitlisted", "waitlisted"]
    with store.write() as s:
        res = scheduling.cancel_enrollment(s, actor=clerk, session_id=sem, seeker_id=a.id, reason="by_seeker")
        until = res.offered[0].offered_until
        expected = offers.deadline(s, office_id="takamatsu", start=at("13:00"))
        nxt = calendar.next_open_day(s, office_id="takamatsu", day=datetime.now(JST).date())
    assert [e.seeker_id for e in res.offered] == [b.id]
    assert until == expected and until.astimezone(JST) == datetime.combine(
        nxt, datetime.strptime("17:15", "%H:%M").time(), JST
    )
    with store.read() as s:
        row = next(
            r for r in queue.queue_json(s, actor=SYSTEM, office_id="takamatsu", day=DAY)["sessions"] if r["id"] == sem
        )
        places = offers.places(s, actor=SYSTEM, seeker_id=c.id)
        rl = queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 1))
        assert not offers.due(s)
        assert offers.due(s, now=until + timedelta(seconds=1))
    assert row["offered"] == [{"seeker": b.seeker_no, "offered_until": until.astimezone(JST).isoformat()}]
    assert [(p.session_id, p.state, p.rank) for p in places] == [(sem, "waitlisted", 1)]
    offer_call = next(r for r in rl.rows if r.seeker_id == b.id)
    assert queue.reminder_call(offer_call) == "offer" and offer_call.offered_until == until
    with store.write() as s:
        assert offers.expire_due(s, now=until - timedelta(seconds=1)) == []
    with store.write() as s:
        [gone] = offers.expire_due(s, now=until + timedelta(minutes=1))
    assert (gone.seeker_id, gone.offered_to) == (b.id, (c.id,))
    with store.read() as s:
        got = {e.seeker_id: e.state for e in s.exec(select(Enrollment).where(Enrollment.session_id == sem))}
        audit_row = s.exec(select(AuditLog).where(AuditLog.action == "enrollment.offer_expired")).one()
        c_until = s.exec(select(Enrollment).where(Enrollment.seeker_id == c.id)).one().offered_until
        assert [(p.state, p.rank) for p in offers.places(s, actor=SYSTEM, seeker_id=c.id)] == [("offered", None)]
    assert got == {a.id: "cancelled", b.id: "cancelled", c.id: "offered"}
    assert audit_row.seeker_id == b.id and c_until is not None and c_until > until
    # declining passes it on (nobody left: the seat is free); confirming an expired offer is refused
    with store.write() as s:
        offers.decline(s, actor=clerk, session_id=sem, seeker_id=c.id)
    with store.write() as s, pytest.raises(RuleRefusal):
        offers.decline(s, actor=clerk, session_id=sem, seeker_id=c.id)


def test_confirming_after_the_deadline_is_refused(store, actors):
    clerk = actors["clerk1"]
    a, b = ready(store, actors), ready(store, actors)
    sem = create(store, actors, capacity=1)
    book(store, clerk, sem, a.id)
    book(store, clerk, sem, b.id)
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=clerk, session_id=sem, seeker_id=a.id, reason="by_seeker")
        e = s.exec(select(Enrollment).where(Enrollment.seeker_id == b.id)).one()
        e.offered_until = datetime.now(JST) - timedelta(minutes=1)  # as if the reply period were over
        s.add(e)
    with store.write() as s, pytest.raises(RuleRefusal, match="回答期限"):
        scheduling.confirm_offer(s, actor=clerk, session_id=sem, seeker_id=b.id)
    assert offers.settle(store) == 1
    with store.read() as s:
        assert s.exec(select(Enrollment).where(Enrollment.seeker_id == b.id)).one().state == "cancelled"


def test_moving_a_session_queues_the_notices_until_a_call_is_recorded(store, actors):
    clerk = actors["clerk1"]
    a, b = ready(store, actors), ready(store, actors)
    sem = create(store, actors, capacity=5)
    book(store, clerk, sem, a.id)
    book(store, clerk, sem, b.id)
    with store.write() as s:
        new = scheduling.reschedule(
            s,
            actor=clerk,
            session_id=sem,
            new_start=at("10:00", date(2027, 2, 9)),
            new_end=at("11:00", date(2027, 2, 9)),
        ).id
    with store.read() as s:
        rl = queue.reminder_list(
            s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 1, 4)
        )  # any day: the notices are listed
    moved = {r.seeker_id: r for r in rl.rows if r.session_id == new}
    assert set(moved) == {a.id, b.id} and all(
        queue.reminder_call(r) == "moved" and r.moved_from == sem for r in moved.values()
    )
    assert f"#{sem}" in queue.reminder_call_text(moved[a.id]) and "02/09 10:00" in queue.reminder_call_text(moved[a.id])
    with store.write() as s:
        queue.record_reminder(s, actor=clerk, session_id=new, seeker_id=a.id, outcome="reached")
    with store.read() as s:
        left = [
            r.seeker_id
            for r in queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 1, 4)).rows
            if r.session_id == new
        ]
        on_day = {
            r.seeker_id: queue.reminder_call(r)
            for r in queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 8)).rows
        }
    assert left == [b.id]
    assert on_day == {a.id: "reminder", b.id: "moved"}  # on the day's own list: marked, not repeated
