"""The states of a session and of a booking (an enrollment): their values, named sets, moves and labels.

This module is the one home of these names. The values are the strings stored in the database's
``state`` columns, so a member compares equal to (and is stored as) its plain string; renaming a
value needs a migration, adding a member does not.
"""

from __future__ import annotations

from enum import StrEnum

from hwdesk.texts import pick

__all__ = [
    "ACTIVE_STATES",
    "ATTENDED_STATES",
    "CANCELLABLE_STATES",
    "CANCEL_LABELS",
    "CANCEL_REASONS",
    "ENROLLMENT_PATHS",
    "ENROLLMENT_STATES",
    "EXPECTED_STATES",
    "HANDOUT_STATES",
    "LIVE_SESSION_STATES",
    "MOVE_TARGETS",
    "NO_SHOW_STATES",
    "SEAT_FINAL",
    "SEAT_STATES",
    "SESSION_FINAL",
    "SESSION_PATHS",
    "SESSION_STATES",
    "STATE_LABELS",
    "CancelReason",
    "SeatState",
    "SessionState",
    "cancel_label",
    "state_label",
]


class SessionState(StrEnum):
    """Where a session is in its day."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    STOPPED = "stopped"


class SeatState(StrEnum):
    """Where one seeker's booking (an enrollment) is."""

    BOOKED = "booked"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    ABSENT = "absent"
    CONNECTION_FAILED = "connection_failed"
    CANCELLED = "cancelled"
    STOPPED = "stopped"


class CancelReason(StrEnum):
    """Why a session or a booking was cancelled."""

    BY_SEEKER = "by_seeker"
    BY_OFFICE = "by_office"
    CONNECTION = "connection"


S, E = SessionState, SeatState

SESSION_STATES: tuple[SessionState, ...] = tuple(SessionState)
"""Every session state, in the order reports list them."""
ENROLLMENT_STATES: tuple[SeatState, ...] = tuple(SeatState)
"""Every booking state, in the order reports list them."""
CANCEL_REASONS: tuple[CancelReason, ...] = tuple(CancelReason)

LIVE_SESSION_STATES: tuple[SessionState, ...] = (S.SCHEDULED, S.IN_PROGRESS)
"""Sessions that have not reached an outcome yet."""
ACTIVE_STATES: tuple[SeatState, ...] = (E.BOOKED, E.WAITLISTED, E.OFFERED, E.CHECKED_IN)
"""Bookings that occupy the seeker's time (no overlapping session) and still await an outcome."""
SEAT_STATES: tuple[SeatState, ...] = (E.BOOKED, E.OFFERED, E.CHECKED_IN)
"""Bookings that hold a seat (an offer holds it until the clerk confirms or it is declined)."""
CANCELLABLE_STATES: tuple[SeatState, ...] = (E.BOOKED, E.WAITLISTED, E.OFFERED)
NO_SHOW_STATES: tuple[SeatState, ...] = (E.ABSENT, E.CONNECTION_FAILED)
"""The two ways a booked seeker did not take part."""
EXPECTED_STATES: tuple[SeatState, ...] = (E.CHECKED_IN, E.COMPLETED, E.STOPPED, E.ABSENT, E.CONNECTION_FAILED)
"""Bookings that reached the session's time and were expected to attend: the no-show rate's base."""
ATTENDED_STATES: tuple[SeatState, ...] = (E.CHECKED_IN, E.COMPLETED)
"""Bookings where the seeker came (they extend a registration's validity)."""
HANDOUT_STATES: tuple[SeatState, ...] = (E.BOOKED, E.OFFERED, E.CHECKED_IN, E.COMPLETED)
"""Bookings whose seeker gets the session's handout."""
SESSION_FINAL: tuple[SessionState, ...] = (S.COMPLETED, S.NO_SHOW, S.STOPPED)
"""Session outcomes a supervisor may correct (with a reason)."""
SEAT_FINAL: tuple[SeatState, ...] = (E.COMPLETED, E.ABSENT, E.CONNECTION_FAILED, E.STOPPED)
"""Booking outcomes a supervisor may correct (with a reason)."""

SESSION_PATHS: dict[str, tuple[SessionState, ...]] = {
    S.SCHEDULED: (S.IN_PROGRESS, S.NO_SHOW, S.CANCELLED),
    S.IN_PROGRESS: (S.COMPLETED, S.STOPPED),
}
"""The moves staff may make from each non-final session state."""
ENROLLMENT_PATHS: dict[str, tuple[SeatState, ...]] = {
    E.BOOKED: (E.CHECKED_IN, E.ABSENT, E.CONNECTION_FAILED, E.CANCELLED),
    E.CHECKED_IN: (E.COMPLETED, E.STOPPED),
    E.WAITLISTED: (E.OFFERED, E.CANCELLED),
    E.OFFERED: (E.BOOKED, E.CANCELLED),
}
"""The moves staff may make from each non-final booking state."""
MOVE_TARGETS: tuple[str, ...] = (
    S.IN_PROGRESS,
    E.CHECKED_IN,
    S.COMPLETED,
    S.NO_SHOW,
    E.ABSENT,
    E.CONNECTION_FAILED,
    S.CANCELLED,
    S.STOPPED,
)
"""States staff move a session or booking to by hand (``hwdesk status``); offers and bookings move by their own commands."""

STATE_LABELS: dict[str, tuple[str, str]] = {
    S.SCHEDULED: ("予定", "Scheduled"),
    S.IN_PROGRESS: ("実施中", "In progress"),
    S.COMPLETED: ("完了", "Completed"),
    S.NO_SHOW: ("無断欠席・不参加", "No-show"),
    S.CANCELLED: ("キャンセル", "Cancelled"),
    S.STOPPED: ("中止", "Stopped"),
    E.BOOKED: ("予約済み", "Booked"),
    E.WAITLISTED: ("キャンセル待ち", "Waitlisted"),
    E.OFFERED: ("空席案内中", "Seat offered"),
    E.CHECKED_IN: ("受付済み", "Checked in"),
    E.ABSENT: ("欠席（本人不参加）", "Absent"),
    E.CONNECTION_FAILED: ("接続不良", "Connection failed"),
}
"""(Japanese, English) for every session and booking state; both enums share completed/cancelled/stopped."""
CANCEL_LABELS: dict[str, tuple[str, str]] = {
    CancelReason.BY_SEEKER: ("本人都合", "By the seeker"),
    CancelReason.BY_OFFICE: ("所都合", "By the office"),
    CancelReason.CONNECTION: ("通信トラブル", "Connection trouble"),
}
"""(Japanese, English) for every cancel reason."""


def state_label(state: str, lang: str = "ja") -> str:
    """A session or booking state in ``lang`` (an unknown value is shown as it is)."""
    ja, en = STATE_LABELS.get(state, (state, state))
    return pick(ja, en, lang)


def cancel_label(reason: str, lang: str = "ja") -> str:
    """A cancel reason in ``lang`` (an unknown value is shown as it is)."""
    ja, en = CANCEL_LABELS.get(reason, (reason, reason))
    return pick(ja, en, lang)
