"""The supervisor's daily queue, the week view and the reminder list.

Every view is built with a fixed number of queries, whatever the number of sessions (no N+1; see
``build``). Whether another terminal committed (so a screen refreshes) is ``hwdesk.watch``'s
business: nothing here watches the database.

The package by responsibility: ``rows`` (the view types and readiness warnings), ``build`` (the
reads and the rows they make), ``views`` (the daily queue, the week view, the queue's JSON) and
``reminders`` (the reminder list, what each call is for, recording an outcome).
"""

from __future__ import annotations

from hwdesk.services.queue.reminders import (
    CALLS,
    MOVED_WITHIN,
    OUTCOME_LABELS,
    ReminderList,
    ReminderRow,
    record_reminder,
    reminder_call,
    reminder_call_text,
    reminder_list,
)
from hwdesk.services.queue.rows import SOON, WARNINGS, Companion, QueueRow, QueueView, RowWarning, SeekerBrief
from hwdesk.services.queue.views import (
    QueueFilter,
    WeekDay,
    WeekView,
    daily_queue,
    filter_view,
    queue_json,
    row_json,
    week_view,
)
from hwdesk.states import state_label  # noqa: F401 - callers label the queue's counts from here

__all__ = [
    "CALLS",
    "MOVED_WITHIN",
    "OUTCOME_LABELS",
    "SOON",
    "WARNINGS",
    "Companion",
    "QueueRow",
    "QueueFilter",
    "QueueView",
    "ReminderList",
    "ReminderRow",
    "RowWarning",
    "SeekerBrief",
    "WeekDay",
    "WeekView",
    "daily_queue",
    "filter_view",
    "queue_json",
    "record_reminder",
    "reminder_call",
    "reminder_call_text",
    "reminder_list",
    "row_json",
    "week_view",
]
