"""Sessions: creating them (one or a recurring series), booking with a waitlist, cancelling,
rescheduling, the allowed status paths, and passcodes.

Concurrency (issue 7). Every writing function runs inside ``Store.write()`` and, before it checks
overlap or capacity, locks the rows it depends on in one fixed order — the Session row, then the
Staff row, then Seeker rows by id — with ``SELECT … FOR NO KEY UPDATE`` (``with_for_update
(key_share=True)``). On SQLite that clause is not rendered: ``BEGIN IMMEDIATE`` already lets one
writer at a time in. On PostgreSQL (READ COMMITTED) the row lock serializes the competing writers
and the check that follows sees every commit made before it. ``NO KEY UPDATE`` (not plain
``UPDATE``) so that inserts referencing the row (foreign keys take ``KEY SHARE``) do not wait on
it — that keeps the audit-head lock (taken last, by ``audit.record``) free of lock-order cycles.

Where a rule from an office's terms refuses, the ``RuleRefusal`` names the article; eligibility
refusals carry each failed ``eligibility.Requirement`` in ``failures``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import BindParameter, bindparam, insert, literal_column
from sqlmodel import Session, col, func, select

from hwdesk import audit
from hwdesk.db import Prepared, RawSql
from hwdesk.errors import NotFound, PermissionDenied, RuleRefusal, ValidationFailed
from hwdesk.jtext import JST, clean_text, format_span, parse_join_url
from hwdesk.models import (
    CANCEL_REASONS,
    GROUP_KINDS,
    SERVICE_KINDS,
    Enrollment,
    Office,
    Seeker,
    Series,
    Staff,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services import calendar, consent, eligibility, notices, timing
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.offices import parse_profile, profile
from hwdesk.terms import PLATFORM_LABELS, office_profile, service_label

# Enrollment states that occupy the seeker's time (no overlapping session) …
ACTIVE_STATES = ("booked", "waitlisted", "offered", "checked_in")
# … and those that hold a seat (an offer holds the seat until the clerk confirms or it is declined).
SEAT_STATES = ("booked", "offered", "checked_in")
CANCELLABLE_STATES = ("booked", "waitlisted", "offered")
LIVE_SESSION_STATES = ("scheduled", "in_progress")
NO_SHOW_KINDS = ("absent", "connection_failed")
MAX_OCCURRENCES = 200

SESSION_PATHS = {
    "scheduled": ("in_progress", "no_show", "cancelled"),
    "in_progress": ("completed", "stopped"),
}
ENROLLMENT_PATHS = {
    "booked": ("checked_in", "absent", "connection_failed", "cancelled"),
    "checked_in": ("completed", "stopped"),
    "waitlisted": ("offered", "cancelled"),
    "offered": ("booked", "cancelled"),
}

STATE_LABELS = {
    "scheduled": ("予定", "Scheduled"),
    "in_progress": ("実施中", "In progress"),
    "completed": ("完了", "Completed"),
    "no_show": ("無断欠席・不参加", "No-show"),
    "cancelled": ("キャンセル", "Cancelled"),
    "stopped": ("中止", "Stopped"),
    "booked": ("予約済み", "Booked"),
    "waitlisted": ("キャンセル待ち", "Waitlisted"),
    "offered": ("空席案内中", "Seat offered"),
    "checked_in": ("受付済み", "Checked in"),
    "absent": ("欠席（本人不参加）", "Absent"),
    "connection_failed": ("接続不良", "Connection failed"),
}
CANCEL_LABELS = {
    "by_seeker": ("本人都合", "By the seeker"),
    "by_office": ("所都合", "By the office"),
    "connection": ("通信トラブル", "Connection trouble"),
}


def state_label(state: str, lang: str = "ja") -> str:
    """A session or enrollment state in ``lang``."""
    ja, en = STATE_LABELS.get(state, (state, state))
    return en if lang == "en" else ja


def is_group(kind: str) -> bool:
    """Group kinds (seminar, interview, tour) have a capacity and a waitlist."""
    return kind in GROUP_KINDS


def _now() -> datetime:
    return datetime.now(UTC)


def _jst_day(dt: datetime) -> date:
    return dt.astimezone(JST).date()


# --- failure lines (for RuleRefusal.failures) -------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """A refusal line that is not an eligibility requirement (a skipped date, a clash …)."""

    text: str
    text_en: str
    cite: str = ""

    def line(self, office_name: str = "", lang: str = "ja") -> str:
        """One line for stderr or a dialog."""
        where = " ".join(p for p in (office_name, self.cite) if p)
        if lang == "en":
            return f"✘ {self.text_en}" + (f" ({where})" if where else "")
        return f"✘ {self.text}" + (f"（{where}）" if where else "")


@dataclass(frozen=True)
class SeekerFailure:
    """A failed requirement of one seeker (when several seekers are checked at once)."""

    seeker_no: str
    name: str
    requirement: eligibility.Requirement | Reason

    def line(self, office_name: str = "", lang: str = "ja") -> str:
        """The seeker, then the requirement's own line."""
        return f"{self.seeker_no} {self.name}: " + self.requirement.line(office_name, lang)


# --- row locks (fixed order: Session, Staff, Seeker) ------------------------------------------


def _locked(session: Session, model, row_id: int | None):
    stmt = select(model).where(model.id == row_id).with_for_update(key_share=True)
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def lock_session(session: Session, session_id: int) -> SessionRow:
    """The Session row, locked for this write transaction (NotFound if absent)."""
    row = _locked(session, SessionRow, session_id)
    if row is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    return row


def lock_staff(session: Session, staff_id: int) -> Staff:
    """The Staff row, locked (serializes the checks of one staff member's time)."""
    row = _locked(session, Staff, staff_id)
    if row is None:
        raise NotFound(f"職員 {staff_id} はいません。", f"No staff member {staff_id}.")
    return row


def lock_seeker(session: Session, seeker_id: int) -> Seeker:
    """The Seeker row, locked (serializes the checks of one seeker's time)."""
    row = _locked(session, Seeker, seeker_id)
    if row is None:
        raise NotFound(f"求職者 {seeker_id} は見つかりません。", f"Seeker {seeker_id} not found.")
    return row


def get_session(session: Session, session_id: int) -> SessionRow:
    """A session by id (unlocked), or NotFound."""
    row = session.get(SessionRow, session_id)
    if row is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    return row


# --- checks -----------------------------------------------------------------------------------


def _label(row: SessionRow, lang: str = "ja") -> str:
    return f"#{row.id} {service_label(row.kind, lang)} {format_span(row.start_at, row.end_at, lang=lang)}"


def staff_conflict(
    session: Session, *, staff_id: int, start: datetime, end: datetime, exclude_id: int | None = None
) -> SessionRow | None:
    """A non-cancelled session of ``staff_id`` overlapping [start, end), or None."""
    stmt = select(SessionRow).where(
        SessionRow.staff_id == staff_id,
        SessionRow.state != "cancelled",
        col(SessionRow.start_at) < end,
        col(SessionRow.end_at) > start,
        col(SessionRow.start_at) > start - calendar.MAX_SESSION_SPAN,  # bounds the index range
    )
    if exclude_id is not None:
        stmt = stmt.where(SessionRow.id != exclude_id)
    return session.exec(stmt.limit(1)).first()


def _inline(states: tuple[str, ...]) -> list:
    """Our own state names written into the SQL: an IN list of binds is re-rendered on every execution (~40 µs)."""
    return [literal_column(f"'{st}'") for st in states]


