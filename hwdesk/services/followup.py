"""The follow-up list (issue 20, item 4): who to phone now, whose connection keeps failing, who
did not come last week.

- **Late seekers.** A seeker booked on a session of the office that started at least N minutes ago
  and has not ended, still not checked in, is listed to be phoned. N is the office profile's
  ``followup_minutes`` (the office's counter practice, not a condition of use, so it cites no
  article), ``DEFAULT_MINUTES`` when absent. A seeker whose use is stopped on that day is not
  listed: they are not to be asked to join.
- **Call results.** Each call is a ``FollowupCall`` row (reached / no answer), audited. Rows are
  never changed: a mistaken result is corrected by a supervisor with a reason, as a new row that
  names the one it corrects, so the history keeps both (``correct_call``).
- **Connection failures.** A seeker whose bookings ended ``connection_failed`` (or were cancelled
  for the connection) ``FAILURES_SUGGEST`` times within ``FAILURES_WINDOW`` with no environment
  check recorded since the last of them gets a suggestion line: ask for a new environment check
  (the office's 利用環境 article). It is a suggestion for the counter, never a penalty: no
  office's terms make a failed connection a ground to stop use, so nothing here stops or refuses.
- **No-shows of the past week** (absent or connection failed) with whether a reminder call was
  made before the session (``queue.record_reminder``), its outcome, and the follow-up calls.

Every view is a fixed number of queries; each function is guarded and reads one office.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.numbers import format_phone
from hwdesk.jtext.text import clean_text
from hwdesk.models import FOLLOWUP_OUTCOMES, Enrollment, EnvCheck, FollowupCall, Reminder, Seeker, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import terminations
from hwdesk.services.context import Actor
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile
from hwdesk.services.scheduling import _get_enrollment, get_session
from hwdesk.services.scheduling.details import SeatContact, seat_contacts
from hwdesk.states import LIVE_SESSION_STATES, NO_SHOW_STATES, CancelReason, SeatState
from hwdesk.terms import cite_text, cite_text_en
from hwdesk.texts import pick, tr

DEFAULT_MINUTES = 10
MAX_MINUTES = 240
FAILURES_SUGGEST = 2
FAILURES_WINDOW = timedelta(days=90)
NO_SHOW_DAYS = 7

OUTCOME_LABELS = {
    "reached": ("連絡済み", "Reached"),
    "no_answer": ("不通", "No answer"),
}
REMINDER_LABELS = {
    "reached": ("連絡済み", "Reached"),
    "not_reached": ("不通", "Not reached"),
    "message_left": ("伝言済み", "Message left"),
}


def followup_minutes(session: Session, office_id: str) -> int:
    """N of 'not checked in N minutes after the start': the profile's ``followup_minutes`` or the default."""
    raw = profile(session, office_id).raw.get("followup_minutes")
    try:
        n = int(raw) if raw is not None else DEFAULT_MINUTES
    except (TypeError, ValueError):
        return DEFAULT_MINUTES
    return min(max(n, 0), MAX_MINUTES)


@dataclass(frozen=True)
class Call:
    """One recorded call; ``corrects`` is the id of the row it corrects (with ``reason``)."""

    id: int
    outcome: str
    at: datetime
    by: str
    note: str = ""
    corrects: int | None = None
    reason: str = ""

    def label(self, lang: str = "ja") -> str:
        """The outcome in ``lang``."""
        return pick(*OUTCOME_LABELS.get(self.outcome, (self.outcome, self.outcome)), lang)


@dataclass(frozen=True)
class LateRow(SeatContact):
    """A seeker to phone: booked, not checked in ``minutes_late`` minutes after the start."""

    minutes_late: int
    calls: tuple[Call, ...] = ()  # current results (corrected rows replaced), oldest first
    env_suggested: bool = False

    @property
    def last(self) -> Call | None:
        """The latest call, if any."""
        return self.calls[-1] if self.calls else None


@dataclass(frozen=True)
class EnvSuggestion:
    """A seeker whose connection failed repeatedly with no environment check since."""

    seeker_id: int
    seeker_no: str
    name: str
    phone: str
    failures: int
    last_failure: datetime
    last_check: datetime | None

    def text(self, cite: tuple[str, str], lang: str = "ja") -> str:
        """The suggestion line: a new environment check, not a penalty."""
        return tr("fu.env_suggestion", lang, n=self.failures, cite=pick(*cite, lang))


