"""The daily queue, week view and reminder list (hwdesk.services.queue), on both backends."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from sqlalchemy import event
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, ValidationFailed
from hwdesk.models import AuditLog
from hwdesk.services import consent, queue, scheduling
from hwdesk.services.context import SYSTEM
from hwdesk.services.offices import add_terms_version
from hwdesk.terms import shipped_terms

DAY = date(2027, 2, 2)  # a Tuesday


def at(hm: str, day: date = DAY) -> datetime:
    """Aware JST on ``day``."""
    return datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), JST)


def create(store, actor, kind="counseling", start="10:00", end="10:45", staff="clerk1", day=DAY, **kw):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actor,
            office_id="takamatsu",
            kind=kind,
            start=at(start, day),
            end=at(end, day),
            staff_login=staff,
            **kw,
        )


def ready(store, actors, service="counseling", **kw):
    sk = new_seeker(store, actors["clerk1"], **kw)
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service=service)
    return sk


def book(store, actor, session_id, seeker_id, **kw):
    with store.write() as s:
        return scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id, **kw)


def seat(store, session_id, seeker_id, override_reason=""):
    """A booking the rule engine would refuse today: one made by an override before overrides
    stopped lifting conditions of use (issue 15), as an older database holds it."""
    from hwdesk.models import Enrollment

    with store.write() as s:
        s.add(Enrollment(session_id=session_id, seeker_id=seeker_id, state="booked", override_reason=override_reason))


@pytest.fixture
def day_of_sessions(store, actors):
    """A takamatsu day: counseling 10:00 (booked), seminar 13:00 cap 2 (2 booked + 1 waiting), counseling 15:00 cancelled."""
    clerk = actors["clerk1"]
    c1 = create(store, clerk, join_url="https://zoom.us/j/111", passcode="p-111")
    sem = create(store, clerk, kind="seminar", start="13:00", end="14:00", staff="super1", capacity=2)
    late = create(store, clerk, start="15:00", end="15:45", join_url="https://zoom.us/j/333")
    first = create(store, clerk, start="09:00", end="09:45", staff="super1", join_url="https://zoom.us/j/000")
    a = ready(store, actors, name="青木 一郎")
    b, c, d = (ready(store, actors, service="seminar") for _ in range(3))
    book(store, clerk, c1.id, a.id)
    for sk in (b, c, d):
        book(store, clerk, sem.id, sk.id)
    with store.write() as s:
        scheduling.cancel_session(s, actor=clerk, session_id=late.id, reason="by_office")
        consent.record_companion(
            s, actor=clerk, seeker_id=a.id, office_id="takamatsu", kind="interpreter", language="ベトナム語"
        )
        consent.record_companion(
            s, actor=clerk, seeker_id=b.id, office_id="takamatsu", kind="caregiver", session_id=sem.id
        )
    # another day and another office never show up
    create(store, clerk, day=DAY + timedelta(days=1))
    return {"c1": c1, "sem": sem, "late": late, "first": first, "a": a, "b": b, "c": c, "d": d}


def test_rows_in_time_order_with_seekers_counts_and_companions(store, actors, day_of_sessions):
    d = day_of_sessions
    with store.read() as s:
        view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("08:00"))
    assert [r.id for r in view.rows] == [d["first"].id, d["c1"].id, d["sem"].id, d["late"].id]
    first, c1, sem, late = view.rows
    assert c1.start == at("10:00") and c1.start.utcoffset() == timedelta(hours=9)
    assert (c1.staff_login, c1.seeker.seeker_no, c1.seeker.name) == ("clerk1", d["a"].seeker_no, "青木 一郎")
    assert first.seeker is None and first.who() == "（空き）"
    assert (sem.enrolled, sem.capacity, sem.waiting, sem.seeker) == (2, 2, 1, None)
    assert sem.who() == "2/2（待1）"
    assert [c.label() for c in c1.companions] == ["通訳（ベトナム語）"]
    assert [c.label("en") for c in sem.companions] == ["Caregiver"]
    assert view.counts["scheduled"] == 3 and view.counts["cancelled"] == 1 and view.counts["total"] == 4
    assert late.state == "cancelled" and late.warnings == ()
    assert view.closed is None


def test_filters_keep_counts_of_the_whole_day(store, actors, day_of_sessions):
    d = day_of_sessions
    with store.read() as s:
        by_staff = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, staff_id=actors["super1"].id)
        by_kind = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, kind="seminar")
        by_state = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, state="cancelled")
    assert [r.id for r in by_staff.rows] == [d["first"].id, d["sem"].id]
    assert [r.id for r in by_kind.rows] == [d["sem"].id]
    assert [r.id for r in by_state.rows] == [d["late"].id] and by_state.counts["total"] == 4


def test_readiness_warnings(store, actors, day_of_sessions):
    d = day_of_sessions
    bare = new_seeker(store, actors["clerk1"])  # no consent, no environment check
    odd = create(store, actors["clerk1"], start="16:00", end="16:45", join_url="https://zoom.us/j/444")
    seat(store, odd.id, bare.id, override_reason="電話で同意済み、書面は当日")
    with store.read() as s:
        rows = {
            r.id: r for r in queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("09:50")).rows
        }
    c1, sem, oddrow, first = rows[d["c1"].id], rows[d["sem"].id], rows[odd.id], rows[d["first"].id]
    assert [w.key for w in c1.warnings] == ["not_checked_in"]  # 10:00 starts within 15 minutes
    assert c1.warnings[0].seekers == (d["a"].seeker_no,)
    assert [w.key for w in sem.warnings] == ["no_link"]
    assert [w.key for w in oddrow.warnings] == ["no_consent", "no_env_check", "no_private_room"]
    assert oddrow.warnings[0].cite == "第2条(1)" and oddrow.warnings[1].text() == "利用環境の確認なし（第5条）"
    assert first.warnings == ()  # a free slot: nobody to check in
    with store.write() as s:
        scheduling.set_state(s, actor=actors["clerk1"], session_id=d["c1"].id, state="in_progress")
    with store.read() as s:
        rows = {
            r.id: r for r in queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("09:50")).rows
        }
    assert rows[d["c1"].id].warnings == ()


def test_terms_revised_not_notified_warning(store, actors):
    sk = ready(store, actors)
    row = create(store, actors["clerk1"], join_url="https://zoom.us/j/1")
    book(store, actors["clerk1"], row.id, sk.id)
    raw = dict(shipped_terms()["takamatsu"][-1].raw)
    raw["version"] = 3
    with store.write() as s:
        tv = add_terms_version(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            text=json.dumps(raw, ensure_ascii=False),
            effective_on=date(2027, 2, 1),
            reason="改訂",
            ground="user_benefit",
        )
    with store.read() as s:
        row_view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("08:00")).rows[0]
        reminders = queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 1))
    assert [(w.key, w.cite) for w in row_view.warnings] == [("terms_revised", "第13条")]
    assert reminders.rows[0].missing == ("terms_revised",)
    with store.write() as s:
        consent.record_terms_notice(s, actor=actors["clerk1"], seeker_id=sk.id, terms_version_id=tv.id, method="phone")
    with store.read() as s:
        assert (
            queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("08:00")).rows[0].warnings == ()
        )


def test_queue_json_iso_times_and_seeker_numbers(store, actors, day_of_sessions):
    d = day_of_sessions
    with store.read() as s:
        data = queue.queue_json(s, actor=SYSTEM, office_id="takamatsu", day=DAY)
    text = json.dumps(data, ensure_ascii=False)
    assert "p-111" not in text  # never the passcode
    by_id = {x["id"]: x for x in data["sessions"]}
    c1, sem = by_id[d["c1"].id], by_id[d["sem"].id]
    assert (c1["start"], c1["end"]) == ("2027-02-02T10:00:00+09:00", "2027-02-02T10:45:00+09:00")
    assert c1["kind"] == "counseling" and c1["staff"] == "clerk1" and c1["join_url"] == "https://zoom.us/j/111"
    assert c1["seekers"] == [d["a"].seeker_no] and c1["capacity"] == 1
    assert sorted(sem["seekers"]) == sorted([d["b"].seeker_no, d["c"].seeker_no]) and sem["waitlist"] == [
        d["d"].seeker_no
    ]
    assert sem["capacity"] == 2 and data["date"] == "2027-02-02" and data["counts"]["cancelled"] == 1


def test_fixed_number_of_queries_whatever_the_size(store, actors):
    """No N+1: the queue for 3 sessions and for 30 sessions runs the same number of statements."""
    clerk = actors["clerk1"]

    def fill(day: date, n: int) -> None:
        for i in range(n):
            start = at("08:30", day) + timedelta(minutes=15 * i)
            with store.write() as s:
                row = scheduling.create_session(
                    s,
                    actor=clerk,
                    office_id="takamatsu",
                    kind="counseling",
                    start=start,
                    end=start + timedelta(minutes=15),
                    staff_login="clerk1",
                )
            sk = ready(store, actors)
            book(store, clerk, row.id, sk.id)
            with store.write() as s:
                consent.record_companion(
                    s, actor=clerk, seeker_id=sk.id, office_id="takamatsu", kind="interpreter", language="英語"
                )

    small, big = date(2027, 2, 3), date(2027, 2, 4)
    fill(small, 3)
    fill(big, 30)

    def statements(day: date) -> int:
        seen = []
        listener = lambda *a, **k: seen.append(1)  # noqa: E731
        event.listen(store.engine, "before_cursor_execute", listener)
        try:
            with store.read() as s:
                view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=day)
                assert all(r.companions for r in view.rows)
        finally:
            event.remove(store.engine, "before_cursor_execute", listener)
        return len(seen)

    statements(small)  # warm the profile cache
    assert statements(small) == statements(big) <= 12


def test_week_view(store, actors, day_of_sessions):
    with store.read() as s:
        week = queue.week_view(s, actor=SYSTEM, office_id="takamatsu", week_start=date(2027, 2, 4))
        mine = queue.week_view(
            s, actor=SYSTEM, office_id="takamatsu", week_start=date(2027, 2, 1), staff_id=actors["super1"].id
        )
    assert week.start == date(2027, 2, 1) and [d.day.weekday() for d in week.days] == list(range(7))
    assert len(week.days[1].rows) == 4 and len(week.days[2].rows) == 1
    assert week.days[5].closed == ("土曜日", "Saturday") and week.days[3].closed is None
    assert week.counts["total"] == 5
    assert sum(len(d.rows) for d in mine.days) == 2


def test_reminder_list_for_next_open_day_and_outcomes(store, actors, day_of_sessions):
    d = day_of_sessions
    # Friday 2027-01-29 → the next open day is Monday 02-01; from Monday it is Tuesday 02-02.
    with store.read() as s:
        assert queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 1, 29)).target_day == date(
            2027, 2, 1
        )
        rl = queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 1))
    assert rl.target_day == DAY
    by_no = {r.seeker_no: r for r in rl.rows}
    assert set(by_no) == {
        d["a"].seeker_no,
        d["b"].seeker_no,
        d["c"].seeker_no,
    }  # not the waitlisted, not the cancelled session
    a = by_no[d["a"].seeker_no]
    assert (
        a.phone == "090-1234-5678" and [c.label() for c in a.companions] == ["通訳（ベトナム語）"] and a.missing == ()
    )
    assert by_no[d["b"].seeker_no].missing == ("no_link",) and "参加URL未設定" in by_no[d["b"].seeker_no].missing_text()
    with store.write() as s:
        queue.record_reminder(
            s, actor=actors["clerk1"], session_id=d["c1"].id, seeker_id=d["a"].id, outcome="not_reached"
        )
    with store.write() as s:
        queue.record_reminder(
            s, actor=actors["clerk1"], session_id=d["c1"].id, seeker_id=d["a"].id, outcome="message_left"
        )
    with store.write() as s, pytest.raises(ValidationFailed):
        queue.record_reminder(s, actor=actors["clerk1"], session_id=d["c1"].id, seeker_id=d["a"].id, outcome="busy")
    with store.write() as s, pytest.raises(PermissionDenied):
        queue.record_reminder(
            s, actor=actors["clerk1_shi"], session_id=d["c1"].id, seeker_id=d["a"].id, outcome="reached"
        )
    with store.read() as s:
        a = next(
            r
            for r in queue.reminder_list(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 2, 1)).rows
            if r.seeker_id == d["a"].id
        )
        logged = s.exec(select(AuditLog).where(AuditLog.action == "reminder.record")).all()
    assert (a.last_outcome, a.last_by) == ("message_left", "clerk1") and len(logged) == 2


def test_queue_on_a_closed_day_says_why(store):
    with store.read() as s:
        view = queue.daily_queue(s, actor=SYSTEM, office_id="shibuya", day=date(2026, 5, 6))
    assert view.rows == [] and view.closed == ("振替休日", "Substitute Holiday")


def test_filter_view_is_the_filtered_queue_without_reading_again(store, actors, day_of_sessions):
    """The screen reads the day once and narrows it: same rows and counts as asking with the filters."""
    combos = [
        {},
        {"staff_id": actors["super1"].id},
        {"kind": "seminar"},
        {"state": "cancelled"},
        {"staff_id": actors["clerk1"].id, "state": "scheduled"},
        {"kind": "counseling", "state": "completed"},
    ]
    with store.read() as s:
        whole = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("09:50"))
        for kw in combos:
            asked = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("09:50"), **kw)
            narrowed = queue.filter_view(whole, **kw)
            assert [r.id for r in narrowed.rows] == [r.id for r in asked.rows], kw
            assert narrowed.counts == asked.counts, kw
            assert [[w.text() for w in r.warnings] for r in narrowed.rows] == [
                [w.text() for w in r.warnings] for r in asked.rows
            ]
    assert [r.id for r in whole.rows] == [
        d.id for d in (day_of_sessions["first"], day_of_sessions["c1"], day_of_sessions["sem"], day_of_sessions["late"])
    ]


def test_newest_environment_check_decides(store, actors):
    sk = ready(store, actors)  # its check passed
    row = create(store, actors["clerk1"], join_url="https://zoom.us/j/1")
    book(store, actors["clerk1"], row.id, sk.id)

    def warnings() -> list[str]:
        with store.read() as s:
            return [
                w.text()
                for w in queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("08:00"))
                .rows[0]
                .warnings
            ]

    def check(ok: bool) -> None:
        with store.write() as s:
            items = consent.env_items(s, "takamatsu")
            consent.record_env_check(
                s,
                actor=actors["clerk1"],
                seeker_id=sk.id,
                office_id="takamatsu",
                answers={i.key: ok for i in items},
                declared_on=DAY,
            )

    assert warnings() == []
    check(False)
    assert warnings() == ["利用環境に不備（第5条）", "個室等の環境未確認（第12条(3)）"]
    check(True)
    assert warnings() == []
    with store.write() as s:  # only the private room: its own article, not the device self-check (issue 15 (2))
        items = consent.env_items(s, "takamatsu")
        consent.record_env_check(
            s,
            actor=actors["clerk1"],
            seeker_id=sk.id,
            office_id="takamatsu",
            answers={i.key: i.key != "private_room" for i in items},
            declared_on=DAY,
        )
    assert warnings() == ["個室等の環境未確認（第12条(3)）"]


def test_past_sessions_keep_seekers_and_companions_without_warnings(store, actors):
    """A completed session shows who came and their interpreter; readiness warnings are for live sessions only."""
    clerk = actors["clerk1"]
    bare = new_seeker(store, clerk, name="上田 三郎")  # no consent, no environment check
    done = create(store, clerk, start="09:00", end="09:45", join_url="https://zoom.us/j/9")
    live = create(store, clerk, start="11:00", end="11:45", join_url="https://zoom.us/j/11")
    other = new_seeker(store, clerk, name="伊藤 二郎")
    seat(store, done.id, bare.id, override_reason="電話で同意済み")
    seat(store, live.id, other.id, override_reason="電話で同意済み")
    with store.write() as s:
        consent.record_companion(
            s, actor=clerk, seeker_id=bare.id, office_id="takamatsu", kind="interpreter", language="英語"
        )
        scheduling.set_state(s, actor=clerk, session_id=done.id, state="in_progress", now=at("09:00"))
    with store.write() as s:
        scheduling.set_state(s, actor=clerk, session_id=done.id, state="completed", now=at("09:45"))
    with store.read() as s:
        view = queue.daily_queue(s, actor=SYSTEM, office_id="takamatsu", day=DAY, now=at("10:00"))
    past, now_row = view.rows
    assert past.state == "completed" and past.who() == f"{bare.seeker_no} 上田 三郎"
    assert [c.label() for c in past.companions] == ["通訳（英語）"] and past.warnings == ()
    assert [w.text() for w in now_row.warnings] == [
        "同意未記録（第2条(1)）",
        "利用環境の確認なし（第5条）",
        "個室等の環境未確認（第12条(3)）",
    ]
    assert view.counts["completed"] == 1 and view.counts["scheduled"] == 1
