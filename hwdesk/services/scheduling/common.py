"""What every part of scheduling uses: the kinds, refusal lines, row locks (in their fixed order) and the overlap and slot checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, literal_column
from sqlmodel import Session, col, select

from hwdesk.clock import JST
from hwdesk.errors import NotFound, RuleRefusal, ValidationFailed
from hwdesk.jtext.times import format_span
from hwdesk.models import CANCEL_REASONS, GROUP_KINDS, Enrollment, Seeker, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, eligibility
from hwdesk.states import (
    ACTIVE_STATES,
    LIVE_SESSION_STATES,
    SessionState,
    state_label,
)
from hwdesk.terms import service_label
from hwdesk.texts import pick, tr

MAX_OCCURRENCES = 200


def is_group(kind: str) -> bool:
    """Group kinds (seminar, interview, tour) have a capacity and a waitlist."""
    return kind in GROUP_KINDS


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
        return f"✘ {pick(self.text, self.text_en, lang)}" + (tr("q.paren", lang, text=where) if where else "")


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
        SessionRow.state != SessionState.CANCELLED,
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


# Built once: executed on the connection, a check costs ~20 µs instead of ~130 µs.
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


def _require_live(
    row: SessionRow, *, what_ja: str, what_en: str, states: tuple[str, ...] = (SessionState.SCHEDULED,)
) -> None:
    if row.state not in states:
        raise RuleRefusal(
            f"セッション #{row.id} は「{state_label(row.state)}」のため{what_ja}できません。",
            f"Session #{row.id} is {state_label(row.state, 'en').lower()}; cannot {what_en}.",
            field="state",
        )
