"""Every rule of every office's terms, on SQLite and on PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.errors import ValidationFailed
from hwdesk.models import AuditLog, Staff
from hwdesk.services import consent, eligibility, seekers
from hwdesk.services.offices import add_terms_version, terms_in_force
from hwdesk.terms import shipped_terms


def _check(store, seeker_id, office, service, on=None):
    with store.read() as s:
        return {r.key: r for r in eligibility.check(s, seeker_id=seeker_id, office_id=office, service=service, on=on)}


# --- 前橋: consent deemed by use, no registration/webcam/approval asked ----------------------------


def test_maebashi_asks_no_prior_consent_registration_or_webcam(store, actors):
    a = actors["clerk1_mae"]
    sk = new_seeker(store, a, office_id="maebashi", registered=False, webcam=False)
    make_ready(store, a, sk.id, "maebashi", service="seminar")
    reqs = _check(store, sk.id, "maebashi", "seminar")
    assert all(r.ok for r in reqs.values()), [r.line("前橋") for r in reqs.values() if not r.ok]
    assert "registration" not in reqs and "webcam" not in reqs and "approval" not in reqs
    assert reqs["consent"].cite == "第1条"
    assert "みなされます" in reqs["consent"].detail


def test_maebashi_offers_no_counseling(store, actors):
    a = actors["clerk1_mae"]
    sk = new_seeker(store, a, office_id="maebashi")
    reqs = _check(store, sk.id, "maebashi", "counseling")
    assert not reqs["service"].ok


def test_maebashi_refuses_consent_by_application_only_when_office_says_by_use(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    with store.write() as s, pytest.raises(ValidationFailed) as exc:
        consent.record_consent(s, actor=a, seeker_id=sk.id, office_id="takamatsu", method="deemed_by_use")
    assert "第2条(1)" in exc.value.message_ja


# --- 渋谷: application, registration, webcam, approval for individual counseling -------------------


def test_shibuya_counseling_needs_each_condition_with_its_article(store, actors):
    a = actors["clerk1_shi"]
    sk = new_seeker(store, a, office_id="shibuya", registered=False, webcam=False)
    reqs = _check(store, sk.id, "shibuya", "counseling")
    failed = {k: r.cite for k, r in reqs.items() if not r.ok}
    assert failed == {
        "consent": "第1条(1)",
        "registration": "第1条(3)",
        "registration_valid": "第1条(3)",
        "webcam": "第1条(2)",
        "environment": "第3条",
        "private_room": "第6条(2)",
        "approval": "第1条(4)",
    }


def test_shibuya_seminar_needs_no_approval(store, actors):
    a = actors["clerk1_shi"]
    sk = new_seeker(store, a, office_id="shibuya")
    make_ready(store, a, sk.id, "shibuya", service="seminar")
    reqs = _check(store, sk.id, "shibuya", "seminar")
    assert "approval" not in reqs
    assert all(r.ok for r in reqs.values())


def test_shibuya_counseling_ready_after_approval(store, actors):
    a = actors["clerk1_shi"]
    sk = new_seeker(store, a, office_id="shibuya")
    make_ready(store, a, sk.id, "shibuya", service="counseling", approve_by=actors["super1_shi"])
    assert all(r.ok for r in _check(store, sk.id, "shibuya", "counseling").values())


def test_approval_names_who_recognized_the_need(store, actors):
    """渋谷 第1条(4): the office recognizes the need; the clerk may record it for a colleague of the
    same office (an active one), never for another office's staff."""
    clerk = actors["clerk1_shi"]
    sk = new_seeker(store, clerk, office_id="shibuya")
    with store.write() as s:
        mine = consent.record_approval(s, actor=clerk, seeker_id=sk.id, office_id="shibuya")
        theirs = consent.record_approval(
            s, actor=clerk, seeker_id=sk.id, office_id="shibuya", recognized_by=actors["super1_shi"].id
        )
        assert (mine.recognized_by, theirs.recognized_by) == (clerk.id, actors["super1_shi"].id)
        assert [login for _, _, login in consent.recognizers(s, office_id="shibuya")] == [
            "admin1_shi",
            "clerk1_shi",
            "super1_shi",
        ]
    for other in (actors["super1"].id, 10_000):  # another office's supervisor; nobody
        with store.write() as s, pytest.raises(ValidationFailed, match="第1条") as exc:
            consent.record_approval(s, actor=clerk, seeker_id=sk.id, office_id="shibuya", recognized_by=other)
        assert exc.value.field == "recognized_by" and "staff member of" in exc.value.message_en
    with store.write() as s:
        s.get(Staff, actors["admin1_shi"].id).active = False
    with store.write() as s, pytest.raises(ValidationFailed, match="在籍職員"):
        consent.record_approval(
            s, actor=clerk, seeker_id=sk.id, office_id="shibuya", recognized_by=actors["admin1_shi"].id
        )
    with store.read() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "approval.record").order_by(AuditLog.id)).all()
        assert [(r.staff_id, json.loads(r.detail_json)["after"]["recognized_by"]) for r in rows] == [
            (clerk.id, clerk.id),
            (clerk.id, actors["super1_shi"].id),
        ]


