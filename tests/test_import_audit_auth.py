"""CSV import, the audit chain, and sign-in (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from hwdesk import audit
from hwdesk.errors import AuthError, PermissionDenied
from hwdesk.models import AuditLog, Seeker, Staff
from hwdesk.services import auth, importer

HEADER = "求職番号,氏名,フリガナ,生年月日,電話番号,メール,登録区分,登録日\n"
GOOD = (
    "37010-1,山田 太郎,やまだ たろう,1985-04-01,090-1234-5678,taro@example.jp,窓口,2025-01-05\n"
    "37010-2,佐藤 花子,ｻﾄｳ ﾊﾅｺ,平成2年3月4日,087-123-4567,,オンライン,R7.1.5\n"
)
BAD = (
    "abc,鈴木 一郎,スズキ イチロウ,1970-01-01,,,窓口,\n"  # line 4: bad number
    "37010-4,田中 次郎,たなか じろう,平成31年5月1日,,,窓口,\n"  # line 5: no such date
    "37010-5,伊藤 三郎,伊藤,1970-01-01,,,窓口,\n"  # line 6: kanji in the reading
)


def _import(store, actor, data: bytes, **kw):
    with store.write() as s:
        return importer.import_seekers(s, actor=actor, data=data, office_id="takamatsu", **kw)


def _count(store):
    with store.read() as s:
        return s.exec(select(func.count()).select_from(Seeker)).one()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_import_keeps_good_rows_and_reports_bad_ones_by_line(store, actors, encoding):
    result = _import(store, actors["clerk1"], (HEADER + GOOD + BAD).encode(encoding))
    assert result.added == 2
    assert [(e.line, e.field) for e in result.errors] == [(4, "seeker_no"), (5, "birth_date"), (6, "name_kana")]
    assert "5行目: 生年月日" in result.errors[1].message("ja")
    assert result.errors[1].message("en").startswith("line 5: Date of birth")
    assert _count(store) == 2
    with store.read() as s:
        assert s.exec(select(Seeker).where(Seeker.seeker_no == "37010-2")).one().name_kana == "サトウ ハナコ"


def test_reimporting_the_same_file_creates_no_duplicates(store, actors):
    data = (HEADER + GOOD).encode()
    assert _import(store, actors["clerk1"], data).added == 2
    again = _import(store, actors["clerk1"], data)
    assert (again.added, again.skipped, again.errors) == (0, 2, [])
    assert _count(store) == 2


def test_dry_run_writes_nothing(store, actors):
    result = _import(store, actors["clerk1"], (HEADER + GOOD).encode(), dry_run=True)
    assert result.added == 2 and _count(store) == 0


def test_english_header_and_duplicate_rows_in_one_file(store, actors):
    data = (
        "seeker_no,name,kana,birth_date,phone,email,registration,registered_on\n"
        + GOOD
        + "37010-1,山田 太郎,ヤマダ タロウ,1985-04-01,,,office,\n"
    ).encode()
    result = _import(store, actors["clerk1"], data)
    assert result.added == 2 and [e.line for e in result.errors] == [4]


def test_bad_header_refuses_the_whole_file(store, actors):
    from hwdesk.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        _import(store, actors["clerk1"], "番号,名前\n1,2\n".encode())
    assert "見出し行" in exc.value.message_ja
    assert _count(store) == 0


def test_import_is_audited_by_one_row_listing_its_seekers_and_chain_stays_valid(store, actors):
    _import(store, actors["clerk1"], (HEADER + GOOD + BAD).encode(), source="office.csv")
    _import(store, actors["clerk1"], (HEADER + GOOD).encode(), source="again.csv")  # all skipped: adds no row
    with store.read() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "import.seekers")).all()
        seekers = {k.seeker_no: k.id for k in s.exec(select(Seeker))}
        report = audit.verify_chain(s)
    assert report.ok, report.problem
    assert [r.entity_id for r in rows] == ["office.csv"]
    detail = json.loads(rows[0].detail_json)
    assert detail["rows"] == 2 and "seeker_nos" not in detail  # bounded: ids only, at any file size
    assert importer.imported_ids(detail) == [seekers["37010-1"], seekers["37010-2"]]


# --- the audit chain ---------------------------------------------------------------------------


def test_tampering_with_one_audit_row_is_detected(store, actors):
    _import(store, actors["clerk1"], (HEADER + GOOD).encode())
    with store.read() as s:
        target = s.exec(select(AuditLog.id).where(AuditLog.action == "import.seekers")).first()
    with store.write() as s:
        s.connection().execute(text("UPDATE audit_log SET detail_json = '{}' WHERE id = :i"), {"i": target})
    with store.read() as s:
        report = audit.verify_chain(s)
    assert not report.ok and report.bad_id == target and "edited" in report.problem


def test_deleting_the_last_audit_rows_is_detected(store, actors):
    _import(store, actors["clerk1"], (HEADER + GOOD).encode())
    with store.write() as s:
        last = s.exec(select(func.max(AuditLog.id))).one()
        s.connection().execute(text("DELETE FROM audit_log WHERE id = :i"), {"i": last})
    with store.read() as s:
        report = audit.verify_chain(s)
    assert not report.ok and "removed from the end" in report.problem


# --- sign-in -----------------------------------------------------------------------------------


def test_sign_in_and_same_message_for_unknown_and_wrong(store):
    actor = auth.sign_in(store, login="clerk1", password="hwdesk-demo")
    assert actor.role == "clerk" and actor.office_id == "takamatsu"
    messages = []
    for login, pw in (("clerk1", "wrong-password"), ("nobody", "hwdesk-demo")):
        with pytest.raises(AuthError) as exc:
            auth.sign_in(store, login=login, password=pw)
        messages.append(exc.value.message_ja)
    assert messages[0] == messages[1]


def test_failures_are_counted_and_an_admin_resets_them(store):
    for _ in range(7):
        with pytest.raises(AuthError):
            auth.sign_in(store, login="clerk1", password="guess-guess")
    with store.read() as s:
        st = s.exec(select(Staff).where(Staff.login == "clerk1")).one()
    assert st.failed_count == 7 and st.locked_until is None  # below the lockout threshold
    actor = auth.sign_in(store, login="admin1", password="hwdesk-demo")
    with store.write() as s:
        auth.unlock_account(s, actor=actor, login="clerk1")
    with store.read() as s:
        assert s.exec(select(Staff).where(Staff.login == "clerk1")).one().failed_count == 0


def test_only_admins_manage_staff(store, actors):
    with store.write() as s, pytest.raises(PermissionDenied):
        auth.create_staff(
            s,
            actor=actors["super1"],
            login="new1",
            name="新人",
            role="clerk",
            office_id="takamatsu",
            password="a-long-enough-passphrase",
        )


def test_password_policy(store, actors):
    from hwdesk.errors import ValidationFailed

    for bad in ("short", "password123", "new1-password"):
        with store.write() as s, pytest.raises(ValidationFailed):
            auth.create_staff(
                s, actor=actors["admin1"], login="new1", name="新人", role="clerk", office_id="takamatsu", password=bad
            )


def test_password_hash_is_argon2id_at_owasp_cost(store):
    with store.read() as s:
        h = s.exec(select(Staff.password_hash).limit(1)).one()
    assert h.startswith("$argon2id$")
    params = dict(p.split("=") for p in h.split("$")[3].split(","))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and params["p"] == "1"
