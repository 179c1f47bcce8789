"""The follow-up list (issue 20, item 4): seekers not checked in N minutes after the start, call
results with corrections kept in the history, an environment-check suggestion after repeated
connection failures (never a stop), and last week's no-shows with their reminder calls. Both backends."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.cli.followup import view_json
from hwdesk.clock import JST
from hwdesk.errors import NotFound, PermissionDenied, ValidationFailed
from hwdesk.models import AuditLog, FollowupCall, Termination
from hwdesk.services import consent, followup, queue, scheduling

DAY = date(2027, 2, 2)  # a Tuesday


def at(hm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), JST)


def ready(store, actors, **kw):
    sk = new_seeker(store, actors["clerk1"], **kw)
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="seminar")
    return sk


def create(store, actors, start="10:00", end="11:00", day=DAY, kind="seminar"):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind=kind,
            start=at(start, day),
            end=at(end, day),
            staff_login="clerk1",
            capacity=10 if kind == "seminar" else None,
            join_url="https://zoom.us/j/987",
        ).id


def book(store, actors, sid, seeker_id):
    with store.write() as s:
        scheduling.book(s, actor=actors["clerk1"], session_id=sid, seeker_id=seeker_id)


def late(store, actor, now):
    with store.read() as s:
        return followup.late_seekers(s, actor=actor, office_id="takamatsu", now=now)


def test_a_seeker_not_checked_in_after_n_minutes_is_listed_until_the_end(store, actors):
    clerk = actors["clerk1"]
    a = ready(store, actors, name="遅刻 花子", kana="チコク ハナコ", phone="09011112222")
    b = ready(store, actors, name="出席 太郎", kana="シュッセキ タロウ")
    sid = create(store, actors)
    book(store, actors, sid, a.id)
    book(store, actors, sid, b.id)
    with store.write() as s:
        scheduling.set_state(s, actor=clerk, session_id=sid, seeker_id=b.id, state="checked_in", now=at("10:01"))
    with store.read() as s:
        assert followup.followup_minutes(s, "takamatsu") == followup.DEFAULT_MINUTES == 10
    assert late(store, clerk, at("10:09")) == []  # not yet N minutes
    rows = late(store, clerk, at("10:12"))
    assert [(r.seeker_no, r.name, r.minutes_late) for r in rows] == [(a.seeker_no, "遅刻 花子", 12)]
    assert rows[0].phone == "090-1111-2222" and rows[0].session_id == sid
    assert late(store, clerk, at("11:00")) == []  # the session has ended: a no-show matter now
    with store.write() as s:
        scheduling.set_state(s, actor=clerk, session_id=sid, seeker_id=a.id, state="checked_in", now=at("10:15"))
    assert late(store, clerk, at("10:20")) == []


def test_the_office_setting_changes_n(store, actors, monkeypatch):
    from hwdesk.services.offices import profile

    sk = ready(store, actors)
    sid = create(store, actors)
    book(store, actors, sid, sk.id)
    with store.read() as s:
        # the profile's own key (restored after the test: profiles are shared by the process)
        monkeypatch.setitem(profile(s, "takamatsu").raw, "followup_minutes", 20)
        assert followup.followup_minutes(s, "takamatsu") == 20
    assert late(store, actors["clerk1"], at("10:15")) == []
    assert [r.seeker_id for r in late(store, actors["clerk1"], at("10:21"))] == [sk.id]


def test_a_stopped_seeker_is_not_phoned_to_join(store, actors):
    sk = ready(store, actors)
    sid = create(store, actors)
    book(store, actors, sid, sk.id)
    with store.write() as s:
        s.add(
            Termination(
                seeker_id=sk.id,
                office_id="takamatsu",
                ground="other",
                cite="第12条",
                narrative="test",
                scope="suspended",
                decided_by=actors["super1"].id,
            )
        )
    assert late(store, actors["clerk1"], at("10:30")) == []


def test_call_results_are_recorded_and_corrected_with_history(store, actors):
    clerk, sup = actors["clerk1"], actors["super1"]
    sk = ready(store, actors)
    sid = create(store, actors)
    book(store, actors, sid, sk.id)
    with store.write() as s:
        first = followup.record_call(s, actor=clerk, session_id=sid, seeker_id=sk.id, outcome="reached", note="向かう")
    with pytest.raises(ValidationFailed), store.write() as s:
        followup.record_call(s, actor=clerk, session_id=sid, seeker_id=sk.id, outcome="maybe")
    with pytest.raises(PermissionDenied), store.write() as s:  # a clerk does not correct
        followup.correct_call(
            s, actor=clerk, session_id=sid, call_id=first.id, outcome="no_answer", reason="押し間違い"
        )
    with pytest.raises(ValidationFailed), store.write() as s:  # a reason is required
        followup.correct_call(s, actor=sup, session_id=sid, call_id=first.id, outcome="no_answer", reason=" ")
    with store.write() as s:
        fixed = followup.correct_call(
            s, actor=sup, session_id=sid, call_id=first.id, outcome="no_answer", reason="押し間違い"
        )
    with pytest.raises(ValidationFailed), store.write() as s:  # only the latest row is corrected
        followup.correct_call(s, actor=sup, session_id=sid, call_id=first.id, outcome="reached", reason="再訂正")
    rows = late(store, clerk, at("10:20"))
    assert [c.outcome for c in rows[0].calls] == ["no_answer"] and rows[0].last.id == fixed.id
    with store.read() as s:
        view = followup.followup_view(s, actor=clerk, office_id="takamatsu", now=at("10:20"))
        stored = s.exec(select(FollowupCall).order_by(FollowupCall.id)).all()
        actions = [
            (a.action, json.loads(a.detail_json))
            for a in s.exec(select(AuditLog).where(AuditLog.action.like("followup.%")).order_by(AuditLog.id))
        ]
    assert [(c.outcome, c.corrects_id, c.reason) for c in stored] == [
        ("reached", None, ""),
        ("no_answer", first.id, "押し間違い"),
    ]
    assert [c.outcome for c in view.history[fixed.id]] == ["reached"]  # the history keeps both
    assert [a for a, _ in actions] == ["followup.call", "followup.correct"]
    assert actions[1][1]["before"]["outcome"] == "reached" and actions[1][1]["reason"] == "押し間違い"
    data = view_json(view)
    assert data["late"][0]["calls"][0]["corrects"] == first.id
    assert data["late"][0]["history"][str(fixed.id)][0]["outcome"] == "reached"


def test_a_call_for_someone_not_in_the_session_is_refused(store, actors):
    sk = ready(store, actors)
    sid = create(store, actors)
    with pytest.raises(NotFound), store.write() as s:
        followup.record_call(s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id, outcome="reached")


def test_another_offices_clerk_cannot_read_or_record(store, actors):
    sk = ready(store, actors)
    sid = create(store, actors)
    book(store, actors, sid, sk.id)
    with pytest.raises(PermissionDenied), store.read() as s:
        followup.followup_view(s, actor=actors["clerk1_mae"], office_id="takamatsu", now=at("10:20"))
    with pytest.raises(PermissionDenied), store.write() as s:
        followup.record_call(s, actor=actors["clerk1_mae"], session_id=sid, seeker_id=sk.id, outcome="reached")


def _fail(store, actors, seekers, day, kind="connection_failed"):
    sid = create(store, actors, day=day)
    for sk in seekers:
        book(store, actors, sid, sk.id)
    with store.write() as s:
        for sk in seekers:
            scheduling.set_state(
                s, actor=actors["clerk1"], session_id=sid, seeker_id=sk.id, state=kind, now=at("10:30", day)
            )
    return sid


def test_repeated_connection_failures_suggest_an_env_check_never_a_stop(store, actors):
    clerk = actors["clerk1"]
    sk = ready(store, actors, name="接続 失敗", kana="セツゾク シッパイ")
    other = ready(store, actors, name="一回 だけ", kana="イッカイ ダケ")
    _fail(store, actors, [sk, other], DAY)
    now = at("12:00", DAY + timedelta(days=2))
    with store.read() as s:
        assert followup.followup_view(s, actor=clerk, office_id="takamatsu", now=now).suggestions == []
    _fail(store, actors, [sk], DAY + timedelta(days=1))
    with store.read() as s:
        view = followup.followup_view(s, actor=clerk, office_id="takamatsu", now=now)
    assert [(e.seeker_no, e.failures) for e in view.suggestions] == [(sk.seeker_no, 2)]
    line = view.suggestions[0].text(view.env_cite, "ja")
    assert "利用環境の確認" in line and "利用の中止ではありません" in line and view.env_cite[0].startswith("第")
    assert "Not a stop of use" in view.suggestions[0].text(view.env_cite, "en")
    with store.read() as s:  # nothing stops use: the seeker can still be booked
        assert s.exec(select(Termination).where(Termination.seeker_id == sk.id)).all() == []
    # a new environment check after the failures clears the suggestion
    with store.write() as s:
        consent.record_env_check(
            s,
            actor=clerk,
            seeker_id=sk.id,
            office_id="takamatsu",
            answers={i.key: True for i in consent.env_items(s, "takamatsu")},
            declared_on=DAY + timedelta(days=2),
        )
    with store.read() as s:
        assert followup.followup_view(s, actor=clerk, office_id="takamatsu", now=now).suggestions == []


def test_no_shows_of_the_past_week_with_the_reminder_call(store, actors):
    clerk = actors["clerk1"]
    called = ready(store, actors, name="電話 済み", kana="デンワ ズミ")
    silent = ready(store, actors, name="電話 なし", kana="デンワ ナシ")
    sid = create(store, actors)
    book(store, actors, sid, called.id)
    book(store, actors, sid, silent.id)
    with store.write() as s:
        queue.record_reminder(s, actor=clerk, session_id=sid, seeker_id=called.id, outcome="not_reached")
        for sk, kind in ((called, "absent"), (silent, "connection_failed")):
            scheduling.set_state(s, actor=clerk, session_id=sid, seeker_id=sk.id, state=kind, now=at("10:40"))
    with store.read() as s:
        view = followup.followup_view(s, actor=clerk, office_id="takamatsu", now=at("09:00", DAY + timedelta(days=3)))
        old = followup.followup_view(s, actor=clerk, office_id="takamatsu", now=at("09:00", DAY + timedelta(days=8)))
    got = {r.seeker_no: (r.state, r.reminded, r.reminder) for r in view.no_shows}
    assert got == {
        called.seeker_no: ("absent", True, "not_reached"),
        silent.seeker_no: ("connection_failed", False, None),
    }
    assert old.no_shows == []  # more than a week ago
    data = view_json(view)
    assert {r["seeker_no"]: r["reminder_call"] for r in data["no_shows"]} == {
        called.seeker_no: True,
        silent.seeker_no: False,
    }


# --- the CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli(store, monkeypatch, capsys):
    from hwdesk.cli import main

    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(*args: str):
        code = main(["--db", store.url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_followup_json_call_and_correct(cli, store, actors, monkeypatch):
    sk = ready(store, actors, name="電話 先", kana="デンワ サキ")
    sid = create(store, actors)
    book(store, actors, sid, sk.id)
    code, out, err = cli("followup", "--json")
    assert code == 2 and "--as" in err  # personal data: signed in only
    code, out, err = cli(
        "--as", "clerk1", "followup", "call", str(sid), sk.seeker_no, "--result", "no_answer", "--json"
    )
    assert code == 0, err
    call = json.loads(out)
    assert call["outcome"] == "no_answer" and call["corrects"] is None
    code, out, err = cli(
        "--as", "clerk1", "followup", "correct", str(sid), str(call["id"]), "--result", "reached", "--reason", "誤り"
    )
    assert code == 2  # a clerk does not correct
    code, out, err = cli(
        "--as",
        "super1",
        "--lang",
        "en",
        "followup",
        "correct",
        str(sid),
        str(call["id"]),
        "--result",
        "reached",
        "--reason",
        "pressed the wrong key",
    )
    assert code == 0, err
    assert f"Call record #{call['id']} corrected to Reached" in out
    # the list itself, at a time when the session has started (the service's clock)
    from hwdesk import clock

    monkeypatch.setattr(clock, "_source", lambda: at("10:25"))
    code, out, err = cli("--as", "clerk1", "followup", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["minutes"] == 10
    (row,) = data["late"]
    assert (row["seeker_no"], row["minutes_late"], row["calls"][0]["outcome"]) == (sk.seeker_no, 25, "reached")
    assert row["history"][str(row["calls"][0]["id"])][0]["outcome"] == "no_answer"
    code, out, err = cli("--as", "clerk1", "--lang", "en", "followup")
    assert code == 0, err
    assert "Not checked in 10 minutes after the start (1)" in out and sk.seeker_no in out
    with store.read() as s:
        reads = s.exec(select(AuditLog).where(AuditLog.action == "cli.read")).all()
    assert any(json.loads(a.detail_json).get("followup") for a in reads)  # the view is audited


def test_the_queue_json_lists_who_to_phone_today(store, actors):
    sk = ready(store, actors)
    sid = create(store, actors)
    book(store, actors, sid, sk.id)
    with store.read() as s:
        data = queue.queue_json(s, actor=actors["clerk1"], office_id="takamatsu", day=DAY, now=at("10:20"))
        other = queue.queue_json(s, actor=actors["clerk1"], office_id="takamatsu", day=DAY, now=at("09:00"))
    assert data["followup"] == [{"session": sid, "seeker": sk.seeker_no, "minutes_late": 20, "last_call": None}]
    assert other["followup"] == []
