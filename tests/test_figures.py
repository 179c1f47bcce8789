"""The figures a supervisor manages by (issue 20, item 5): staff load per week, booking lead time,
attendance by the reminder call's outcome, waitlist offers, interpreter needs — suppressed by the
report's own rule, linked to the report's tables; the session form's balance hint; ``report --json``.
Both backends."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from helpers import new_seeker
from sqlmodel import select

from hwdesk import audit
from hwdesk.cli import main
from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied
from hwdesk.models import CompanionNotice, Enrollment, Reminder, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import figures, reports, staff_load


def at(day: int, hour: int = 10, month: int = 2) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=JST)


def add(store, *, start, staff="clerk1", hours=1.0, state="completed", seekers=(), kind="counseling"):
    """A session and its enrollments written directly: (seeker id, state, booked_at)."""
    with store.write() as s:
        st = s.exec(select(Staff).where(Staff.login == staff)).one()
        row = SessionRow(
            office_id="takamatsu",
            kind=kind,
            start_at=start,
            end_at=start + timedelta(hours=hours),
            staff_id=st.id,
            capacity=max(1, len(seekers)),
            state=state,
        )
        s.add(row)
        s.flush()
        for sid, est, booked in seekers:
            s.add(Enrollment(session_id=row.id, seeker_id=sid, state=est, booked_at=booked))
        return row.id


def remind(store, session_id, seeker_id, outcome, when):
    with store.write() as s:
        s.add(Reminder(session_id=session_id, seeker_id=seeker_id, outcome=outcome, at=when))


@pytest.fixture
def month(store, actors):
    """February 2026 at 高松. Week of 2/2: clerk1 6 one-hour sessions, super1 2 of 2 hours.
    Week of 2/9: clerk1 5 sessions. Bookings 1–14 days ahead; reminders reached for 6 attended and
    2 absent, none for 5 (3 absent); an interpreter (English) for two sessions."""
    clerk = actors["clerk1"]
    people = [new_seeker(store, clerk, name=f"集計 {i}", kana=f"シュウケイ {chr(0x30A2 + i * 2)}") for i in range(13)]
    ids = [p.id for p in people]
    out = {"ids": ids, "sessions": []}
    for i in range(6):  # week of 2/2 (Mon): clerk1 ×6, one a day from Mon to Sat
        start = at(2 + i)
        sid = add(store, start=start, seekers=[(ids[i], "completed", start - timedelta(days=i + 1))])
        remind(store, sid, ids[i], "reached", start - timedelta(days=1))
        out["sessions"].append(sid)
    for day in (3, 5):  # super1: two sessions of two hours, absent after a reached call
        sid = add(
            store,
            start=at(day, 14),
            staff="super1",
            hours=2,
            state="no_show",
            seekers=[(ids[6 + day // 5], "absent", at(1))],
        )
        remind(store, sid, ids[6 + day // 5], "reached", at(2))
    for i in range(5):  # week of 2/9: clerk1 ×5, three absent without a reminder call, two completed
        start = at(9 + i)
        est = "absent" if i < 3 else "completed"
        out["sessions"].append(
            add(
                store,
                start=start,
                state="no_show" if est == "absent" else "completed",
                seekers=[(ids[8 + i], est, start - timedelta(days=14))],
            )
        )
    with store.write() as s:
        for sid in out["sessions"][:2]:
            seeker = s.exec(select(Enrollment.seeker_id).where(Enrollment.session_id == sid)).one()
            s.add(
                CompanionNotice(
                    seeker_id=seeker, office_id="takamatsu", kind="interpreter", language="英語", session_id=sid
                )
            )
    return out


def _figs(store, actor, threshold=5, period=(date(2026, 2, 1), date(2026, 2, 28))):
    with store.read() as s:
        return figures.manager_figures(
            s, actor=actor, office_id="takamatsu", date_from=period[0], date_to=period[1], threshold=threshold
        )


def test_staff_load_per_week_suppressed_and_linked_to_the_daily_series(store, actors, month):
    def weeks(f):
        return {(w.week, w.staff.split(" (")[1].rstrip(")")): (w.sessions.text, w.hours.text) for w in f.staff_weeks}

    f = _figs(store, actors["super1"], threshold=2)
    assert weeks(f) == {
        (date(2026, 2, 2), "clerk1"): ("6", "6.0"),
        (date(2026, 2, 2), "super1"): ("2", "4.0"),
        (date(2026, 2, 9), "clerk1"): ("5", "5.0"),
    }
    # a week's total is the sum of that week's cells of the daily series (several hidden: their sum)
    totals = {w.week: (w.sessions.text, w.hours.text) for w in f.week_totals}
    assert totals[date(2026, 2, 2)] == ("8", "10.0") and totals[date(2026, 2, 9)] == ("5", "5.0")
    assert totals[date(2026, 2, 23)] == ("<2", "x")  # a week without sessions: a zero is a small cell too
    assert min(totals) == date(2026, 1, 26)  # 2/1 is a Sunday: its week is in the month's figures
    f5 = _figs(store, actors["super1"])
    # super1's 2 is small, and clerk1's 6 would give it away from the week's 8: '*'
    assert weeks(f5)[(date(2026, 2, 2), "super1")] == ("<5", "x")
    assert weeks(f5)[(date(2026, 2, 2), "clerk1")] == ("*", "x")
    assert {w.week: w.hours.text for w in f5.week_totals}[date(2026, 2, 2)] == "x"


def test_lead_time_median_p90_and_bands(store, actors, month):
    f = _figs(store, actors["super1"], threshold=2)
    # days: 1–6 (clerk1's first week), 2.17 and 4.17 (super1's), 14 ×5
    assert f.lead_count.value == 13
    assert f.lead_median.value == pytest.approx(5.0) and f.lead_median.text == "5.0"
    assert f.lead_p90.value == pytest.approx(14.0)
    bands = {i.key: i.figure.text for i in f.lead_bands.items}
    assert (bands["d1_2"], bands["d3_6"], bands["d14_29"]) == ("3", "5", "5")
    few = _figs(store, actors["super1"], threshold=14)  # the base itself small: statistics hidden
    assert few.lead_median.text == "x" and few.lead_p90.text == "x" and few.lead_count.text == "<14"


def test_attendance_by_reminder_outcome(store, actors, month):
    def got(f):
        return {a.key: (a.expected.text, a.attended.text, a.no_show.text, a.rate.text) for a in f.attendance}

    f = _figs(store, actors["super1"], threshold=2)
    assert got(f)["reached"] == ("8", "6", "2", "75.0%")
    assert got(f)["none"] == ("5", "2", "3", "40.0%")
    f3 = _figs(store, actors["super1"], threshold=3)
    assert got(f3)["reached"] == ("8", "*", "<3", "x")  # a small no-show count, and its rate, hidden
    assert got(f3)["none"] == ("5", "<3", "*", "x")
    assert got(f3)["not_reached"][0] == "<3"
    with store.read() as s:  # the expected seats are the report's expected seats
        rep = reports.monthly_report(s, office_id="takamatsu", year=2026, month=2, threshold=2)
    assert rep.bookings_by_state.total.value == 13


def test_offers_accepted_declined_expired(store, actors, month):
    with store.write() as s:
        for action, before in (
            *[("enrollment.offer", "waitlisted")] * 6,
            *[("enrollment.confirm", "offered")] * 3,
            *[("enrollment.offer_expired", "offered")] * 2,
            ("enrollment.cancel", "offered"),
            ("enrollment.cancel", "booked"),  # an ordinary cancellation: not an offer's answer
        ):
            audit.record(
                s,
                staff_id=None,
                action=action,
                entity="enrollment",
                entity_id=1,
                office_id="takamatsu",
                before={"state": before},
            )
    today = datetime.now(JST).date()  # the audit rows are written now
    f = _figs(store, actors["super1"], threshold=2, period=(today, today))
    assert f.offers_made.value == 6
    outcomes = {i.key: i.figure.text for i in f.offer_outcomes.items}
    assert outcomes == {"accepted": "3", "declined": "<2", "expired": "*"}  # secondary suppression
    assert f.offer_outcomes.total.text == "6" and f.offer_accept_rate.text == "50.0%"


def test_interpreter_needs_by_language_and_their_coverage_by_the_roster(store, actors, month):
    f = _figs(store, actors["super1"], threshold=2)
    assert [(i.key, i.figure.text) for i in f.interpreter_needs.items] == [("英語", "2")]
    cover = {i.key: i.figure.value for i in f.interpreter_coverage.items}
    assert cover["none"] == 2 and not cover["in_person"] and not cover["remote"]
    # An English interpreter on Mondays and Tuesdays 9–12 covers both (2/2 and 2/3, 10:00).
    from hwdesk.services import interpreters

    with store.write() as s:
        interpreters.add(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            mode="in_person",
            name="通訳 一郎",
            language="英語",
            weekdays="月火",
            start="09:00",
            end="12:00",
            valid_from=date(2026, 1, 1),
        )
    f = _figs(store, actors["super1"], threshold=2)
    cover = {i.key: i.figure.value for i in f.interpreter_coverage.items}
    assert cover["in_person"] == 2 and not cover["none"] and not cover["remote"]
    assert f.as_dict()["interpreter_coverage"]["total"] == 2


def test_figures_are_for_the_offices_supervisors(store, actors, month):
    with pytest.raises(PermissionDenied):
        _figs(store, actors["clerk1"])
    with pytest.raises(PermissionDenied):
        _figs(store, actors["super1_mae"])


def test_json_has_no_small_count(store, actors, month):
    data = _figs(store, actors["super1"]).as_dict()
    found = []

    def walk(o, path):
        if isinstance(o, bool) or o is None:
            return
        if isinstance(o, int) and 0 < o < 5:
            found.append(path)
        elif isinstance(o, dict):
            for k, v in o.items():
                walk(v, f"{path}.{k}")
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, f"{path}[{i}]")

    walk(data, "")
    assert not found, found


def test_balance_hint_shows_the_staff_members_week(store, actors, month):
    with store.read() as s:
        load = staff_load.staff_week_load(
            s, actor=actors["clerk1"], office_id="takamatsu", staff_id=actors["clerk1"].id, day=date(2026, 2, 4)
        )
        other = staff_load.staff_week_load(
            s, actor=actors["clerk1"], office_id="takamatsu", staff_id=actors["super1"].id, day=date(2026, 2, 8)
        )
    assert (load.week, load.sessions, load.hours) == (date(2026, 2, 2), 6, 6.0)
    assert load.office_mean_sessions == 4.0 and load.staff_with_sessions == 2
    assert load.text("ja") == "2月2日の週 6件・6.0時間（事業所平均 4.0件/人）"
    assert load.text("en") == "week of Feb 2: 6 sessions, 6.0 h (office mean 4.0 per staff member)"
    assert (other.sessions, other.hours) == (2, 4.0)
    with pytest.raises(PermissionDenied), store.read() as s:
        staff_load.staff_week_load(
            s, actor=actors["clerk1_mae"], office_id="takamatsu", staff_id=actors["clerk1"].id, day=date(2026, 2, 4)
        )


@pytest.fixture
def cli(store, monkeypatch, capsys):
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")

    def run(*args: str):
        code = main(["--db", store.url, *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_report_json_carries_the_figures_when_signed_in(cli, store, actors, month):
    code, out, err = cli("report", "--office", "takamatsu", "--month", "2026-02", "--json", "--threshold", "2")
    assert code == 0, err
    assert "supervisor_figures" not in json.loads(out)  # without --as: the report alone, as before
    code, out, err = cli(
        "--as", "super1", "report", "--office", "takamatsu", "--month", "2026-02", "--json", "--threshold", "2"
    )
    assert code == 0, err
    figs = json.loads(out)["supervisor_figures"]
    assert figs["lead_time"]["median_days"] == 5.0 and figs["lead_time"]["count"] == 13
    assert {a["key"]: a["attendance_rate"] for a in figs["attendance_by_reminder"]}["none"] == 0.4
    assert any(w["staff"].endswith("(clerk1)") and w["sessions"] == 6 for w in figs["staff_load"])
    code, out, err = cli(
        "--as", "super1", "--lang", "en", "report", "--office", "takamatsu", "--month", "2026-02", "--threshold", "2"
    )
    assert code == 0, err
    assert "Days from booking to session (median): 5.0" in out and "Staff load per week" in out
    # a clerk still gets the report, without the supervisor's figures, and is told why
    code, out, err = cli("--as", "clerk1", "report", "--office", "takamatsu", "--month", "2026-02", "--json")
    assert code == 0 and "supervisor_figures" not in json.loads(out) and "集計の閲覧" in err, err


def _export_february(cli, login: str, out, *options: str):
    """``hwdesk --as LOGIN export report`` of 高松's February 2026 into ``out``: (code, stdout, stderr)."""
    return cli(
        "--as",
        login,
        "export",
        "report",
        "--office",
        "takamatsu",
        "--from",
        "2026-02-01",
        "--to",
        "2026-02-28",
        *options,
        "--out",
        str(out),
    )


