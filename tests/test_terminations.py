"""Stopping a seeker's use: grounds from each office's terms, blocking, lifting — on both backends."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, RuleRefusal, ValidationFailed
from hwdesk.models import AuditLog, Enrollment
from hwdesk.services import consent, scheduling, terminations
from hwdesk.services.context import SYSTEM

CLERK = {"takamatsu": "clerk1", "shibuya": "clerk1_shi", "maebashi": "clerk1_mae"}
SUPER = {"takamatsu": "super1", "shibuya": "super1_shi", "maebashi": "super1_mae"}


def at(day: str, hm: str) -> datetime:
    """Aware JST (2027-02-02 is a Tuesday)."""
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def ready_seeker(store, actors, office: str, service: str = "seminar"):
    """A seeker meeting every condition of the office's terms."""
    sk = new_seeker(store, actors[CLERK[office]], office_id=office)
    make_ready(store, actors[CLERK[office]], sk.id, office, service=service, approve_by=actors[SUPER[office]])
    return sk


def seminar(store, actors, office: str, day: str = "2027-02-02", start: str = "10:00", end: str = "11:00"):
    """A group session with room to spare."""
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors[CLERK[office]],
            office_id=office,
            kind="seminar",
            capacity=10,
            start=at(day, start),
            end=at(day, end),
            staff_login=CLERK[office],
        )


def book(store, actor, session_id, seeker_id):
    with store.write() as s:
        return scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id)


def terminate(store, actor, **kw):
    with store.write() as s:
        return terminations.terminate(s, actor=actor, **kw)


def test_suspension_blocks_booking_and_lifting_unblocks(store, actors):
    row = seminar(store, actors, "takamatsu")
    sk = ready_seeker(store, actors, "takamatsu")
    res = terminate(
        store,
        actors["super1"],
        seeker_id=sk.id,
        office_id="takamatsu",
        ground="threats_abuse",
        narrative="相談中に職員へ暴言。",
        scope="suspended",
        until=date(2027, 2, 15),
        review_on=date(2027, 2, 10),
    )
    assert res.termination.cite == "第12条(1)" and not res.agreement_ended
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["clerk1"], row.id, sk.id)
    assert [(f.key, f.cite) for f in exc.value.failures] == [("termination", "第12条(1)")]
    assert "2027-02-15" in exc.value.failures[0].detail_en
    later = seminar(store, actors, "takamatsu", day="2027-02-16")
    assert book(store, actors["clerk1"], later.id, sk.id).state == "booked"  # after the suspension ends
    with store.write() as s:
        terminations.lift(s, actor=actors["super1"], termination_id=res.termination.id, reason="面談のうえ解除")
    assert book(store, actors["clerk1"], row.id, sk.id).state == "booked"
    with store.read() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.action.like("termination.%")))]
        t = terminations.terminations_of(s, actor=SYSTEM, seeker_id=sk.id)[0]
    assert actions == ["termination.decide", "termination.lift"]
    assert t.lift_reason == "面談のうえ解除" and t.lifted_by == actors["super1"].id


def test_clerk_can_neither_terminate_nor_lift(store, actors):
    sk = ready_seeker(store, actors, "takamatsu")
    with pytest.raises(PermissionDenied):
        terminate(
            store,
            actors["clerk1"],
            seeker_id=sk.id,
            office_id="takamatsu",
            ground="disturbing",
            narrative="録画",
            scope="ended",
        )
    res = terminate(
        store,
        actors["super1"],
        seeker_id=sk.id,
        office_id="takamatsu",
        ground="disturbing",
        narrative="録画",
        scope="ended",
    )
    assert res.termination.cite == "第12条(1)"
    with store.write() as s, pytest.raises(PermissionDenied):
        terminations.lift(s, actor=actors["clerk1"], termination_id=res.termination.id, reason="誤り")
    with store.write() as s, pytest.raises(PermissionDenied):
        terminations.lift(s, actor=actors["super1_shi"], termination_id=res.termination.id, reason="他所")


def test_grounds_cite_each_offices_own_article(store, actors):
    with store.read() as s:
        assert terminations.ground_cite(s, office_id="shibuya", ground="recording") == "第4条第3項"
        assert terminations.ground_cite(s, office_id="maebashi", ground="recording") == "第4条第4項"
        assert terminations.ground_cite(s, office_id="maebashi", ground="non_job_seeking") == "第6条(7)"
        assert (
            terminations.ground_cite(s, office_id="takamatsu", ground="unannounced_companion") == "第12条(3)・第12条(1)"
        )
        assert (
            terminations.ground_cite(s, office_id="shibuya", ground="unannounced_companion") == "第6条(2)・第9条第2項"
        )
        with pytest.raises(RuleRefusal) as exc:
            terminations.ground_cite(s, office_id="takamatsu", ground="infringement")
        assert "ハローワーク高松" in exc.value.message_ja and "第12条(1)" in exc.value.message_ja
        grounds = [g for g, *_ in terminations.available_grounds(s, office_id="takamatsu")]
        labelled = {g: (ja, cite) for g, ja, _, cite in terminations.available_grounds(s, office_id="maebashi")}
        shibuya = {g: (ja, cite) for g, ja, _, cite in terminations.available_grounds(s, office_id="shibuya")}
        takamatsu = {g: (ja, cite) for g, ja, _, cite in terminations.available_grounds(s, office_id="takamatsu")}
    assert "infringement" not in grounds and "unannounced_companion" in grounds
    # 高松: only 第12条(1)'s own grounds — no general breach, and 第12条(2) (the ban) is no power to stop
    assert "other" not in grounds and "recording" not in grounds
    assert takamatsu["threats_abuse"] == ("脅迫や暴言", "第12条(1)")
    # 前橋/渋谷 in their own words, citing their own articles
    assert labelled["threats_abuse"] == ("他の利用者に不快感を与える行為", "第6条(2)")
    assert shibuya["threats_abuse"] == ("他の利用者に不快感を与える行為", "第7条(2)")
    assert shibuya["other"] == ("本規約に違反したとハローワークが判断した場合", "第9条第2項")


