"""Interpreters on the roster (hwdesk.services.interpreters), on SQLite and PostgreSQL: the roster
kept with its history, coverage of a session, the booking warning with the nearest covered times,
the queue's marker and the supervisor's week."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import NotFound, PermissionDenied, ValidationFailed
from hwdesk.jtext.base import ParseError
from hwdesk.models import AuditLog, Interpreter
from hwdesk.services import consent, interpreters, interpreting, queue, scheduling

DAY = date(2027, 2, 2)  # a Tuesday
WED = DAY + timedelta(days=1)


def at(hm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), JST)


def create(store, actor, kind="counseling", start="10:00", end="10:45", day=DAY, **kw):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actor,
            office_id="takamatsu",
            kind=kind,
            start=at(start, day),
            end=at(end, day),
            staff_login=kw.pop("staff", "clerk1"),
            **kw,
        )


def add_line(store, actor, **kw):
    args = {
        "office_id": "takamatsu",
        "mode": "in_person",
        "name": "グエン 通訳",
        "language": "ベトナム語",
        "weekdays": "月-金",
        "start": "09:00",
        "end": "12:00",
        "valid_from": date(2027, 1, 1),
    }
    args.update(kw)
    with store.write() as s:
        return interpreters.add(s, actor=actor, **args)


def seeker_needing(store, actors, language="ベトナム語", service="counseling", session_id=None):
    clerk = actors["clerk1"]
    sk = new_seeker(store, clerk)
    make_ready(store, clerk, sk.id, "takamatsu", service=service)
    with store.write() as s:
        consent.record_companion(
            s,
            actor=clerk,
            seeker_id=sk.id,
            office_id="takamatsu",
            kind="interpreter",
            language=language,
            session_id=session_id,
        )
    return sk


# --- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("英語", "en"),
        ("English", "en"),
        ("ＥＮＧＬＩＳＨ", "en"),
        ("えいご", "en"),
        ("ベトナム語", "vi"),
        ("Vietnamese", "vi"),
        ("ベトナム", "vi"),
        ("中国語", "zh"),
        ("Chinese", "zh"),
        ("タガログ語", "tl"),
        ("フィリピノ語", "tl"),
        ("アムハラ語", "アムハラ"),
        ("Amharic ", "amharic"),
    ],
)
def test_language_key_matches_the_spellings_of_one_language(text, key):
    assert interpreters.language_key(text) == key


@given(st.text(max_size=30))
def test_language_key_never_fails_and_is_stable(text):
    key = interpreters.language_key(text)
    assert len(key) <= 40
    # full-width and half-width, upper and lower case: one key
    assert interpreters.language_key(unicodedata.normalize("NFKC", text)) == key
    assert interpreters.language_key(text.upper()) == interpreters.language_key(text.lower()) or not text.isascii()


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("月-金", "12345"),
        ("月〜金", "12345"),
        ("月水金", "135"),
        ("月・木", "14"),
        ("火曜日", "2"),
        ("mon-fri", "12345"),
        ("Mon, Wed", "13"),
        ("1-5", "12345"),
        ("135", "135"),
        ("土日", "67"),
    ],
)
def test_weekdays_parse(text, digits):
    assert interpreters.parse_weekdays(text) == digits


@pytest.mark.parametrize("text", ["", "金-月", "毎日", "-", "月-", "8", "mon-", "xyz"])
def test_weekdays_refused_with_a_message(text):
    with pytest.raises(ParseError) as exc:
        interpreters.parse_weekdays(text)
    assert "曜日" in exc.value.message("ja") and "weekdays" in exc.value.message("en")


@given(st.text(max_size=12))
def test_weekdays_parser_only_raises_parse_error(text):
    try:
        out = interpreters.parse_weekdays(text)
    except ParseError:
        return
    assert out and set(out) <= set("1234567") and list(out) == sorted(set(out))


def test_weekdays_text():
    assert interpreters.weekdays_text("12345") == "月〜金"
    assert interpreters.weekdays_text("12345", "en") == "Mon–Fri"
    assert interpreters.weekdays_text("135") == "月水金"


# --- the roster ---------------------------------------------------------------------------------


def test_supervisor_adds_clerk_reads_clerk_cannot_add(store, actors):
    line = add_line(store, actors["super1"])
    assert (line.weekdays, line.start, line.end, line.language_key) == ("12345", "09:00", "12:00", "vi")
    with pytest.raises(PermissionDenied), store.write() as s:
        interpreters.add(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            mode="in_person",
            name="x",
            language="英語",
            weekdays="月",
            start="9:00",
            end="10:00",
        )
    with store.read() as s:
        lines = interpreters.roster(s, actor=actors["clerk1"], office_id="takamatsu")
    assert [ln.name for ln in lines] == ["グエン 通訳"]
    with store.read() as s:
        audit = s.exec(select(AuditLog).where(AuditLog.action == "interpreter.add")).all()
    assert len(audit) == 1 and json.loads(audit[0].detail_json)["after"]["language"] == "ベトナム語"


def test_another_office_cannot_see_or_change_the_roster(store, actors):
    line = add_line(store, actors["super1"])
    with pytest.raises(PermissionDenied), store.read() as s:
        interpreters.roster(s, actor=actors["clerk1_shi"], office_id="takamatsu")
    with pytest.raises(PermissionDenied), store.write() as s:
        interpreters.remove(s, actor=actors["super1_shi"], interpreter_id=line.id, reason="x")


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"mode": "telepathy"}, "mode"),
        ({"name": "  "}, "name"),
        ({"language": ""}, "language"),
        ({"weekdays": "毎日"}, "weekdays"),
        ({"start": "25:00"}, "start"),
        ({"start": "12:00", "end": "09:00"}, "end"),
        ({"valid_from": date(2027, 3, 1), "until": date(2027, 2, 1)}, "until"),
    ],
)
def test_bad_roster_input_is_refused_and_nothing_written(store, actors, kw, field):
    with pytest.raises((ValidationFailed, ParseError)) as exc:
        add_line(store, actors["super1"], **kw)
    assert exc.value.field == field
    with store.read() as s:
        assert s.exec(select(Interpreter)).all() == []


def test_remove_is_a_soft_end_with_reason_and_history_keeps_it(store, actors):
    line = add_line(store, actors["super1"])
    with pytest.raises(ValidationFailed), store.write() as s:
        interpreters.remove(s, actor=actors["super1"], interpreter_id=line.id, reason=" ")
    with pytest.raises(PermissionDenied), store.write() as s:
        interpreters.remove(s, actor=actors["clerk1"], interpreter_id=line.id, reason="退職")
    with store.write() as s:
        ended = interpreters.remove(
            s, actor=actors["super1"], interpreter_id=line.id, reason="退職", last_day=date(2027, 2, 1)
        )
    assert ended.until == date(2027, 2, 1) and ended.end_reason == "退職" and ended.ended_at is not None
    with pytest.raises(ValidationFailed), store.write() as s:
        interpreters.remove(s, actor=actors["super1"], interpreter_id=line.id, reason="again")
    with pytest.raises(NotFound), store.write() as s:
        interpreters.remove(s, actor=actors["super1"], interpreter_id=999999, reason="x")
    with store.read() as s:
        assert interpreters.roster(s, actor=actors["clerk1"], office_id="takamatsu", on=DAY) == []
        history = interpreters.roster(s, actor=actors["clerk1"], office_id="takamatsu", history=True)
        assert [h.id for h in history] == [line.id]
        assert s.get(Interpreter, line.id) is not None  # never deleted
        rows = s.exec(select(AuditLog).where(AuditLog.action == "interpreter.remove")).all()
    detail = json.loads(rows[0].detail_json)
    assert detail["before"]["until"] is None and detail["after"] == {"until": "2027-02-01", "reason": "退職"}
    # the past is still covered as it was
    assert ended.covers(at("10:00", date(2027, 1, 26)), at("10:45", date(2027, 1, 26)))
    assert not ended.covers(at("10:00"), at("10:45"))


def test_a_correction_ends_the_old_line_and_points_back(store, actors):
    line = add_line(store, actors["super1"], start="13:00", end="15:00")
    with pytest.raises(ValidationFailed), store.write() as s:  # a correction needs its reason
        interpreters.add(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            mode="in_person",
            name="グエン 通訳",
            language="ベトナム語",
            weekdays="月-金",
            start="09:00",
            end="12:00",
            valid_from=date(2027, 1, 1),
            replaces_id=line.id,
        )
    new = add_line(store, actors["super1"], replaces_id=line.id, reason="時間の入力誤り")
    assert new.replaces_id == line.id
    with store.read() as s:
        old = s.get(Interpreter, line.id)
        assert old.end_reason == "時間の入力誤り" and old.until < old.valid_from  # it never covered anything
        lines = interpreters.roster(s, actor=actors["clerk1"], office_id="takamatsu", on=DAY)
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.entity == "interpreter"))]
    assert [ln.id for ln in lines] == [new.id]
    assert actions == ["interpreter.add", "interpreter.correct", "interpreter.add"]


# --- coverage and the booking warning -----------------------------------------------------------


def test_cover_prefers_an_interpreter_then_the_remote_service(store, actors):
    sup = actors["super1"]
    add_line(store, sup)  # ベトナム語 月-金 9-12
    add_line(store, sup, mode="remote", name="遠隔通訳センター", weekdays="月-金", start="09:00", end="17:00")
    with store.read() as s:
        lines = interpreters.lines_between(s, "takamatsu", DAY, DAY)
    assert interpreters.cover(lines, "Vietnamese", at("10:00"), at("10:45")).mode == "in_person"
    assert interpreters.cover(lines, "ベトナム語", at("11:30"), at("12:30")).mode == "remote"  # past 12:00
    assert interpreters.cover(lines, "ベトナム語", at("16:30"), at("17:30")).mode == "none"
    assert interpreters.cover(lines, "英語", at("10:00"), at("10:45")).mode == "none"
    sat = DAY + timedelta(days=4)
    assert interpreters.cover(lines, "ベトナム語", at("10:00", sat), at("10:45", sat)).mode == "none"


def test_booking_warns_and_offers_the_nearest_covered_times(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    add_line(store, sup, weekdays="水", start="09:00", end="12:00")  # Wednesdays only
    asked = create(store, clerk, start="14:00", end="14:45")  # Tuesday afternoon: nobody
    near = create(store, clerk, start="10:00", end="10:45", day=WED)
    later = create(store, clerk, start="10:00", end="10:45", day=WED + timedelta(days=7))
    taken = create(store, clerk, start="11:00", end="11:45", day=WED)  # covered but booked
    create(
        store, clerk, kind="seminar", start="10:00", end="11:00", day=WED, capacity=5, staff="super1"
    )  # another kind
    create(store, clerk, start="15:00", end="15:45", day=WED)  # free, not covered
    other = new_seeker(store, clerk)
    make_ready(store, clerk, other.id, "takamatsu")
    with store.write() as s:
        scheduling.book(s, actor=clerk, session_id=taken.id, seeker_id=other.id)
    sk = seeker_needing(store, actors)
    with store.read() as s:
        check = interpreting.booking_check(s, actor=clerk, session_id=asked.id, seeker_id=sk.id, now=at("09:00"))
    assert check.warn and check.uncovered() == ["ベトナム語"]
    assert [a.session_id for a in check.alternatives] == [near.id, later.id]
    text = check.message("ja")
    assert "ベトナム語の通訳者がいません" in text and f"#{near.id}" in text and "このまま予約" in text
    assert "Nearest covered times" in check.message("en")
    # a warning, not a condition: booking goes ahead
    with store.write() as s:
        assert scheduling.book(s, actor=clerk, session_id=asked.id, seeker_id=sk.id).state == "booked"
    # covered: no warning
    with store.read() as s:
        ok = interpreting.booking_check(s, actor=clerk, session_id=near.id, seeker_id=sk.id, now=at("09:00"))
    assert not ok.warn and ok.covers[0].mode == "in_person" and ok.message() == ""


def test_no_notice_no_warning_and_unannounced_asks_nothing(store, actors):
    clerk = actors["clerk1"]
    row = create(store, clerk)
    sk = new_seeker(store, clerk)
    with store.write() as s:
        consent.record_companion(
            s,
            actor=clerk,
            seeker_id=sk.id,
            office_id="takamatsu",
            kind="interpreter",
            language="英語",
            unannounced=True,
        )
        consent.record_companion(s, actor=clerk, seeker_id=sk.id, office_id="takamatsu", kind="caregiver")
    with store.read() as s:
        check = interpreting.booking_check(s, actor=clerk, session_id=row.id, seeker_id=sk.id)
    assert check.covers == () and not check.warn


def test_a_notice_for_one_session_asks_only_for_that_session(store, actors):
    clerk = actors["clerk1"]
    one = create(store, clerk)
    two = create(store, clerk, start="14:00", end="14:45")
    sk = seeker_needing(store, actors, language="英語", session_id=one.id)
    with store.read() as s:
        assert interpreting.booking_check(s, actor=clerk, session_id=one.id, seeker_id=sk.id).warn
        assert not interpreting.booking_check(s, actor=clerk, session_id=two.id, seeker_id=sk.id).warn


# --- the queue and the week ---------------------------------------------------------------------


def test_queue_marks_sessions_needing_an_interpreter(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    add_line(store, sup)
    covered = create(store, clerk, start="10:00", end="10:45")
    bare = create(store, clerk, start="14:00", end="14:45")
    plain = create(store, clerk, start="15:00", end="15:45")
    a, b = seeker_needing(store, actors), seeker_needing(store, actors, language="English")
    c = new_seeker(store, clerk)
    make_ready(store, clerk, c.id, "takamatsu")
    with store.write() as s:
        for sess, sk in ((covered, a), (bare, b), (plain, c)):
            scheduling.book(s, actor=clerk, session_id=sess.id, seeker_id=sk.id)
    with store.read() as s:
        view = queue.daily_queue(s, actor=clerk, office_id="takamatsu", day=DAY)
        data = queue.queue_json(s, actor=clerk, office_id="takamatsu", day=DAY)
    by_id = {r.id: r for r in view.rows}
    assert [c.mode for c in by_id[covered.id].interpreting] == ["in_person"]
    assert [c.mode for c in by_id[bare.id].interpreting] == ["none"]
    assert by_id[plain.id].interpreting == ()
    js = {x["id"]: x["interpreters"] for x in data["sessions"]}
    assert js[bare.id] == [{"language": "English", "cover": "none"}] and js[plain.id] == []
    assert interpreting.uncovered_text(by_id[bare.id].interpreting) == "通訳未手配（English）"


def test_week_load_gives_sessions_to_the_least_loaded_interpreter(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    first = add_line(store, sup, name="通訳 A")
    second = add_line(store, sup, name="通訳 B", weekdays="火")
    sessions = [create(store, clerk, start=f"{h}:00", end=f"{h}:45") for h in (9, 10, 11)]
    late = create(store, clerk, start="16:00", end="16:45")
    for sess in [*sessions, late]:
        sk = seeker_needing(store, actors)
        with store.write() as s:
            scheduling.book(s, actor=clerk, session_id=sess.id, seeker_id=sk.id)
    with pytest.raises(PermissionDenied), store.read() as s:
        interpreting.week_load(s, actor=clerk, office_id="takamatsu", week_start=DAY)
    with store.read() as s:
        load = interpreting.week_load(s, actor=sup, office_id="takamatsu", week_start=DAY)
    by_line = {ln.line.id: ln for ln in load.lines}
    assert len(by_line[first.id].sessions) == 2 and len(by_line[second.id].sessions) == 1
    assert by_line[first.id].roster_minutes == 5 * 180 and by_line[second.id].roster_minutes == 180
    assert by_line[first.id].minutes == 90
    (lang,) = load.languages
    assert (lang.sessions, lang.in_person, lang.remote, lang.uncovered) == (4, 3, 0, (late.id,))
    assert [u[0] for u in load.uncovered] == [late.id]


def test_times_are_read_in_jst(store, actors):
    line = add_line(store, actors["super1"])
    start = datetime(2027, 2, 2, 0, 30, tzinfo=UTC)  # 09:30 JST
    assert line.covers(start, start + timedelta(minutes=45))
    assert not line.covers(start + timedelta(hours=3), start + timedelta(hours=4))  # 12:30 JST


def test_a_finished_session_keeps_its_marks_without_the_warning():
    covers = (interpreting.Cover("英語", "none"),)
    assert interpreting.uncovered_text(covers, "en") == "No interpreter (英語)"
    assert interpreting.uncovered_text(covers, "ja", "completed") == ""
