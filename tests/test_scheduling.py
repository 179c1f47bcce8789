"""Sessions, booking, waitlist, overlap, status paths, series and reschedule — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import NotFound, PermissionDenied, RuleRefusal, ValidationFailed
from hwdesk.jtext.base import ParseError
from hwdesk.models import AuditLog, Consent, Enrollment, Seeker, Series
from hwdesk.services import consent, scheduling, terminations
from hwdesk.services.context import SYSTEM

CLERK = {"takamatsu": "clerk1", "shibuya": "clerk1_shi", "maebashi": "clerk1_mae"}
SUPER = {"takamatsu": "super1", "shibuya": "super1_shi", "maebashi": "super1_mae"}


def at(day: str, hm: str) -> datetime:
    """An aware JST datetime (2027-02-02 is a Tuesday; 02-03 Wed, 02-04 Thu)."""
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def ready_seeker(store, actors, office: str, *, service: str = "seminar", **kw):
    """A seeker who meets every condition of ``office``'s terms for ``service``."""
    sk = new_seeker(store, actors[CLERK[office]], office_id=office, **kw)
    make_ready(store, actors[CLERK[office]], sk.id, office, service=service, approve_by=actors[SUPER[office]])
    return sk


def make_session(
    store,
    actors,
    office: str = "takamatsu",
    kind: str = "counseling",
    day: str = "2027-02-02",
    start: str = "10:00",
    end: str = "10:45",
    staff: str | None = None,
    **kw,
):
    """Create a session as the office's clerk."""
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors[CLERK[office]],
            office_id=office,
            kind=kind,
            start=at(day, start),
            end=at(day, end),
            staff_login=staff or CLERK[office],
            **kw,
        )


def book(store, actor, session_id, seeker_id, **kw):
    with store.write() as s:
        return scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id, **kw)


def enrollment_states(store, session_id) -> dict[int, tuple[str, int | None]]:
    with store.read() as s:
        return {
            e.seeker_id: (e.state, e.waitlist_pos)
            for e in s.exec(select(Enrollment).where(Enrollment.session_id == session_id))
        }


# --- creating sessions ------------------------------------------------------------------------


def test_create_session_checks_kind_capacity_platform_url_and_slot(store, actors):
    row = make_session(
        store,
        actors,
        "shibuya",
        "seminar",
        capacity=20,
        platform="teams",
        join_url="https://teams.microsoft.com/l/meetup-join/abc",
        meeting_id="123 456",
        passcode="pass1",
    )
    assert (row.capacity, row.platform, row.state) == (20, "teams", "scheduled")
    assert row.start_at.astimezone(JST) == at("2027-02-02", "10:00")
    refusals = [
        (dict(office="maebashi", kind="counseling"), RuleRefusal, "実施していません"),
        (dict(office="maebashi", kind="seminar"), ValidationFailed, "定員"),
        (dict(office="takamatsu", kind="counseling", capacity=3), ValidationFailed, "1名"),
        (dict(office="maebashi", kind="seminar", capacity=5, platform="teams"), ValidationFailed, "Zoom"),
        (dict(office="takamatsu", kind="counseling", join_url="http://zoom.us/j/1"), ParseError, "https"),
        (
            dict(office="takamatsu", kind="counseling", platform="zoom", join_url="https://teams.microsoft.com/l/x"),
            ParseError,
            "Zoom",
        ),
        (dict(office="takamatsu", kind="counseling", day="2027-02-23"), RuleRefusal, "天皇誕生日"),
        (dict(office="takamatsu", kind="counseling", start="17:00", end="17:45"), RuleRefusal, "開庁時間"),
        (dict(office="takamatsu", kind="counseling", staff="clerk1_shi"), ValidationFailed, "clerk1_shi"),
    ]
    for kw, exc_type, words in refusals:
        with pytest.raises(exc_type) as exc:
            make_session(store, actors, **kw)
        assert words in str(exc.value), (kw, str(exc.value))
    with store.write() as s, pytest.raises(PermissionDenied):
        scheduling.create_session(
            s,
            actor=actors["clerk1_shi"],
            office_id="takamatsu",
            kind="counseling",
            start=at("2027-02-02", "10:00"),
            end=at("2027-02-02", "11:00"),
            staff_login="clerk1",
        )


