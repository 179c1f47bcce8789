"""The reminder calls: who to phone about the next open day's sessions, why, and their outcomes.

The list carries each seeker's phone, companions, what is still missing and the last call's
outcome; seekers of a moved session are listed until they are told the new time
(``MOVED_WITHIN``). ``record_reminder`` writes a call's outcome (audited).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import ValidationFailed
from hwdesk.jtext.numbers import format_phone
from hwdesk.models import REMINDER_OUTCOMES, Enrollment, Reminder, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.eligibility import USE_STOPPED
from hwdesk.services.guard import guard
from hwdesk.services.queue.build import _build_rows, _session_filter
from hwdesk.services.queue.rows import Companion, RowWarning
from hwdesk.services.scheduling import _get_enrollment, get_session
from hwdesk.services.scheduling.details import SeatContact, seat_contacts
from hwdesk.states import SeatState, SessionState
from hwdesk.texts import pick, tr

OUTCOME_LABELS = {
    "reached": ("連絡済み", "Reached"),
    "not_reached": ("不通", "Not reached"),
    "message_left": ("伝言済み", "Message left"),
}


# --- reminders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRow(SeatContact):
    """A seeker to call about a session on the next open day."""

    enrollment_state: str
    companions: tuple[Companion, ...]
    missing: tuple[str, ...]  # warning keys: no_consent, terms_revised, no_env_check, env_failed, no_link
    last_outcome: str | None
    last_at: datetime | None
    last_by: str
    stopped: str | None = None  # the stop's article: tell them the booking is cancelled, not a reminder
    offered_until: datetime | None = None  # a seat offered: phone for the answer by then
    moved_from: int | None = None  # the session was moved from this one: tell them the new time

    def missing_text(self, lang: str = "ja") -> str:
        """What is still missing, comma-separated."""
        return tr("common.sep", lang).join(RowWarning(k).text(lang) for k in self.missing)


@dataclass(frozen=True)
class ReminderList:
    """The reminder calls for ``target_day`` (the next open day after ``from_day``)."""

    office_id: str
    from_day: date
    target_day: date
    rows: list[ReminderRow]


@guard("clerk")
def reminder_list(
    session: Session, *, actor: Actor, office_id: str, day: date, now: datetime | None = None
) -> ReminderList:
    """Seekers with live bookings on the next open day after ``day``: phone, companions, what is still
    missing (consent, environment check, link) and the last reminder outcome."""
    target = calendar.next_open_day(session, office_id=office_id, day=day)
    lo, hi = calendar.day_bounds(target)
    rows = [
        r for r in _build_rows(session, office_id=office_id, lo=lo, hi=hi, now=now) if r.state == SessionState.SCHEDULED
    ]
    last: dict[tuple[int, int], tuple[str, datetime, str]] = {}
    ids = select(SessionRow.id).where(*_session_filter(office_id, lo, hi, None, None))
    for rem, login in session.exec(
        select(Reminder, Staff.login)
        .outerjoin(Staff, col(Staff.id) == Reminder.by)
        .where(col(Reminder.session_id).in_(ids))
        .order_by(col(Reminder.at), col(Reminder.id))
    ):
        last[(rem.session_id, rem.seeker_id)] = (rem.outcome, rem.at.astimezone(JST), login or "")
    out = []
    for r in rows:
        for s in r.seekers:
            if s.state not in (SeatState.BOOKED, SeatState.OFFERED):
                continue
            missing = tuple(k for k in r.seeker_warnings.get(s.seeker_no, []) if k != USE_STOPPED) + (
                ("no_link",) if not r.join_url else ()
            )
            outcome, at, by = last.get((r.id, s.id), (None, None, ""))
            out.append(
                ReminderRow(
                    r.id,
                    r.kind,
                    r.start,
                    r.end,
                    s.id,
                    s.seeker_no,
                    s.name,
                    format_phone(s.phone) if s.phone else "",
                    s.state,
                    tuple(c for c in r.companions if c.seeker_no == s.seeker_no),
                    missing,
                    outcome,
                    at,
                    by,
                    s.stopped,
                    s.offered_until if s.state == SeatState.OFFERED else None,
                )
            )
    out += _moved(
        session, office_id=office_id, day=day, now=now, listed={(r.session_id, r.seeker_id) for r in out}, out=out
    )
    return ReminderList(office_id, day, target, out)


MOVED_WITHIN = timedelta(days=60)


def _moved(
    session: Session,
    *,
    office_id: str,
    day: date,
    now: datetime | None,
    listed: set[tuple[int, int]],
    out: list[ReminderRow],
) -> list[ReminderRow]:
    """The reschedule notices still to give: seekers of upcoming sessions that were moved (made by
    ``scheduling.reschedule``) with no call recorded for the new session yet — whatever their day
    (from ``day``, at most ``MOVED_WITHIN`` ahead).
    A row already on the day's list is marked instead of repeated (``out`` is updated in place)."""
    from sqlalchemy import exists

    lo = max(now or now_utc(), calendar.day_bounds(day)[0])
    stmt = (
        seat_contacts(SessionRow.end_at, SessionRow.rescheduled_from_id, Enrollment.state)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) > lo,
            col(SessionRow.start_at) < lo + MOVED_WITHIN,
            SessionRow.state == SessionState.SCHEDULED,
            col(SessionRow.rescheduled_from_id).is_not(None),
            col(Enrollment.state).in_((SeatState.BOOKED, SeatState.OFFERED, SeatState.WAITLISTED)),
            ~exists().where(col(Reminder.session_id) == SessionRow.id, col(Reminder.seeker_id) == Enrollment.seeker_id),
        )
        .order_by(col(SessionRow.start_at), col(SessionRow.id))
    )
    more = []
    for sid, kind, start, end, old, state, seeker_id, no, name, phone in session.exec(stmt):
        if (sid, seeker_id) in listed:
            i = next(i for i, r in enumerate(out) if (r.session_id, r.seeker_id) == (sid, seeker_id))
            out[i] = replace(out[i], moved_from=old)
            continue
        more.append(
            ReminderRow(
                sid,
                kind,
                start.astimezone(JST),
                end.astimezone(JST),
                seeker_id,
                no,
                name,
                format_phone(phone) if phone else "",
                state,
                (),
                (),
                None,
                None,
                "",
                moved_from=old,
            )
        )
    return more