@dataclass(frozen=True)
class NoShowRow:
    """A no-show of the past week and whether a reminder call was made before the session."""

    session_id: int
    kind: str
    start: datetime
    seeker_id: int
    seeker_no: str
    name: str
    phone: str
    state: str  # absent / connection_failed
    reminder: str | None  # the last reminder outcome before the start; None = no reminder call
    calls: tuple[Call, ...] = ()

    @property
    def reminded(self) -> bool:
        """Whether a reminder call was made before the session."""
        return self.reminder is not None


@dataclass(frozen=True)
class FollowupView:
    """The office's follow-up list at ``now``."""

    office_id: str
    now: datetime
    minutes: int
    late: list[LateRow]
    suggestions: list[EnvSuggestion]
    no_shows: list[NoShowRow]
    env_cite: tuple[str, str] = ("", "")
    history: dict[int, list[Call]] = field(default_factory=dict)  # call id → the rows it replaced


# --- reading ----------------------------------------------------------------------------------


def _calls(session: Session, session_ids) -> tuple[dict[tuple[int, int], list[Call]], dict[int, list[Call]]]:
    """Current calls per (session, seeker) and, per current call, the rows it corrected (newest first)."""
    rows = session.exec(
        select(FollowupCall, Staff.login)
        .outerjoin(Staff, col(Staff.id) == FollowupCall.by)
        .where(col(FollowupCall.session_id).in_(session_ids))
        .order_by(col(FollowupCall.at), col(FollowupCall.id))
    ).all()
    by_id = {c.id: (c, login or "") for c, login in rows}
    corrected = {c.corrects_id for c, _ in rows if c.corrects_id is not None}
    current: dict[tuple[int, int], list[Call]] = {}
    history: dict[int, list[Call]] = {}
    for c, login in rows:
        if c.id in corrected:
            continue
        call = _call_of(c, login or "")
        current.setdefault((c.session_id, c.seeker_id), []).append(call)
        old, chain = c.corrects_id, []
        while old is not None and old in by_id:
            o, ologin = by_id[old]
            chain.append(_call_of(o, ologin))
            old = o.corrects_id
        if chain:
            history[c.id] = chain  # type: ignore[index]  # a stored row's primary key is never None (SQLModel types it int | None)
    return current, history


def _late(session: Session, *, office_id: str, now: datetime, minutes: int) -> list[tuple]:
    cutoff = now - timedelta(minutes=minutes)
    stmt = (
        seat_contacts(SessionRow.end_at)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= now - timedelta(days=1),  # the index's range: no session lasts a day
            col(SessionRow.start_at) <= cutoff,
            col(SessionRow.end_at) > now,
            col(SessionRow.state).in_(LIVE_SESSION_STATES),
            Enrollment.state == SeatState.BOOKED,
        )
        .order_by(col(SessionRow.start_at), col(SessionRow.id), col(Seeker.seeker_no))
    )
    return list(session.exec(stmt).all())


def _suggestions(session: Session, *, office_id: str, now: datetime, seeker_ids=None) -> list[EnvSuggestion]:
    """Seekers with ``FAILURES_SUGGEST`` or more connection failures in the window and no
    environment check recorded since the last one (``seeker_ids`` narrows to those seekers)."""
    conds: list = [
        SessionRow.office_id == office_id,
        col(SessionRow.start_at) >= now - FAILURES_WINDOW,
        col(SessionRow.start_at) <= now,
        or_(
            col(Enrollment.state) == SeatState.CONNECTION_FAILED,
            (col(Enrollment.state) == SeatState.CANCELLED) & (col(Enrollment.cancel_reason) == CancelReason.CONNECTION),
        ),
    ]
    if seeker_ids is not None:
        conds.append(col(Enrollment.seeker_id).in_(seeker_ids))
    failures: dict[int, list[datetime]] = {}
    for sid, start in session.exec(
        select(Enrollment.seeker_id, SessionRow.start_at)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(*conds)
    ):
        failures.setdefault(sid, []).append(start)
    many = [sid for sid, starts in failures.items() if len(starts) >= FAILURES_SUGGEST]
    if not many:
        return []
    checks: dict[int, datetime] = {}
    for sid, at, declared in session.exec(
        select(col(EnvCheck.seeker_id), col(EnvCheck.recorded_at), col(EnvCheck.declared_on)).where(
            EnvCheck.office_id == office_id, col(EnvCheck.seeker_id).in_(many)
        )
    ):
        # a check declared on a later day than it was typed in counts from that day
        at = max(at, datetime.combine(declared, time(0), JST))
        if sid not in checks or at > checks[sid]:
            checks[sid] = at
    people = {
        r[0]: r
        for r in session.exec(
            select(Seeker.id, Seeker.seeker_no, Seeker.name, Seeker.phone).where(
                col(Seeker.id).in_(many), col(Seeker.anonymized_at).is_(None)
            )
        )
    }
    out = []
    for sid in many:
        last = max(failures[sid])
        check = checks.get(sid)
        if sid not in people or (check is not None and check >= last):
            continue
        _, no, name, phone = people[sid]
        out.append(
            EnvSuggestion(
                sid,
                no,
                name,
                format_phone(phone) if phone else "",
                len(failures[sid]),
                last.astimezone(JST),
                check.astimezone(JST) if check else None,
            )
        )
    return sorted(out, key=lambda e: (e.last_failure, e.seeker_no), reverse=True)