def _seeker_overlap_stmt(exclude: bool):
    s, e = SessionRow.__table__, Enrollment.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    stmt = (
        select(s.c.id)
        .select_from(s.join(e, e.c.session_id == s.c.id))
        .where(
            e.c.seeker_id == bindparam("seeker_id"),
            e.c.state.in_(_inline(ACTIVE_STATES)),
            s.c.state.in_(_inline(LIVE_SESSION_STATES)),
            s.c.start_at < bindparam("end"),
            s.c.end_at > bindparam("start"),
        )
    )
    return (stmt.where(s.c.id != bindparam("exclude_id")) if exclude else stmt).limit(1)


# Built once (issue 8): executed on the connection, a check costs ~20 µs instead of ~130 µs.
_SEEKER_OVERLAP = {False: _seeker_overlap_stmt(False), True: _seeker_overlap_stmt(True)}


def seeker_conflict(
    session: Session, *, seeker_id: int, start: datetime, end: datetime, exclude_id: int | None = None
) -> SessionRow | None:
    """A live session overlapping [start, end) in which the seeker holds an active enrollment."""
    session.flush()  # the Core execution below does not autoflush
    params = {"seeker_id": seeker_id, "start": start, "end": end, "exclude_id": exclude_id}
    found = session.connection().execute(_SEEKER_OVERLAP[exclude_id is not None], params).scalar()
    return None if found is None else session.get(SessionRow, found)


def _refuse_staff_overlap(
    session: Session, staff: Staff, start: datetime, end: datetime, exclude_id: int | None = None
) -> None:
    other = staff_conflict(session, staff_id=staff.id, start=start, end=end, exclude_id=exclude_id)
    if other is not None:
        raise RuleRefusal(
            f"{staff.name}（{staff.login}）はこの時間に別のセッションを担当しています: {_label(other)}",
            f"{staff.name} ({staff.login}) already has a session at that time: {_label(other, 'en')}",
            field="staff",
        )


def _refuse_seeker_overlap(session: Session, seeker, row, exclude_id: int | None = None) -> None:
    other = seeker_conflict(session, seeker_id=seeker.id, start=row.start_at, end=row.end_at, exclude_id=exclude_id)
    if other is not None:
        raise _seeker_overlap_refusal(seeker, other)


def _seeker_overlap_refusal(seeker, other: SessionRow) -> RuleRefusal:
    return RuleRefusal(
        f"{seeker.seeker_no} {seeker.name} さんは同じ時間帯の別のセッションに予約（またはキャンセル待ち）があります: {_label(other)}",
        f"Seeker {seeker.seeker_no} is already booked (or waitlisted) for an overlapping session: {_label(other, 'en')}",
        field="seeker",
    )


def _require_reason(reason: str) -> None:
    if reason not in CANCEL_REASONS:
        raise ValidationFailed(
            "キャンセル理由は by_seeker（本人都合）/ by_office（所都合）/ connection（通信トラブル）のいずれかです。",
            "The cancel reason must be by_seeker, by_office or connection.",
            field="reason",
        )


def _require_live(row: SessionRow, *, what_ja: str, what_en: str, states: tuple[str, ...] = ("scheduled",)) -> None:
    if row.state not in states:
        raise RuleRefusal(
            f"セッション #{row.id} は「{state_label(row.state)}」のため{what_ja}できません。",
            f"Session #{row.id} is {state_label(row.state, 'en').lower()}; cannot {what_en}.",
            field="state",
        )


# --- creating sessions ------------------------------------------------------------------------


def _resolve_staff(session: Session, office_id: str, staff_login: str | None, staff_id: int | None) -> Staff:
    if (staff_login is None) == (staff_id is None):
        raise ValidationFailed(
            "担当職員を1人指定してください（職員IDまたは番号）。",
            "Give the staff member (login or id), once.",
            field="staff",
        )
    stmt = (
        select(Staff).where(Staff.login == staff_login)
        if staff_login is not None
        else select(Staff).where(Staff.id == staff_id)
    )
    staff = session.exec(stmt).first()
    if staff is None:
        raise NotFound(f"職員 {staff_login or staff_id} はいません。", f"No staff member {staff_login or staff_id}.")
    if not staff.active:
        raise ValidationFailed(
            f"職員 {staff.login} は無効化されています。", f"Staff member {staff.login} is deactivated.", field="staff"
        )
    if staff.office_id != office_id and not staff.all_offices:
        raise ValidationFailed(
            f"職員 {staff.login} は {office_id} の職員ではありません。",
            f"Staff member {staff.login} does not work at {office_id}.",
            field="staff",
        )
    return staff


def _spec(
    session: Session,
    *,
    office_id: str,
    kind: str,
    capacity: int | None,
    title: str,
    platform: str | None,
    join_url: str,
    meeting_id: str,
    passcode: str,
) -> dict:
    """Validated fields shared by every session of a create/series call."""
    prof = profile(session, office_id)
    if kind not in SERVICE_KINDS or kind not in prof.services:
        offered = "・".join(service_label(k) for k in prof.services)
        raise RuleRefusal(
            f"{prof.name}はオンラインの「{service_label(kind)}」を実施していません（実施: {offered}。利用規約 前文・第1条）。",
            f"{prof.display_name('en')} does not offer '{service_label(kind, 'en')}' online "
            f"(offered: {', '.join(service_label(k, 'en') for k in prof.services)}).",
            field="kind",
        )
    if is_group(kind):
        if capacity is None or int(capacity) < 1:
            raise ValidationFailed(
                "グループのセッション（セミナー・面接会・見学会）には定員（1以上）が必要です。",
                "A group session (seminar, interview, tour) needs a capacity of 1 or more.",
                field="capacity",
            )
    elif capacity not in (None, 1):
        raise ValidationFailed(
            "個別のセッションの定員は1名です。", "An individual session has a capacity of 1.", field="capacity"
        )
    platform = platform or prof.platforms[0]
    if platform not in prof.platforms:
        names = "・".join(PLATFORM_LABELS.get(p, p) for p in prof.platforms)
        raise ValidationFailed(
            f"{prof.name}で使う会議アプリは {names} です（指定: {platform}）。",
            f"{prof.display_name('en')} uses {', '.join(prof.platforms)} (got {platform}).",
            field="platform",
        )
    url = parse_join_url(join_url, platform) if (join_url or "").strip() else ""
    return {
        "office_id": office_id,
        "kind": kind,
        "capacity": int(capacity) if is_group(kind) and capacity is not None else 1,  # a group has one (checked above)
        "title": clean_text(title, field="title", max_len=100),
        "platform": platform,
        "join_url": url,
        "meeting_id": clean_text(meeting_id, field="meeting_id", max_len=40),
        "passcode": clean_text(passcode, field="passcode", max_len=40),
    }


def _public(row: SessionRow) -> dict:
    """What an audit row keeps of a session (never the passcode itself)."""
    return {
        "kind": row.kind,
        "start": row.start_at.astimezone(JST).isoformat(),
        "end": row.end_at.astimezone(JST).isoformat(),
        "staff_id": row.staff_id,
        "capacity": row.capacity,
        "platform": row.platform,
        "join_url": bool(row.join_url),
        "meeting_id": row.meeting_id,
        "passcode_set": bool(row.passcode),
        "state": row.state,
        "title": row.title,
    }


def _insert_session(
    session: Session,
    *,
    actor: Actor,
    spec: dict,
    staff: Staff,
    start: datetime,
    end: datetime,
    series_id: int | None = None,
    rescheduled_from_id: int | None = None,
) -> SessionRow:
    row = SessionRow(
        **spec,
        start_at=start,
        end_at=end,
        staff_id=staff.id,
        series_id=series_id,
        rescheduled_from_id=rescheduled_from_id,
        created_by=_sid(actor),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.create",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        after=_public(row),
    )
    return row