def test_staff_cannot_hold_two_overlapping_sessions(store, actors):
    first = make_session(store, actors, start="10:00", end="11:00")
    with pytest.raises(RuleRefusal) as exc:
        make_session(store, actors, start="10:30", end="11:30")
    assert "clerk1" in exc.value.message_ja and f"#{first.id}" in exc.value.message_ja
    make_session(store, actors, start="11:00", end="11:45")  # back to back is fine
    make_session(store, actors, start="10:30", end="11:30", staff="super1")  # another staff member
    with store.write() as s:
        scheduling.cancel_session(s, actor=actors["clerk1"], session_id=first.id, reason="by_office")
    make_session(store, actors, start="10:00", end="10:45")  # a cancelled session frees the slot


def test_a_long_session_earlier_in_the_day_still_blocks_the_staff(store, actors):
    """The overlap search looks back one day at most (no session crosses midnight); a session
    from opening to closing still blocks a later slot, and yesterday's never does."""
    allday = make_session(store, actors, start="08:30", end="17:00")
    with pytest.raises(RuleRefusal) as exc:
        make_session(store, actors, start="16:00", end="16:30")
    assert f"#{allday.id}" in exc.value.message_ja
    make_session(store, actors, day="2027-02-03", start="08:30", end="09:00")


def test_series_skips_closed_days_and_lists_them(store, actors):
    with store.write() as s:
        res = scheduling.create_series(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="seminar",
            capacity=10,
            rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=8",
            start=at("2027-02-02", "10:00"),
            end=at("2027-02-02", "11:00"),
            staff_login="clerk1",
        )
    created = [r.start_at.astimezone(JST).date().isoformat() for r in res.created]
    assert created == ["2027-02-02", "2027-02-09", "2027-02-16", "2027-03-02", "2027-03-09", "2027-03-16", "2027-03-23"]
    assert [(k.start.date().isoformat(), "天皇誕生日" in k.reason) for k in res.skipped] == [("2027-02-23", True)]
    with store.read() as s:
        series = s.get(Series, res.series.id)
        stored = json.loads(series.skipped_json)
    assert stored[0]["date"] == "2027-02-23" and "Emperor" in stored[0]["reason_en"]
    assert all(r.series_id == res.series.id for r in res.created)
    # a series where every occurrence falls on a closed day is refused, listing each date
    with store.write() as s, pytest.raises(RuleRefusal) as exc:
        scheduling.create_series(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            rrule="FREQ=WEEKLY;BYDAY=SA;COUNT=3",
            start=at("2027-02-06", "10:00"),
            end=at("2027-02-06", "10:45"),
            staff_login="clerk1",
        )
    assert len(exc.value.failures) == 3 and "土曜日" in exc.value.failures[0].line()
    with store.write() as s, pytest.raises(ValidationFailed):
        scheduling.create_series(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            rrule="FREQ=DAILY",
            start=at("2027-02-02", "10:00"),
            end=at("2027-02-02", "10:45"),
            staff_login="clerk1",
        )


def test_series_skips_when_staff_busy_and_until_in_local_time(store, actors):
    busy = make_session(store, actors, day="2027-02-09", start="10:30", end="11:00")
    with store.write() as s:
        res = scheduling.create_series(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            rrule="FREQ=WEEKLY;BYDAY=TU;UNTIL=20270216T235959",
            start=at("2027-02-02", "10:00"),
            end=at("2027-02-02", "10:45"),
            staff_login="clerk1",
        )
    assert len(res.created) == 2 and f"#{busy.id}" in res.skipped[0].reason


# --- booking ----------------------------------------------------------------------------------


