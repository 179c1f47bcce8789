"""The figures a supervisor manages by (issue 20, item 5), beside an office's report.

- **Staff load**: sessions (not cancelled) and hours per staff member per week of the period.
- **Booking lead time**: days from booking to the session's start (median, 90th percentile, and a
  distribution in bands).
- **Attendance by the reminder call**: the seats expected at the session, split by the last reminder
  call's outcome before it (reached / not reached / message left / no call), attended or not.
- **Waitlist offers**: offers made, and those accepted, declined or expired, in the period.
- **Interpreter needs**: sessions with a seeker whose companion notice asks for an interpreter, by
  language. Coverage against the interpreters' roster is added where the roster exists.

Small counts are suppressed by the report's own rule (``reports.Policy``): a count under the
threshold shows "<5", one hidden to protect it "*", a rate or statistic on a hidden count "x".
Each table is a group with secondary suppression, and a total that another table already shows is
linked to it, so no hidden cell of the report can be recovered through these tables: a week's total
is the sum of that week's cells of the daily series (``Policy.combine``), the expected seats are the
report's expected seats. Hours and the lead-time statistics are hidden with the count they rest on.

The supervisor's operational view of one staff member's week (the session form's balance hint) is
``staff_load``'s: it shows exact numbers, as the week view does, and is not a statistic.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from hwdesk.clock import JST
from hwdesk.jtext.dates import format_day, format_wareki
from hwdesk.models import AuditLog, CompanionNotice, Enrollment, Reminder, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.reports import (
    DEFAULT_THRESHOLD,
    Breakdown,
    Derived,
    Figure,
    Item,
    OfficeReport,
    Policy,
    period_report,
)
from hwdesk.states import EXPECTED_STATES, SessionState
from hwdesk.states import SeatState as E
from hwdesk.texts import pick, tr

ATTENDED_STATES = (E.CHECKED_IN, E.COMPLETED, E.STOPPED)
"""Expected seats whose seeker came (checked in, completed, or stopped during the session)."""
SEATED_STATES = (E.BOOKED, E.OFFERED, E.CHECKED_IN, E.COMPLETED, E.ABSENT, E.CONNECTION_FAILED, E.STOPPED)
"""Bookings that hold or held a seat (neither waitlisted nor cancelled): the lead time's and the
interpreter needs' base."""
REMINDER_KEYS = ("reached", "not_reached", "message_left", "none")
REMINDER_KEY_LABELS = {
    "reached": ("リマインド電話: 連絡済み", "Reminder call: reached"),
    "not_reached": ("リマインド電話: 不通", "Reminder call: not reached"),
    "message_left": ("リマインド電話: 伝言", "Reminder call: message left"),
    "none": ("リマインド電話なし", "No reminder call"),
}
LEAD_BANDS = (
    ("same_day", 0, 1, ("当日", "Same day")),
    ("d1_2", 1, 3, ("1〜2日前", "1–2 days")),
    ("d3_6", 3, 7, ("3〜6日前", "3–6 days")),
    ("d7_13", 7, 14, ("7〜13日前", "7–13 days")),
    ("d14_29", 14, 30, ("14〜29日前", "14–29 days")),
    ("d30", 30, 10**6, ("30日以上前", "30 days or more")),
)
OFFER_KEYS = {
    "accepted": ("受諾（確定）", "Accepted (confirmed)"),
    "declined": ("辞退", "Declined"),
    "expired": ("期限切れ", "Expired"),
}


@dataclass(frozen=True)
class StaffWeek:
    """One staff member's sessions and hours in one week of the period (suppressed)."""

    week: date  # Monday
    staff_id: int
    staff: str  # name (login)
    sessions: Figure
    hours: Derived


@dataclass(frozen=True)
class WeekTotal:
    """A week's sessions (the daily series' cells summed) and hours."""

    week: date
    sessions: Figure
    hours: Derived


@dataclass(frozen=True)
class Attendance:
    """Expected seats of one reminder outcome: attended, no-show, and the attendance rate."""

    key: str
    label_ja: str
    label_en: str
    expected: Figure
    attended: Figure
    no_show: Figure
    rate: Derived

    def label(self, lang: str = "ja") -> str:
        """The outcome's label in ``lang``."""
        return pick(self.label_ja, self.label_en, lang)


