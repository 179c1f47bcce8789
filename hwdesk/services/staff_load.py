"""One staff member's week beside the office's: the session form's balance hint.

Exact numbers, as the week view shows them: an operational view for the clerk assigning a session,
not a statistic (the supervisor's suppressed staff load per week is ``figures``').
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from hwdesk.errors import NotFound
from hwdesk.models import Session as SessionRow
from hwdesk.models import Staff
from hwdesk.services import calendar
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.states import SessionState
from hwdesk.texts import pick, tr


@dataclass(frozen=True)
class StaffLoad:
    """One staff member's sessions (not cancelled) and hours in the week of a day, and the office's
    mean per staff member with sessions that week: the balance hint when assigning a session."""

    staff_id: int
    week: date
    sessions: int
    hours: float
    office_mean_sessions: float
    staff_with_sessions: int

    def text(self, lang: str = "ja") -> str:
        """The hint line, e.g. '2月1日の週 6件・7.5時間（事業所平均 4.0件/人）'."""
        week = pick(f"{self.week.month}月{self.week.day}日", f"{self.week:%b} {self.week.day}", lang)
        return tr(
            "load.week",
            lang,
            week=week,
            sessions=self.sessions,
            hours=f"{self.hours:.1f}",
            mean=f"{self.office_mean_sessions:.1f}",
        )


@guard("clerk")
def staff_week_load(
    session: Session, *, actor: Actor, office_id: str, day: date, staff_id: int | None = None, staff_login: str = ""
) -> StaffLoad:
    """A staff member's load (by id, or by login at ``office_id``) in the week (Monday–Sunday) of
    ``day`` at ``office_id``, with the office's mean per staff member — the session form's balance
    hint (exact numbers: an operational view, as the week view)."""
    if staff_id is None:
        staff_id = session.exec(
            select(Staff.id).where(Staff.login == staff_login.strip(), Staff.office_id == office_id)
        ).first()
        if staff_id is None:
            raise NotFound(f"職員 {staff_login} はいません。", f"No staff member {staff_login}.")
    monday = day - timedelta(days=day.weekday())
    lo, hi = calendar.day_bounds(monday)[0], calendar.day_bounds(monday + timedelta(days=6))[1]
    per: dict[int, list[float]] = defaultdict(list)
    for sid, start, end in session.exec(
        select(SessionRow.staff_id, SessionRow.start_at, SessionRow.end_at).where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= lo,
            col(SessionRow.start_at) < hi,
            col(SessionRow.state) != SessionState.CANCELLED,
        )
    ):
        per[sid].append((end - start).total_seconds() / 3600)
    mine = per.get(staff_id, [])
    mean = sum(len(v) for v in per.values()) / len(per) if per else 0.0
    return StaffLoad(staff_id, monday, len(mine), round(sum(mine), 2), round(mean, 2), len(per))


__all__ = ["StaffLoad", "staff_week_load"]