@guard("clerk")
def create_session(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    kind: str,
    start: datetime,
    end: datetime,
    staff_login: str | None = None,
    staff_id: int | None = None,
    capacity: int | None = None,
    title: str = "",
    platform: str | None = None,
    join_url: str = "",
    meeting_id: str = "",
    passcode: str = "",
    now: datetime | None = None,
) -> SessionRow:
    """Create one session after checking the kind, capacity, platform, join URL, open slot and
    that the staff member is free (the Staff row is locked for the overlap check). Never in the
    past (``now``: the time it is created at — demo data builds a history with it)."""
    require(actor, "clerk", what_ja="セッションの登録", what_en="Creating a session")
    require_office(actor, office_id)
    timing.refuse_past(start, at=now)
    spec = _spec(
        session,
        office_id=office_id,
        kind=kind,
        capacity=capacity,
        title=title,
        platform=platform,
        join_url=join_url,
        meeting_id=meeting_id,
        passcode=passcode,
    )
    staff = _resolve_staff(session, office_id, staff_login, staff_id)
    calendar.check_slot(session, office_id, start, end)
    staff = lock_staff(session, staff.id)
    _refuse_staff_overlap(session, staff, start, end)
    return _insert_session(session, actor=actor, spec=spec, staff=staff, start=start, end=end)


@dataclass(frozen=True)
class Skipped:
    """An occurrence of a series that was not created, and why."""

    start: datetime
    end: datetime
    reason: str
    reason_en: str

    def as_dict(self) -> dict:
        """For Series.skipped_json and --json output."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "date": self.start.date().isoformat(),
            "reason": self.reason,
            "reason_en": self.reason_en,
        }

    def line(self, office_name: str = "", lang: str = "ja") -> str:
        """One line for a refusal listing."""
        text = self.reason_en if lang == "en" else self.reason
        return f"✘ {self.start:%Y-%m-%d %H:%M}: {text}"


@dataclass
class SeriesResult:
    """A series with the sessions it created and the occurrences it skipped (never dropped silently)."""

    series: Series
    created: list[SessionRow] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def occurrences(rrule: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) pairs of an RFC 5545 RRULE from ``start`` (JST wall-clock), at most 200."""
    from dateutil.rrule import rrulestr

    s = start.astimezone(JST)
    duration = end - start
    try:
        rule = rrulestr(rrule.strip(), dtstart=s.replace(tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            f"繰り返しの指定（RRULE）が不正です: {exc}", f"Bad repeat rule (RRULE): {exc}", field="rrule"
        ) from None
    starts = list(itertools.islice(iter(rule), MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise ValidationFailed(
            f"繰り返しは{MAX_OCCURRENCES}回までです（COUNT か UNTIL を指定してください）。",
            f"A series has at most {MAX_OCCURRENCES} occurrences (give COUNT or UNTIL).",
            field="rrule",
        )
    return [(d.replace(tzinfo=JST), d.replace(tzinfo=JST) + duration) for d in starts]


@guard("clerk")
def create_series(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    kind: str,
    rrule: str,
    start: datetime,
    end: datetime,
    staff_login: str | None = None,
    staff_id: int | None = None,
    capacity: int | None = None,
    title: str = "",
    platform: str | None = None,
    join_url: str = "",
    meeting_id: str = "",
    passcode: str = "",
    now: datetime | None = None,
) -> SeriesResult:
    """Create the sessions of a recurring series (e.g. ``FREQ=WEEKLY;BYDAY=TU;COUNT=8`` from the
    first ``start``/``end``) on open days; occurrences on closed days, outside hours or when the
    staff member is busy are skipped and listed (also in ``Series.skipped_json``)."""
    require(actor, "clerk", what_ja="セッションの登録", what_en="Creating sessions")
    require_office(actor, office_id)
    spec = _spec(
        session,
        office_id=office_id,
        kind=kind,
        capacity=capacity,
        title=title,
        platform=platform,
        join_url=join_url,
        meeting_id=meeting_id,
        passcode=passcode,
    )
    staff = _resolve_staff(session, office_id, staff_login, staff_id)
    pairs = occurrences(rrule, start, end)
    staff = lock_staff(session, staff.id)
    series = Series(office_id=office_id, rrule=rrule.strip(), created_by=_sid(actor))
    session.add(series)
    session.flush()
    result = SeriesResult(series)
    for s, e in pairs:
        try:
            timing.refuse_past(s, at=now)
            calendar.check_slot(session, office_id, s, e)
            _refuse_staff_overlap(session, staff, s, e)
        except RuleRefusal as exc:
            result.skipped.append(Skipped(s, e, exc.message_ja, exc.message_en))
            continue
        result.created.append(
            _insert_session(session, actor=actor, spec=spec, staff=staff, start=s, end=e, series_id=series.id)
        )
    if not result.created:
        raise RuleRefusal(
            "繰り返しのどの回も登録できませんでした。",
            "No occurrence of the series could be created.",
            failures=list(result.skipped),
            field="rrule",
        )
    series.skipped_json = json.dumps([k.as_dict() for k in result.skipped], ensure_ascii=False)
    session.add(series)
    result.warnings = [w for y in sorted({s.year for s, _ in pairs}) if (w := calendar.holiday_warning(y))]
    audit.record(
        session,
        staff_id=_sid(actor),
        action="series.create",
        entity="series",
        entity_id=series.id,
        office_id=office_id,
        after={
            "rrule": series.rrule,
            "created": [r.id for r in result.created],
            "skipped": [k.as_dict() for k in result.skipped],
        },
    )
    return result


# --- booking ----------------------------------------------------------------------------------


def _cites(failed: list) -> str:
    return "・".join(dict.fromkeys(f.cite for f in failed if f.cite))


# Operational checks a supervisor's override may lift, with a reason (kept on the enrollment and
# audited). Never a condition of use: those are the terms' own and eligibility.evaluate decides
# them; an override does not touch them. "capacity": a full group session (booked over capacity
# instead of waitlisted); "lead_time" and "staff_clash" name the office's own scheduling checks.
# "session_started": booking a session that has begun (hwdesk.services.timing).
OVERRIDABLE_CHECKS = ("capacity", "lead_time", "staff_clash", "session_started")


def _conditions_gate(seeker, facts: eligibility.Facts, override_reason: str | None) -> list:
    """Refuse when any condition of use fails (each failed condition with its article), override or not."""
    failed = eligibility.failures(eligibility.evaluate(facts))
    if not failed:
        return []
    prof = facts.prof
    cites = _cites(failed)
    cites_en = ", ".join(dict.fromkeys(getattr(f, "cite_en", "") or f.cite for f in failed if f.cite))
    extra_ja = "利用条件は例外承認では外せません。" if override_reason else ""
    extra_en = " An override never lifts a condition of use." if override_reason else ""
    raise RuleRefusal(
        f"{seeker.seeker_no} {seeker.name} さんは{prof.name}の利用条件を満たしていないため予約できません（{cites}）。{extra_ja}",
        f"Seeker {seeker.seeker_no} does not meet {prof.display_name('en')}'s conditions of use ({cites_en}).{extra_en}",
        failures=failed,
    )


def _lift(actor: Actor, check: str) -> str:
    """Lift an operational check by a supervisor's override (the caller has its reason)."""
    assert check in OVERRIDABLE_CHECKS, check
    require(
        actor, "supervisor", what_ja="例外承認（定員・期限・職員の重複）", what_en="Overriding an operational check"
    )
    return check


def _on_applying(session: Session, *, actor: Actor, row, seeker, facts: eligibility.Facts) -> None:
    """What applying does under the office's terms: 高松 第2条(2) switches an online registrant to
    an office registrant. (前橋 第1条's consent by use is recorded at check-in: ``_on_use``.)"""
    from hwdesk.services.seekers import switch_to_office_registration

    reg = facts.prof.requirements.get("registration") or {}
    if reg.get("online_switches_to_office") and seeker.registration_kind == "online":
        switch_to_office_registration(
            session, actor=actor, seeker_id=seeker.id, on=datetime.now(JST).date(), seeker=seeker
        )


def _on_use(session: Session, *, actor: Actor, row: SessionRow, seeker_id: int) -> None:
    """前橋 第1条 "本サービスの利用をもって、本利用規約に同意したものとみなします": using the service
    (the check-in) is the consent; recorded then, to the version in force on the session's day."""
    prof = profile(session, row.office_id)
    if prof.consent_method != "deemed_by_use":
        return
    if consent.consent_status(session, seeker_id=seeker_id, office_id=row.office_id, on=_jst_day(row.start_at)).current:
        return
    consent.record_consent(
        session,
        actor=actor,
        seeker_id=seeker_id,
        office_id=row.office_id,
        method="deemed_by_use",
        on=_jst_day(row.start_at),
        session_id=row.id,
    )


def _enrollments(session: Session, session_id: int, states: tuple[str, ...]) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.session_id == session_id, col(Enrollment.state).in_(states))
    return list(
        session.exec(stmt.order_by(col(Enrollment.waitlist_pos), col(Enrollment.booked_at), col(Enrollment.id)))
    )


def _seats_taken(session: Session, session_id: int, *, exclude_id: int | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.session_id == session_id, col(Enrollment.state).in_(SEAT_STATES))
    )
    if exclude_id is not None:
        stmt = stmt.where(Enrollment.id != exclude_id)
    return session.exec(stmt).one()


def _seat_or_wait(
    row, taken: int, waiting: int, last_pos: int, *, waitlist: bool, over_capacity: bool = False
) -> tuple[str, int | None]:
    """('booked', None) when a seat is free, ('waitlisted', position) when full; else refused.
    ``taken``/``waiting``/``last_pos``: the session's seats held, seekers waiting and last waitlist
    position (read under the session's lock). ``over_capacity``: a supervisor's override lifts the
    capacity of a group session (booked, not waitlisted)."""
    if not is_group(row.kind):
        if taken or waiting:
            raise RuleRefusal(
                f"セッション #{row.id} は個別のセッションで、既に別の求職者が予約しています。",
                f"Session #{row.id} is an individual session and another seeker is already booked.",
                field="session",
            )
        return "booked", None
    if (taken < row.capacity and not waiting) or over_capacity:
        return "booked", None
    if not waitlist:
        raise RuleRefusal(
            f"セッション #{row.id} は満席です（定員{row.capacity}名）。",
            f"Session #{row.id} is full (capacity {row.capacity}).",
            field="session",
        )
    return "waitlisted", last_pos + 1


_SESSION_T, _ENROLLMENT_T, _SEEKER_T = SessionRow.__table__, Enrollment.__table__, Seeker.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
_OFFICE_T = Office.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
# Booking's statements, written with Core and run on the DBAPI cursor (``db.Prepared``, issue 8:
# ~10 µs a statement against ~50 µs through SQLAlchemy's execute, ~150 µs through the ORM).
# The locks are those of lock_session / lock_seeker.
# Only the columns the rules and refusals read (each converted value costs ~2–5 µs).
_BOOK_SESSION = Prepared(
    select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
        *(_SESSION_T.c[k] for k in ("id", "office_id", "kind", "state", "start_at", "end_at", "capacity")),
        select(_OFFICE_T.c.profile_json)
        .where(_OFFICE_T.c.id == _SESSION_T.c.office_id)
        .scalar_subquery()
        .label("profile_json"),
    )
    .where(_SESSION_T.c.id == bindparam("id"))
    .with_for_update(key_share=True)
)
_BOOK_SEEKER = Prepared(
    select(
        *(
            _SEEKER_T.c[k]
            for k in ("id", "seeker_no", "name", "office_id", "registration_kind", "registered_on", "webcam_confirmed")
        ),
    )
    .where(_SEEKER_T.c.id == bindparam("id"))
    .with_for_update(key_share=True)
)
_BOOK_INSERT = Prepared(
    insert(_ENROLLMENT_T)
    .values({c.key: bindparam(c.key) for c in _ENROLLMENT_T.c if c.key != "id"})
    .returning(_ENROLLMENT_T.c.id)
)
_BOOK_READS: Prepared | None = None