def _csv_rows(path) -> list[dict[str, str]]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


FIGURE_SECTIONS = {
    "staff_load",
    "supervisor_figures",
    "attendance_by_reminder",
    "lead_time_bands",
    "offer_outcomes",
    "interpreter_needs",
    "interpreter_coverage",
}


def test_report_csv_carries_the_supervisors_figures_suppressed_as_the_json(cli, store, actors, month, tmp_path):
    out_file = tmp_path / "report.csv"
    code, _, err = _export_february(cli, "super1", out_file, "--threshold", "2")
    assert code == 0, err
    rows = _csv_rows(out_file)
    cell = {(r["section"], r["key"], r["date"]): r["value"] for r in rows}
    figs = _figs(store, actors["super1"], threshold=2)
    data = figs.as_dict()
    # staff load per week: each week's total, then each staff member's sessions and hours, dated by the Monday
    clerk_week = next(w for w in figs.staff_weeks if w.staff.endswith("(clerk1)") and w.week == date(2026, 2, 2))
    assert cell[("staff_load", f"{clerk_week.staff}:sessions", "2026-02-02")] == "6"
    assert cell[("staff_load", f"{clerk_week.staff}:hours", "2026-02-02")] == "6.0"
    for w in data["staff_load"]:
        assert cell[("staff_load", f"{w['staff']}:sessions", w["week"])] == str(w["sessions"])
    for w in figs.week_totals:
        assert cell[("staff_load", "total:sessions", w.week.isoformat())] == w.sessions.text
        assert cell[("staff_load", "total:hours", w.week.isoformat())] == w.hours.text
    # lead time, offers: the single figures
    assert cell[("supervisor_figures", "lead_count", "")] == "13" == str(data["lead_time"]["count"])
    assert cell[("supervisor_figures", "lead_median", "")] == "5.0"
    for key, _ja, _en, f in figs.singles():
        assert cell[("supervisor_figures", key, "")] == f.text
    # attendance by the reminder call's outcome: no call → 2 of 5 expected seats attended
    assert cell[("attendance_by_reminder", "none:expected", "")] == "5"
    assert cell[("attendance_by_reminder", "none:attended", "")] == "2"
    assert cell[("attendance_by_reminder", "none:attendance_rate", "")] == "40.0%"
    for a in figs.attendance:
        assert cell[("attendance_by_reminder", f"{a.key}:no_show", "")] == a.no_show.text
    # the bar tables: lead-time bands, offer outcomes, interpreter needs and coverage, with totals
    for b in figs.breakdowns():
        assert cell[(b.key, "total", "")] == b.total.text
        assert all(cell[(b.key, i.key, "")] == i.figure.text for i in b.items)
    assert cell[("interpreter_needs", "total", "")] == "2"
    # the report's own rows are still there, before the figures
    with store.read() as s:
        rep = reports.period_report(
            s, office_id="takamatsu", date_from=date(2026, 2, 1), date_to=date(2026, 2, 28), threshold=2
        )
    assert cell[("sessions_by_kind", "total", "")] == rep.sessions_by_kind.total.text
    sections = [r["section"] for r in rows]
    assert sections.index("daily_sessions") < sections.index("staff_load")

    # at the default threshold, no supervisor figure in the CSV is a small count
    code, _, err = _export_february(cli, "super1", tmp_path / "report5.csv")
    assert code == 0, err
    small = [
        r
        for r in _csv_rows(tmp_path / "report5.csv")
        if r["section"] in FIGURE_SECTIONS and r["value"].isdigit() and 0 < int(r["value"]) < 5
    ]
    assert not small, small
    assert {r["section"] for r in _csv_rows(tmp_path / "report5.csv")} >= FIGURE_SECTIONS

    # a clerk's export is the report alone: the figures name staff members
    code, _, err = _export_february(cli, "clerk1", tmp_path / "clerk.csv")
    assert code == 0, err
    clerk = _csv_rows(tmp_path / "clerk.csv")
    assert not FIGURE_SECTIONS & {r["section"] for r in clerk}
    assert {r["section"] for r in clerk} >= {"period", "sessions_by_kind", "figures"}