@dataclass(frozen=True)
class ManagerFigures:
    """The supervisor's figures for a period, already suppressed."""

    office_id: str
    date_from: date
    date_to: date
    threshold: int
    staff_weeks: list[StaffWeek]
    week_totals: list[WeekTotal]
    lead_count: Figure
    lead_median: Derived
    lead_p90: Derived
    lead_bands: Breakdown
    attendance: list[Attendance]
    offers_made: Figure
    offer_outcomes: Breakdown
    offer_accept_rate: Derived
    interpreter_needs: Breakdown
    interpreter_coverage: Breakdown

    def breakdowns(self) -> list[Breakdown]:
        """The figures' bar tables, in display order."""
        return [self.lead_bands, self.offer_outcomes, self.interpreter_needs, self.interpreter_coverage]

    def singles(self) -> list[tuple[str, str, str, Figure | Derived]]:
        """The figures that stand alone: (key, label ja, label en, figure)."""
        return [
            ("lead_count", "予約の席数（リードタイムの母数）", "Bookings (lead time base, seats)", self.lead_count),
            (
                "lead_median",
                "予約から実施までの日数（中央値）",
                "Days from booking to session (median)",
                self.lead_median,
            ),
            (
                "lead_p90",
                "予約から実施までの日数（90パーセンタイル）",
                "Days from booking to session (90th pct.)",
                self.lead_p90,
            ),
            ("offers_made", "空席案内の件数", "Waitlist offers made", self.offers_made),
            (
                "offer_accept_rate",
                "空席案内の受諾率（回答・期限切れに対する割合）",
                "Offers accepted (of answered or expired)",
                self.offer_accept_rate,
            ),
        ]

    def as_dict(self) -> dict:
        """JSON form: suppressed counts as '<5' / '*', statistics as 'x'."""
        return {
            "staff_load": [
                {
                    "week": w.week.isoformat(),
                    "week_wareki": format_wareki(w.week),
                    "staff": w.staff,
                    "sessions": w.sessions.json(),
                    "hours": w.hours.json(),
                }
                for w in self.staff_weeks
            ],
            "week_totals": [
                {"week": w.week.isoformat(), "sessions": w.sessions.json(), "hours": w.hours.json()}
                for w in self.week_totals
            ],
            "lead_time": {
                "count": self.lead_count.json(),
                "median_days": self.lead_median.json(),
                "p90_days": self.lead_p90.json(),
                "bands": self.lead_bands.as_dict(),
            },
            "attendance_by_reminder": [
                {
                    "key": a.key,
                    "label": a.label_ja,
                    "label_en": a.label_en,
                    "expected": a.expected.json(),
                    "attended": a.attended.json(),
                    "no_show": a.no_show.json(),
                    "attendance_rate": a.rate.json(),
                }
                for a in self.attendance
            ],
            "offers": {
                "made": self.offers_made.json(),
                "outcomes": self.offer_outcomes.as_dict(),
                "accept_rate": self.offer_accept_rate.json(),
            },
            "interpreter_needs": self.interpreter_needs.as_dict(),
            "interpreter_coverage": self.interpreter_coverage.as_dict(),
        }


# --- building -----------------------------------------------------------------------------------


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _hours(policy: Policy, fig: Figure, hours: float) -> Derived:
    if fig.suppressed:
        return Derived(None, "x")
    return Derived(round(hours, 1), f"{hours:.1f}")


def _percentile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between closest ranks (q in 0..1)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _stat(base: Figure, values: list[float], q: float) -> Derived:
    if base.suppressed or not values:
        return Derived(None, "x")
    v = _percentile(values, q)
    return Derived(round(v, 1), f"{v:.1f}")


