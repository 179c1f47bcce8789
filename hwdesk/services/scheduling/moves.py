"""The status paths: moving a session or a booking to its next state (check-in, completion, no-show, stop)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import RuleRefusal, ValidationFailed
from hwdesk.models import (
    Enrollment,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.scheduling.booking import _enrollments, _on_use
from hwdesk.services.scheduling.cancelling import _get_enrollment, cancel_enrollment, cancel_session
from hwdesk.services.scheduling.common import get_session, is_group, lock_session
from hwdesk.states import (
    ENROLLMENT_PATHS,
    LIVE_SESSION_STATES,
    NO_SHOW_STATES,
    SEAT_STATES,
    SESSION_PATHS,
    CancelReason,
    SeatState,
    SessionState,
    state_label,
)

# --- status paths -----------------------------------------------------------------------------


def _wrong_move(current: str, target: str, *, what: str, paths: dict, hint: tuple[str, str] = ("", "")) -> RuleRefusal:
    allowed = paths.get(current, ())
    nxt_ja = "・".join(state_label(s) for s in allowed) or "なし（確定済み）"
    nxt_en = ", ".join(state_label(s, "en") for s in allowed) or "none (final)"
    subject_ja, subject_en = ("セッション", "session") if what == "session" else ("予約", "booking")
    if not allowed and current != SessionState.CANCELLED:  # a final state: only a supervisor's correction changes it
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
    before, row.state, row.updated_at = row.state, target, now_utc()
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
    if target == SeatState.CHECKED_IN:
        _on_use(session, actor=actor, row=row, seeker_id=e.seeker_id)
    if target == SeatState.CANCELLED:
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
    if state in NO_SHOW_STATES:
        return SessionState.NO_SHOW, state
    if state == SeatState.CHECKED_IN:
        return SessionState.IN_PROGRESS, no_show_kind
    if state not in SESSION_PATHS[SessionState.SCHEDULED] + SESSION_PATHS[SessionState.IN_PROGRESS]:
        raise ValidationFailed(
            f"状態 '{state}' は指定できません（in_progress, completed, no_show, absent, connection_failed, cancelled, stopped）。",
            f"Unknown state '{state}' (in_progress, completed, no_show, absent, connection_failed, cancelled, stopped).",
            field="state",
        )
    if no_show_kind not in NO_SHOW_STATES:
        raise ValidationFailed(
            "不参加の種類は absent（本人欠席）か connection_failed（接続不良）です。",
            "The no-show kind is absent or connection_failed.",
            field="no_show_kind",
        )
    return state, no_show_kind


def _refuse_early_no_show(row: SessionRow, now: datetime) -> None:
    if row.state == SessionState.CANCELLED:
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
    no_show_kind: str = SeatState.ABSENT,
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
    if target == SessionState.CANCELLED:
        if seeker_id is not None:
            cancel_enrollment(
                session, actor=actor, session_id=session_id, seeker_id=seeker_id, reason=reason, note=note
            )
            return get_session(session, session_id)
        return cancel_session(session, actor=actor, session_id=session_id, reason=reason, note=note).session
    now = now or now_utc()
    row = lock_session(session, session_id)
    require_office(actor, row.office_id)
    if target == SessionState.NO_SHOW:
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
    seat_of: dict[str, str] = {SessionState.IN_PROGRESS: SeatState.CHECKED_IN, SessionState.NO_SHOW: kind}
    enrollment_target = seat_of.get(target, target)
    if e.state not in ENROLLMENT_PATHS:  # a final seat says so first (only a correction changes it)
        raise _wrong_move(e.state, enrollment_target, what="enrollment", paths=ENROLLMENT_PATHS)
    if target == SessionState.IN_PROGRESS and row.state not in LIVE_SESSION_STATES:
        raise _wrong_move(row.state, SessionState.IN_PROGRESS, what="session", paths=SESSION_PATHS)
    if target in (SessionState.COMPLETED, SessionState.STOPPED) and row.state != SessionState.IN_PROGRESS:
        raise _wrong_move(
            row.state,
            target,
            what="session",
            paths=SESSION_PATHS,
            hint=("先に受付（実施中）にしてください。", "Check in first."),
        )
    if target == SessionState.NO_SHOW and row.state not in LIVE_SESSION_STATES:
        raise _wrong_move(row.state, SessionState.NO_SHOW, what="session", paths=SESSION_PATHS)
    _move_enrollment(session, actor, row, e, enrollment_target)
    if not is_group(row.kind):
        _move_session(session, actor, row, target)
    elif target == SessionState.IN_PROGRESS and row.state == SessionState.SCHEDULED:
        _move_session(session, actor, row, SessionState.IN_PROGRESS)


def _group_move(session: Session, actor: Actor, row: SessionRow, target: str, kind: str) -> None:
    """A whole group session's step, applied to each enrollment it concerns."""
    hint = (
        ("先に開始（実施中）にしてください。", "Start it first.")
        if target in (SessionState.COMPLETED, SessionState.STOPPED) and row.state == SessionState.SCHEDULED
        else ("", "")
    )
    if target == SessionState.NO_SHOW:
        if _enrollments(session, row.id, (SeatState.CHECKED_IN,)):
            raise RuleRefusal(
                "受付済みの参加者がいるため、セッション全体を不参加にはできません。",
                "Some seekers checked in; the session as a whole is not a no-show.",
                field="state",
            )
        if not _enrollments(session, row.id, (SeatState.BOOKED,)):
            raise RuleRefusal(
                "予約者がいないセッションは不参加にできません（キャンセルしてください）。",
                "Nobody is booked; cancel the session instead of marking a no-show.",
                field="state",
            )
    _move_session(session, actor, row, target, hint)
    follows: dict[str, dict[str, str]] = {
        SessionState.COMPLETED: {SeatState.CHECKED_IN: SeatState.COMPLETED, SeatState.BOOKED: SeatState.ABSENT},
        SessionState.STOPPED: {SeatState.CHECKED_IN: SeatState.STOPPED, SeatState.BOOKED: SeatState.CANCELLED},
        SessionState.NO_SHOW: {SeatState.BOOKED: kind},
    }
    follow = follows.get(target)
    if not follow:
        return
    follow = {**follow, SeatState.WAITLISTED: SeatState.CANCELLED, SeatState.OFFERED: SeatState.CANCELLED}
    for e in _enrollments(session, row.id, tuple(follow)):
        _move_enrollment(
            session,
            actor,
            row,
            e,
            follow[e.state],
            reason=CancelReason.BY_OFFICE if follow[e.state] == SeatState.CANCELLED else "",
        )


def allowed_moves(session: Session, *, session_id: int, seeker_id: int | None = None) -> list[str]:
    """The states a session (or one seeker's enrollment) may move to next — for the UI's buttons."""
    row = get_session(session, session_id)
    if seeker_id is None:
        return list(SESSION_PATHS.get(row.state, ()))
    e = _get_enrollment(session, session_id, seeker_id)
    return list(ENROLLMENT_PATHS.get(e.state, ()))
