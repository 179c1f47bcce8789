"""Correcting a final state (a no-show that was in fact a connection failure, a completed session
the seeker never joined …): only a supervisor, always with a reason.

A final state is one no ordinary move leaves (``scheduling.SESSION_PATHS`` / ``ENROLLMENT_PATHS``
have no entry for it). A correction changes the stored state — reports count what the state is
now — and writes an audit event of its own (``session.correct`` / ``enrollment.correct``) whose
``before`` keeps the state it replaces, with the reason; nothing is overwritten silently. The
session's history (``history``) lists those events, oldest first.

What may be corrected, and to what:

- one seat (``seeker_id``): completed ⇄ absent ⇄ connection_failed ⇄ stopped; an individual
  session follows its one seat (completed / no_show / stopped);
- a whole session: completed ⇄ no_show ⇄ stopped; for an individual session its seat follows
  (``absent`` and ``connection_failed`` name the no-show's kind). A group session's seats are
  corrected one by one (each was decided for that seeker).

Cancelled is final too but is not corrected here: a cancellation made in error is undone by
booking again (the booking's own checks then apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import RuleRefusal, ValidationFailed
from hwdesk.jtext.text import clean_text
from hwdesk.models import AuditLog, Enrollment, Staff
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.scheduling import _enrollments, _get_enrollment, is_group, lock_session, state_label
from hwdesk.states import SEAT_FINAL, SESSION_FINAL, SeatState, SessionState

# an individual session's state for its seat's state, and back
SESSION_OF_SEAT: dict[str, SessionState] = {
    SeatState.COMPLETED: SessionState.COMPLETED,
    SeatState.ABSENT: SessionState.NO_SHOW,
    SeatState.CONNECTION_FAILED: SessionState.NO_SHOW,
    SeatState.STOPPED: SessionState.STOPPED,
}
CORRECT_ACTIONS = ("session.correct", "enrollment.correct")


def _refuse_target(target: str, allowed: tuple[str, ...]) -> RuleRefusal:
    return RuleRefusal(
        f"「{state_label(target)}」には訂正できません（訂正できる状態: {'・'.join(state_label(s) for s in allowed)}）。",
        f"Cannot correct to {state_label(target, 'en')} (allowed: {', '.join(state_label(s, 'en') for s in allowed)}).",
        field="state",
    )


def _not_final(state: str) -> RuleRefusal:
    return RuleRefusal(
        f"「{state_label(state)}」は確定した状態ではありません。訂正ではなく通常の操作で進めてください。",
        f"{state_label(state, 'en')} is not a final state; move it on as usual instead of correcting it.",
        field="state",
    )


@dataclass(frozen=True)
class Correction:
    """What a correction changed: the session's state and each seat's, before → after."""

    session_id: int
    session_before: str
    session_after: str
    seats: tuple[tuple[int, str, str], ...]  # (seeker id, before, after)


@guard("clerk", what_ja="確定した状態の訂正", what_en="Correcting a final state")
def correct_state(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    state: str,
    reason: str,
    seeker_id: int | None = None,
) -> Correction:
    """A supervisor corrects a final state of a session (or of one seat with ``seeker_id``) to
    another final state, with a reason; each change is its own audit event keeping the old state."""
    require(actor, "supervisor", what_ja="確定した状態の訂正", what_en="Correcting a final state")
    reason = clean_text(reason, field="reason", max_len=300)
    if not reason:
        raise ValidationFailed("訂正の理由を入力してください。", "Give the reason for the correction.", field="reason")
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    if seeker_id is None and not is_group(row.kind):
        seated = _enrollments(session, row.id, SEAT_FINAL)
        if seated:  # an individual session: correct through its one seat, the session follows
            seeker_id = seated[0].seeker_id
    if seeker_id is None:
        target = SessionState.NO_SHOW if state in (SeatState.ABSENT, SeatState.CONNECTION_FAILED) else state
        if row.state not in SESSION_FINAL:
            raise _not_final(row.state)
        if target not in SESSION_FINAL:
            raise _refuse_target(target, SESSION_FINAL)
        if target == row.state:
            raise RuleRefusal(
                f"既に「{state_label(target)}」です。", f"Already {state_label(target, 'en')}.", field="state"
            )
        before = row.state
        _set_session(session, actor, row, target, reason)
        return Correction(row.id, before, target, ())
    e = _get_enrollment(session, row.id, seeker_id)
    target = SeatState.ABSENT if state == SessionState.NO_SHOW else state
    if e.state not in SEAT_FINAL:
        raise _not_final(e.state)
    if target not in SEAT_FINAL:
        raise _refuse_target(target, SEAT_FINAL)
    if target == e.state:
        raise RuleRefusal(
            f"既に「{state_label(target)}」です。", f"Already {state_label(target, 'en')}.", field="state"
        )
    seat_before, session_before = e.state, row.state
    e.state = target
    session.add(e)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.correct",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=e.seeker_id,
        office_id=row.office_id,
        before={"state": seat_before},
        after={"state": target},
        extra={"reason": reason, "session": row.id},
    )
    if not is_group(row.kind) and row.state != SESSION_OF_SEAT[target]:
        _set_session(session, actor, row, SESSION_OF_SEAT[target], reason)
    return Correction(row.id, session_before, row.state, ((e.seeker_id, seat_before, target),))


def _set_session(session: Session, actor: Actor, row, target: str, reason: str) -> None:
    before, row.state, row.updated_at = row.state, target, now_utc()
    session.add(row)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.correct",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        before={"state": before},
        after={"state": target},
        extra={"reason": reason},
    )


@dataclass(frozen=True)
class HistoryLine:
    """One correction of a session or of one of its seats, as the session screen lists it."""

    at: datetime
    by: str
    seeker_id: int | None
    before: str
    after: str
    reason: str

    def line(self, lang: str = "ja", seeker_no: str = "") -> str:
        """'12/05 10:31 super1: 完了 → 欠席（本人不参加） 「…」'."""
        from hwdesk.texts import tr

        return tr(
            "corrections.line",
            lang,
            at=self.at,
            by=self.by,
            who=f"{seeker_no} " if seeker_no else "",
            before=state_label(self.before, lang),
            after=state_label(self.after, lang),
            reason=self.reason,
        )


@guard("clerk")
def history(session: Session, *, actor: Actor, session_id: int) -> list[HistoryLine]:
    """The corrections of a session and of its seats, oldest first (two queries)."""
    import json

    seats = {e.id: e.seeker_id for e in session.exec(select(Enrollment).where(Enrollment.session_id == session_id))}
    rows = session.exec(
        select(AuditLog, Staff.login)
        .outerjoin(Staff, col(Staff.id) == AuditLog.staff_id)
        .where(
            col(AuditLog.action).in_(CORRECT_ACTIONS),
            ((col(AuditLog.entity) == "session") & (col(AuditLog.entity_id) == str(session_id)))
            | ((col(AuditLog.entity) == "enrollment") & col(AuditLog.entity_id).in_([str(i) for i in seats] or ["-"])),
        )
        .order_by(col(AuditLog.id))
    ).all()
    out = []
    for a, login in rows:
        detail = json.loads(a.detail_json) if getattr(a, "detail_json", None) else {}
        before = (detail.get("before") or {}).get("state", "")
        after = (detail.get("after") or {}).get("state", "")
        reason = detail.get("reason", "")
        seeker = seats.get(int(a.entity_id)) if a.entity == "enrollment" else None
        out.append(HistoryLine(a.at.astimezone(JST), login or "", seeker, before, after, reason))
    return out


__all__ = [
    "CORRECT_ACTIONS",
    "SEAT_FINAL",
    "SESSION_FINAL",
    "Correction",
    "HistoryLine",
    "correct_state",
    "history",
]