def _book_reads() -> Prepared:
    """The eligibility facts (``eligibility.facts_stmt``) with, as more columns, the seeker's
    overlapping session and this session's enrollments: the seeker's own, seats held, seekers
    waiting, last waitlist position — one round trip for every check after the locks."""
    global _BOOK_READS
    if _BOOK_READS is None:
        e = _ENROLLMENT_T
        sid: BindParameter[int] = bindparam("session_id")
        here = (e.c.session_id == sid,)
        mine = (*here, e.c.seeker_id == bindparam("seeker_id"))
        waiting = (*here, e.c.state == "waitlisted")
        _BOOK_READS = Prepared(
            eligibility.facts_stmt().add_columns(
                _SEEKER_OVERLAP[False].scalar_subquery().label("overlap_id"),
                select(e.c.id).where(*mine).scalar_subquery().label("mine_id"),
                select(e.c.state).where(*mine).scalar_subquery().label("mine_state"),
                select(func.count())
                .select_from(e)
                .where(*here, e.c.state.in_(_inline(SEAT_STATES)))
                .scalar_subquery()
                .label("taken"),
                select(func.count()).select_from(e).where(*waiting).scalar_subquery().label("waiting"),
                select(func.coalesce(func.max(e.c.waitlist_pos), 0))
                .where(*waiting)
                .scalar_subquery()
                .label("last_pos"),
            )
        )
    return _BOOK_READS