def test_group_capacity_waitlist_offer_and_confirm(store, actors):
    clerk = actors["clerk1"]
    row = make_session(store, actors, kind="seminar", capacity=2, end="11:00")
    a, b, c, d, e = (ready_seeker(store, actors, "takamatsu") for _ in range(5))
    assert book(store, clerk, row.id, a.id).state == "booked"
    assert book(store, clerk, row.id, b.id).state == "booked"
    w1 = book(store, clerk, row.id, c.id)
    w2 = book(store, clerk, row.id, d.id)
    assert (w1.state, w1.waitlist_pos, w2.state, w2.waitlist_pos) == ("waitlisted", 1, "waitlisted", 2)
    with pytest.raises(RuleRefusal) as exc:
        book(store, clerk, row.id, e.id, waitlist=False)
    assert "満席" in exc.value.message_ja
    with pytest.raises(RuleRefusal):
        book(store, clerk, row.id, a.id)  # already booked
    with store.write() as s:
        res = scheduling.cancel_enrollment(
            s, actor=clerk, session_id=row.id, seeker_id=a.id, reason="by_seeker", note="体調不良"
        )
    assert [o.seeker_id for o in res.offered] == [c.id]  # first come, first served
    states = enrollment_states(store, row.id)
    assert states[a.id][0] == "cancelled" and states[c.id][0] == "offered" and states[d.id] == ("waitlisted", 2)
    assert book(store, clerk, row.id, e.id).state == "waitlisted"  # the offered seat is held
    with store.write() as s, pytest.raises(RuleRefusal):
        scheduling.confirm_offer(s, actor=clerk, session_id=row.id, seeker_id=d.id)  # d was not offered
    with store.write() as s:
        assert scheduling.confirm_offer(s, actor=clerk, session_id=row.id, seeker_id=c.id).state == "booked"
    with store.read() as s:
        detail = scheduling.session_detail(s, actor=SYSTEM, session_id=row.id)
    assert detail.seats_taken == 2 == detail.capacity and detail.waiting == 2
    assert [(x.seeker_no, x.waitlist_rank) for x in detail.enrollments if x.state == "waitlisted"] == [
        (d.seeker_no, 1),
        (e.seeker_no, 2),
    ]
    # the offered seat declined → the next one waiting is offered it
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=clerk, session_id=row.id, seeker_id=b.id, reason="connection")
    with store.write() as s:
        res = scheduling.cancel_enrollment(s, actor=clerk, session_id=row.id, seeker_id=d.id, reason="by_seeker")
    assert [o.seeker_id for o in res.offered] == [e.id]
    # a cancelled seeker may book again (the row is reused, not duplicated)
    assert book(store, clerk, row.id, a.id).state == "waitlisted"
    with pytest.raises(ValidationFailed):
        with store.write() as s:
            scheduling.cancel_enrollment(s, actor=clerk, session_id=row.id, seeker_id=a.id, reason="because")


def test_individual_session_takes_one_seeker(store, actors):
    row = make_session(store, actors)
    a, b = (
        ready_seeker(store, actors, "takamatsu", service="counseling"),
        ready_seeker(store, actors, "takamatsu", service="counseling"),
    )
    book(store, actors["clerk1"], row.id, a.id)
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["clerk1"], row.id, b.id)
    assert "個別" in exc.value.message_ja


def test_seeker_cannot_be_in_two_overlapping_sessions(store, actors):
    a = ready_seeker(store, actors, "takamatsu", service="counseling")
    make_ready(store, actors["clerk1"], a.id, "takamatsu", service="seminar")
    first = make_session(store, actors, start="10:00", end="10:45")
    second = make_session(store, actors, kind="seminar", capacity=5, start="10:30", end="11:30", staff="super1")
    later = make_session(store, actors, kind="seminar", capacity=5, start="10:45", end="11:30", staff="admin1")
    book(store, actors["clerk1"], first.id, a.id)
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["clerk1"], second.id, a.id)
    assert f"#{first.id}" in exc.value.message_ja
    book(store, actors["clerk1"], later.id, a.id)  # starts when the first ends
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=actors["clerk1"], session_id=first.id, seeker_id=a.id, reason="by_seeker")
    with pytest.raises(RuleRefusal):
        book(store, actors["clerk1"], second.id, a.id)  # still overlaps `later`
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=actors["clerk1"], session_id=later.id, seeker_id=a.id, reason="by_seeker")
    assert book(store, actors["clerk1"], second.id, a.id).state == "booked"