def test_approval_only_where_the_terms_ask_for_it(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    with store.write() as s, pytest.raises(ValidationFailed):
        consent.record_approval(s, actor=a, seeker_id=sk.id, office_id="takamatsu", service="counseling")


# --- 高松: application, registration (online switches), webcam ------------------------------------


def test_takamatsu_conditions_and_articles(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a, registered=False, webcam=False)
    reqs = _check(store, sk.id, "takamatsu", "counseling")
    failed = {k: r.cite for k, r in reqs.items() if not r.ok}
    assert failed == {
        "consent": "第2条(1)",
        "registration": "第2条(2)",
        "registration_valid": "第2条(2)",
        "webcam": "第2条(3)",
        "environment": "第5条",
        "private_room": "第12条(3)",
    }
    assert "approval" not in reqs


def test_takamatsu_online_registrant_is_told_of_the_switch(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a, registration="online")
    make_ready(store, a, sk.id, "takamatsu")
    reqs = _check(store, sk.id, "takamatsu", "counseling")
    assert reqs["registration"].ok
    assert "切り替わります" in reqs["registration"].detail
    with store.write() as s:
        after = seekers.switch_to_office_registration(s, actor=a, seeker_id=sk.id, on=date(2026, 1, 5))
    assert after.registration_kind == "office" and after.switched_to_office_on == date(2026, 1, 5)


def test_failed_environment_item_blocks(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    make_ready(store, a, sk.id, "takamatsu", env_ok=False)
    reqs = _check(store, sk.id, "takamatsu", "counseling")
    assert not reqs["environment"].ok and "満たさない" in reqs["environment"].detail


def test_environment_items_are_the_offices_own(store):
    with store.read() as s:
        mae = consent.env_items(s, "maebashi")
        shi = consent.env_items(s, "shibuya")
        tak = consent.env_items(s, "takamatsu")
    assert [i.cite for i in mae][-1] == "第3条(7)"  # 前橋: private room is an item of 第3条
    assert shi[-1].cite == "第6条(2)" and tak[-1].cite == "第12条(3)"
    assert all(len(x) == 7 for x in (mae, shi, tak))
    assert "有償版相当に限ります" in tak[5].text  # 高松's own wording


def test_environment_check_must_answer_every_item(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    with store.write() as s, pytest.raises(ValidationFailed):
        consent.record_env_check(s, actor=a, seeker_id=sk.id, office_id="takamatsu", answers={"internet": True})


# --- revisions: consent to an older version ------------------------------------------------------


def _revised_doc(office: str, version: int) -> str:
    raw = dict(shipped_terms()[office][-1].raw)
    raw["version"] = version
    raw["effective_on"] = "2027-04-01"
    return json.dumps(raw, ensure_ascii=False)


def test_revision_makes_old_consent_outdated_until_notified(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    make_ready(store, a, sk.id, "takamatsu")
    with store.write() as s:
        tv = add_terms_version(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            text=_revised_doc("takamatsu", 3),
            effective_on=date(2027, 4, 1),
            reason="オンライン会議用アプリの追加",
            ground="user_benefit",
        )
    before = _check(store, sk.id, "takamatsu", "counseling", on=date(2027, 3, 31))
    after = _check(store, sk.id, "takamatsu", "counseling", on=date(2027, 4, 1))
    assert before["consent"].ok
    assert (
        not after["consent"].ok and "令和9年4月1日" in after["consent"].detail and "第13条" in after["consent"].detail
    )
    with store.write() as s:
        consent.record_terms_notice(s, actor=a, seeker_id=sk.id, terms_version_id=tv.id, method="phone")
    assert _check(store, sk.id, "takamatsu", "counseling", on=date(2027, 4, 1))["consent"].ok


def test_only_supervisors_add_revisions(store, actors):
    from hwdesk.errors import PermissionDenied

    with store.write() as s, pytest.raises(PermissionDenied):
        add_terms_version(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            text=_revised_doc("takamatsu", 3),
            effective_on=date(2027, 4, 1),
            reason="x",
        )


def test_terms_in_force_by_date(store):
    with store.read() as s:
        assert terms_in_force(s, "takamatsu", date(2025, 1, 1)).version == 2
        assert terms_in_force(s, "shibuya", date(2025, 1, 1)).effective_on == date(2022, 5, 1)