def test_scope_validation(store, actors):
    sk = ready_seeker(store, actors, "shibuya")
    base = dict(seeker_id=sk.id, office_id="shibuya", ground="other", narrative="規約違反")
    for kw in (
        dict(scope="suspended"),
        dict(scope="suspended", until=date(2020, 1, 1)),
        dict(scope="session"),
        dict(scope="ended", until=date(2027, 5, 1)),
        dict(scope="forever"),
        dict(scope="ended", narrative=" "),
    ):
        with pytest.raises(ValidationFailed):
            terminate(store, actors["super1_shi"], **{**base, **kw})


def test_shibuya_ended_cancels_agreement_until_consent_again(store, actors):
    row = seminar(store, actors, "shibuya")
    sk = ready_seeker(store, actors, "shibuya")
    book(store, actors["clerk1_shi"], row.id, sk.id)
    res = terminate(
        store,
        actors["super1_shi"],
        seeker_id=sk.id,
        office_id="shibuya",
        ground="recording",
        narrative="セミナーを録画していた。",
        scope="ended",
    )
    assert res.agreement_ended and res.termination.cite == "第4条第3項"
    assert [b.session_id for b in res.future_bookings] == [row.id]  # for the clerk to cancel with notice
    with store.read() as s:
        log = s.exec(select(AuditLog).where(AuditLog.action == "termination.decide")).one()
    assert json.loads(log.detail_json)["agreement_cancelled"] is True
    assert json.loads(log.detail_json)["agreement_cite"] == "第9条第2項"
    with store.write() as s:
        terminations.lift(
            s, actor=actors["super1_shi"], termination_id=res.termination.id, reason="再申込みの意思を確認"
        )
    later = seminar(store, actors, "shibuya", day="2027-02-03")
    with pytest.raises(RuleRefusal) as exc:
        book(store, actors["clerk1_shi"], later.id, sk.id)
    assert [(f.key, f.cite) for f in exc.value.failures] == [("agreement", "第9条第2項")]
    with pytest.raises(RuleRefusal):  # a supervisor cannot override a cancelled agreement either
        with store.write() as s:
            scheduling.book(s, actor=actors["super1_shi"], session_id=later.id, seeker_id=sk.id, override_reason="例外")
    with store.write() as s:
        consent.record_consent(s, actor=actors["clerk1_shi"], seeker_id=sk.id, office_id="shibuya")
    assert book(store, actors["clerk1_shi"], later.id, sk.id).state == "booked"


def test_maebashi_ended_does_not_cancel_agreement(store, actors):
    sk = ready_seeker(store, actors, "maebashi")
    res = terminate(
        store,
        actors["super1_mae"],
        seeker_id=sk.id,
        office_id="maebashi",
        ground="disturbing",
        narrative="他の参加者の発言を妨害",
        scope="ended",
    )
    assert not res.agreement_ended and res.termination.cite == "第6条(4)"
    with store.write() as s:
        terminations.lift(s, actor=actors["super1_mae"], termination_id=res.termination.id, reason="解除")
    assert book(store, actors["clerk1_mae"], seminar(store, actors, "maebashi").id, sk.id).state == "booked"


def test_unannounced_companion_ground_stops_the_session(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    with store.write() as s:
        row = scheduling.create_session(
            s,
            actor=clerk,
            office_id="takamatsu",
            kind="counseling",
            start=at("2027-02-02", "10:00"),
            end=at("2027-02-02", "10:45"),
            staff_login="clerk1",
        )
    sk = ready_seeker(store, actors, "takamatsu", service="counseling")
    book(store, clerk, row.id, sk.id)
    with store.write() as s:
        scheduling.set_state(s, actor=clerk, session_id=row.id, state="in_progress")
    base = dict(
        seeker_id=sk.id,
        office_id="takamatsu",
        ground="unannounced_companion",
        narrative="画面外に同席者",
        scope="session",
        session_id=row.id,
    )
    with pytest.raises(ValidationFailed):
        terminate(store, sup, **base)  # nothing recorded yet
    with store.write() as s:
        consent.record_companion(
            s, actor=clerk, seeker_id=sk.id, office_id="takamatsu", kind="other", session_id=row.id, unannounced=True
        )
    res = terminate(store, sup, **base)
    assert res.termination.cite == "第12条(3)・第12条(1)" and res.future_bookings == []
    with store.read() as s:
        assert scheduling.get_session(s, row.id).state == "stopped"
        assert s.exec(select(Enrollment).where(Enrollment.session_id == row.id)).one().state == "stopped"
    # a session-only stop does not block later bookings
    later = seminar(store, actors, "takamatsu", day="2027-02-03")
    make_ready(store, clerk, sk.id, "takamatsu", service="seminar")
    assert book(store, clerk, later.id, sk.id).state == "booked"