def _staff_load(session, policy, report, sessions) -> tuple[list[StaffWeek], list[WeekTotal]]:
    day_cell = {p.day: p.sessions for p in report.daily}
    per: dict[tuple[date, int], list[float]] = defaultdict(list)
    per_day: Counter = Counter()
    for _sid, staff_id, state, start, end in sessions:
        if state == SessionState.CANCELLED:
            continue
        d = start.astimezone(JST).date()
        per[(_monday(d), staff_id)].append((end - start).total_seconds() / 3600)
        per_day[d] += 1
    names = {
        i: f"{n} ({login})"
        for i, n, login in session.exec(
            select(Staff.id, Staff.name, Staff.login).where(col(Staff.id).in_({k[1] for k in per} or {-1}))
        )
    }
    weeks = sorted({_monday(d) for d in day_cell})
    rows: list[StaffWeek] = []
    totals: list[WeekTotal] = []
    for w in weeks:
        days = [d for d in day_cell if _monday(d) == w]
        week_total = policy.combine([day_cell[d] for d in days], [per_day.get(d, 0) for d in days])
        staff_ids = sorted((k[1] for k in per if k[0] == w), key=lambda i: names.get(i, ""))
        cells, _ = policy.group([len(per[(w, i)]) for i in staff_ids], 0, linked_total=week_total)
        hidden = any(c.suppressed for c in cells)
        hours = sum(sum(per[(w, i)]) for i in staff_ids)
        totals.append(WeekTotal(w, week_total, _hours(policy, week_total, hours) if not hidden else Derived(None, "x")))
        for i, cell in zip(staff_ids, cells, strict=True):
            rows.append(StaffWeek(w, i, names.get(i, str(i)), cell, _hours(policy, cell, sum(per[(w, i)]))))
    return rows, totals


def _lead(policy, sessions, enrollments) -> tuple[Figure, Derived, Derived, Breakdown]:
    starts = {sid: start for sid, _st, state, start, _e in sessions if state != SessionState.CANCELLED}
    days = [
        max(0.0, (starts[sid] - booked).total_seconds() / 86400)
        for sid, _seeker, state, booked in enrollments
        if sid in starts and state in SEATED_STATES and booked is not None
    ]
    bands = Counter(next(k for k, lo, hi, _ in LEAD_BANDS if lo <= d < hi) for d in days)
    keys = [k for k, *_ in LEAD_BANDS]
    cells, total = policy.group([bands.get(k, 0) for k in keys], len(days))
    labels = {k: lab for k, _lo, _hi, lab in LEAD_BANDS}
    bd = Breakdown(
        "lead_time_bands",
        "予約から実施までの日数（予約の席数）",
        "Days from booking to session (seats)",
        [Item(k, *labels[k], f) for k, f in zip(keys, cells, strict=True)],
        total,
        "席",
        "seats",
    )
    return total, _stat(total, days, 0.5), _stat(total, days, 0.9), bd


def _attendance(session, policy, report, ids, sessions, enrollments) -> list[Attendance]:
    b_cell = {i.key: i for i in report.bookings_by_state.items}
    e_state = Counter(state for _sid, _seeker, state, _b in enrollments)
    expected_total = policy.combine(
        [b_cell[k].figure for k in EXPECTED_STATES], [e_state.get(k, 0) for k in EXPECTED_STATES]
    )
    starts = {sid: start for sid, _st, _state, start, _e in sessions}
    last: dict[tuple[int, int], str] = {}
    for sid, seeker, outcome, at in session.exec(
        select(Reminder.session_id, Reminder.seeker_id, Reminder.outcome, Reminder.at)
        .where(col(Reminder.session_id).in_(ids))
        .order_by(col(Reminder.at), col(Reminder.id))
    ):
        if sid in starts and at <= starts[sid]:
            last[(sid, seeker)] = outcome
    expected: Counter = Counter()
    attended: Counter = Counter()
    for sid, seeker, state, _b in enrollments:
        if state not in EXPECTED_STATES:
            continue
        key = last.get((sid, seeker), "none")
        expected[key] += 1
        if state in ATTENDED_STATES:
            attended[key] += 1
    exp_cells, _ = policy.group([expected.get(k, 0) for k in REMINDER_KEYS], 0, linked_total=expected_total)
    out = []
    for k, exp in zip(REMINDER_KEYS, exp_cells, strict=True):
        att, ns = attended.get(k, 0), expected.get(k, 0) - attended.get(k, 0)
        (att_f, ns_f), _ = policy.group([att, ns], 0, linked_total=exp)
        out.append(Attendance(k, *REMINDER_KEY_LABELS[k], exp, att_f, ns_f, policy.rate(att_f, exp)))
    return out