def test_eligibility_refusal_lists_each_failed_requirement_with_article(store, actors):
    row = make_session(store, actors)
    sk = new_seeker(store, actors["clerk1"], registered=False, webcam=False)
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["clerk1"], row.id, sk.id)
    failed = {f.key: f.cite for f in exc.value.failures}
    assert failed == {
        "consent": "第2条(1)",
        "registration": "第2条(2)",
        "registration_valid": "第2条(2)",
        "webcam": "第2条(3)",
        "environment": "第5条",
        "private_room": "第12条(3)",
    }
    assert "ハローワーク高松" in exc.value.message_ja and "第2条(2)" in exc.value.message_ja
    assert all("第" in f.line("ハローワーク高松") for f in exc.value.failures)
    assert enrollment_states(store, row.id) == {}


def test_override_never_lifts_a_condition_of_use(store, actors):
    """Issue 15 (1): a supervisor's override does not book a seeker who fails a condition of use;
    the refusal lists each failed condition with its article (JA and EN)."""
    row = make_session(store, actors, "shibuya")
    sk = ready_seeker(store, actors, "shibuya", service="seminar")  # no counseling approval (渋谷 第1条(4))
    bare = new_seeker(store, actors["clerk1_shi"], office_id="shibuya", registered=False, webcam=False)
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["super1_shi"], row.id, sk.id, override_reason="継続支援のため所長了承")
    assert [(f.key, f.cite) for f in exc.value.failures] == [("approval", "第1条(4)")]
    assert "例外承認では外せません" in exc.value.message_ja and "never lifts a condition" in exc.value.message_en
    assert "conditions of use (Art. 1 item 4)." in exc.value.message_en
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["super1_shi"], row.id, bare.id, override_reason="所長了承")
    assert [(f.key, f.cite) for f in exc.value.failures] == [
        ("consent", "第1条(1)"),
        ("registration", "第1条(3)"),
        ("registration_valid", "第1条(3)"),
        ("webcam", "第1条(2)"),
        ("environment", "第3条"),
        ("private_room", "第6条(2)"),
        ("approval", "第1条(4)"),
    ]
    lines_en = [f.line("Hello Work Shibuya", "en") for f in exc.value.failures]
    assert (
        lines_en[0]
        == "✘ Consent to the terms (Hello Work Shibuya Art. 1 item 1): No consent (application) is recorded."
    )
    assert enrollment_states(store, row.id) == {}


def test_override_lifts_capacity_only_for_a_supervisor(store, actors):
    """An override may lift an operational check: a full group session books over capacity."""
    row = make_session(store, actors, kind="seminar", capacity=1, end="11:00")
    first, second, third = (ready_seeker(store, actors, "takamatsu") for _ in range(3))
    assert book(store, actors["clerk1"], row.id, first.id).state == "booked"
    with pytest.raises(PermissionDenied):
        book(store, actors["clerk1"], row.id, second.id, override_reason="所長了承")
    e = book(store, actors["super1"], row.id, second.id, override_reason="所長了承 会場の席を追加")
    assert (e.state, e.override_reason, e.override_by) == ("booked", "所長了承 会場の席を追加", actors["super1"].id)
    assert book(store, actors["clerk1"], row.id, third.id).state == "waitlisted"  # no override: the waitlist
    with store.read() as s:
        detail = scheduling.session_detail(s, actor=SYSTEM, session_id=row.id)
        log = s.exec(select(AuditLog).where(AuditLog.action == "enrollment.book")).all()[-1]
    assert [(o.seeker_no, o.override_by) for o in detail.overrides] == [(second.seeker_no, "super1")]
    assert json.loads(log.detail_json)["override"] == {"reason": "所長了承 会場の席を追加", "lifted": ["capacity"]}


def test_termination_cannot_be_overridden(store, actors):
    row = make_session(store, actors, kind="seminar", capacity=5, end="11:00")
    sk = ready_seeker(store, actors, "takamatsu")
    with store.write() as s:
        terminations.terminate(
            s,
            actor=actors["super1"],
            seeker_id=sk.id,
            office_id="takamatsu",
            ground="threats_abuse",
            narrative="暴言",
            scope="ended",
        )
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["super1"], row.id, sk.id, override_reason="反省しているため")
    assert [(f.key, f.cite) for f in exc.value.failures] == [("termination", "第12条(1)")]
    assert "例外承認では外せません" in exc.value.message_ja


