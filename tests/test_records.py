"""Usage records (前橋 第4条, 渋谷 第4条, 高松 第7条): supervisor-only audited views, keyed-hash
pseudonyms, and the lawful-request export as the one identifiable path."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta

import pytest
from helpers import new_seeker
from sqlmodel import select

from hwdesk.audit import verify_chain
from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, ValidationFailed
from hwdesk.models import AuditLog, Enrollment, Meta, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import records

CANARY = "DEVICE-CANARY-123"


def add_session(
    store, *, office: str, start: datetime, seekers: list[int], staff_login: str = "clerk1", state: str = "completed"
) -> int:
    """Insert a session and its enrollments directly (independent of the booking service)."""
    with store.write() as s:
        staff = s.exec(select(Staff).where(Staff.login == staff_login)).one()
        row = SessionRow(
            office_id=office,
            kind="counseling",
            start_at=start,
            end_at=start + timedelta(hours=1),
            staff_id=staff.id,
            state=state,
        )
        s.add(row)
        s.flush()
        for sid in seekers:
            s.add(Enrollment(session_id=row.id, seeker_id=sid, state="completed"))
        return row.id


def _audits(store, action: str) -> list[AuditLog]:
    with store.read() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


@pytest.fixture
def recorded(store, actors):
    """A 高松 seeker with one session and one usage record carrying the canary identifier."""
    sk = new_seeker(store, actors["clerk1"])
    start = datetime(2026, 2, 3, 10, 0, tzinfo=JST)
    sid = add_session(store, office="takamatsu", start=start, seekers=[sk.id])
    with store.write() as s:
        rec = records.add_usage_record(
            s,
            actor=actors["clerk1"],
            session_id=sid,
            seeker_id=sk.id,
            joined_at=start,
            left_at=start + timedelta(minutes=42),
            device_kind="iPhone",
            os="iOS 17.2",
            participant_id=CANARY,
        )
    return sk, sid, rec


def test_pseudonym_is_a_keyed_hash():
    k1, k2 = bytes(32), bytes([1] * 32)
    p = records.pseudonym(k1, CANARY)
    assert len(p) == 16 and int(p, 16) >= 0 and CANARY not in p
    assert p == records.pseudonym(k1.hex(), CANARY) == records.pseudonym(k1, f"  {CANARY} ")
    assert p != records.pseudonym(k2, CANARY)  # another office's key: unrelated
    assert p != hashlib.sha256(CANARY.encode()).hexdigest()[:16]  # not a plain hash anyone could recompute
    assert records.pseudonym(k1, "") == ""


def test_office_key_is_created_once_and_kept(store):
    with store.write() as s:
        k = records.office_key(s, office_id="shibuya")
    with store.write() as s:
        assert records.office_key(s, office_id="shibuya") == k
        assert records.office_key(s, office_id="maebashi") != k
        row = s.get(Meta, "office_key:shibuya")
        assert row is not None and len(bytes.fromhex(row.value)) == 32
    created = _audits(store, "office_key.create")
    assert [a.office_id for a in created] == ["shibuya", "maebashi"]
    assert all(k.hex() not in a.detail_json for a in created)  # the key itself is never logged


def test_adding_a_record_logs_the_pseudonym_not_the_identifier(store, actors, recorded):
    add = _audits(store, "usage.add")
    assert len(add) == 1 and CANARY not in add[0].detail_json
    detail = json.loads(add[0].detail_json)
    assert len(detail["after"]["participant"]) == 16


def test_usage_records_refuse_bad_times(store, actors, recorded):
    _, sid, _ = recorded
    start = datetime(2026, 2, 3, 10, 0, tzinfo=JST)
    with store.write() as s, pytest.raises(ValidationFailed):
        records.add_usage_record(
            s, actor=actors["clerk1"], session_id=sid, joined_at=start, left_at=start - timedelta(minutes=1)
        )


def test_only_supervisors_view_usage_records_and_every_view_is_audited(store, actors, recorded):
    sk, sid, rec = recorded
    with store.write() as s, pytest.raises(PermissionDenied):
        records.view_usage_records(s, actor=actors["clerk1"], session_id=sid)
    assert _audits(store, "usage.view") == []
    with store.write() as s, pytest.raises(PermissionDenied):
        records.view_usage_records(s, actor=actors["super1_shi"], session_id=sid)  # another office
    with store.write() as s:
        rows = records.view_usage_records(s, actor=actors["super1"], session_id=sid)
    assert [(r.participant_id, r.device_kind, r.minutes) for r in rows] == [(CANARY, "iPhone", 42)]
    with store.write() as s:
        by_seeker = records.view_usage_records(s, actor=actors["super1"], seeker_id=sk.id)
        assert records.pseudonym(records.office_key(s, office_id="takamatsu"), CANARY) == by_seeker[0].pseudonym
    views = _audits(store, "usage.view")
    assert [(v.staff_id, v.entity, v.entity_id, json.loads(v.detail_json)["rows"]) for v in views] == [
        (actors["super1"].id, "session", str(sid), 1),
        (actors["super1"].id, "seeker", str(sk.id), 1),
    ]
    assert all(CANARY not in v.detail_json for v in views)
    # Another office's supervisor sees none of 高松's records through the seeker either.
    with store.write() as s:
        assert records.view_usage_records(s, actor=actors["super1_shi"], seeker_id=sk.id) == []


def _lawful(store, actor, out, **kw):
    with store.write() as s:
        return records.lawful_request_export(
            s,
            actor=actor,
            office_id="takamatsu",
            authority="香川県高松北警察署長",
            reference_no="高北刑第123号",
            legal_basis="刑事訴訟法第197条第2項",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            out_path=out,
            **kw,
        )


def test_lawful_request_refuses_a_clerk_and_writes_nothing(store, actors, recorded, tmp_path):
    out = tmp_path / "answer.csv"
    with pytest.raises(PermissionDenied):
        _lawful(store, actors["clerk1"], out)
    assert not out.exists()
    assert _audits(store, "lawful_request") == [] and _audits(store, "lawful_request.export") == []
    with pytest.raises(PermissionDenied):
        _lawful(store, actors["super1_shi"], out)  # a supervisor of another office
    assert not out.exists()


def test_lawful_request_records_the_request_and_marks_the_file(store, actors, recorded, tmp_path):
    sk, sid, _ = recorded
    out = tmp_path / "answer.csv"
    result = _lawful(store, actors["super1"], out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert lines[0] == [records.LAWFUL_MARK] and "LAWFUL-REQUEST EXPORT" in lines[0][0]
    header = lines[2]
    body = [dict(zip(header, r)) for r in lines[3:]]
    assert [(b["participant_id"], b["seeker_no"], b["session_id"]) for b in body] == [(CANARY, sk.seeker_no, str(sid))]
    assert body[0]["session_date"] == "2026-02-03" and body[0]["session_date_wareki"] == "令和8年2月3日"
    (req,) = _audits(store, "lawful_request")
    detail = json.loads(req.detail_json)
    assert detail["authority"] == "香川県高松北警察署長" and detail["reference_no"] == "高北刑第123号"
    assert detail["legal_basis"] == "刑事訴訟法第197条第2項" and req.staff_id == actors["super1"].id
    (exp,) = _audits(store, "lawful_request.export")
    logged = json.loads(exp.detail_json)
    assert logged["rows"] == 1 == result.rows and logged["sha256"] == hashlib.sha256(data).hexdigest() == result.sha256
    assert logged["path"] == str(out.absolute()) and exp.entity_id == str(req.id)
    assert (out.stat().st_mode & 0o077) == 0  # owner only
    with pytest.raises(ValidationFailed):
        _lawful(store, actors["super1"], out)  # never overwrites
    with store.read() as s:
        assert verify_chain(s).ok


def test_lawful_request_needs_authority_reference_and_basis(store, actors, tmp_path):
    out = tmp_path / "x.csv"
    with store.write() as s, pytest.raises(ValidationFailed) as exc:
        records.lawful_request_export(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            authority="警察署",
            reference_no=" ",
            legal_basis="刑訴法197条2項",
            date_from=date(2026, 1, 1),
            date_to=date(2026, 1, 31),
            out_path=out,
        )
    assert exc.value.field == "reference_no" and not out.exists()


def test_lawful_request_can_be_narrowed_to_one_seeker(store, actors, recorded, tmp_path):
    other = new_seeker(store, actors["clerk1"], name="別人 花子")
    sid = add_session(store, office="takamatsu", start=datetime(2026, 2, 10, 10, 0, tzinfo=JST), seekers=[other.id])
    with store.write() as s:
        records.add_usage_record(
            s, actor=actors["clerk1"], session_id=sid, seeker_id=other.id, participant_id="OTHER-1"
        )
    sk = recorded[0]
    result = _lawful(store, actors["super1"], tmp_path / "one.csv", seeker_id=sk.id)
    text = (tmp_path / "one.csv").read_text(encoding="utf-8-sig")
    assert result.rows == 1 and CANARY in text and "OTHER-1" not in text
    assert json.loads(_audits(store, "lawful_request")[0].detail_json)["seeker_id"] == sk.id