def _offered_before(detail_json: str) -> bool:
    try:
        return (json.loads(detail_json or "{}").get("before") or {}).get("state") == E.OFFERED
    except (ValueError, AttributeError):
        return False


def _offers(session, policy, office_id, lo, hi) -> tuple[Figure, Breakdown, Derived]:
    actions = ("enrollment.offer", "enrollment.confirm", "enrollment.offer_expired", "enrollment.cancel")
    counts: Counter = Counter()
    for action, detail in session.exec(
        select(AuditLog.action, AuditLog.detail_json).where(
            col(AuditLog.action).in_(actions),
            AuditLog.office_id == office_id,
            col(AuditLog.at) >= lo,
            col(AuditLog.at) < hi,
        )
    ):
        if action == "enrollment.offer":
            counts["made"] += 1
        elif action == "enrollment.confirm":
            counts["accepted"] += 1
        elif action == "enrollment.offer_expired":
            counts["expired"] += 1
        elif _offered_before(detail):
            counts["declined"] += 1
    keys = list(OFFER_KEYS)
    cells, total = policy.group([counts.get(k, 0) for k in keys], sum(counts.get(k, 0) for k in keys))
    bd = Breakdown(
        "offer_outcomes",
        "空席案内の結果（件数）",
        "Waitlist offers by outcome",
        [Item(k, *OFFER_KEYS[k], f) for k, f in zip(keys, cells, strict=True)],
        total,
        "件",
        "offers",
    )
    return policy.figure(counts.get("made", 0)), bd, policy.rate(cells[0], total)


def _interpreter_pairs(session: Session, *, office_id: str, ids) -> dict[tuple[int, str], tuple]:
    """(session, language) → (start, end) of the sessions (not cancelled) with a seated seeker whose
    companion notice — for that session, or standing — asks for an interpreter."""
    pairs: dict[tuple[int, str], tuple] = {}
    for sid, lang, start, end in session.exec(
        select(SessionRow.id, CompanionNotice.language, SessionRow.start_at, SessionRow.end_at)
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .join(CompanionNotice, col(CompanionNotice.seeker_id) == Enrollment.seeker_id)
        .where(
            col(SessionRow.id).in_(ids),
            col(SessionRow.state) != SessionState.CANCELLED,
            col(Enrollment.state).in_(SEATED_STATES),
            CompanionNotice.kind == "interpreter",
            CompanionNotice.office_id == office_id,
            (col(CompanionNotice.session_id) == SessionRow.id) | col(CompanionNotice.session_id).is_(None),
        )
    ):
        pairs[(sid, (lang or "").strip() or "（未記入）")] = (start, end)
    return pairs


def interpreter_needs_by_language(session: Session, *, office_id: str, ids, policy: Policy) -> Breakdown:
    """Sessions (not cancelled) with a seated seeker whose companion notice — for that session, or
    standing — asks for an interpreter, by language."""
    pairs = _interpreter_pairs(session, office_id=office_id, ids=ids)
    langs = Counter(lang for _sid, lang in pairs)
    keys = sorted(langs)
    cells, total = policy.group([langs[k] for k in keys], len(pairs))
    return Breakdown(
        "interpreter_needs",
        "通訳が必要なセッション（言語別）",
        "Sessions needing an interpreter, by language",
        [Item(k, k, k, f) for k, f in zip(keys, cells, strict=True)],
        total,
        "件",
        "sessions",
    )


def interpreter_coverage(session: Session, *, office_id: str, ids, policy: Policy) -> Breakdown:
    """The interpreters those sessions need, by how the roster covered each at its time (an
    interpreter, the remote service, nobody), counted per session and language."""
    from hwdesk.services.interpreters import COVER_LABELS, cover, lines_between

    pairs = _interpreter_pairs(session, office_id=office_id, ids=ids)
    modes: Counter[str] = Counter()
    if pairs:
        days = [start.astimezone(JST).date() for start, _ in pairs.values()]
        lines = lines_between(session, office_id, min(days), max(days))
        modes.update(cover(lines, lang, start, end).mode for (_sid, lang), (start, end) in pairs.items())
    keys = list(COVER_LABELS)
    cells, total = policy.group([modes[k] for k in keys], len(pairs))
    return Breakdown(
        "interpreter_coverage",
        "通訳の手配状況（名簿との照合）",
        "Interpreter coverage (against the roster)",
        [Item(k, *COVER_LABELS[k], f) for k, f in zip(keys, cells, strict=True)],
        total,
        "件",
        "sessions",
    )