def test_maebashi_consent_by_use_is_recorded_at_check_in(store, actors):
    """前橋 第1条 "本サービスの利用をもって…同意したものとみなします": the use (check-in), not the booking."""
    row = make_session(store, actors, "maebashi", "seminar", capacity=10, end="11:00")
    sk = new_seeker(store, actors["clerk1_mae"], office_id="maebashi", registered=False, webcam=False)
    make_ready(store, actors["clerk1_mae"], sk.id, "maebashi", service="seminar")  # environment only
    book(store, actors["clerk1_mae"], row.id, sk.id)
    with store.read() as s:
        assert s.exec(select(Consent).where(Consent.seeker_id == sk.id)).first() is None  # booking is not use
    with store.write() as s:
        scheduling.set_state(s, actor=actors["clerk1_mae"], session_id=row.id, seeker_id=sk.id, state="checked_in")
    with store.read() as s:
        c = s.exec(select(Consent).where(Consent.seeker_id == sk.id)).one()
        assert (c.method, c.office_id, c.session_id) == ("deemed_by_use", "maebashi", row.id)
        assert consent.consent_status(s, seeker_id=sk.id, office_id="maebashi").current
        log = s.exec(select(AuditLog).where(AuditLog.action == "consent.record")).all()[-1]
        assert log.seeker_id == sk.id
    second = make_session(store, actors, "maebashi", "tour", capacity=10, day="2027-02-03", end="11:00")
    book(store, actors["clerk1_mae"], second.id, sk.id)
    with store.write() as s:
        scheduling.set_state(s, actor=actors["clerk1_mae"], session_id=second.id, seeker_id=sk.id, state="checked_in")
    with store.read() as s:
        assert len(s.exec(select(Consent).where(Consent.seeker_id == sk.id)).all()) == 1  # already current


def test_takamatsu_online_registrant_switched_on_booking(store, actors):
    row = make_session(store, actors)
    sk = ready_seeker(store, actors, "takamatsu", service="counseling", registration="online")
    shibuya_row = make_session(store, actors, "shibuya", "seminar", capacity=5, end="11:00")
    other = ready_seeker(store, actors, "shibuya", registration="online")
    book(store, actors["clerk1"], row.id, sk.id)
    book(store, actors["clerk1_shi"], shibuya_row.id, other.id)
    with store.read() as s:
        assert (
            s.get(Seeker, sk.id).registration_kind == "office"
            and s.get(Seeker, sk.id).switched_to_office_on is not None
        )
        assert s.get(Seeker, other.id).registration_kind == "online"  # 渋谷 第1条(3) keeps online registration
        assert s.exec(select(AuditLog).where(AuditLog.action == "seeker.registration_switch")).one().seeker_id == sk.id


# --- cancel and reschedule --------------------------------------------------------------------


def test_cancel_session_needs_reason_and_cancels_bookings(store, actors):
    row = make_session(store, actors, kind="seminar", capacity=1, end="11:00")
    a, b = ready_seeker(store, actors, "takamatsu"), ready_seeker(store, actors, "takamatsu")
    book(store, actors["clerk1"], row.id, a.id)
    book(store, actors["clerk1"], row.id, b.id)
    with store.write() as s, pytest.raises(ValidationFailed):
        scheduling.cancel_session(s, actor=actors["clerk1"], session_id=row.id, reason="")
    with store.write() as s:
        res = scheduling.cancel_session(
            s, actor=actors["clerk1"], session_id=row.id, reason="by_office", note="講師急病"
        )
    assert sorted(e.seeker_id for e in res.enrollments) == sorted([a.id, b.id])
    assert {st for st, _ in enrollment_states(store, row.id).values()} == {"cancelled"}
    with pytest.raises(RuleRefusal):
        book(store, actors["clerk1"], row.id, a.id)
    with store.write() as s, pytest.raises(NotFound):
        scheduling.cancel_session(s, actor=actors["clerk1"], session_id=99999, reason="by_office")