@guard("clerk", office_in_body="the session row, locked by its first statement")
def book(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    seeker_id: int,
    override_reason: str | None = None,
    waitlist: bool = True,
    now: datetime | None = None,
) -> Enrollment:
    """Book a seeker into a session (or onto its waitlist when a group session is full).

    Runs the rule engine (``eligibility.evaluate``) for the session's kind and date; a refusal
    lists every failed condition with its article, and no override lifts one. A supervisor (not a
    clerk) may override an operational check (``OVERRIDABLE_CHECKS``: a full group session is then
    booked over capacity) with a reason, kept on the enrollment and audited. No overlapping
    sessions for the seeker; an individual session takes one seeker; without an override a group
    session never goes over capacity (``waitlist=False`` refuses instead of waitlisting). Returns
    the enrollment, persistent in ``session`` (a change the caller makes to it is flushed as usual).
    The clock (``timing``): a session that has ended is refused; one that has started needs a
    supervisor's override with a reason (the operational check ``session_started``).
    """
    require(actor, "clerk", what_ja="予約", what_en="Booking")
    session.flush()  # the statements below do not autoflush; the caller's pending rows must be seen
    with RawSql(session) as db:
        # The Session row, locked (as lock_session), with its office's profile in the same statement.
        row = db.one(_BOOK_SESSION, {"id": session_id})
        if row is None:
            raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
        require_office(actor, row.office_id)
        prof = parse_profile(row.profile_json) if row.profile_json is not None else office_profile(row.office_id)
        seeker = db.one(_BOOK_SEEKER, {"id": seeker_id})  # locked, as lock_seeker
        if seeker is None:
            raise NotFound(f"求職者 {seeker_id} は見つかりません。", f"Seeker {seeker_id} not found.")
        _require_live(row, what_ja="予約", what_en="book it")
        late = timing.booking_gate(
            actor=actor, session_id=row.id, start=row.start_at, end=row.end_at, override_reason=override_reason, at=now
        )  # operational, not a condition of use
        on = _jst_day(row.start_at)
        r = db.one(
            _book_reads(),
            {
                "seeker_id": seeker_id,
                "office_id": row.office_id,
                "on": on,
                "service": row.kind,
                "session_id": row.id,
                "start": row.start_at,
                "end": row.end_at,
            },
        )
        facts = eligibility.from_row(
            session, r, prof=prof, seeker=seeker, office_id=row.office_id, service=row.kind, on=on
        )
        if r.mine_id is not None and r.mine_state != "cancelled":
            raise RuleRefusal(
                f"{seeker.seeker_no} さんはこのセッションに既に登録されています（{state_label(r.mine_state)}）。",
                f"Seeker {seeker.seeker_no} is already in this session ({state_label(r.mine_state, 'en')}).",
                field="seeker",
            )
        reason = clean_text(override_reason or "", field="reason", max_len=300)
        _conditions_gate(seeker, facts, reason)
        if r.overlap_id is not None:
            raise _seeker_overlap_refusal(seeker, session.get_one(SessionRow, r.overlap_id))
        lifted: list[str] = []
        if late:  # timing.booking_gate has required the supervisor and the reason
            lifted.append("session_started")
        if reason and is_group(row.kind) and (r.taken >= row.capacity or r.waiting):
            lifted.append(_lift(actor, "capacity"))
        state, pos = _seat_or_wait(
            row, r.taken, r.waiting, r.last_pos, waitlist=waitlist, over_capacity="capacity" in lifted
        )
        override = reason if lifted else ""
        _on_applying(session, actor=actor, row=row, seeker=seeker, facts=facts)
        values = {
            "session_id": row.id,
            "seeker_id": seeker_id,
            "state": state,
            "waitlist_pos": pos,
            "booked_at": _now(),
            "cancel_reason": "",
            "override_reason": override,
            "override_by": _sid(actor) if override else None,
            "booked_by": _sid(actor),
            "offered_until": None,
        }
        if r.mine_id is None:
            values["id"] = db.one(_BOOK_INSERT, values).id
    if r.mine_id is None:
        e = audit.loaded(session, Enrollment, values)
    else:  # re-booking after a cancellation (rare): the ORM row, refreshed in case this session holds it
        e = session.get(Enrollment, r.mine_id, populate_existing=True)
        assert e is not None
        for k, v in values.items():
            setattr(e, k, v)
        session.add(e)
        session.flush()
    if pos:
        _offer_free_seats(session, actor=actor, row=row, now=now)
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.waitlist" if pos else "enrollment.book",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        after={"session": row.id, "state": state, "waitlist_pos": pos},
        extra={"override": {"reason": override, "lifted": lifted}} if override else None,
    )
    notices.on_booked(session, actor=actor, row=row, enrollment=e)
    return e


def _offer_free_seats(
    session: Session, *, actor: Actor, row: SessionRow, now: datetime | None = None
) -> list[Enrollment]:
    """Offer freed seats of a group session to the first waiting seekers (first come, first served),
    each until the office's reply deadline (``offers.deadline``); none once the session has started."""
    from hwdesk.services import offers

    now = now or _now()
    if not is_group(row.kind) or row.state != "scheduled" or row.start_at <= now:
        return []
    free = row.capacity - _seats_taken(session, row.id)
    offered = []
    waiting = _enrollments(session, row.id, ("waitlisted",))[: max(free, 0)]
    until = offers.deadline(session, office_id=row.office_id, start=row.start_at, now=now) if waiting else None
    for e in waiting:
        before = e.waitlist_pos
        e.state, e.waitlist_pos, e.offered_until = "offered", None, until
        session.add(e)
        audit.record(
            session,
            staff_id=_sid(actor),
            action="enrollment.offer",
            entity="enrollment",
            entity_id=e.id,
            seeker_id=e.seeker_id,
            office_id=row.office_id,
            before={"state": "waitlisted", "waitlist_pos": before},
            after={"state": "offered", "offered_until": until.isoformat() if until else None},
        )
        offered.append(e)
    notices.on_offered(session, actor=actor, row=row, enrollments=offered)
    session.flush()
    return offered


@dataclass(frozen=True)
class Cancelled:
    """A cancelled enrollment and the waiting seekers offered the freed seat."""

    enrollment: Enrollment
    offered: list[Enrollment]


def _get_enrollment(session: Session, session_id: int, seeker_id: int) -> Enrollment:
    e = session.exec(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.seeker_id == seeker_id)
    ).first()
    if e is None:
        raise NotFound(
            f"求職者 {seeker_id} はセッション {session_id} に登録されていません。",
            f"Seeker {seeker_id} is not enrolled in session {session_id}.",
        )
    return e


@guard("clerk")
def cancel_enrollment(
    session: Session, *, actor: Actor, session_id: int, seeker_id: int, reason: str, note: str = ""
) -> Cancelled:
    """Cancel one seeker's booking, waitlist place or offer (reason: by_seeker / by_office /
    connection); a freed seat is offered to the first waiting seeker."""
    require(actor, "clerk", what_ja="予約の取消し", what_en="Cancelling a booking")
    _require_reason(reason)
    note = clean_text(note, field="note", max_len=300)
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    _require_live(row, what_ja="予約を取り消し", what_en="cancel a booking (mark absent or stopped instead)")
    e = _get_enrollment(session, session_id, seeker_id)
    if e.state not in CANCELLABLE_STATES:
        raise RuleRefusal(
            f"「{state_label(e.state)}」の予約は取り消せません。",
            f"A booking that is {state_label(e.state, 'en').lower()} cannot be cancelled.",
            field="state",
        )
    before = e.state
    e.state, e.cancel_reason, e.waitlist_pos, e.offered_until = "cancelled", reason, None, None
    session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.cancel",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        before={"state": before},
        after={"state": "cancelled", "reason": reason},
        extra={"note": note},
    )
    notices.on_cancelled(session, actor=actor, row=row, enrollments=[e])
    return Cancelled(e, _offer_free_seats(session, actor=actor, row=row))


@guard("clerk")
def confirm_offer(session: Session, *, actor: Actor, session_id: int, seeker_id: int) -> Enrollment:
    """The clerk confirms an offered seat (after reaching the seeker): offered → booked,
    re-checking capacity and the seeker's other sessions."""
    require(actor, "clerk", what_ja="空席案内の確定", what_en="Confirming an offered seat")
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    seeker = lock_seeker(session, seeker_id)
    _require_live(row, what_ja="確定", what_en="confirm the seat")
    e = _get_enrollment(session, session_id, seeker_id)
    if e.state != "offered":
        raise RuleRefusal(
            f"この予約は空席案内中ではありません（{state_label(e.state)}）。",
            f"This booking has no seat offered ({state_label(e.state, 'en')}).",
            field="state",
        )
    if e.offered_until is not None and e.offered_until <= _now():
        until = e.offered_until.astimezone(JST)
        raise RuleRefusal(
            f"空席案内の回答期限（{until:%m/%d %H:%M}）を過ぎています。席は次の方に案内されます。",
            f"The offer's reply deadline ({until:%m-%d %H:%M}) has passed; the seat goes to the next in line.",
            field="state",
        )
    if _seats_taken(session, row.id, exclude_id=e.id) >= row.capacity:
        raise RuleRefusal(
            f"セッション #{row.id} は満席です（定員{row.capacity}名）。",
            f"Session #{row.id} is full (capacity {row.capacity}).",
        )
    _refuse_seeker_overlap(session, seeker, row, exclude_id=row.id)
    e.state, e.offered_until = "booked", None
    session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.confirm",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        before={"state": "offered"},
        after={"state": "booked"},
    )
    notices.on_booked(session, actor=actor, row=row, enrollment=e)
    return e