def _env_cite(session: Session, office_id: str) -> tuple[str, str]:
    env = (profile(session, office_id).requirements.get("environment") or {}).get("cite")
    return (cite_text(env), cite_text_en(env)) if env else ("", "")


@guard("clerk")
def late_seekers(session: Session, *, actor: Actor, office_id: str, now: datetime | None = None) -> list[LateRow]:
    """Seekers to phone now: booked on a session of ``office_id`` that started at least the office's
    follow-up minutes ago and has not ended, not checked in (the live queue's follow-up panel)."""
    now = now or now_utc()
    return _late_rows(session, office_id=office_id, now=now, minutes=followup_minutes(session, office_id))[0]


def _late_rows(session: Session, *, office_id: str, now: datetime, minutes: int):
    found = _late(session, office_id=office_id, now=now, minutes=minutes)
    if not found:
        return [], {}
    sids = sorted({r[0] for r in found})
    seeker_ids = sorted({r[4] for r in found})
    calls, history = _calls(session, sids)
    stops = terminations.stops(session.connection(), office_id=office_id, seeker_ids=seeker_ids)
    suggested = {e.seeker_id for e in _suggestions(session, office_id=office_id, now=now, seeker_ids=seeker_ids)}
    out = []
    for sid, kind, start, end, seeker, no, name, phone in found:
        start = start.astimezone(JST)
        if terminations.stop_on(stops, seeker, start.date()) is not None:
            continue  # a stopped seeker is told their booking is cancelled, never asked to join
        out.append(
            LateRow(
                sid,
                kind,
                start,
                end.astimezone(JST),
                seeker,
                no,
                name,
                format_phone(phone) if phone else "",
                int((now - start).total_seconds() // 60),
                tuple(calls.get((sid, seeker), ())),
                seeker in suggested,
            )
        )
    return out, history


def _no_shows(session: Session, *, office_id: str, now: datetime, days: int):
    lo = now - timedelta(days=days)
    found = session.exec(
        seat_contacts(Enrollment.state)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= lo,
            col(SessionRow.start_at) <= now,
            col(Enrollment.state).in_(NO_SHOW_STATES),
        )
        .order_by(col(SessionRow.start_at).desc(), col(SessionRow.id), col(Seeker.seeker_no))
    ).all()
    ids = select(SessionRow.id).where(
        SessionRow.office_id == office_id, col(SessionRow.start_at) >= lo, col(SessionRow.start_at) <= now
    )
    starts = {r[0]: r[2] for r in found}
    reminders: dict[tuple[int, int], str] = {}
    for sid, seeker, outcome, at in session.exec(
        select(Reminder.session_id, Reminder.seeker_id, Reminder.outcome, Reminder.at)
        .where(col(Reminder.session_id).in_(ids))
        .order_by(col(Reminder.at), col(Reminder.id))
    ):
        if sid in starts and at <= starts[sid]:
            reminders[(sid, seeker)] = outcome  # the last call before the session
    calls, history = _calls(session, ids)
    rows = [
        NoShowRow(
            sid,
            kind,
            start.astimezone(JST),
            seeker,
            no,
            name,
            format_phone(phone) if phone else "",
            state,
            reminders.get((sid, seeker)),
            tuple(calls.get((sid, seeker), ())),
        )
        for sid, kind, start, state, seeker, no, name, phone in found
    ]
    return rows, history