def test_reschedule_links_new_session_and_moves_bookings(store, actors):
    row = make_session(store, actors, kind="seminar", capacity=1, end="11:00", passcode="9876")
    a, b = ready_seeker(store, actors, "takamatsu"), ready_seeker(store, actors, "takamatsu")
    book(store, actors["clerk1"], row.id, a.id)
    book(store, actors["clerk1"], row.id, b.id)
    with store.write() as s:
        new = scheduling.reschedule(
            s,
            actor=actors["clerk1"],
            session_id=row.id,
            new_start=at("2027-02-04", "14:00"),
            new_end=at("2027-02-04", "15:00"),
            note="会場都合",
        )
    assert new.rescheduled_from_id == row.id and new.passcode == "9876" and new.capacity == 1
    assert enrollment_states(store, new.id) == {a.id: ("booked", None), b.id: ("waitlisted", 1)}
    with store.read() as s:
        old = scheduling.session_detail(s, actor=SYSTEM, session_id=row.id)
        assert old.state == "cancelled" and old.rescheduled_to_id == new.id and f"#{new.id}" in old.cancel_note
    with store.write() as s, pytest.raises(RuleRefusal):  # already cancelled
        scheduling.reschedule(
            s,
            actor=actors["clerk1"],
            session_id=row.id,
            new_start=at("2027-02-05", "14:00"),
            new_end=at("2027-02-05", "15:00"),
        )


def test_reschedule_rechecks_each_seekers_time(store, actors):
    row = make_session(store, actors, kind="seminar", capacity=3, end="11:00")
    a = ready_seeker(store, actors, "takamatsu")
    make_ready(store, actors["clerk1"], a.id, "takamatsu", service="counseling")
    book(store, actors["clerk1"], row.id, a.id)
    other = make_session(store, actors, day="2027-02-04", start="14:00", end="14:45", staff="super1")
    book(store, actors["clerk1"], other.id, a.id)
    with store.write() as s, pytest.raises(RuleRefusal) as exc:
        scheduling.reschedule(
            s,
            actor=actors["clerk1"],
            session_id=row.id,
            new_start=at("2027-02-04", "14:00"),
            new_end=at("2027-02-04", "15:00"),
        )
    assert a.seeker_no in exc.value.failures[0].line() and f"#{other.id}" in exc.value.failures[0].line()
    with store.read() as s:
        assert scheduling.get_session(s, row.id).state == "scheduled"  # nothing moved


# --- status paths -----------------------------------------------------------------------------


def _state(store, session_id):
    with store.read() as s:
        return scheduling.get_session(s, session_id).state


def set_state(store, actor, session_id, state, **kw):
    with store.write() as s:
        return scheduling.set_state(s, actor=actor, session_id=session_id, state=state, **kw)


def test_individual_status_path(store, actors):
    clerk = actors["clerk1"]
    row = make_session(store, actors)
    sk = ready_seeker(store, actors, "takamatsu", service="counseling")
    with pytest.raises(RuleRefusal):
        set_state(store, clerk, row.id, "in_progress")  # nobody booked
    book(store, clerk, row.id, sk.id)
    with pytest.raises(RuleRefusal) as exc:
        set_state(store, clerk, row.id, "completed")
    assert "予定" in exc.value.message_ja and "完了" in exc.value.message_ja and "実施中" in exc.value.message_ja
    set_state(store, clerk, row.id, "in_progress")
    assert enrollment_states(store, row.id)[sk.id][0] == "checked_in"
    with pytest.raises(RuleRefusal):
        set_state(store, clerk, row.id, "cancelled", reason="by_office")  # in progress: stop it instead
    with pytest.raises(RuleRefusal):
        set_state(store, clerk, row.id, "no_show", now=at("2027-02-02", "10:30"))
    set_state(store, clerk, row.id, "completed")
    assert _state(store, row.id) == "completed" and enrollment_states(store, row.id)[sk.id][0] == "completed"
    with pytest.raises(RuleRefusal) as exc:
        set_state(store, clerk, row.id, "in_progress")
    assert "確定" in exc.value.message_ja or "なし" in exc.value.message_ja
    with pytest.raises(ValidationFailed):
        set_state(store, clerk, row.id, "finished")