@dataclass(frozen=True)
class SessionCancelled:
    """A cancelled session and the enrollments cancelled with it (seekers to notify)."""

    session: SessionRow
    enrollments: list[Enrollment]


@guard("clerk")
def cancel_session(session: Session, *, actor: Actor, session_id: int, reason: str, note: str = "") -> SessionCancelled:
    """Cancel a scheduled session with a reason; every active enrollment is cancelled with it."""
    require(actor, "clerk", what_ja="セッションのキャンセル", what_en="Cancelling a session")
    _require_reason(reason)
    note = clean_text(note, field="note", max_len=300)
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    _require_live(row, what_ja="キャンセル", what_en="cancel it (an in-progress session can be stopped)")
    return notices.session_cancelled(
        session, actor=actor, result=_cancel_row(session, actor=actor, row=row, reason=reason, note=note)
    )


def _cancel_row(session: Session, *, actor: Actor, row: SessionRow, reason: str, note: str) -> SessionCancelled:
    row.state, row.cancel_reason, row.cancel_note, row.updated_at = "cancelled", reason, note, _now()
    session.add(row)
    moved = _enrollments(session, row.id, ACTIVE_STATES)
    for e in moved:
        e.state, e.cancel_reason, e.waitlist_pos = "cancelled", reason, None
        session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.cancel",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        before={"state": "scheduled"},
        after={"state": "cancelled", "reason": reason},
        extra={"note": note, "enrollments_cancelled": [e.seeker_id for e in moved]},
    )
    return SessionCancelled(row, moved)


def _recheck_for_move(session: Session, *, row: SessionRow, new: SessionRow, enrollments: list[Enrollment]) -> None:
    """Every moved seeker must still pass the rules on the new date and be free then."""
    problems: list = []
    for e in enrollments:
        seeker = session.get(Seeker, e.seeker_id)
        assert seeker is not None
        # An override never lifted a condition of use, so every moved seeker is checked again.
        reqs = eligibility.check(
            session, seeker_id=e.seeker_id, office_id=row.office_id, service=row.kind, on=_jst_day(new.start_at)
        )
        problems += [SeekerFailure(seeker.seeker_no, seeker.name, f) for f in eligibility.failures(reqs)]
        other = seeker_conflict(session, seeker_id=e.seeker_id, start=new.start_at, end=new.end_at, exclude_id=row.id)
        if other is not None and other.id != new.id:
            problems.append(
                SeekerFailure(
                    seeker.seeker_no,
                    seeker.name,
                    Reason(
                        f"同じ時間帯に予約があります: {_label(other)}",
                        f"Booked for an overlapping session: {_label(other, 'en')}",
                    ),
                )
            )
    if problems:
        raise RuleRefusal(
            "予約中の求職者が新しい日時の条件を満たさないため、日時を変更できません。",
            "Some booked seekers do not meet the rules at the new time; the session was not moved.",
            failures=problems,
        )


@guard("clerk")
def reschedule(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    new_start: datetime,
    new_end: datetime,
    reason: str = "by_office",
    note: str = "",
    now: datetime | None = None,
) -> SessionRow:
    """Move a scheduled session: a new session linked by ``rescheduled_from_id`` takes its details
    and enrollments (rules re-checked for each seeker unless overridden); the old one is cancelled."""
    require(actor, "clerk", what_ja="日時の変更", what_en="Rescheduling")
    _require_reason(reason)
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    _require_live(row, what_ja="日時を変更", what_en="reschedule it")
    staff = lock_staff(session, row.staff_id)
    moving = _enrollments(session, row.id, ACTIVE_STATES)
    for sid in sorted({e.seeker_id for e in moving}):
        lock_seeker(session, sid)
    timing.refuse_past(new_start, at=now)
    calendar.check_slot(session, row.office_id, new_start, new_end)
    _refuse_staff_overlap(session, staff, new_start, new_end, exclude_id=row.id)
    spec = {
        k: getattr(row, k)
        for k in ("office_id", "kind", "capacity", "title", "platform", "join_url", "meeting_id", "passcode")
    }
    new = _insert_session(
        session,
        actor=actor,
        spec=spec,
        staff=staff,
        start=new_start,
        end=new_end,
        series_id=row.series_id,
        rescheduled_from_id=row.id,
    )
    _recheck_for_move(session, row=row, new=new, enrollments=moving)
    for e in moving:
        session.add(
            Enrollment(
                session_id=new.id,
                seeker_id=e.seeker_id,
                state=e.state,
                booked_at=e.booked_at,
                waitlist_pos=e.waitlist_pos,
                override_reason=e.override_reason,
                override_by=e.override_by,
                booked_by=e.booked_by,
                offered_until=e.offered_until,
            )
        )
    _cancel_row(
        session, actor=actor, row=row, reason=reason, note=clean_text(f"→ #{new.id} {note}", field="note", max_len=300)
    )
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.reschedule",
        entity="session",
        entity_id=new.id,
        office_id=row.office_id,
        before={"session": row.id, "start": row.start_at.isoformat()},
        after={"session": new.id, "start": new.start_at.isoformat()},
        extra={"seekers_moved": [e.seeker_id for e in moving]},
    )
    notices.on_rescheduled(session, actor=actor, old=row, new=new)
    return new


def rescheduled_to(session: Session, *, session_id: int) -> SessionRow | None:
    """The session this one was moved to, if any."""
    return session.exec(select(SessionRow).where(SessionRow.rescheduled_from_id == session_id)).first()


# --- status paths -----------------------------------------------------------------------------


def _wrong_move(current: str, target: str, *, what: str, paths: dict, hint: tuple[str, str] = ("", "")) -> RuleRefusal:
    allowed = paths.get(current, ())
    nxt_ja = "・".join(state_label(s) for s in allowed) or "なし（確定済み）"
    nxt_en = ", ".join(state_label(s, "en") for s in allowed) or "none (final)"
    subject_ja, subject_en = ("セッション", "session") if what == "session" else ("予約", "booking")
    if not allowed and current != "cancelled":  # a final state: only a supervisor's correction changes it
        hint = (
            "確定した状態です。誤りの場合は監督者が理由を付けて訂正します（hwdesk status … --correct 理由）。",
            "This state is final; a supervisor corrects a mistake with a reason (hwdesk status ... --correct REASON).",
        )
    return RuleRefusal(
        f"{subject_ja}を「{state_label(current)}」から「{state_label(target)}」にはできません（次に選べる状態: {nxt_ja}）。{hint[0]}",
        f"A {subject_en} cannot go from {state_label(current, 'en')} to {state_label(target, 'en')} (allowed next: {nxt_en}). {hint[1]}".strip(),
        field="state",
    )


def _move_session(
    session: Session, actor: Actor, row: SessionRow, target: str, hint: tuple[str, str] = ("", "")
) -> None:
    if target not in SESSION_PATHS.get(row.state, ()):
        raise _wrong_move(row.state, target, what="session", paths=SESSION_PATHS, hint=hint)
    before, row.state, row.updated_at = row.state, target, _now()
    session.add(row)
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.state",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        before={"state": before},
        after={"state": target},
    )


