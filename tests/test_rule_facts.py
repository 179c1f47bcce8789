"""The batched reads (issue 8) say the same as the one-fact-per-query services they replace:
``eligibility.facts`` (one statement for every rule of an office) and ``load_detail``'s
consent standing per office. On SQLite and on PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import json
from datetime import date

from helpers import make_ready, new_seeker

from hwdesk.services import consent, eligibility, registration, terminations
from hwdesk.services.context import SYSTEM
from hwdesk.services.offices import add_terms_version, terms_in_force
from hwdesk.terms import shipped_terms

OFFICES = ("maebashi", "shibuya", "takamatsu")
SUFFIX = {"maebashi": "_mae", "shibuya": "_shi", "takamatsu": ""}


def _ready_everywhere(store, actors, seeker_id: int) -> None:
    for office in OFFICES:
        make_ready(
            store, actors["clerk1" + SUFFIX[office]], seeker_id, office, approve_by=actors["super1" + SUFFIX[office]]
        )


DAYS = (date(2000, 1, 1), date(2025, 1, 1), date(2027, 3, 31), date(2027, 4, 1), date(2030, 1, 1))


def _one_by_one(s, seeker_id: int, office_id: str, on: date) -> dict:
    """What each rule read before the batching: one service call per fact."""
    from sqlmodel import col, select

    from hwdesk.models import Consent, Seeker, Termination
    from hwdesk.services.offices import profile

    st = consent.consent_status(s, seeker_id=seeker_id, office_id=office_id, on=on)
    env = consent.latest_env_check(s, seeker_id=seeker_id, office_id=office_id)
    approvals = [
        a
        for a in consent.approvals_of(s, seeker_id)
        if a.office_id == office_id and a.service == "counseling" and not a.revoked_at
    ]
    ended = s.exec(
        select(Termination)
        .where(
            Termination.seeker_id == seeker_id,
            Termination.office_id == office_id,
            Termination.scope == "ended",
            col(Termination.lifted_at).is_not(None),
        )
        .order_by(col(Termination.decided_at).desc())
    ).first()
    newer = (
        ended
        and s.exec(
            select(Consent).where(
                Consent.seeker_id == seeker_id, Consent.office_id == office_id, col(Consent.given_at) > ended.decided_at
            )
        ).first()
    )
    sk = s.get(Seeker, seeker_id)
    valid = profile(s, office_id).requirements.get("registration_valid") and sk.registered_on is not None
    until = registration.end_of(s, seeker_id=seeker_id, registered_on=sk.registered_on) if valid else None
    return {
        "in_force": (st.in_force.id, st.in_force.version, st.in_force.effective_on),
        "consent": st.consent is not None,
        "version": st.consented_version,
        "notified": st.notified,
        "current": st.current,
        "env": None if env is None else (json.loads(env.answers_json), env.declared_on),
        "approved": any(a.wishes_continuing for a in approvals) if approvals else None,
        "stopped": eligibility.active_termination(s, seeker_id=seeker_id, office_id=office_id, on=on) is not None,
        "ended": ended is not None and not newer and profile(s, office_id).ends_agreement,
        "valid_on_day": None if until is None else until >= on,
    }


def _batched(s, seeker_id: int, office_id: str, on: date) -> dict:
    f = eligibility.facts(s, seeker_id=seeker_id, office_id=office_id, service="counseling", on=on)
    st = f.status
    return {
        "in_force": (st.in_force.id, st.in_force.version, st.in_force.effective_on),
        "consent": st.consent is not None,
        "version": st.consented_version,
        "notified": st.notified,
        "current": st.current,
        "env": None if f.env is None else (f.env.answers, f.env.declared_on),
        "approved": f.approval_wish,
        "stopped": f.termination is not None,
        "ended": f.agreement_ended is not None,
        "valid_on_day": None if f.registration_until is None else f.registration_until >= on,
    }


def _revise(store, actors, office: str):
    raw = dict(shipped_terms()[office][-1].raw)
    raw["version"] = raw["version"] + 1
    raw["effective_on"] = "2027-04-01"
    with store.write() as s:
        return add_terms_version(
            s,
            actor=actors["super1" + SUFFIX[office]],
            office_id=office,
            text=json.dumps(raw, ensure_ascii=False),
            effective_on=date(2027, 4, 1),
            reason="改訂",
            ground=None if office == "shibuya" else "user_benefit",
        )


def test_facts_match_the_per_rule_reads_in_every_state(store, actors):
    a, sup = actors["clerk1"], actors["super1"]
    blank = new_seeker(store, a)  # nothing recorded
    ready = new_seeker(store, a)
    _ready_everywhere(store, actors, ready.id)
    failed_env = new_seeker(store, a)
    make_ready(store, a, failed_env.id, "takamatsu", env_ok=False)
    stopped = new_seeker(store, a)
    make_ready(store, a, stopped.id, "takamatsu")
    with store.write() as s:
        terminations.terminate(
            s,
            actor=sup,
            seeker_id=stopped.id,
            office_id="takamatsu",
            ground="threats_abuse",
            narrative="暴言",
            scope="ended",
        )
    tv = _revise(store, actors, "takamatsu")
    notified = new_seeker(store, a)
    make_ready(store, a, notified.id, "takamatsu")
    with store.write() as s:
        consent.record_terms_notice(s, actor=a, seeker_id=notified.id, terms_version_id=tv.id, method="phone")
    with store.read() as s:
        for sk in (blank, ready, failed_env, stopped, notified):
            for office in OFFICES:
                for on in DAYS:
                    assert _batched(s, sk.id, office, on) == _one_by_one(s, sk.id, office, on), (sk.id, office, on)
                    assert _batched(s, sk.id, office, on)["in_force"][0] == terms_in_force(s, office, on).id


def test_checklist_lines_follow_the_facts(store, actors):
    """What the readiness panel shows for an outdated consent, then after the notice."""
    a = actors["clerk1"]
    sk = new_seeker(store, a, registered="2026-12-01")
    make_ready(store, a, sk.id, "takamatsu")
    tv = _revise(store, actors, "takamatsu")
    with store.read() as s:
        lines = [
            r.line("高松")
            for r in eligibility.check(
                s, seeker_id=sk.id, office_id="takamatsu", service="counseling", on=date(2027, 4, 1)
            )
        ]
    assert any(x.startswith("✘ 利用規約への同意") and "令和9年4月1日" in x for x in lines), lines
    with store.write() as s:
        consent.record_terms_notice(s, actor=a, seeker_id=sk.id, terms_version_id=tv.id, method="counter")
    with store.read() as s:
        reqs = eligibility.check(s, seeker_id=sk.id, office_id="takamatsu", service="counseling", on=date(2027, 4, 1))
    # Consent is current now; registered today, the registration itself has lapsed by then (docs/rules.md (p)).
    assert [r.line("高松") for r in reqs if not r.ok] == [
        "✘ 求職登録の有効期間内（実施日）（高松 第2条(2)）：求職登録の有効期間は令和9年2月28日までです（原則）。更新を確認してください。"
    ]


def test_detail_consent_rows_match_consent_status(store, actors):
    from screens.data import load_detail

    a = actors["clerk1"]
    sk = new_seeker(store, a)
    _ready_everywhere(store, actors, sk.id)
    tv = _revise(store, actors, "shibuya")
    with store.write() as s:
        consent.record_terms_notice(
            s, actor=actors["clerk1_shi"], seeker_id=sk.id, terms_version_id=tv.id, method="mail"
        )
    with store.read() as s:
        d = load_detail(s, sk.id, list(OFFICES), actor=SYSTEM)
        for row in d.consent_rows:
            want = consent.consent_status(s, seeker_id=sk.id, office_id=row["office_id"])
            got = row["status"]
            assert (got.in_force.id, got.consented_version, got.notified, got.current) == (
                want.in_force.id,
                want.consented_version,
                want.notified,
                want.current,
            )
            assert (got.consent.id if got.consent else None) == (want.consent.id if want.consent else None)
        assert [o for o, _ in d.env_checks] == list(OFFICES)
        for office, chk in d.env_checks:
            assert chk.id == consent.latest_env_check(s, seeker_id=sk.id, office_id=office).id
        assert d.approvals and all(a.recognized_by in d.staff_names for a in d.approvals)