@guard("clerk")
def followup_view(
    session: Session, *, actor: Actor, office_id: str, now: datetime | None = None, days: int = NO_SHOW_DAYS
) -> FollowupView:
    """The whole follow-up list: late seekers to phone, environment-check suggestions, and the
    no-shows of the past ``days`` days with whether a reminder call was made."""
    now = now or now_utc()
    minutes = followup_minutes(session, office_id)
    late, h1 = _late_rows(session, office_id=office_id, now=now, minutes=minutes)
    no_shows, h2 = _no_shows(session, office_id=office_id, now=now, days=days)
    return FollowupView(
        office_id,
        now,
        minutes,
        late,
        _suggestions(session, office_id=office_id, now=now),
        no_shows,
        _env_cite(session, office_id),
        {**h1, **h2},
    )


# --- recording --------------------------------------------------------------------------------


def _outcome(outcome: str) -> str:
    if outcome not in FOLLOWUP_OUTCOMES:
        raise ValidationFailed(
            "結果は reached（連絡済み）/ no_answer（不通）のいずれかです。",
            "The outcome must be reached or no_answer.",
            field="outcome",
        )
    return outcome


def _text(value: str, *, field: str, max_len: int = 200) -> str:
    try:
        return clean_text(value or "", field=field, max_len=max_len)
    except ParseError as exc:
        raise ValidationFailed(exc.message_ja, exc.message_en, field=field) from None


def _call_of(c: FollowupCall, login: str) -> Call:
    return Call(c.id, c.outcome, c.at.astimezone(JST), login, c.note, c.corrects_id, c.reason)  # type: ignore[arg-type]  # a stored row's primary key is never None (SQLModel types it int | None)


@guard("clerk", what_ja="フォローアップ電話の記録", what_en="Recording a follow-up call")
def record_call(
    session: Session, *, actor: Actor, session_id: int, seeker_id: int, outcome: str, note: str = ""
) -> Call:
    """Record a follow-up call's result (reached / no_answer) for a seeker of a session."""
    outcome = _outcome(outcome)
    note = _text(note, field="note")
    row = get_session(session, session_id)
    _get_enrollment(session, session_id, seeker_id)
    c = FollowupCall(
        session_id=session_id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        outcome=outcome,
        note=note,
        by=_sid(actor),
        at=now_utc(),
    )
    session.add(c)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="followup.call",
        entity="followup_call",
        entity_id=c.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        after={"session": session_id, "outcome": outcome},
    )
    return _call_of(c, actor.login)


@guard("supervisor", what_ja="フォローアップ電話の記録の訂正", what_en="Correcting a follow-up call")
def correct_call(session: Session, *, actor: Actor, session_id: int, call_id: int, outcome: str, reason: str) -> Call:
    """Correct a recorded call's result with a reason: a new row naming the one it corrects (the
    old row stays, and the audit keeps both)."""
    outcome = _outcome(outcome)
    reason = _text(reason, field="reason", max_len=300)
    if not reason:
        raise ValidationFailed("訂正の理由を入力してください。", "Give the reason for the correction.", field="reason")
    old = session.get(FollowupCall, call_id)
    if old is None or old.session_id != session_id:
        raise NotFound(f"電話の記録 {call_id} はありません。", f"No call record {call_id}.")
    newer = session.exec(select(FollowupCall.id).where(FollowupCall.corrects_id == call_id)).first()
    if newer is not None:
        raise ValidationFailed(
            f"この記録は訂正済みです（#{newer}）。最新の記録を訂正してください。",
            f"This record was already corrected (#{newer}); correct the latest one.",
            field="call_id",
        )
    if old.outcome == outcome:
        raise ValidationFailed(
            "訂正後の結果が今の結果と同じです。",
            "The corrected result is the same as the recorded one.",
            field="outcome",
        )
    c = FollowupCall(
        session_id=old.session_id,
        seeker_id=old.seeker_id,
        office_id=old.office_id,
        outcome=outcome,
        note=old.note,
        by=_sid(actor),
        corrects_id=old.id,
        at=now_utc(),
        reason=reason,
    )
    session.add(c)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="followup.correct",
        entity="followup_call",
        entity_id=c.id,
        seeker_id=old.seeker_id,
        office_id=old.office_id,
        before={"call": old.id, "outcome": old.outcome},
        after={"call": c.id, "outcome": outcome},
        extra={"reason": reason},
    )
    return _call_of(c, actor.login)


__all__ = [
    "DEFAULT_MINUTES",
    "FAILURES_SUGGEST",
    "FAILURES_WINDOW",
    "OUTCOME_LABELS",
    "REMINDER_LABELS",
    "Call",
    "LateRow",
    "EnvSuggestion",
    "NoShowRow",
    "FollowupView",
    "followup_minutes",
    "late_seekers",
    "followup_view",
    "record_call",
    "correct_call",
]