def _move_enrollment(
    session: Session, actor: Actor, row: SessionRow, e: Enrollment, target: str, *, reason: str = ""
) -> None:
    if target not in ENROLLMENT_PATHS.get(e.state, ()):
        raise _wrong_move(e.state, target, what="enrollment", paths=ENROLLMENT_PATHS)
    before, e.state = e.state, target
    if target == "checked_in":
        _on_use(session, actor=actor, row=row, seeker_id=e.seeker_id)
    if target == "cancelled":
        e.cancel_reason, e.waitlist_pos = reason, None
    session.add(e)
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.state",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=e.seeker_id,
        office_id=row.office_id,
        before={"state": before},
        after={"state": target, **({"reason": reason} if reason else {})},
    )


def _normalize(state: str, no_show_kind: str) -> tuple[str, str]:
    """(target, no-show kind): 'absent' / 'connection_failed' are no-shows of that kind; 'checked_in' is in_progress."""
    if state in NO_SHOW_KINDS:
        return "no_show", state
    if state == "checked_in":
        return "in_progress", no_show_kind
    if state not in SESSION_PATHS["scheduled"] + SESSION_PATHS["in_progress"]:
        raise ValidationFailed(
            f"状態 '{state}' は指定できません（in_progress, completed, no_show, absent, connection_failed, cancelled, stopped）。",
            f"Unknown state '{state}' (in_progress, completed, no_show, absent, connection_failed, cancelled, stopped).",
            field="state",
        )
    if no_show_kind not in NO_SHOW_KINDS:
        raise ValidationFailed(
            "不参加の種類は absent（本人欠席）か connection_failed（接続不良）です。",
            "The no-show kind is absent or connection_failed.",
            field="no_show_kind",
        )
    return state, no_show_kind


def _refuse_early_no_show(row: SessionRow, now: datetime) -> None:
    if row.state == "cancelled":
        raise RuleRefusal(
            "キャンセルされたセッションは不参加（無断欠席）にできません。",
            "A cancelled session is never a no-show.",
            field="state",
        )
    if now < row.start_at:
        start = row.start_at.astimezone(JST)
        raise RuleRefusal(
            f"開始時刻（{start:%m/%d %H:%M}）より前は不参加にできません。",
            f"A no-show can be recorded only after the start time ({start:%m-%d %H:%M}).",
            field="state",
        )


@guard("clerk")
def set_state(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    state: str,
    seeker_id: int | None = None,
    now: datetime | None = None,
    reason: str = "",
    note: str = "",
    no_show_kind: str = "absent",
) -> SessionRow:
    """Move a session (or, with ``seeker_id``, one seeker's enrollment) along an allowed path.

    scheduled → in_progress (check-in) → completed; scheduled → no_show (only after the start;
    'absent' and 'connection_failed' are kept apart per enrollment); scheduled → cancelled (needs
    ``reason``); in_progress → stopped (中止). An individual session moves with its one enrollment.
    Completing a group session marks seekers never checked in as absent; stopping it cancels them
    (by the office). Any other move is refused with the allowed next states.
    """
    require(actor, "clerk", what_ja="状態の変更", what_en="Changing a status")
    target, kind = _normalize(state, no_show_kind)
    if target == "cancelled":
        if seeker_id is not None:
            cancel_enrollment(
                session, actor=actor, session_id=session_id, seeker_id=seeker_id, reason=reason, note=note
            )
            return get_session(session, session_id)
        return cancel_session(session, actor=actor, session_id=session_id, reason=reason, note=note).session
    now = now or _now()
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    if target == "no_show":
        _refuse_early_no_show(row, now)
    if seeker_id is None and not is_group(row.kind):
        if target not in SESSION_PATHS.get(row.state, ()):
            raise _wrong_move(row.state, target, what="session", paths=SESSION_PATHS)
        seated = _enrollments(session, row.id, SEAT_STATES)
        if not seated:
            raise RuleRefusal(
                f"セッション #{row.id} には予約している求職者がいません。",
                f"Nobody is booked for session #{row.id}.",
                field="state",
            )
        seeker_id = seated[0].seeker_id
    if seeker_id is None:
        _group_move(session, actor, row, target, kind)
    else:
        _seeker_move(session, actor, row, _get_enrollment(session, row.id, seeker_id), target, kind)
    session.flush()
    return row


def _seeker_move(session: Session, actor: Actor, row: SessionRow, e: Enrollment, target: str, kind: str) -> None:
    """One seeker's step; an individual session follows its seeker, a group one starts at the first check-in."""
    enrollment_target = {"in_progress": "checked_in", "no_show": kind}.get(target, target)
    if e.state not in ENROLLMENT_PATHS:  # a final seat says so first (only a correction changes it)
        raise _wrong_move(e.state, enrollment_target, what="enrollment", paths=ENROLLMENT_PATHS)
    if target == "in_progress" and row.state not in LIVE_SESSION_STATES:
        raise _wrong_move(row.state, "in_progress", what="session", paths=SESSION_PATHS)
    if target in ("completed", "stopped") and row.state != "in_progress":
        raise _wrong_move(
            row.state,
            target,
            what="session",
            paths=SESSION_PATHS,
            hint=("先に受付（実施中）にしてください。", "Check in first."),
        )
    if target == "no_show" and row.state not in LIVE_SESSION_STATES:
        raise _wrong_move(row.state, "no_show", what="session", paths=SESSION_PATHS)
    _move_enrollment(session, actor, row, e, enrollment_target)
    if not is_group(row.kind):
        _move_session(session, actor, row, target)
    elif target == "in_progress" and row.state == "scheduled":
        _move_session(session, actor, row, "in_progress")


def _group_move(session: Session, actor: Actor, row: SessionRow, target: str, kind: str) -> None:
    """A whole group session's step, applied to each enrollment it concerns."""
    hint = (
        ("先に開始（実施中）にしてください。", "Start it first.")
        if target in ("completed", "stopped") and row.state == "scheduled"
        else ("", "")
    )
    if target == "no_show":
        if _enrollments(session, row.id, ("checked_in",)):
            raise RuleRefusal(
                "受付済みの参加者がいるため、セッション全体を不参加にはできません。",
                "Some seekers checked in; the session as a whole is not a no-show.",
                field="state",
            )
        if not _enrollments(session, row.id, ("booked",)):
            raise RuleRefusal(
                "予約者がいないセッションは不参加にできません（キャンセルしてください）。",
                "Nobody is booked; cancel the session instead of marking a no-show.",
                field="state",
            )
    _move_session(session, actor, row, target, hint)
    follow = {
        "completed": {"checked_in": "completed", "booked": "absent"},
        "stopped": {"checked_in": "stopped", "booked": "cancelled"},
        "no_show": {"booked": kind},
    }.get(target)
    if not follow:
        return
    follow = {**follow, "waitlisted": "cancelled", "offered": "cancelled"}
    for e in _enrollments(session, row.id, tuple(follow)):
        _move_enrollment(
            session, actor, row, e, follow[e.state], reason="by_office" if follow[e.state] == "cancelled" else ""
        )


def allowed_moves(session: Session, *, session_id: int, seeker_id: int | None = None) -> list[str]:
    """The states a session (or one seeker's enrollment) may move to next — for the UI's buttons."""
    row = get_session(session, session_id)
    if seeker_id is None:
        return list(SESSION_PATHS.get(row.state, ()))
    e = _get_enrollment(session, session_id, seeker_id)
    return list(ENROLLMENT_PATHS.get(e.state, ()))