CALLS = {
    "stopped": (
        "利用中止 — 予約の取消しを伝える（リマインドではありません）",
        "Stopped — tell them the booking is cancelled (not a reminder)",
    ),
    "offer": ("空席案内 — {until}までに参加の可否を確認", "Seat offered — ask for an answer by {until}"),
    "moved": (
        "日時変更 — #{old} から新しい日時（{when}）を伝える",
        "Moved — tell them the new time ({when}; was #{old})",
    ),
}


def reminder_call(r: ReminderRow) -> str:
    """What the call is for: 'stopped' (tell them the booking is cancelled), 'offer' (ask for an
    answer by the deadline) or 'reminder'."""
    if r.stopped is not None:
        return "stopped"
    if r.moved_from is not None:
        return "moved"
    return "offer" if r.enrollment_state == SeatState.OFFERED else "reminder"


def reminder_call_text(r: ReminderRow, lang: str = "ja") -> str:
    """The call's purpose in ``lang`` when it is not an ordinary reminder ('' for a reminder)."""
    kind = reminder_call(r)
    if kind == "reminder":
        return ""
    ja, en = CALLS[kind]
    text = pick(ja, en, lang)
    if kind == USE_STOPPED:
        return text + tr("q.paren", lang, text=r.stopped) if r.stopped else text
    if kind == "moved":
        return text.format(old=r.moved_from, when=tr("rem.when", lang, at=r.start))
    until = r.offered_until.astimezone(JST) if r.offered_until else None
    return text.format(until=tr("rem.when", lang, at=until) if until else "—")


@guard("clerk")
def record_reminder(session: Session, *, actor: Actor, session_id: int, seeker_id: int, outcome: str) -> Reminder:
    """Record the outcome of a reminder call (reached / not_reached / message_left)."""
    require(actor, "clerk", what_ja="リマインド結果の記録", what_en="Recording a reminder call")
    if outcome not in REMINDER_OUTCOMES:
        raise ValidationFailed(
            "結果は reached（連絡済み）/ not_reached（不通）/ message_left（伝言）のいずれかです。",
            "The outcome must be reached, not_reached or message_left.",
            field="outcome",
        )
    row = get_session(session, session_id)
    require_office(actor, row.office_id)
    _get_enrollment(session, session_id, seeker_id)
    rem = Reminder(session_id=session_id, seeker_id=seeker_id, outcome=outcome, by=_sid(actor))
    session.add(rem)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="reminder.record",
        entity="reminder",
        entity_id=rem.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        after={"session": session_id, "outcome": outcome},
    )
    return rem
