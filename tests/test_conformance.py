"""Conformance: every condition hwdesk enforces is its office's terms' own (issue 15).

Walks every office × service × condition of the rule engine (``hwdesk.conditions``) and checks
that the condition rests on its office's terms — the article it cites exists and its text (in
``data/terms``) contains the key phrase recorded with the rule — that the article cited in
refusals, readiness, the queue's warnings, the handout's requirement lines, ``env-check`` and the
terms viewer is that one, and that no condition is enforced that the terms lack. A rule added to
a profile without its phrase, or with a phrase its article does not say, fails here.
"""

from __future__ import annotations

from datetime import date

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.conditions import LABELS, ORDER, condition, conditions
from hwdesk.errors import RuleRefusal
from hwdesk.models import SERVICE_KINDS, Enrollment, Seeker
from hwdesk.services import eligibility, handouts, queue, scheduling
from hwdesk.services.consent import ConsentStatus
from hwdesk.services.context import SYSTEM
from hwdesk.terms import TermsDocument, article_as_text, office_profiles, shipped_terms

OFFICES = sorted(office_profiles())
# The words a terms preamble uses for each service kind (the services an office offers online).
SERVICE_WORDS = {
    "counseling": "職業相談",
    "referral": "職業紹介",
    "seminar": "セミナー",
    "interview": "面接",
    "tour": "見学",
    "selection": "管理選考",
}
# Keys of a profile's ``requirements`` that are a condition's data, not a condition.
NOT_CONDITIONS = set()


def _doc(office: str) -> TermsDocument:
    return shipped_terms()[office][-1]


def cited_text(doc: TermsDocument, cite: dict) -> str:
    """The text a cite points at: the preamble, an article, a paragraph or an item."""
    if cite.get("preamble"):
        return "".join(doc.raw.get("preamble", []))
    art = doc.article(cite["article"])  # NotFound when the office's terms have no such article
    if not cite.get("paragraph") and not cite.get("item"):
        return article_as_text(art)
    para = next(p for p in art["paragraphs"] if p["number"] == (cite.get("paragraph") or 1))
    if cite.get("item"):
        return next(i["text"] for i in para["items"] if i["number"] == cite["item"])
    return para["text"]


def _walk():
    for office in OFFICES:
        for service in SERVICE_KINDS:
            for c in conditions(office_profiles()[office], service):
                yield office, service, c


@pytest.mark.parametrize("office,service,cond", [pytest.param(o, s, c, id=f"{o}-{s}-{c.key}") for o, s, c in _walk()])
def test_each_condition_rests_on_its_articles_text(office, service, cond):
    prof = office_profiles()[office]
    text = cited_text(_doc(office), cond.cite)
    if cond.key == "service" and service not in prof.services:
        # Not offered: nothing to rest on, and the preamble indeed does not name it.
        assert cond.phrase == "" and SERVICE_WORDS[service] not in text, (office, service)
        return
    assert cond.phrase, f"{office} {cond.key}: a condition without the key phrase of its article"
    assert cond.phrase in text, f"{office} {cond.key} ({cond.cite_text}): the article does not say {cond.phrase!r}"
    assert cond.label and cond.label_en and cond.cite_text


def test_every_requirement_in_a_profile_is_a_condition_the_engine_knows():
    assert set(eligibility.RULES) == set(ORDER) == set(LABELS)
    for office, prof in office_profiles().items():
        unknown = {k for k, v in prof.requirements.items() if v is not None} - set(ORDER) - NOT_CONDITIONS
        assert not unknown, f"{office}: requirements the engine does not evaluate: {unknown}"
        for item in (prof.requirements.get("environment") or {}).get("items", []):
            assert item["text"] in cited_text(_doc(office), item["cite"]), (office, item["key"])


def test_no_condition_is_enforced_that_the_terms_lack():
    """Where an office's profile has no such condition, its terms do not say what the other
    offices' terms say for it (前橋 asks no registration, no webcam device, no approval …)."""
    phrases: dict[str, set[str]] = {}
    for _office, _service, c in _walk():
        if c.key != "service":
            phrases.setdefault(c.key, set()).add(c.phrase)
    for office in OFFICES:
        prof = office_profiles()[office]
        have = {c.key for s in SERVICE_KINDS for c in conditions(prof, s)}
        full = "".join(_doc(office).raw.get("preamble", [])) + "".join(
            article_as_text(a) for a in _doc(office).articles
        )
        for key in set(phrases) - have:
            for phrase in phrases[key]:
                assert phrase not in full, f"{office} lacks {key} yet its terms say {phrase!r}"
    # The condition of each key decides only what its article says: approval is 渋谷's, and only for counseling.
    assert [o for o in OFFICES if condition(office_profiles()[o], "approval", "counseling")] == ["shibuya"]
    assert not condition(office_profiles()["shibuya"], "approval", "seminar")
    assert [o for o in OFFICES if office_profiles()[o].ends_agreement] == ["shibuya"]


