"""Reports and exports: small cells suppressed, no device identifier anywhere, CSV for Excel
(UTF-8 BOM / CP932), formula cells neutralized, exports audited, retention; and the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import new_seeker
from sqlmodel import func, select

from hwdesk.cli import main
from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, ValidationFailed
from hwdesk.models import AuditLog, CompanionNotice, Enrollment, Seeker, Staff, UsageRecord
from hwdesk.models import Session as SessionRow
from hwdesk.services import consent, exports, records, reports, retention, seeker_search
from hwdesk.services.context import SYSTEM

CANARY = "DEVICE-CANARY-123"
MONTH = (2026, 2)


def add_session(
    store,
    *,
    start: datetime,
    seekers: list[tuple[int, str]],
    office: str = "takamatsu",
    kind: str = "counseling",
    state: str = "completed",
    title: str = "",
    cancel_reason: str = "",
    staff_login: str = "clerk1",
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
                    session_id=row.id,
                    seeker_id=sid,
                    state=est,
                    cancel_reason=cancel_reason if est == "cancelled" else "",
                )
            )
        return row.id


def at(day: int, hour: int = 10) -> datetime:
    return datetime(MONTH[0], MONTH[1], day, hour, 0, tzinfo=JST)


@pytest.fixture
def month(store, actors):
    """February 2026 at 高松: 7 completed counseling sessions, 3 no-shows, 2 cancelled, a seminar of 6
    with a formula-like title, usage records carrying the canary identifier, two interpreters."""
    clerk = actors["clerk1"]
    people = [
        new_seeker(store, clerk, name=f"利用 {n}", kana=f"リヨウ {k}")
        for n, k in zip(
            ("一郎", "二郎", "三郎", "四郎", "五郎", "六郎", "七郎", "八郎"),
            ("イチロウ", "ジロウ", "サブロウ", "シロウ", "ゴロウ", "ロクロウ", "シチロウ", "ハチロウ"),
            strict=True,
        )
    ]
    ids = [p.id for p in people]
    sessions = []
    for i in range(7):
        sessions.append(add_session(store, start=at(2 + i), seekers=[(ids[i], "completed")]))
    for i in range(3):
        add_session(store, start=at(12 + i), seekers=[(ids[i], "absent")], state="no_show")
    for i in range(2):
        add_session(
            store, start=at(16 + i), seekers=[(ids[i], "cancelled")], state="cancelled", cancel_reason="by_seeker"
        )
    seminar = add_session(
        store,
        start=at(20, 14),
        kind="seminar",
        title='=HYPERLINK("http://evil.example","click")',
        seekers=[(sid, "completed") for sid in ids[:6]],
    )
    with store.write() as s:
        for i, sid in enumerate(sessions):
            records.add_usage_record(
                s,
                actor=clerk,
                session_id=sid,
                seeker_id=ids[i],
                joined_at=at(2 + i),
                left_at=at(2 + i) + timedelta(minutes=30),
                device_kind=f"{CANARY} iPhone" if i == 0 else "PC",
                os=f"Windows 11 ({CANARY})" if i == 1 else "Windows 11",
                participant_id=CANARY if i == 0 else f"zoom-user-{i}",
            )
        for sid in ids[:6]:
            records.add_usage_record(
                s,
                actor=clerk,
                session_id=seminar,
                seeker_id=sid,
                device_kind="Android",
                os="Android 14",
                participant_id=f"zoom-seminar-{sid}",
            )
        consent.record_companion(
            s,
            actor=clerk,
            seeker_id=ids[0],
            office_id="takamatsu",
            kind="interpreter",
            language="ベトナム語",
            notified_at=at(1),
        )
        consent.record_companion(
            s,
            actor=clerk,
            seeker_id=ids[1],
            office_id="takamatsu",
            kind="interpreter",
            language="英語",
            notified_at=at(1),
        )
    return people


def _report(store, **kw):
    with store.read() as s:
        return reports.monthly_report(s, office_id="takamatsu", year=MONTH[0], month=MONTH[1], **kw)


def _small_numbers(obj) -> list:
    """Every int 1–4 (a small cell) found in JSON-like data, with its path."""
    found = []

    def walk(o, path):
        if isinstance(o, bool):
            return
        if isinstance(o, int) and 0 <= o < 5:
            found.append((path, o))
        elif isinstance(o, dict):
            for k, v in o.items():
                if k not in ("threshold",):
                    walk(v, f"{path}.{k}")
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, f"{path}[{i}]")

    walk(obj, "")
    return found


# --- suppression --------------------------------------------------------------------------------


def test_policy_suppresses_small_cells_and_one_more_to_stop_subtraction():
    p = reports.Policy()
    cells, total = p.group([12, 3, 8], 23)
    assert [c.text for c in cells] == ["12", "<5", "*"] and total.text == "23"  # 8 hidden too: 23-12-8 would give 3
    cells, total = p.group([2, 1], 3)
    assert [c.text for c in cells] == ["<5", "<5"] and total.suppressed
    assert p.rate(p.figure(3), p.figure(20)).text == reports.SUPPRESSED_RATE
    assert p.rate(p.figure(5), p.figure(20)).text == "25.0%"
    # A figure made of cells of another table hides when exactly one of them is hidden.
    assert p.combine([p.figure(26), p.figure(2)], [26, 2]).text == "*"  # a count: '*', never the rates' 'x'
    assert p.combine([p.figure(3), p.figure(4)], [3, 4]).text == "7"
    assert p.combine([p.figure(6), p.figure(9)], [6, 9]).text == "15"
    # A total another table hid is reused, and then a cell is hidden so the cells cannot add up to it.
    cells, total = p.group([7, 5], 12, linked_total=p.protected())
    assert total.text == "*" and [c.text for c in cells] == ["7", "*"]
    assert reports.PROTECTED_MARK != reports.SUPPRESSED_RATE
    assert reports.Policy(10).figure(7).text == "<10"
    assert reports.Policy(keep_zero=True).figure(0).text == "0"
    with pytest.raises(ValidationFailed):
        reports.Policy(1)  # would switch suppression off


def _busy_month(store, actors):
    """Enough of everything that a threshold of 2 shows every cell: 3 days × 2 counseling sessions,
    2 seminars with 2 absent and 2 connection-failed seats, 2 sessions cancelled on one day, 2 no-show sessions."""
    clerk = actors["clerk1"]
    ids = [
        new_seeker(store, clerk, name=f"集計 {n}", kana=f"シュウケイ {k}").id
        for n, k in zip(("一", "二", "三", "四"), ("イチ", "ニ", "サン", "ヨン"), strict=True)
    ]
    for day in (3, 4, 5):
        for hour in (10, 13):
            add_session(store, start=at(day, hour), seekers=[(ids[0], "completed")])
    for hour in (10, 14):
        add_session(
            store,
            start=at(9, hour),
            kind="seminar",
            seekers=[(ids[0], "absent"), (ids[1], "connection_failed"), (ids[2], "completed"), (ids[3], "completed")],
        )
    for hour in (10, 11):
        add_session(
            store, start=at(10, hour), seekers=[(ids[1], "cancelled")], state="cancelled", cancel_reason="by_office"
        )
        add_session(store, start=at(11, hour), seekers=[(ids[2], "absent")], state="no_show")


def test_totals_that_count_the_same_things_agree(store, actors):
    """Sessions by kind = sessions by state less cancelled = the daily series of sessions; the daily
    cancellations = the cancelled sessions = sessions cancelled by reason; the daily no-shows = the
    no-show seats = the absent and connection-failed bookings. Each table names its unit."""
    _busy_month(store, actors)
    rep = _report(store, threshold=2, keep_zero=True)
    by_state = {i.key: i.figure.value for i in rep.sessions_by_state.items}
    seats = {i.key: i.figure.value for i in rep.bookings_by_state.items}
    assert rep.sessions_by_kind.total.value == 10 == rep.sessions_by_state.total.value - by_state["cancelled"]
    assert sum(i.figure.value for i in rep.sessions_by_kind.items) == rep.sessions_by_kind.total.value
    assert sum(rep.series("sessions")) == rep.series_total("sessions").value == rep.sessions_by_kind.total.value
    assert sum(rep.series("cancellations")) == rep.series_total("cancellations").value == by_state["cancelled"] == 2
    assert rep.session_cancellations.total.value == 2
    assert (
        sum(rep.series("no_shows"))
        == rep.series_total("no_shows").value
        == rep.no_shows.total.value
        == seats["absent"] + seats["connection_failed"]
        == 6
    )
    assert rep.bookings_by_state.total.value == sum(seats.values())
    # a session's no-show and a seat's absence are different units, and say so
    units = {b.key: b.unit("en") for b in rep.breakdowns()}
    assert units["sessions_by_kind"] == units["sessions_by_state"] == units["session_cancellations"] == "sessions"
    assert units["bookings_by_state"] == units["no_shows"] == units["booking_cancellations"] == "seats"
    labels = {i.key: i.label_ja for i in rep.sessions_by_state.items}
    assert (
        labels["no_show"] != rep.no_shows.title_ja
        and "セッション" in labels["no_show"]
        and "席" in rep.no_shows.title_ja
    )
    data = rep.as_dict()
    assert data["breakdowns"]["no_shows"]["unit_en"] == "seats"
    assert data["daily_units"]["sessions"]["total"] == 10 and data["daily_units"]["no_shows"]["unit_en"] == "seats"


def test_default_report_series_total_is_the_tables_not_the_visible_days(store, actors, month):
    rep = _report(store)
    assert rep.series_total("sessions") == rep.sessions_by_kind.total and rep.sessions_by_kind.total.value == 11
    assert all(v is None for v in rep.series("sessions"))  # one session a day: every day hidden, the total still 11


def test_cli_report_json_and_text_state_units_and_marks(cli, store, actors):
    _busy_month(store, actors)
    code, out, err = cli("report", "--office", "takamatsu", "--month", "2026-02", "--json", "--threshold", "2")
    assert code == 0, err
    data = json.loads(out)
    assert (
        data["breakdowns"]["sessions_by_kind"]["total"] == 10 and data["breakdowns"]["sessions_by_kind"]["unit"] == "件"
    )
    assert data["suppression_marks"] == {"small": "<2", "protected": "*", "rate": "x"}
    code, out, err = cli("report", "--office", "takamatsu", "--month", "2026-02", "--threshold", "2")
    text = out.decode()
    assert code == 0 and "セッション数（種類別、取消しを除く）  計 10（単位: 件）" in text
    assert "日別セッション数（取消しを除く）" in text and "計 10（単位: 件）" in text and "* = " in text


def test_device_and_os_are_classified_not_copied():
    assert reports.device_class("iPhone") == "smartphone" and reports.device_class("iPad") == "tablet"
    assert (
        reports.device_class("", "Windows 11 Pro 23H2") == "pc" and reports.device_class("Zoom Web Client") == "browser"
    )
    assert reports.device_class("Taro's toaster") == "other"
    assert reports.os_family("macOS 14.2") == "macos" and reports.os_family("iOS 17") == "ios"
    assert reports.os_family("ChromeOS 120") == "chromeos" and reports.os_family("Android 14") == "android"


def test_monthly_report_figures_and_suppression(store, actors, month):
    rep = _report(store)
    states = {i.key: i.figure for i in rep.sessions_by_state.items}
    assert states["completed"].value == 8 and states["no_show"].text == "<5" and states["cancelled"].text == "<5"
    assert rep.sessions_by_state.total.value == 13
    kinds = {i.key: i.figure for i in rep.sessions_by_kind.items}
    assert kinds["counseling"].value == 10 and kinds["seminar"].suppressed  # the 2 cancelled are not sessions held
    assert rep.no_shows.total.text == "<5" and rep.no_show_rate.suppressed and rep.no_show_rate.text == "x"
    assert rep.usage_records.value == 13 and rep.usage_participants.value == 13
    assert {i.key: i.figure.value for i in rep.usage_by_device.items}["pc"] == 6
    assert rep.usage_mean_minutes.value == 30.0
    assert rep.interpreter_languages.total.text == "<5"
    # no count anywhere shows the rates' mark
    assert all(
        f.text != reports.SUPPRESSED_RATE for b in rep.breakdowns() for f in [b.total, *(i.figure for i in b.items)]
    )
    assert len(rep.daily) == 28 and len(rep.series("sessions")) == 28
    assert all(v is None or v >= 5 for b in rep.breakdowns() for v in b.values())
    assert all(v is None or v >= 5 for name in ("sessions", "no_shows", "cancellations") for v in rep.series(name))
    assert _small_numbers(rep.as_dict()) == []


def test_report_export_has_no_device_identifier_and_no_small_cell(store, actors, month):
    with store.write() as s:
        csv_data = exports.export_report(
            s, actor=actors["clerk1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
        json_data = exports.export_report(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            fmt="json",
        )
        sessions_csv = exports.export_sessions(
            s, actor=actors["clerk1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
        sessions_json = exports.export_sessions(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            fmt="json",
        )
        seekers_csv = exports.export_seekers(
            s, actor=actors["super1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
        seekers_json = exports.export_seekers(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            fmt="json",
        )
    rep = _report(store)
    outputs = [
        csv_data,
        json_data,
        sessions_csv,
        sessions_json,
        seekers_csv,
        seekers_json,
        json.dumps(rep.as_dict(), ensure_ascii=False).encode(),
        repr(rep).encode(),
    ]
    for out in outputs:
        assert CANARY.encode() not in out
        assert b"zoom-user" not in out and b"zoom-seminar" not in out
    # CSV: the value column holds '<5', 'x', a rate, or a count of at least 5.
    rows = list(csv.reader(io.StringIO(csv_data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header == ["section", "key", "label", "label_en", "value", "date", "date_wareki"]
    for r in body:
        v = r[4]
        if r[0] in ("period", "suppression"):
            continue
        assert v in ("<5", "x") or v.endswith("%") or "." in v or int(v) >= 5, r
    assert any(r[4] == "<5" for r in body)
    day_rows = [r for r in body if r[0] == "daily_sessions"]
    assert day_rows[0][5] == "2026-02-01" and day_rows[0][6] == "令和8年2月1日"
    report = json.loads(json_data)
    assert _small_numbers(report["breakdowns"]) == [] and _small_numbers(report["daily"]) == []
    # Session rows: booked/attended counts are suppressed too.
    srows = json.loads(sessions_json)["rows"]
    assert all(r["booked"] == "<5" for r in srows if r["service"] == "counseling")
    seminar = [r for r in srows if r["service"] == "seminar"][0]
    assert seminar["booked"] == 6 and seminar["attended"] == 6
    for key in ("join_url", "meeting_id", "passcode", "participant_id"):
        assert key not in srows[0]


def test_formula_cells_are_neutralized(store, actors, month):
    with store.write() as s:
        data = exports.export_sessions(
            s, actor=actors["clerk1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    titles = [r[rows[0].index("title")] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    for r in rows[1:]:
        for cell in r:
            assert not re.match(r"^[=+\-@\t\r＝＋－＠]", cell), cell


def test_cp932_export_opens_back_to_the_same_text(store, actors):
    clerk = actors["clerk1"]
    sk = new_seeker(store, clerk, name="髙橋 﨑子", kana="タカハシ サキコ")
    new_seeker(store, clerk, name="山田 花子", kana="ヤマダ ハナコ")
    add_session(store, start=at(3), seekers=[(sk.id, "completed")], title="①就職セミナー（㈱高松）")
    with store.write() as s:
        utf8 = exports.export_seekers(
            s, actor=actors["super1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
        sjis = exports.export_seekers(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            encoding="cp932",
        )
        sess = exports.export_sessions(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            encoding="cp932",
        )
    assert utf8.startswith(b"\xef\xbb\xbf") and not sjis.startswith(b"\xef\xbb\xbf")
    assert sjis.replaced == () and sjis.mapped == ()
    back = list(csv.reader(io.StringIO(sjis.decode("cp932"), newline="")))
    assert back == list(csv.reader(io.StringIO(utf8.decode("utf-8-sig"), newline="")))
    names = [r[1] for r in back[1:]]
    with store.read() as s:
        stored = s.get(Seeker, sk.id).name
    assert stored in names and back[1][4] == "昭和60年4月1日"  # birth_date_wareki
    assert "①就職セミナー（㈱高松）" in sess.decode("cp932")


def test_cp932_replaces_what_it_cannot_encode_and_reports_it(store, actors):
    add_session(store, start=at(3), seekers=[], title="𠮷野家〜セミナー — 説明会", state="scheduled")
    with store.write() as s:
        data = exports.export_sessions(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28),
            encoding="cp932",
        )
    text = data.decode("cp932")
    assert "?野家～セミナー ― 説明会" in text
    assert data.replaced == ("𠮷",) and set(data.mapped) == {"〜", "—"}
    assert any("U+20BB7" in w for w in data.warnings())
    with store.read() as s:
        row = s.exec(select(AuditLog).where(AuditLog.action == "export.sessions")).one()
    assert json.loads(row.detail_json)["cp932_replaced"] == ["U+20BB7"]


def test_seeker_export_is_for_supervisors_and_every_export_is_audited(store, actors, month):
    with store.write() as s, pytest.raises(PermissionDenied):
        exports.export_seekers(
            s, actor=actors["clerk1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
    with store.write() as s, pytest.raises(PermissionDenied):
        exports.export_sessions(
            s, actor=actors["clerk1_shi"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
    with store.write() as s:
        data = exports.export_seekers(
            s, actor=actors["super1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
        exports.export_sessions(
            s, actor=actors["clerk1"], office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)
        )
    assert data.rows == 7  # 八郎 had no session in February
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == exports.SEEKER_COLUMNS and rows[1][rows[0].index("birth_date_wareki")].startswith("昭和")
    with store.read() as s:
        audits = {a.action: a for a in s.exec(select(AuditLog).where(AuditLog.action.startswith("export.")))}
    assert (
        audits["export.seekers"].staff_id == actors["super1"].id
        and json.loads(audits["export.seekers"].detail_json)["rows"] == 7
    )
    assert json.loads(audits["export.sessions"].detail_json)["rows"] == 13


# --- retention ----------------------------------------------------------------------------------


def test_retention_dry_run_then_anonymize_keeping_the_statistics(store, actors, month):
    old = month[7]  # 八郎: no session in the month; make him inactive for two years
    long_ago = datetime(2024, 1, 10, 10, 0, tzinfo=JST)
    past = add_session(store, start=long_ago, seekers=[(old.id, "completed")])
    with store.write() as s:
        records.add_usage_record(
            s, actor=actors["clerk1"], session_id=past, seeker_id=old.id, participant_id="OLD-DEVICE-9"
        )
        consent.record_companion(
            s,
            actor=actors["clerk1"],
            seeker_id=old.id,
            office_id="takamatsu",
            kind="caregiver",
            name="介助 太郎",
            notified_at=long_ago,
        )
        for e in s.exec(select(Enrollment).where(Enrollment.seeker_id == old.id)):
            e.booked_at = long_ago
            s.add(e)
        row = s.get(Seeker, old.id)
        row.created_at = row.updated_at = datetime(2023, 12, 1, tzinfo=UTC)
        s.add(row)
    today = date(2026, 3, 15)
    with store.read() as s:
        candidates = retention.retention_candidates(
            s, actor=SYSTEM, office_id="takamatsu", inactive_months=12, today=today
        )
        before = (
            s.exec(select(func.count()).select_from(SessionRow)).one(),
            s.exec(select(func.count()).select_from(Enrollment)).one(),
        )
    assert [c.seeker_id for c in candidates] == [old.id]
    assert candidates[0].last_session_at == long_ago
    rep_before = _report(store, today=today)

    with store.write() as s, pytest.raises(PermissionDenied):
        retention.anonymize_inactive(s, actor=actors["clerk1"], office_id="takamatsu", inactive_months=12, today=today)
    with store.write() as s:
        result = retention.anonymize_inactive(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            inactive_months=12,
            today=today,
            seeker_ids=[old.id, month[0].id],
        )
    assert result.anonymized == [old.id] and result.skipped == [month[0].id]
    with store.read() as s:
        row = s.get(Seeker, old.id)
        assert row.anonymized_at is not None and "八郎" not in row.name and row.phone == ""
        assert row.seeker_no == f"ANON-{old.id}" and (row.birth_date.month, row.birth_date.day) == (1, 1)
        assert row.birth_date.year == old.birth_date.year
        assert (
            seeker_search.search(s, old.seeker_no, actor=SYSTEM) == []
            and seeker_search.search(s, "八郎", actor=SYSTEM) == []
        )
        after = (
            s.exec(select(func.count()).select_from(SessionRow)).one(),
            s.exec(select(func.count()).select_from(Enrollment)).one(),
        )
        usage = s.exec(select(UsageRecord).where(UsageRecord.seeker_id == old.id)).one()
        companion = s.exec(select(CompanionNotice).where(CompanionNotice.seeker_id == old.id)).one()
        assert (
            retention.retention_candidates(s, actor=SYSTEM, office_id="takamatsu", inactive_months=12, today=today)
            == []
        )
        audit = s.exec(select(AuditLog).where(AuditLog.action == "retention.anonymize")).one()
    assert after == before
    assert usage.participant_id.startswith("h:") and "OLD-DEVICE-9" not in usage.participant_id
    assert companion.name == ""
    assert json.loads(audit.detail_json)["seeker_ids"] == [old.id]
    assert _report(store, today=today).as_dict() == rep_before.as_dict()


# --- CLI ----------------------------------------------------------------------------------------


@pytest.fixture
def cli(store, monkeypatch, capsysbinary):
    """Run ``hwdesk --db URL …`` against the seeded store; returns (exit status, stdout bytes, stderr text)."""
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(*args: str):
        code = main(["--db", store.url, *args])
        out = capsysbinary.readouterr()
        return code, out.out, out.err.decode("utf-8")

    return run


def _revision_file(tmp_path, effective: date):
    from hwdesk.terms import shipped_terms

    raw = json.loads(json.dumps(shipped_terms()["takamatsu"][-1].raw))
    raw["version"] = 3
    raw["effective_on"] = effective.isoformat()
    raw["articles"][6]["paragraphs"][0]["items"][1]["text"] = (
        "記録した情報は、個々の端末装置が特定できる形式で公開しません。"
    )
    path = tmp_path / "takamatsu-v3.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_cli_terms_revision_notify_and_notice(cli, store, actors, tmp_path):
    today = datetime.now(JST).date()
    effective = today + timedelta(days=30)
    sk = new_seeker(store, actors["clerk1"])
    with store.write() as s:
        consent.record_consent(s, actor=actors["clerk1"], seeker_id=sk.id, office_id="takamatsu")
    add_session(store, start=datetime.now(JST) - timedelta(days=10), seekers=[(sk.id, "completed")])
    upcoming = add_session(
        store, start=datetime.now(JST) + timedelta(days=40), seekers=[(sk.id, "booked")], state="scheduled"
    )
    path = _revision_file(tmp_path, effective)
    code, _, err = cli(
        "--as", "clerk1", "terms-add", "takamatsu", str(path), "--effective", effective.isoformat(), "--reason", "整理"
    )
    assert code == 2 and "統括職員" in err
    code, out, err = cli(
        "--as",
        "super1",
        "terms-add",
        "takamatsu",
        str(path),
        "--effective",
        effective.isoformat(),
        "--reason",
        "整理",
        "--ground",
        "reasonable",
    )
    assert code == 0, err
    assert "第7条" in out.decode()
    code, out, _ = cli("terms-diff", "takamatsu", "--from-version", "2", "--to-version", "3", "--json")
    diff = json.loads(out)
    assert [c["label"] for c in diff["changes"]] == ["第7条"] and diff["changes"][0]["kind"] == "changed"
    code, out, _ = cli("--as", "clerk1", "notify-list", "takamatsu", "--json")
    listed = json.loads(out)
    assert listed["version"] == 3 and [r["seeker_no"] for r in listed["seekers"]] == [sk.seeker_no]
    assert listed["seekers"][0]["next_session"]["id"] == upcoming
    code, _, err = cli("--as", "clerk1", "notice", sk.seeker_no, "--office", "takamatsu", "--method", "phone")
    assert code == 0, err
    code, out, _ = cli("--as", "clerk1", "notify-list", "takamatsu", "--json")
    assert json.loads(out)["seekers"] == []


def test_cli_export_report_and_lawful_request(cli, store, actors, month, tmp_path):
    out_file = tmp_path / "report.csv"
    code, _, err = cli(
        "--as",
        "clerk1",
        "export",
        "report",
        "--office",
        "takamatsu",
        "--from",
        "2026-02-01",
        "--to",
        "令和8年2月28日",
        "--out",
        str(out_file),
    )
    assert code == 0, err
    data = out_file.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and CANARY.encode() not in data
    code, out, err = cli(
        "--as",
        "clerk1",
        "export",
        "sessions",
        "--office",
        "takamatsu",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
        "--encoding",
        "cp932",
    )
    assert code == 0 and "'=HYPERLINK" in out.decode("cp932") and CANARY.encode() not in out
    code, _, err = cli(
        "--as", "clerk1", "export", "seekers", "--office", "takamatsu", "--from", "2026-02-01", "--to", "2026-02-28"
    )
    assert code == 2 and "Traceback" not in err
    code, out, _ = cli("report", "--office", "takamatsu", "--month", "2026-02", "--json")
    assert code == 0 and CANARY.encode() not in out and _small_numbers(json.loads(out)["breakdowns"]) == []
    code, out, _ = cli("report", "--office", "takamatsu", "--month", "2026-02")
    assert code == 0 and "<5" in out.decode() and CANARY.encode() not in out

    answer = tmp_path / "answer.csv"
    args = [
        "lawful-export",
        "--office",
        "takamatsu",
        "--authority",
        "香川県高松北警察署長",
        "--reference",
        "高北刑第7号",
        "--basis",
        "刑事訴訟法第197条第2項",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
        "--out",
        str(answer),
    ]
    code, _, err = cli("--as", "clerk1", *args)
    assert code == 2 and not answer.exists()
    code, _, err = cli("--as", "super1", *args)
    assert code == 0, err
    text = answer.read_text(encoding="utf-8-sig")
    assert text.startswith(records.LAWFUL_MARK) and CANARY in text
    with store.read() as s:
        req = s.exec(select(AuditLog).where(AuditLog.action == "lawful_request")).one()
    assert json.loads(req.detail_json)["reference_no"] == "高北刑第7号"


def test_cli_retention(cli, store, actors):
    sk = new_seeker(store, actors["clerk1"])
    with store.write() as s:
        row = s.get(Seeker, sk.id)
        row.created_at = row.updated_at = datetime(2020, 1, 1, tzinfo=UTC)
        s.add(row)
    code, out, _ = cli("--as", "super1", "retention", "--office", "takamatsu", "--months", "24", "--json")
    assert code == 0 and [r["seeker_no"] for r in json.loads(out)["seekers"]] == [sk.seeker_no]
    code, _, err = cli("--as", "clerk1", "retention", "--office", "takamatsu", "--months", "24", "--apply")
    assert code == 2
    code, out, err = cli("--as", "super1", "retention", "--office", "takamatsu", "--months", "24", "--apply", "--json")
    assert code == 0 and json.loads(out)["anonymized"] == [sk.id]
    with store.read() as s:
        assert s.get(Seeker, sk.id).anonymized_at is not None


def test_terminations_table_lists_the_offices_own_grounds_in_its_words(store, actors):
    with store.read() as s:
        tak = reports.monthly_report(s, office_id="takamatsu", year=2026, month=2)
        shi = reports.monthly_report(s, office_id="shibuya", year=2026, month=2)
    assert [i.key for i in tak.terminations.items] == [
        "threats_abuse",
        "non_job_seeking",
        "disturbing",
        "unannounced_companion",
    ]
    assert tak.terminations.items[0].label_ja == "脅迫や暴言"  # 高松 第12条(1); no recording or general breach ground
    labels = {i.key: i.label_ja for i in shi.terminations.items}
    assert labels["threats_abuse"] == "他の利用者に不快感を与える行為" and "other" in labels
