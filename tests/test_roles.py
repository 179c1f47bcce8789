"""Only the right people: the services themselves refuse a clerk, whatever the UI shows.

Each test calls a service directly as 高松's clerk (``clerk1``) and expects ``PermissionDenied``
with nothing written (the audit log keeps its length), then checks that the supervisor or admin
the role rule names may do it. On SQLite and PostgreSQL (the ``store`` fixture).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from helpers import new_seeker
from sqlmodel import func, select

from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, RuleRefusal
from hwdesk.models import AuditLog, Enrollment, Seeker, Staff
from hwdesk.services import auth, calendar, exports, records, scheduling, seeker_search, seekers, terminations
from hwdesk.services.context import SYSTEM
from hwdesk.services.offices import add_terms_version, document, terms_in_force

DAY = "2027-02-02"  # a Tuesday


def at(hm: str, day: str = DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def audit_count(store) -> int:
    with store.read() as s:
        return s.exec(select(func.count()).select_from(AuditLog)).one()


def refused(store, fn) -> None:
    """``fn(session)`` is refused with PermissionDenied and leaves the audit log as it was."""
    before = audit_count(store)
    with pytest.raises(PermissionDenied), store.write() as s:
        fn(s)
    assert audit_count(store) == before


def a_session(store, actors, *, kind: str = "counseling", start: str = "10:00", end: str = "10:45"):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind=kind,
            start=at(start),
            end=at(end),
            staff_login="clerk1",
        )


def test_clerk_cannot_lift_a_termination(store, actors):
    sk = new_seeker(store, actors["clerk1"])
    with store.write() as s:
        res = terminations.terminate(
            s,
            actor=actors["super1"],
            seeker_id=sk.id,
            office_id="takamatsu",
            ground="disturbing",
            narrative="録画していた",
            scope="ended",
        )
    tid = res.termination.id
    refused(store, lambda s: terminations.lift(s, actor=actors["clerk1"], termination_id=tid, reason="誤り"))
    with store.write() as s:
        assert (
            terminations.lift(s, actor=actors["super1"], termination_id=tid, reason="確認のうえ解除").lifted_at
            is not None
        )


def test_clerk_cannot_view_usage_records(store, actors):
    row = a_session(store, actors)
    with store.write() as s:
        records.add_usage_record(
            s,
            actor=actors["clerk1"],
            session_id=row.id,
            joined_at=at("10:00"),
            left_at=at("10:30"),
            device_kind="iPhone",
            os="iOS 18",
            participant_id="p-ROLE-1",
        )
    sk = new_seeker(store, actors["clerk1"])
    refused(store, lambda s: records.view_usage_records(s, actor=actors["clerk1"], session_id=row.id))
    refused(store, lambda s: records.view_usage_records(s, actor=actors["clerk1"], seeker_id=sk.id))
    with store.write() as s:
        assert len(records.view_usage_records(s, actor=actors["super1"], session_id=row.id)) == 1


def test_clerk_cannot_make_a_lawful_request_export(store, actors, tmp_path):
    out = tmp_path / "answer.csv"
    refused(
        store,
        lambda s: records.lawful_request_export(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            authority="香川県高松北警察署長",
            reference_no="高北刑第1号",
            legal_basis="刑事訴訟法第197条第2項",
            date_from=date(2027, 2, 1),
            date_to=date(2027, 2, 28),
            out_path=out,
        ),
    )
    assert not out.exists()


def test_clerk_cannot_export_identifiable_seekers(store, actors):
    new_seeker(store, actors["clerk1"])
    for fmt in ("csv", "json"):
        refused(
            store,
            lambda s, fmt=fmt: exports.export_seekers(
                s,
                actor=actors["clerk1"],
                office_id="takamatsu",
                date_from=date(2020, 1, 1),
                date_to=date(2030, 1, 1),
                fmt=fmt,
            ),
        )
    # A supervisor of another office is refused too (office scoping).
    refused(
        store,
        lambda s: exports.export_seekers(
            s, actor=actors["super1_shi"], office_id="takamatsu", date_from=date(2020, 1, 1), date_to=date(2030, 1, 1)
        ),
    )
    with store.write() as s:
        assert (
            exports.export_seekers(
                s, actor=actors["super1"], office_id="takamatsu", date_from=date(2020, 1, 1), date_to=date(2030, 1, 1)
            ).rows
            >= 1
        )


@pytest.mark.parametrize("who", ["clerk1", "super1"])
def test_only_an_admin_manages_staff(store, actors, who):
    refused(
        store,
        lambda s: auth.create_staff(
            s,
            actor=actors[who],
            login="mallory",
            name="不正 作成",
            role="admin",
            office_id="takamatsu",
            password="correct horse battery staple",
        ),
    )
    refused(store, lambda s: auth.unlock_account(s, actor=actors[who], login="clerk1_shi"))
    with store.read() as s:
        assert s.exec(select(Staff).where(Staff.login == "mallory")).first() is None
    with store.write() as s:
        auth.create_staff(
            s,
            actor=actors["admin1"],
            login="newclerk",
            name="新人 職員",
            role="clerk",
            office_id="takamatsu",
            password="correct horse battery staple",
        )


def test_clerk_cannot_add_a_terms_version(store, actors):
    with store.read() as s:
        raw = dict(document(terms_in_force(s, "takamatsu", date(2027, 2, 2))).raw)
    raw["version"] = raw["version"] + 1
    raw["effective_on"] = "2030-04-01"
    text = json.dumps(raw, ensure_ascii=False)
    refused(
        store,
        lambda s: add_terms_version(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            text=text,
            effective_on=date(2030, 4, 1),
            reason="改訂",
            ground="user_benefit",
        ),
    )
    refused(
        store,
        lambda s: add_terms_version(
            s,
            actor=actors["super1_shi"],
            office_id="takamatsu",
            text=text,
            effective_on=date(2030, 4, 1),
            reason="他所",
            ground="user_benefit",
        ),
    )
    with store.write() as s:
        assert (
            add_terms_version(
                s,
                actor=actors["super1"],
                office_id="takamatsu",
                text=text,
                effective_on=date(2030, 4, 1),
                reason="改訂",
                ground="user_benefit",
            ).version
            == raw["version"]
        )


def test_clerk_cannot_add_a_closure(store, actors):
    refused(
        store,
        lambda s: calendar.add_closure(
            s, actor=actors["clerk1"], office_id="takamatsu", day=date(2027, 2, 3), reason="臨時休業"
        ),
    )
    with store.write() as s:
        calendar.add_closure(s, actor=actors["super1"], office_id="takamatsu", day=date(2027, 2, 3), reason="臨時休業")


def test_clerk_cannot_override_the_conditions_of_use(store, actors):
    row = a_session(store, actors)
    sk = new_seeker(store, actors["clerk1"])  # no consent, no environment check: not eligible
    with pytest.raises(RuleRefusal), store.write() as s:
        scheduling.book(s, actor=actors["clerk1"], session_id=row.id, seeker_id=sk.id)
    for who in ("clerk1", "super1"):  # an override never lifts a condition of use, whoever asks
        with pytest.raises(RuleRefusal, match="例外承認では外せません"), store.write() as s:
            scheduling.book(
                s, actor=actors[who], session_id=row.id, seeker_id=sk.id, override_reason="本人が急いでいるため"
            )
    with store.read() as s:
        assert s.exec(select(Enrollment).where(Enrollment.session_id == row.id)).all() == []


def test_clerk_of_takamatsu_cannot_register_a_seeker_at_shibuya(store, actors):
    form = seekers.SeekerForm(
        seeker_no="13010-424242",
        name="渋谷 花子",
        name_kana="シブヤ ハナコ",
        birth_date="1990-05-05",
        office_id="shibuya",
        registered_on="2025-01-05",
    )
    refused(store, lambda s: seekers.create_seeker(s, actor=actors["clerk1"], form=form))
    with store.read() as s:
        assert s.exec(select(Seeker).where(Seeker.seeker_no == "13010-424242")).first() is None
    with store.write() as s:
        assert seekers.create_seeker(s, actor=actors["clerk1_shi"], form=form).office_id == "shibuya"


def test_clerk_cannot_edit_or_import_into_another_office(store, actors):
    sk = new_seeker(store, actors["clerk1_shi"], office_id="shibuya")
    with store.read() as s:
        form = seekers.form_from_seeker(s.get(Seeker, sk.id))
    form.phone = "090-0000-1111"
    refused(store, lambda s: seekers.update_seeker(s, actor=actors["clerk1"], seeker_id=sk.id, form=form))
    from hwdesk.services.importer import HEADER_JA, import_seekers

    data = (",".join(HEADER_JA) + "\r\n13010-55,渋谷 次郎,シブヤ ジロウ,1980-01-01,,,窓口,\r\n").encode()
    refused(store, lambda s: import_seekers(s, actor=actors["clerk1"], data=data, office_id="shibuya"))
    with store.read() as s:
        assert s.exec(select(Seeker).where(Seeker.seeker_no == "13010-55")).first() is None


def test_staff_scoped_to_their_office_see_only_its_seekers_unless_granted_more(store, actors):
    new_seeker(store, actors["clerk1_shi"], office_id="shibuya", name="境界 太郎", kana="キョウカイ タロウ")
    with store.read() as s:
        assert seeker_search.search(s, "キョウカイ", actor=SYSTEM, office_id=actors["clerk1"].office_id) == []
        assert len(seeker_search.search(s, "キョウカイ", actor=SYSTEM, office_id=actors["clerk1_shi"].office_id)) == 1


def test_a_passcode_of_another_office_is_refused(store, actors):
    with store.write() as s:
        row = scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            start=at("11:00"),
            end=at("11:45"),
            staff_login="clerk1",
            passcode="ROLE-PASS-1",
        )
    refused(store, lambda s: scheduling.session_passcode(s, actor=actors["clerk1_mae"], session_id=row.id))
