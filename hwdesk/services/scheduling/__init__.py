"""Sessions: creating them (one or a recurring series), booking with a waitlist, cancelling,
rescheduling, the allowed status paths, and passcodes.

Concurrency. Every writing function runs inside ``Store.write()`` and, before it checks
overlap or capacity, locks the rows it depends on in one fixed order — the Session row, then the
Staff row, then Seeker rows by id — with ``SELECT … FOR NO KEY UPDATE`` (``with_for_update
(key_share=True)``). On SQLite that clause is not rendered: ``BEGIN IMMEDIATE`` already lets one
writer at a time in. On PostgreSQL (READ COMMITTED) the row lock serializes the competing writers
and the check that follows sees every commit made before it. ``NO KEY UPDATE`` (not plain
``UPDATE``) so that inserts referencing the row (foreign keys take ``KEY SHARE``) do not wait on
it — that keeps the audit-head lock (taken last, by ``audit.record``) free of lock-order cycles.

Where a rule from an office's terms refuses, the ``RuleRefusal`` names the article; eligibility
refusals carry each failed ``eligibility.Requirement`` in ``failures``.

The package by responsibility: ``common`` (kinds, refusal lines, row locks, checks),
``creating``, ``booking``, ``cancelling`` (and offers confirmed, rescheduling), ``moves`` (the
status paths) and ``details`` (passcodes, a session's detail, a seeker's bookings, the seekers of
sessions to phone).
"""

from __future__ import annotations

from hwdesk.models import Session as SessionRow  # noqa: F401 - callers read it from here
from hwdesk.services.scheduling.booking import (  # noqa: F401 - _enrollments, _offer_free_seats: used by corrections and offers
    OVERRIDABLE_CHECKS,
    _enrollments,
    _offer_free_seats,
    book,
)
from hwdesk.services.scheduling.cancelling import (  # noqa: F401 - _get_enrollment, _offered_enrollment: used by corrections, offers, follow-up and reminders
    Cancelled,
    SessionCancelled,
    _get_enrollment,
    _offered_enrollment,
    cancel_enrollment,
    cancel_session,
    confirm_offer,
    reschedule,
    rescheduled_to,
)
from hwdesk.services.scheduling.common import (  # noqa: F401 - MAX_OCCURRENCES: a public limit of the series
    MAX_OCCURRENCES,
    Reason,
    SeekerFailure,
    get_session,
    is_group,
    lock_seeker,
    lock_session,
    lock_staff,
    seeker_conflict,
    staff_conflict,
)
from hwdesk.services.scheduling.creating import (
    SeriesResult,
    SessionFields,
    Skipped,
    create_series,
    create_session,
    occurrences,
)
from hwdesk.services.scheduling.details import (
    Booking,
    EnrollmentLine,
    SessionDetail,
    future_bookings,
    session_detail,
    session_passcode,
    sessions_of_seeker,
)
from hwdesk.services.scheduling.moves import allowed_moves, set_state
from hwdesk.states import (  # noqa: F401 - callers import the states' names from here too
    ACTIVE_STATES,
    CANCEL_LABELS,
    CANCELLABLE_STATES,
    ENROLLMENT_PATHS,
    LIVE_SESSION_STATES,
    NO_SHOW_STATES,
    SEAT_STATES,
    SESSION_PATHS,
    STATE_LABELS,
    state_label,
)

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
    "SessionFields",
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