@guard("supervisor", what_ja="集計の閲覧", what_en="Viewing the figures")
def manager_figures(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    date_from: date,
    date_to: date,
    threshold: int = DEFAULT_THRESHOLD,
    keep_zero: bool = False,
    report: OfficeReport | None = None,
) -> ManagerFigures:
    """The supervisor's figures for ``date_from``–``date_to`` (JST days), suppressed as ``report``
    (the office's ``reports.period_report`` of the same period, built here when not given), whose
    tables these link to."""
    if report is None or (report.office_id, report.date_from, report.date_to) != (office_id, date_from, date_to):
        report = period_report(
            session, office_id=office_id, date_from=date_from, date_to=date_to, threshold=threshold, keep_zero=keep_zero
        )
    policy = Policy(report.threshold, keep_zero)
    lo, hi = calendar.day_bounds(date_from)[0], calendar.day_bounds(date_to)[1]
    in_period = (SessionRow.office_id == office_id, col(SessionRow.start_at) >= lo, col(SessionRow.start_at) < hi)
    ids = select(SessionRow.id).where(*in_period)
    sessions = session.exec(
        select(SessionRow.id, SessionRow.staff_id, SessionRow.state, SessionRow.start_at, SessionRow.end_at).where(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            *in_period
        )
    ).all()
    enrollments = session.exec(
        select(Enrollment.session_id, Enrollment.seeker_id, Enrollment.state, Enrollment.booked_at).where(
            col(Enrollment.session_id).in_(ids)
        )
    ).all()
    staff_weeks, week_totals = _staff_load(session, policy, report, sessions)
    lead_count, median, p90, bands = _lead(policy, sessions, enrollments)
    made, outcomes, accept = _offers(session, policy, office_id, lo, hi)
    return ManagerFigures(
        office_id,
        date_from,
        date_to,
        policy.threshold,
        staff_weeks,
        week_totals,
        lead_count,
        median,
        p90,
        bands,
        _attendance(session, policy, report, ids, sessions, enrollments),
        made,
        outcomes,
        accept,
        interpreter_needs_by_language(session, office_id=office_id, ids=ids, policy=policy),
        interpreter_coverage(session, office_id=office_id, ids=ids, policy=policy),
    )


def figures_lines(fig: ManagerFigures, lang: str = "ja") -> list[str]:
    """Every figure as plain lines (the CLI's text report): staff load per week, the single
    figures, attendance by reminder call, then the bar tables' cells."""
    out = [tr("fig.staff_load", lang)]
    for w in fig.week_totals:
        week = format_day(w.week, lang)
        out.append("  " + tr("fig.week_line", lang, week=week, sessions=w.sessions.text, hours=w.hours.text))
        for s in (s for s in fig.staff_weeks if s.week == w.week):
            out.append("    " + tr("fig.staff_line", lang, staff=s.staff, sessions=s.sessions.text, hours=s.hours.text))
    for _k, ja, en_label, f in fig.singles():
        out.append(f"{pick(ja, en_label, lang)}: {f.text}")
    out.append(tr("fig.attendance", lang))
    for a in fig.attendance:
        texts = {"expected": a.expected.text, "attended": a.attended.text, "no_show": a.no_show.text}
        out.append("  " + tr("fig.attendance_line", lang, label=a.label(lang), rate=a.rate.text, **texts))
    for b in fig.breakdowns():
        out.append(tr("fig.breakdown_line", lang, title=b.title(lang), total=b.total.text, unit=b.unit(lang)))
        out += [f"  {i.label(lang)}: {i.figure.text}" for i in b.items]
    return out


__all__ = [
    "StaffWeek",
    "WeekTotal",
    "Attendance",
    "ManagerFigures",
    "manager_figures",
    "interpreter_needs_by_language",
    "interpreter_coverage",
    "figures_lines",
]