def test_no_show_only_after_start_and_kinds_kept_apart(store, actors):
    clerk = actors["clerk1"]
    one, two = (
        make_session(store, actors, start="10:00", end="10:45"),
        make_session(store, actors, start="11:00", end="11:45"),
    )
    a, b = (
        ready_seeker(store, actors, "takamatsu", service="counseling"),
        ready_seeker(store, actors, "takamatsu", service="counseling"),
    )
    book(store, clerk, one.id, a.id)
    book(store, clerk, two.id, b.id)
    with pytest.raises(RuleRefusal) as exc:
        set_state(store, clerk, one.id, "no_show", now=at("2027-02-02", "09:59"))
    assert "開始時刻" in exc.value.message_ja and "10:00" in exc.value.message_ja
    set_state(store, clerk, one.id, "absent", now=at("2027-02-02", "10:10"))
    set_state(store, clerk, two.id, "no_show", no_show_kind="connection_failed", now=at("2027-02-02", "11:05"))
    assert _state(store, one.id) == _state(store, two.id) == "no_show"
    assert enrollment_states(store, one.id)[a.id][0] == "absent"
    assert enrollment_states(store, two.id)[b.id][0] == "connection_failed"


def test_cancelled_session_is_never_a_no_show(store, actors):
    row = make_session(store, actors)
    sk = ready_seeker(store, actors, "takamatsu", service="counseling")
    book(store, actors["clerk1"], row.id, sk.id)
    set_state(store, actors["clerk1"], row.id, "cancelled", reason="by_seeker")
    with pytest.raises(RuleRefusal) as exc:
        set_state(store, actors["clerk1"], row.id, "no_show", now=at("2027-02-02", "12:00"))
    assert "キャンセルされたセッション" in exc.value.message_ja and "never a no-show" in exc.value.message_en
    assert enrollment_states(store, row.id)[sk.id] == ("cancelled", None)


def test_in_progress_can_be_stopped(store, actors):
    row = make_session(store, actors)
    sk = ready_seeker(store, actors, "takamatsu", service="counseling")
    book(store, actors["clerk1"], row.id, sk.id)
    with pytest.raises(RuleRefusal):
        set_state(store, actors["clerk1"], row.id, "stopped")
    set_state(store, actors["clerk1"], row.id, "checked_in")
    set_state(store, actors["clerk1"], row.id, "stopped")
    assert _state(store, row.id) == "stopped" and enrollment_states(store, row.id)[sk.id][0] == "stopped"


def test_group_status_per_enrollment(store, actors):
    clerk = actors["clerk1"]
    row = make_session(store, actors, kind="seminar", capacity=3, end="11:00")
    a, b, c, d = (ready_seeker(store, actors, "takamatsu") for _ in range(4))
    for sk in (a, b, c, d):
        book(store, clerk, row.id, sk.id)
    with pytest.raises(RuleRefusal):
        set_state(store, clerk, row.id, "absent", seeker_id=b.id, now=at("2027-02-02", "09:50"))
    set_state(store, clerk, row.id, "checked_in", seeker_id=a.id)  # the first check-in starts the session
    assert _state(store, row.id) == "in_progress"
    set_state(store, clerk, row.id, "connection_failed", seeker_id=b.id, now=at("2027-02-02", "10:05"))
    with pytest.raises(RuleRefusal):
        set_state(store, clerk, row.id, "completed", seeker_id=b.id)  # connection_failed is final
    with pytest.raises(RuleRefusal):
        set_state(store, clerk, row.id, "no_show", now=at("2027-02-02", "10:05"))  # someone checked in
    set_state(store, clerk, row.id, "completed")
    states = enrollment_states(store, row.id)
    assert (states[a.id][0], states[b.id][0], states[c.id][0], states[d.id][0]) == (
        "completed",
        "connection_failed",
        "absent",
        "cancelled",
    )


