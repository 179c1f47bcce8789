"""``hwdesk queue / session / book / cancel / status / closure / terminate / lift / reminders``,
run in-process on both backends (exit status 2 and the reason on stderr when refused)."""

from __future__ import annotations

import json

import pytest
from helpers import make_ready, new_seeker

from hwdesk.cli import main


@pytest.fixture
def cli(store, db_url, monkeypatch, capsys):
    """Run ``hwdesk --db URL [--as LOGIN] …``; returns (exit status, stdout, stderr)."""
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    monkeypatch.delenv("HWDESK_STAFF", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, as_: str | None = None):
        code = main(["--db", db_url, *(["--as", as_] if as_ else []), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _create(cli, *extra: str, as_: str = "clerk1") -> list[int]:
    code, out, err = cli("session", "create", "--office", "takamatsu", "--json", *extra, as_=as_)
    assert code == 0, err
    return json.loads(out)["created"]


def test_create_book_queue_and_json(cli, store, actors):
    sk = new_seeker(store, actors["clerk1"], name="佐藤 花子")
    make_ready(store, actors["clerk1"], sk.id, "takamatsu")
    [sid] = _create(
        cli,
        "--kind",
        "counseling",
        "--start",
        "2027-02-02T10:00",
        "--end",
        "2027-02-02T10:45",
        "--staff",
        "clerk1",
        "--url",
        "https://zoom.us/j/987",
        "--meeting-id",
        "987 654",
        "--passcode",
        "s3cret",
    )
    code, out, err = cli("book", str(sid), sk.seeker_no, as_="clerk1")
    assert code == 0 and "予約しました" in out, err
    code, out, _ = cli("queue", "--office", "takamatsu", "--date", "2027-02-02", "--json", as_="clerk1")
    data = json.loads(out)
    [row] = data["sessions"]
    assert (row["id"], row["kind"], row["state"], row["staff"]) == (sid, "counseling", "scheduled", "clerk1")
    assert (row["start"], row["end"]) == ("2027-02-02T10:00:00+09:00", "2027-02-02T10:45:00+09:00")
    assert row["seekers"] == [sk.seeker_no] and row["join_url"] == "https://zoom.us/j/987" and row["capacity"] == 1
    assert "s3cret" not in out
    code, out, _ = cli("queue", "--office", "takamatsu", "--date", "令和9年2月2日", as_="clerk1")
    assert code == 0 and "佐藤 花子" in out and "clerk1" in out
    code, out, _ = cli("session", "passcode", str(sid), as_="clerk1")
    assert code == 0 and out.strip() == "s3cret"
    code, out, _ = cli("session", "show", str(sid), "--json", as_="clerk1")
    assert json.loads(out)["has_passcode"] is True and "s3cret" not in out


def test_series_prints_created_ids_and_skipped_dates(cli):
    code, out, err = cli(
        "session",
        "create",
        "--office",
        "takamatsu",
        "--kind",
        "seminar",
        "--capacity",
        "20",
        "--start",
        "2027-02-02T10:00+09:00",
        "--end",
        "2027-02-02T11:00+09:00",
        "--staff",
        "super1",
        "--repeat",
        "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
        "--title",
        "応募書類セミナー",
        "--json",
        as_="clerk1",
    )
    assert code == 0, err
    data = json.loads(out)
    assert len(data["created"]) == 3 and data["series"]
    assert [(k["date"], "天皇誕生日" in k["reason"]) for k in data["skipped"]] == [("2027-02-23", True)]


def test_refusals_exit_2_with_reason_on_stderr(cli, store, actors):
    [sid] = _create(
        cli, "--kind", "counseling", "--start", "2027-02-02T10:00", "--end", "2027-02-02T10:45", "--staff", "clerk1"
    )
    sk = new_seeker(store, actors["clerk1"], registered=False, webcam=False)
    code, _, err = cli("book", str(sid), sk.seeker_no, as_="clerk1")
    assert code == 2 and "ハローワーク高松" in err
    for cite in ("第2条(1)", "第2条(2)", "第2条(3)", "第5条", "第12条(3)"):
        assert cite in err
    assert "Traceback" not in err
    for who in ("clerk1", "super1"):  # an override never lifts a condition of use
        code, _, err = cli("book", str(sid), sk.seeker_no, "--override", "所長了承", as_=who)
        assert code == 2 and "例外承認では外せません" in err and "✘ 個室又は周囲に他人がいない環境（第12条(3)）" in err
    code, _, err = cli("--lang", "en", "book", str(sid), sk.seeker_no, "--override", "ok", as_="super1")
    assert code == 2 and "never lifts a condition of use" in err and "(Art. 2 item 2)" in err
    [group] = _create(
        cli,
        "--kind",
        "seminar",
        "--capacity",
        "1",
        "--start",
        "2027-02-03T10:00",
        "--end",
        "2027-02-03T11:00",
        "--staff",
        "clerk1",
    )
    ready = [new_seeker(store, actors["clerk1"]) for _ in range(2)]
    for r in ready:
        make_ready(store, actors["clerk1"], r.id, "takamatsu", service="seminar")
    assert cli("book", str(group), ready[0].seeker_no, as_="clerk1")[0] == 0
    code, _, err = cli("book", str(group), ready[1].seeker_no, "--override", "所長了承", as_="clerk1")
    assert code == 2 and "統括職員" in err  # lifting the capacity is a supervisor's
    code, _, err = cli("book", str(group), ready[1].seeker_no, "--override", "所長了承", as_="super1")
    assert code == 0, err
    code, out, _ = cli("session", "show", str(group), "--json", as_="clerk1")
    assert [e["override_reason"] for e in json.loads(out)["enrollments"]] == ["", "所長了承"]
    code, _, err = cli(
        "session",
        "create",
        "--office",
        "takamatsu",
        "--kind",
        "counseling",
        "--start",
        "2027-02-23T10:00",
        "--end",
        "2027-02-23T10:45",
        "--staff",
        "clerk1",
        "--json",
        as_="clerk1",
    )
    assert code == 2 and "天皇誕生日" in err
    code, _, err = cli(
        "session",
        "create",
        "--office",
        "takamatsu",
        "--kind",
        "counseling",
        "--start",
        "2027-02-02T10:30",
        "--end",
        "2027-02-02T11:00",
        "--staff",
        "clerk1",
        as_="clerk1",
    )
    assert code == 2 and "別のセッション" in err
    code, _, err = cli(
        "session",
        "create",
        "--office",
        "takamatsu",
        "--kind",
        "counseling",
        "--start",
        "2027-02-03T10:30",
        "--end",
        "2027-02-03T11:00",
        "--staff",
        "clerk1",
        "--url",
        "http://zoom.us/j/1",
        as_="clerk1",
    )
    assert code == 2 and "https" in err
    code, _, err = cli("book", str(sid), sk.seeker_no)
    assert code == 2 and "--as" in err
    code, _, err = cli("--lang", "en", "status", str(sid), "completed", as_="clerk1")
    assert code == 2 and "cannot go from Scheduled to Completed" in err


def test_status_cancel_and_waitlist(cli, store, actors):
    [sid] = _create(
        cli,
        "--kind",
        "seminar",
        "--capacity",
        "1",
        "--start",
        "2027-02-03T13:00",
        "--end",
        "2027-02-03T14:00",
        "--staff",
        "clerk1",
    )
    a, b = new_seeker(store, actors["clerk1"]), new_seeker(store, actors["clerk1"])
    for sk in (a, b):
        make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="seminar")
    assert cli("book", str(sid), a.seeker_no, as_="clerk1")[0] == 0
    code, out, _ = cli("book", str(sid), b.seeker_no, as_="clerk1")
    assert code == 0 and "キャンセル待ち（1番）" in out
    code, out, _ = cli("cancel", str(sid), a.seeker_no, "--reason", "by_seeker", as_="clerk1")
    assert code == 0 and "空席を案内中" in out
    assert cli("session", "confirm", str(sid), b.seeker_no, as_="clerk1")[0] == 0
    code, _, err = cli("status", str(sid), "no_show", as_="clerk1")  # before the start (2027)
    assert code == 2 and "開始時刻" in err
    assert cli("status", str(sid), "checked_in", "--seeker", b.seeker_no, as_="clerk1")[0] == 0
    code, out, _ = cli("status", str(sid), "completed", as_="clerk1")
    assert code == 0 and "完了" in out
    [other] = _create(
        cli, "--kind", "counseling", "--start", "2027-02-04T09:00", "--end", "2027-02-04T09:30", "--staff", "clerk1"
    )
    code, _, err = cli("cancel", str(other), "--reason", "sometime", as_="clerk1")
    assert code == 2 and "by_seeker" in err
    code, out, _ = cli("cancel", str(other), "--reason", "by_office", as_="clerk1")
    assert code == 0 and "キャンセルしました" in out


def test_closure_terminate_lift_and_reminders(cli, store, actors):
    code, _, err = cli(
        "closure", "add", "--office", "takamatsu", "--date", "2027-02-05", "--reason", "研修", as_="clerk1"
    )
    assert code == 2 and "統括職員" in err
    assert (
        cli("closure", "add", "--office", "takamatsu", "--date", "2027-02-05", "--reason", "研修", as_="super1")[0] == 0
    )
    code, out, _ = cli("closure", "list", "--office", "takamatsu")
    assert "2027-02-05  研修" in out
    code, _, err = cli(
        "session",
        "create",
        "--office",
        "takamatsu",
        "--kind",
        "counseling",
        "--start",
        "2027-02-05T10:00",
        "--end",
        "2027-02-05T10:45",
        "--staff",
        "clerk1",
        as_="clerk1",
    )
    assert code == 2 and "研修" in err

    sk = new_seeker(store, actors["clerk1"], phone="087-111-2222")
    make_ready(store, actors["clerk1"], sk.id, "takamatsu")
    [sid] = _create(
        cli, "--kind", "counseling", "--start", "2027-02-08T10:00", "--end", "2027-02-08T10:45", "--staff", "clerk1"
    )
    assert cli("book", str(sid), sk.seeker_no, as_="clerk1")[0] == 0
    code, out, _ = cli(
        "reminders", "--office", "takamatsu", "--date", "2027-02-04", "--json", as_="clerk1"
    )  # Thu → Mon (Fri is closed)
    data = json.loads(out)
    assert data["date"] == "2027-02-08" and data["calls"][0]["seeker_no"] == sk.seeker_no
    assert data["calls"][0]["phone"] == "087-111-2222" and data["calls"][0]["missing"] == ["no_link"]

    code, _, err = cli(
        "terminate",
        sk.seeker_no,
        "--office",
        "takamatsu",
        "--ground",
        "disturbing",
        "--scope",
        "ended",
        "--narrative",
        "録画",
        as_="clerk1",
    )
    assert code == 2 and "統括職員" in err
    code, _, err = cli(
        "terminate",
        sk.seeker_no,
        "--office",
        "takamatsu",
        "--ground",
        "infringement",
        "--scope",
        "ended",
        "--narrative",
        "侵害",
        as_="super1",
    )
    assert code == 2 and "定めがありません" in err
    # 高松 第12条(2) bans recording but only 第12条(1) stops use: no recording ground of its own
    code, _, err = cli(
        "terminate",
        sk.seeker_no,
        "--office",
        "takamatsu",
        "--ground",
        "recording",
        "--scope",
        "ended",
        "--narrative",
        "録画",
        as_="super1",
    )
    assert code == 2 and "定めがありません" in err and "適正なオンライン職業相談等の遂行に支障" in err
    code, out, err = cli(
        "terminate",
        sk.seeker_no,
        "--office",
        "takamatsu",
        "--ground",
        "disturbing",
        "--scope",
        "suspended",
        "--until",
        "2027-03-31",
        "--narrative",
        "録画していた",
        "--json",
        as_="super1",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["cite"] == "第12条(1)" and [b["session"] for b in data["future_bookings"]] == [sid]
    [later] = _create(
        cli, "--kind", "counseling", "--start", "2027-02-09T10:00", "--end", "2027-02-09T10:45", "--staff", "clerk1"
    )
    code, _, err = cli("book", str(later), sk.seeker_no, as_="clerk1")
    assert code == 2 and "第12条(1)" in err
    assert cli("lift", str(data["id"]), "--reason", "反省文を受領", as_="super1")[0] == 0
    assert cli("book", str(later), sk.seeker_no, as_="clerk1")[0] == 0