# --- passcodes and details --------------------------------------------------------------------


@guard("clerk")
def session_passcode(session: Session, *, actor: Actor, session_id: int) -> str:
    """The meeting passcode for staff of the session's office; each view is audited (the audit row
    records only that it was viewed, never the passcode)."""
    require(actor, "clerk", what_ja="パスコードの表示", what_en="Viewing a passcode")
    row = get_session(session, session_id)
    if not (actor.all_offices or actor.office_id == row.office_id):
        raise PermissionDenied(
            "他の事業所のセッションのパスコードは表示できません。", "You cannot view another office's passcodes."
        )
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.passcode_view",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        extra={"passcode_set": bool(row.passcode)},
    )
    return row.passcode


@dataclass(frozen=True)
class EnrollmentLine:
    """One seeker in a session, as the session screen shows it."""

    enrollment_id: int
    seeker_id: int
    seeker_no: str
    name: str
    state: str
    waitlist_rank: int | None
    booked_at: datetime
    override_reason: str
    override_by: str
    cancel_reason: str
    offered_until: datetime | None = None  # an offered seat's reply deadline (JST)
    stopped: str | None = None  # the article of a stop of use covering this booking


@dataclass(frozen=True)
class SessionDetail:
    """Everything a session screen shows, without the passcode (see ``session_passcode``)."""

    id: int
    office_id: str
    kind: str
    title: str
    start: datetime
    end: datetime
    state: str
    staff_login: str
    staff_name: str
    capacity: int
    platform: str
    join_url: str
    meeting_id: str
    has_passcode: bool
    seats_taken: int
    waiting: int
    enrollments: list[EnrollmentLine]
    series_id: int | None
    rescheduled_from_id: int | None
    rescheduled_to_id: int | None
    cancel_reason: str
    cancel_note: str

    @property
    def overrides(self) -> list[EnrollmentLine]:
        """Bookings made by a supervisor's override (shown on the session)."""
        return [e for e in self.enrollments if e.override_reason]


@guard("clerk")
def session_detail(session: Session, *, actor: Actor, session_id: int) -> SessionDetail:
    """A session with its staff and every enrollment (three queries)."""
    row = get_session(session, session_id)
    staff = session.get(Staff, row.staff_id)
    overrider = Staff.__table__.alias("overrider")  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    rows = session.exec(
        select(Enrollment, Seeker.seeker_no, Seeker.name, overrider.c.login)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
        .outerjoin(overrider, overrider.c.id == Enrollment.override_by)
        .where(Enrollment.session_id == session_id)
        .order_by(col(Enrollment.booked_at), col(Enrollment.id))
    ).all()
    waiting = sorted((e for e, *_ in rows if e.state == "waitlisted"), key=lambda e: (e.waitlist_pos or 0, e.booked_at))
    rank = {e.id: i + 1 for i, e in enumerate(waiting)}
    stops = _stops_of(session, row, [e.seeker_id for e, *_ in rows if e.state != "cancelled"])
    lines = [
        EnrollmentLine(
            e.id,
            e.seeker_id,
            no,
            name,
            e.state,
            rank.get(e.id),
            e.booked_at.astimezone(JST),
            e.override_reason,
            login or "",
            e.cancel_reason,
            e.offered_until.astimezone(JST) if e.offered_until else None,
            stops.get(e.seeker_id) if e.state != "cancelled" else None,
        )
        for e, no, name, login in rows
    ]
    nxt = rescheduled_to(session, session_id=session_id)
    return SessionDetail(
        row.id,
        row.office_id,
        row.kind,
        row.title,
        row.start_at.astimezone(JST),
        row.end_at.astimezone(JST),
        row.state,
        staff.login if staff else "",
        staff.name if staff else "",
        row.capacity,
        row.platform,
        row.join_url,
        row.meeting_id,
        bool(row.passcode),
        sum(1 for x in lines if x.state in SEAT_STATES),
        len(waiting),
        lines,
        row.series_id,
        row.rescheduled_from_id,
        nxt.id if nxt else None,
        row.cancel_reason,
        row.cancel_note,
    )


def _stops_of(session: Session, row: SessionRow, seeker_ids: list[int]) -> dict[int, str]:
    """seeker id → the article of a stop of use covering their booking in ``row`` (a live session only)."""
    from hwdesk.services import terminations

    if row.state not in LIVE_SESSION_STATES or not seeker_ids:
        return {}
    found = terminations.stops(session.connection(), office_id=row.office_id, seeker_ids=seeker_ids)
    on = _jst_day(row.start_at)
    return {sid: stop.cite for sid in seeker_ids if (stop := terminations.stop_on(found, sid, on))}


@dataclass(frozen=True)
class Booking:
    """A seeker's live booking (for the termination screen's list to cancel with notice)."""

    session_id: int
    enrollment_state: str
    kind: str
    start: datetime
    end: datetime
    office_id: str


@guard("clerk")
def future_bookings(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str | None = None,
    after: datetime | None = None,
    until: date | None = None,
) -> list[Booking]:
    """The seeker's active enrollments in scheduled sessions starting after ``after`` (now)."""
    after = after or _now()
    stmt = (
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            Enrollment.session_id,
            Enrollment.state,
            SessionRow.kind,
            SessionRow.start_at,
            SessionRow.end_at,
            SessionRow.office_id,
        )
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            Enrollment.seeker_id == seeker_id,
            col(Enrollment.state).in_(ACTIVE_STATES),
            SessionRow.state == "scheduled",
            col(SessionRow.start_at) > after,
        )
    )
    if office_id:
        stmt = stmt.where(SessionRow.office_id == office_id)
    if until:
        stmt = stmt.where(col(SessionRow.start_at) < calendar.day_bounds(until)[1])
    rows = session.exec(stmt.order_by(col(SessionRow.start_at))).all()
    return [Booking(sid, st, k, s.astimezone(JST), e.astimezone(JST), o) for sid, st, k, s, e, o in rows]


@guard("clerk")
def sessions_of_seeker(session: Session, *, actor: Actor, seeker_id: int, limit: int = 100) -> list[Booking]:
    """Every session the seeker was or is enrolled in (past and upcoming), newest first."""
    stmt = (
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            Enrollment.session_id,
            Enrollment.state,
            SessionRow.kind,
            SessionRow.start_at,
            SessionRow.end_at,
            SessionRow.office_id,
        )
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(Enrollment.seeker_id == seeker_id)
    )
    rows = session.exec(stmt.order_by(col(SessionRow.start_at).desc()).limit(limit)).all()
    return [Booking(sid, st, k, s.astimezone(JST), e.astimezone(JST), o) for sid, st, k, s, e, o in rows]


__all__ = [
    "sessions_of_seeker",
    "ACTIVE_STATES",
    "SEAT_STATES",
    "STATE_LABELS",
    "CANCEL_LABELS",
    "Booking",
    "Cancelled",
    "EnrollmentLine",
    "Reason",
    "SeekerFailure",
    "SeriesResult",
    "SessionCancelled",
    "SessionDetail",
    "Skipped",
    "allowed_moves",
    "book",
    "cancel_enrollment",
    "cancel_session",
    "confirm_offer",
    "create_series",
    "create_session",
    "future_bookings",
    "get_session",
    "is_group",
    "lock_seeker",
    "lock_session",
    "lock_staff",
    "occurrences",
    "reschedule",
    "rescheduled_to",
    "seeker_conflict",
    "session_detail",
    "session_passcode",
    "set_state",
    "staff_conflict",
    "state_label",
]