def test_group_no_show_and_stop(store, actors):
    clerk = actors["clerk1"]
    nobody = make_session(store, actors, kind="seminar", capacity=3, end="11:00")
    with pytest.raises(RuleRefusal) as exc:
        set_state(store, clerk, nobody.id, "no_show", now=at("2027-02-02", "10:30"))
    assert "キャンセル" in exc.value.message_ja
    row = make_session(store, actors, kind="seminar", capacity=3, start="13:00", end="14:00")
    a, b = ready_seeker(store, actors, "takamatsu"), ready_seeker(store, actors, "takamatsu")
    book(store, clerk, row.id, a.id)
    book(store, clerk, row.id, b.id)
    set_state(store, clerk, row.id, "no_show", no_show_kind="connection_failed", now=at("2027-02-02", "13:20"))
    assert {st for st, _ in enrollment_states(store, row.id).values()} == {"connection_failed"}
    third = make_session(store, actors, kind="seminar", capacity=3, start="15:00", end="16:00")
    book(store, clerk, third.id, a.id)
    book(store, clerk, third.id, b.id)
    set_state(store, clerk, third.id, "in_progress")
    set_state(store, clerk, third.id, "checked_in", seeker_id=a.id)
    set_state(store, clerk, third.id, "stopped")
    states = enrollment_states(store, third.id)
    assert (states[a.id][0], states[b.id][0]) == ("stopped", "cancelled")
    with store.read() as s:
        assert scheduling.allowed_moves(s, session_id=third.id) == []


# --- passcodes and offices --------------------------------------------------------------------


def test_passcode_view_is_audited_without_the_passcode(store, actors):
    row = make_session(store, actors, passcode="SECRET-4242", meeting_id="111 222 333")
    with store.write() as s:
        assert scheduling.session_passcode(s, actor=actors["clerk1"], session_id=row.id) == "SECRET-4242"
    with store.write() as s, pytest.raises(PermissionDenied):
        scheduling.session_passcode(s, actor=actors["clerk1_shi"], session_id=row.id)
    with store.read() as s:
        rows = s.exec(select(AuditLog)).all()
        views = [r for r in rows if r.action == "session.passcode_view"]
        detail = scheduling.session_detail(s, actor=SYSTEM, session_id=row.id)
    assert len(views) == 1 and views[0].staff_id == actors["clerk1"].id
    assert all("SECRET-4242" not in r.detail_json for r in rows)
    assert detail.has_passcode and not hasattr(detail, "passcode")


def test_other_office_staff_cannot_book(store, actors):
    row = make_session(store, actors)
    sk = ready_seeker(store, actors, "takamatsu", service="counseling")
    with pytest.raises(PermissionDenied):
        book(store, actors["clerk1_mae"], row.id, sk.id)


def test_future_bookings_lists_live_bookings(store, actors):
    row = make_session(store, actors)
    sk = ready_seeker(store, actors, "takamatsu", service="counseling")
    book(store, actors["clerk1"], row.id, sk.id)
    with store.read() as s:
        found = scheduling.future_bookings(s, actor=SYSTEM, seeker_id=sk.id, after=at("2027-01-01", "09:00"))
        none = scheduling.future_bookings(
            s, actor=SYSTEM, seeker_id=sk.id, after=at("2027-02-02", "10:00") + timedelta(minutes=1)
        )
    assert [(b.session_id, b.enrollment_state) for b in found] == [(row.id, "booked")] and none == []


def test_sessions_of_seeker_lists_past_and_upcoming(store, actors):
    """The seeker detail shows every session, past and upcoming, newest first."""
    from datetime import datetime, timedelta

    from helpers import new_seeker

    from hwdesk.clock import JST
    from hwdesk.models import Enrollment
    from hwdesk.models import Session as SessionRow
    from hwdesk.services.scheduling import sessions_of_seeker

    a = actors["clerk1"]
    sk = new_seeker(store, a, birth="1977-07-07")
    with store.write() as s:
        for day, state in (
            (datetime(2025, 6, 3, 10, tzinfo=JST), "completed"),
            (datetime(2027, 2, 2, 10, tzinfo=JST), "booked"),
        ):
            srow = SessionRow(
                office_id="takamatsu",
                kind="counseling",
                start_at=day,
                end_at=day + timedelta(hours=1),
                staff_id=a.id,
                state="completed" if state == "completed" else "scheduled",
            )
            s.add(srow)
            s.flush()
            s.add(Enrollment(session_id=srow.id, seeker_id=sk.id, state=state))
    with store.read() as s:
        rows = sessions_of_seeker(s, actor=SYSTEM, seeker_id=sk.id)
    assert [r.enrollment_state for r in rows] == ["booked", "completed"]
    assert rows[0].start.year == 2027 and rows[1].start.year == 2025