def _blank_facts(office: str, service: str) -> eligibility.Facts:
    """A seeker with nothing recorded, stopped from use, after an ended agreement."""
    prof = office_profiles()[office]
    doc = _doc(office)
    tv = eligibility.TermsRef(1, doc.version, doc.effective_on)
    seeker = Seeker(
        seeker_no="0",
        name="x",
        name_kana="x",
        birth_date=date(1980, 1, 1),
        office_id=office,
        kana_key="x",
        registration_kind="office",
        registered_on=None,
        webcam_confirmed=False,
    )
    stop = type("Stop", (), {"cite": "", "until": None})()  # a stop in force, citing no ground of its own
    return eligibility.Facts(
        prof,
        seeker,
        service,
        date(2027, 2, 2),
        ConsentStatus(office, tv, None, None, False),
        None,
        None,
        stop,
        date(2026, 1, 1),
        None,
    )


@pytest.mark.parametrize("office", OFFICES)
def test_refusals_cite_each_conditions_own_article(office):
    prof = office_profiles()[office]
    for service in SERVICE_KINDS:
        reqs = eligibility.evaluate(_blank_facts(office, service))
        conds = conditions(prof, service)
        assert [r.key for r in reqs] == [c.key for c in conds]
        for r, c in zip(reqs, conds):
            assert (r.cite, r.cite_en, r.phrase) == (c.cite_text, c.cite_text_en, c.phrase)
            if not r.ok:
                assert c.cite_text in r.line(prof.name) and c.cite_text_en in r.line(prof.display_name("en"), "en")


def test_readiness_booking_and_queue_cite_the_same_articles(store, actors):
    """Through the database: readiness (check), a booking's refusal and the queue's warnings."""
    clerk = {"takamatsu": "clerk1", "shibuya": "clerk1_shi", "maebashi": "clerk1_mae"}
    for office in OFFICES:
        prof = office_profiles()[office]
        a = actors[clerk[office]]
        service = "seminar"
        bare = new_seeker(store, a, office_id=office, registered=False, webcam=False)
        with store.read() as s:
            ready = {
                r.key: r.cite
                for r in eligibility.check(s, seeker_id=bare.id, office_id=office, service=service)
                if not r.ok
            }
        expect = {c.key: c.cite_text for c in conditions(prof, service)}
        assert ready and all(expect[k] == v for k, v in ready.items())
        with store.write() as s:
            from datetime import datetime

            from hwdesk.clock import JST

            row = scheduling.create_session(
                s,
                actor=a,
                office_id=office,
                kind=service,
                capacity=5,
                staff_login=clerk[office],
                start=datetime(2027, 2, 2, 10, tzinfo=JST),
                end=datetime(2027, 2, 2, 11, tzinfo=JST),
                join_url="https://zoom.us/j/1",
            )
        with pytest.raises(RuleRefusal) as exc, store.write() as s:
            scheduling.book(s, actor=a, session_id=row.id, seeker_id=bare.id)
        assert {f.key: f.cite for f in exc.value.failures} == ready
        with store.write() as s:  # seated all the same (an older release's override)
            s.add(Enrollment(session_id=row.id, seeker_id=bare.id, state="booked"))
        with store.read() as s:
            [qrow] = queue.daily_queue(s, actor=SYSTEM, office_id=office, day=date(2027, 2, 2)).rows
        assert {w.cite for w in qrow.warnings if w.seekers} <= set(ready.values())
        assert qrow.warnings and all(w.cite in ready.values() for w in qrow.warnings if w.seekers)
        ok = new_seeker(store, a, office_id=office)
        make_ready(store, a, ok.id, office, service=service)
        with store.read() as s:
            assert all(r.ok for r in eligibility.check(s, seeker_id=ok.id, office_id=office, service=service))
            assert s.exec(select(Seeker).where(Seeker.id == ok.id)).one()


@pytest.mark.parametrize("office", OFFICES)
def test_handout_and_env_check_cite_the_conditions_articles(office):
    from hwdesk.cli.counter import _items

    prof = office_profiles()[office]
    lines = handouts.instructions(prof, _doc(office), platform="zoom")
    room, device = condition(prof, "private_room"), condition(prof, "environment")
    # A quoted line carries the condition's phrase; a です・ます line (渋谷) keeps its core words and is
    # tied to the same article's text by tests/test_handout_text.py.
    core = "個室又は周囲に他人がいない環境"
    assert core in room.phrase
    assert any(x.cite == room.cite_text and (room.phrase in x.text or core in x.text) for x in lines), lines
    assert any(x.cite.startswith(device.cite_text + "(") for x in lines), lines
    items = {k: c for k, _, c in _items(office)}
    assert items["private_room"] == room.cite_text
    cam = condition(prof, "webcam")
    assert items.get("webcam") == (cam.cite_text if cam else None)


async def test_terms_viewer_names_the_consent_conditions_article(tmp_path):
    from helpers.ui import _build, make_app, plain, settle, sign_in

    db = _build(tmp_path / "ui.sqlite3")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        for office in OFFICES:
            app.open_terms(office, None)
            await settle(pilot)
            head = plain(app.screen.query_one("#terms-head"))
            assert f"（{condition(office_profiles()[office], 'consent').cite_text}）" in head, head
            app.pop_screen()
            await settle(pilot)
