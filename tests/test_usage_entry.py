"""Usage records from the command line and from typed text (both backends): any staff member of the
office adds, only a supervisor lists, every list is an audited view; bad input names its field."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from helpers import new_seeker
from sqlmodel import select

from hwdesk.cli import main
from hwdesk.clock import JST
from hwdesk.errors import NotFound, PermissionDenied, ValidationFailed
from hwdesk.models import AuditLog, Enrollment, Staff, UsageRecord
from hwdesk.models import Session as SessionRow
from hwdesk.services.usage_entry import UsageEntry, add_entry, list_for


def _session(store, seeker_id: int, *, office: str = "takamatsu", login: str = "clerk1") -> int:
    with store.write() as s:
        staff = s.exec(select(Staff).where(Staff.login == login)).one()
        start = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
        row = SessionRow(
            office_id=office,
            kind="counseling",
            start_at=start,
            end_at=start + timedelta(minutes=45),
            staff_id=staff.id,
            capacity=1,
            state="completed",
        )
        s.add(row)
        s.flush()
        s.add(Enrollment(session_id=row.id, seeker_id=seeker_id, state="completed"))
        return row.id


def test_typed_entry_is_checked_field_by_field(store, actors):
    clerk = actors["clerk1"]
    sk = new_seeker(store, clerk)
    other = new_seeker(store, clerk, name="別人 次郎", kana="ベツジン ジロウ")
    sid = _session(store, sk.id)
    for entry, field in (
        (UsageEntry("abc"), "session_id"),
        (UsageEntry(str(sid), joined="25:00"), "joined_at"),
        (UsageEntry(str(sid), seeker_no=other.seeker_no), "seeker_no"),
        (UsageEntry(str(sid), joined="10:40", left="10:02"), "left_at"),
    ):
        with store.write() as s, pytest.raises(ValidationFailed) as exc:
            add_entry(s, actor=clerk, entry=entry)
        assert exc.value.field == field, entry
    with store.write() as s, pytest.raises(NotFound):
        add_entry(s, actor=clerk, entry=UsageEntry("999999"))
    with store.write() as s, pytest.raises(PermissionDenied):  # another office's session
        add_entry(s, actor=actors["clerk1_shi"], entry=UsageEntry(str(sid)))
    with store.write() as s:
        rec = add_entry(
            s,
            actor=clerk,
            entry=UsageEntry(str(sid), sk.seeker_no, "10:02", "2027-02-02 10:40", "PC", "Windows 11", "z-1"),
        )
        assert rec.joined_at.astimezone(JST).strftime("%Y-%m-%d %H:%M") == "2027-02-02 10:02"
    with store.write() as s, pytest.raises(PermissionDenied):
        list_for(s, actor=clerk, session_id=str(sid))
    with store.write() as s:
        rows = list_for(s, actor=actors["super1"], seeker_no=sk.seeker_no)
    assert [(r.session_id, r.minutes, r.participant_id) for r in rows] == [(sid, 38, "z-1")]


@pytest.fixture
def cli(store, monkeypatch, capsys):
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(*args: str):
        code = main(["--db", store.url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_add_and_list_with_the_apps_rules(cli, store, actors):
    sk = new_seeker(store, actors["clerk1"])
    sid = _session(store, sk.id)
    code, out, err = cli(
        "--as",
        "clerk1",
        "usage-record",
        "add",
        str(sid),
        "--seeker",
        sk.seeker_no,
        "--joined",
        "10:02",
        "--left",
        "10:40",
        "--device",
        "iPhone",
        "--os",
        "iOS 17",
        "--participant",
        "zoom-abc",
        "--json",
    )
    assert code == 0, err
    rec_id = json.loads(out)["id"]
    code, _, err = cli("--as", "clerk1", "usage-record", "add", str(sid), "--joined", "25:00")
    assert code == 2 and "時刻" in err and "Traceback" not in err
    code, _, err = cli("--as", "clerk1", "usage-record", "list", "--session", str(sid))
    assert code == 2 and "統括職員" in err
    code, out, err = cli("--as", "super1", "usage-record", "list", "--session", str(sid), "--json")
    assert code == 0, err
    [row] = json.loads(out)
    assert row["id"] == rec_id and row["minutes"] == 38 and row["joined_at"] == "2027-02-02T10:02:00+09:00"
    code, out, _ = cli("--as", "super1", "usage-record", "list", "--seeker", sk.seeker_no)
    assert code == 0 and "zoom-abc" in out and "監査" in out
    with store.read() as s:
        views = s.exec(select(AuditLog).where(AuditLog.action == "usage.view")).all()
        adds = s.exec(select(AuditLog).where(AuditLog.action == "usage.add")).all()
        assert len(views) == 2 and len(adds) == 1 and "zoom-abc" not in adds[0].detail_json  # a pseudonym, never the id
        assert s.exec(select(UsageRecord)).one().participant_id == "zoom-abc"
