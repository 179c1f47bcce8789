"""Terms revisions: the article diff, the notify list across offices, history and the day's warnings."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, timedelta

import pytest
from helpers import new_seeker
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.models import Enrollment, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import consent, revisions, terms_diff
from hwdesk.services.context import SYSTEM
from hwdesk.services.offices import add_terms_version, document, terms_versions
from hwdesk.terms import TermsDocument, shipped_terms

EFFECTIVE = date(2027, 4, 1)
TODAY = date(2027, 3, 1)
NEW_ITEM_2 = "ハローワークは前項の情報を、個々の端末装置が特定できる形式で公開しません。ただし、法令に基づき開示を求められた場合はこの限りではありません。"


def add_session(
    store,
    *,
    office: str,
    start: datetime,
    seekers: list[tuple[int, str]],
    kind: str = "counseling",
    state: str = "scheduled",
    staff_login: str = "clerk1",
    title: str = "",
    cancel_reason: str = "",
) -> int:
    """Insert a session and its enrollments directly (independent of the booking service)."""
    with store.write() as s:
        staff = s.exec(select(Staff).where(Staff.login == staff_login)).one()
        row = SessionRow(
            office_id=office,
            kind=kind,
            title=title,
            start_at=start,
            end_at=start + timedelta(hours=1),
            staff_id=staff.id,
            capacity=max(1, len(seekers)),
            state=state,
            cancel_reason=cancel_reason,
        )
        s.add(row)
        s.flush()
        for sid, est in seekers:
            s.add(
                Enrollment(
                    session_id=row.id, seeker_id=sid, state=est, cancel_reason="by_seeker" if est == "cancelled" else ""
                )
            )
        return row.id


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, 0, tzinfo=JST)


def revised_takamatsu(version: int = 3) -> TermsDocument:
    raw = copy.deepcopy(shipped_terms()["takamatsu"][-1].raw)
    raw["version"] = version
    raw["effective_on"] = EFFECTIVE.isoformat()
    art7 = raw["articles"][6]
    art7["paragraphs"][0]["items"][1]["text"] = NEW_ITEM_2
    raw["articles"].append(
        {
            "number": len(raw["articles"]) + 1,
            "heading": "準拠法",
            "paragraphs": [{"number": 1, "text": "本規約は日本法に準拠します。", "items": []}],
        }
    )
    return TermsDocument(raw)


@pytest.fixture
def revised(store, actors):
    """高松 version 3 (effective 2027-04-01) with 第7条(2) reworded and an article added."""
    with store.write() as s:
        tv = add_terms_version(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            text=json.dumps(revised_takamatsu().raw, ensure_ascii=False),
            effective_on=EFFECTIVE,
            reason="利用の記録の条文の整理",
            ground="reasonable",
        )
        return tv.id


def _consent(store, actor, seeker_id, office, on=date(2026, 6, 1)):
    with store.write() as s:
        return consent.record_consent(s, actor=actor, seeker_id=seeker_id, office_id=office, on=on)


# --- diff -------------------------------------------------------------------------------------


def test_diff_shows_the_changed_article_and_the_added_one():
    old = shipped_terms()["takamatsu"][-1]
    changes = terms_diff.diff_versions(old, revised_takamatsu())
    by_label = {c.label: c for c in changes}
    assert set(by_label) == {"第7条", f"第{len(old.articles) + 1}条"}
    art7 = by_label["第7条"]
    assert art7.kind == "changed" and art7.heading == "利用の記録等"
    assert any(line.startswith("+") and "公開しません" in line for line in art7.unified)
    assert any(line.startswith("-") and "公開しないものとします" in line for line in art7.unified)
    inserted = "".join(t for op, t in art7.segments if op == "insert")
    deleted = "".join(t for op, t in art7.segments if op == "delete")
    assert "しません" in inserted and "しないものとします" in deleted
    # The word diff rebuilds both texts.
    assert "".join(t for op, t in art7.segments if op != "insert") == art7.old_text
    assert "".join(t for op, t in art7.segments if op != "delete") == art7.new_text
    assert by_label[f"第{len(old.articles) + 1}条"].kind == "added"
    assert "改正" in art7.summary() and "changed" in art7.summary("en")
    assert terms_diff.diff_versions(old, old) == []


def test_diff_reports_an_inserted_article_as_added_and_the_rest_renumbered():
    old = shipped_terms()["maebashi"][0]
    raw = copy.deepcopy(old.raw)
    raw["version"] = 2
    raw["articles"].insert(
        1, {"number": 2, "heading": "新しい条", "paragraphs": [{"number": 1, "text": "新設の条文です。", "items": []}]}
    )
    for i, art in enumerate(raw["articles"], 1):
        art["number"] = i
    changes = terms_diff.diff_versions(old, TermsDocument(raw))
    kinds = [c.kind for c in changes]
    assert kinds[0] == "added" and changes[0].new_number == 2
    assert set(kinds[1:]) == {"renumbered"} and len(kinds) == len(old.articles)  # 第2条…第12条 → 第3条…第13条
    assert changes[1].label == "第2条→第3条"


def test_diff_stored_defaults_to_newest_against_previous(store, revised):
    with store.read() as s:
        old, new, changes = terms_diff.diff_stored(s, office_id="takamatsu")
    assert (old.version, new.version) == (2, 3)
    assert "第7条" in terms_diff.render_changes(changes)


# --- notify list ------------------------------------------------------------------------------


def test_notify_list_across_offices(store, actors, revised):
    tak, shi = actors["clerk1"], actors["clerk1_shi"]
    active = new_seeker(store, tak, name="有効 一郎")
    notified = new_seeker(store, tak, name="告知 済子")
    shibuya_only = new_seeker(store, tak, name="渋谷 同意")
    inactive = new_seeker(store, tak, name="休眠 二郎")
    future = new_seeker(store, tak, name="予約 三郎")
    reconsented = new_seeker(store, tak, name="再同 四郎")
    cancelled = new_seeker(store, tak, name="取消 五郎")
    for sk in (active, notified, inactive, future, reconsented, cancelled):
        _consent(store, tak, sk.id, "takamatsu")
    _consent(store, shi, shibuya_only.id, "shibuya")
    _consent(store, tak, reconsented.id, "takamatsu", on=EFFECTIVE)  # consents to version 3 itself

    add_session(
        store, office="takamatsu", start=at(date(2027, 1, 10)), state="completed", seekers=[(active.id, "completed")]
    )
    add_session(
        store, office="takamatsu", start=at(date(2027, 1, 11)), state="completed", seekers=[(notified.id, "completed")]
    )
    add_session(
        store,
        office="takamatsu",
        start=at(date(2027, 1, 12)),
        state="completed",
        seekers=[(shibuya_only.id, "completed")],
    )
    add_session(
        store,
        office="takamatsu",
        start=at(date(2027, 1, 13)),
        state="completed",
        seekers=[(reconsented.id, "completed")],
    )
    add_session(
        store, office="takamatsu", start=at(date(2025, 12, 1)), state="completed", seekers=[(inactive.id, "completed")]
    )
    nxt = add_session(
        store, office="takamatsu", start=at(date(2027, 4, 10), 14), kind="seminar", seekers=[(future.id, "booked")]
    )
    add_session(store, office="takamatsu", start=at(date(2027, 4, 12)), seekers=[(cancelled.id, "cancelled")])
    add_session(store, office="takamatsu", start=at(date(2027, 5, 1)), seekers=[(active.id, "booked")])
    with store.write() as s:
        consent.record_terms_notice(s, actor=tak, seeker_id=notified.id, terms_version_id=revised, method="phone")

    with store.read() as s:
        rows = revisions.notify_list(s, actor=SYSTEM, office_id="takamatsu", version_id=revised, today=TODAY)
    listed = {r.seeker_id: r for r in rows}
    assert set(listed) == {active.id, future.id}
    assert listed[future.id].next_session_id == nxt and listed[future.id].next_session_kind == "seminar"
    assert listed[future.id].next_session_start == at(date(2027, 4, 10), 14)
    assert listed[active.id].next_session_start == at(date(2027, 5, 1))
    assert listed[active.id].last_session_at == at(date(2027, 1, 10))
    assert listed[active.id].consented_version == 2
    # A longer activity window brings the inactive seeker in; a 渋谷 consent never puts anyone on 高松's list.
    with store.read() as s:
        wide = {
            r.seeker_id
            for r in revisions.notify_list(
                s, actor=SYSTEM, office_id="takamatsu", version_id=revised, active_months=24, today=TODAY
            )
        }
    assert inactive.id in wide and shibuya_only.id not in wide


def test_notify_list_is_per_office_version(store, actors, revised):
    from hwdesk.errors import NotFound

    with store.read() as s, pytest.raises(NotFound) as exc:
        revisions.notify_list(s, actor=SYSTEM, office_id="shibuya", version_id=revised)
    assert "shibuya" in str(exc.value)


def test_notify_list_uses_a_fixed_number_of_queries(store, actors, revised):
    from sqlalchemy import event

    tak = actors["clerk1"]
    for i in range(6):
        sk = new_seeker(store, tak, name=f"多数 {'一二三四五六'[i]}郎")
        _consent(store, tak, sk.id, "takamatsu")
        add_session(
            store, office="takamatsu", start=at(date(2027, 2, 1 + i)), state="completed", seekers=[(sk.id, "completed")]
        )
        add_session(store, office="takamatsu", start=at(date(2027, 4, 5 + i)), seekers=[(sk.id, "booked")])
    count = []
    with store.read() as s:
        conn = s.connection()
        event.listen(conn, "before_cursor_execute", lambda *a: count.append(1))
        rows = revisions.notify_list(s, actor=SYSTEM, office_id="takamatsu", version_id=revised, today=TODAY)
    assert len(rows) == 6 and all(r.next_session_start for r in rows)
    assert len(count) <= 4


# --- the day's warning and the history ----------------------------------------------------------


def test_unnotified_sessions_on_a_day_after_the_effective_date(store, actors, revised):
    tak = actors["clerk1"]
    old = new_seeker(store, tak, name="旧版 同意")
    other = new_seeker(store, tak, name="別所 同意")
    _consent(store, tak, old.id, "takamatsu")
    _consent(store, actors["clerk1_shi"], other.id, "shibuya")
    before = add_session(store, office="takamatsu", start=at(date(2027, 3, 30)), seekers=[(old.id, "booked")])
    after = add_session(
        store,
        office="takamatsu",
        start=at(date(2027, 4, 10)),
        seekers=[(old.id, "booked"), (other.id, "booked")],
        kind="seminar",
    )
    with store.read() as s:
        assert revisions.unnotified_sessions(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 3, 30)) == []
        rows = revisions.unnotified_sessions(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 4, 10))
    assert [(r.session_id, r.seeker_id, r.consented_version, r.in_force_version) for r in rows] == [
        (after, old.id, 2, 3)
    ]
    with store.write() as s:
        consent.record_terms_notice(s, actor=tak, seeker_id=old.id, terms_version_id=revised, method="counter")
    with store.read() as s:
        assert revisions.unnotified_sessions(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 4, 10)) == []
        assert (
            revisions.unnotified_sessions(s, actor=SYSTEM, office_id="takamatsu", day=date(2027, 3, 30)) == []
        )  # session `before`: v2 in force
    assert before != after


def test_history_shows_the_text_in_force_at_each_session(store, actors, revised):
    tak = actors["clerk1"]
    sk = new_seeker(store, tak)
    _consent(store, tak, sk.id, "takamatsu")
    _consent(store, actors["clerk1_shi"], sk.id, "shibuya")
    s1 = add_session(store, office="takamatsu", start=at(date(2027, 3, 20)), seekers=[(sk.id, "booked")])
    s2 = add_session(store, office="takamatsu", start=at(date(2027, 4, 20)), seekers=[(sk.id, "booked")])
    with store.read() as s:
        hist = {h.office_id: h for h in revisions.history(s, actor=SYSTEM, seeker_id=sk.id)}
    assert set(hist) == {"shibuya", "takamatsu"}
    tak_sessions = {r.session_id: r for r in hist["takamatsu"].sessions}
    assert tak_sessions[s1].in_force_version == 2 and tak_sessions[s1].standing == "consented"
    assert tak_sessions[s2].in_force_version == 3 and tak_sessions[s2].standing == "outdated"
    assert [e.kind for e in hist["takamatsu"].events] == ["consent"]
    assert hist["shibuya"].sessions == []
    with store.write() as s:
        consent.record_terms_notice(s, actor=tak, seeker_id=sk.id, terms_version_id=revised, method="mail")
    with store.read() as s:
        hist = {h.office_id: h for h in revisions.history(s, actor=SYSTEM, seeker_id=sk.id)}
    tak_sessions = {r.session_id: r for r in hist["takamatsu"].sessions}
    assert tak_sessions[s2].standing == "notified" and tak_sessions[s2].notified
    assert [e.kind for e in hist["takamatsu"].events] == ["consent", "notice"]
    assert hist["takamatsu"].events[1].recorded_by == "clerk1" and hist["takamatsu"].events[1].method == "mail"


def test_versions_are_stored_with_the_revised_text(store, revised):
    with store.read() as s:
        v3 = terms_versions(s, "takamatsu")[-1]
        assert document(v3).article(7)["paragraphs"][0]["items"][1]["text"] == NEW_ITEM_2


@pytest.mark.parametrize("office", ["maebashi", "takamatsu", "shibuya"])
def test_a_revision_records_the_ground_its_terms_list(store, actors, office):
    """前橋 第9条 / 高松 第13条: a change without consent only on (1) or (2) — refused without one, the
    ground stored and audited; 渋谷 第10条 lists none, so none is given."""
    from hwdesk.errors import ValidationFailed
    from hwdesk.models import AuditLog, TermsVersion

    sup = actors["super1" + {"maebashi": "_mae", "shibuya": "_shi", "takamatsu": ""}[office]]
    raw = copy.deepcopy(shipped_terms()[office][-1].raw)
    raw["version"] += 1
    text = json.dumps(raw, ensure_ascii=False)
    article = {"maebashi": "第9条", "takamatsu": "第13条", "shibuya": "第10条"}[office]
    wrong = ("user_benefit",) if office == "shibuya" else (None, "", "whim")
    for ground in wrong:
        with store.write() as s, pytest.raises(ValidationFailed) as exc:
            add_terms_version(
                s, actor=sup, office_id=office, text=text, effective_on=EFFECTIVE, reason="改訂", ground=ground
            )
        assert article in exc.value.message_ja and exc.value.field == "ground"
        if office != "shibuya":
            assert "本規約の変更が、利用者の一般の利益に適合するとき。" in exc.value.message_ja
    ground = None if office == "shibuya" else "reasonable"
    with store.write() as s:
        tv = add_terms_version(
            s, actor=sup, office_id=office, text=text, effective_on=EFFECTIVE, reason="改訂", ground=ground
        )
        tv_id = tv.id
    with store.read() as s:
        assert s.get(TermsVersion, tv_id).change_ground == (ground or "")
        row = s.exec(select(AuditLog).where(AuditLog.action == "terms.add_version")).one()
        assert json.loads(row.detail_json)["after"]["ground"] == (ground or "")


def test_terms_add_help_lists_each_offices_grounds(capsys):
    from hwdesk.cli import main

    with pytest.raises(SystemExit):
        main(["terms-add", "--help"])
    out = capsys.readouterr().out
    assert "第9条(1) 本規約の変更が、利用者の一般の利益に適合するとき。" in out
    assert "第13条(2) 本規約の変更が、本規約の目的に反せず、かつ、合理的なものであるとき。" in out
    assert "shibuya: none listed (第10条" in out
