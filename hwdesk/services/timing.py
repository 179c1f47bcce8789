"""The clock's checks on sessions and bookings — operational checks, never conditions of use.

- A session that has ended takes no booking (nobody can join it any more).
- A session that has started takes a booking only by a supervisor's override with a reason (a
  late joiner the staff member agreed to); the reason is kept on the enrollment like any override.
- A session is never created (or moved) to start in the past.

These are checks of the counter's own time, not rules of an office's terms, so they cite no
article; the refusal says plainly why, in both languages.
"""

from __future__ import annotations

from datetime import datetime

from hwdesk.clock import JST, now_utc
from hwdesk.errors import RuleRefusal
from hwdesk.jtext.text import clean_text
from hwdesk.services.context import Actor, require


class Late:
    """A refusal line for the booking dialog: the session has started (a supervisor may override)."""

    key = "started"
    cite = ""

    def __init__(self, start: datetime) -> None:
        self.start = start.astimezone(JST)

    def line(self, office_name: str = "", lang: str = "ja") -> str:
        """One line for stderr or a dialog."""
        from hwdesk.texts import tr

        return tr("timing.started", lang, start=self.start)


def booking_gate(
    *,
    actor: Actor,
    session_id: int,
    start: datetime,
    end: datetime,
    override_reason: str | None,
    at: datetime | None = None,
) -> str:
    """Refuse a booking into a session that has ended; one that has started needs a supervisor's
    override with a reason. Returns that reason ('' when the session has not started)."""
    at = at or now_utc()
    if at >= end:
        e = end.astimezone(JST)
        raise RuleRefusal(
            f"セッション #{session_id} は終了しています（{e:%m/%d %H:%M}終了）。終了したセッションには予約できません。",
            f"Session #{session_id} has ended ({e:%m-%d %H:%M}); it takes no more bookings.",
            field="session",
        )
    if at < start:
        return ""
    reason = clean_text(override_reason or "", field="reason", max_len=300)
    if not reason:
        s = start.astimezone(JST)
        raise RuleRefusal(
            f"セッション #{session_id} は開始済みです（{s:%H:%M}開始）。予約には監督者の例外承認（理由）が必要です。",
            f"Session #{session_id} has started ({s:%H:%M}); booking it needs a supervisor's override with a reason.",
            failures=[Late(start)],
            field="session",
        )
    require(
        actor,
        "supervisor",
        what_ja="開始済みのセッションへの予約（例外承認）",
        what_en="Booking a session that has started",
    )
    return reason


def refuse_past(start: datetime, *, at: datetime | None = None) -> None:
    """A session may not start in the past (created or moved there)."""
    at = at or now_utc()
    if start < at:
        s = start.astimezone(JST)
        raise RuleRefusal(
            f"過去の日時（{s:%Y-%m-%d %H:%M}）にはセッションを登録できません。",
            f"A session cannot start in the past ({s:%Y-%m-%d %H:%M}).",
            field="start",
        )


__all__ = ["Late", "booking_gate", "refuse_past"]
