"""Open days and opening hours of each office.

A day is closed when it is a Saturday or Sunday, a Japanese national holiday (including
振替休日 and 国民の休日, from the ``holidays`` package — not a hand-written list), in the
year-end closure 12/29–1/3, or an office closure a supervisor entered (``Closure`` table).
Opening hours come from the office profile (``hours``; 8:30–17:15 at all three offices).

Holiday data for a year is *official* once the Cabinet Office has published it: the
spring/autumn equinox days of year Y+1 are announced each February of year Y. So a year
later than next year, or next year before 1 February, is *provisional* and callers show
``holiday_warning`` (docs/rules.md, "Calendar").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, today_jst
from hwdesk.errors import NotFound, RuleRefusal, ValidationFailed
from hwdesk.jtext.dates import format_date_en, format_wareki
from hwdesk.jtext.text import clean_text
from hwdesk.models import Closure
from hwdesk.services.context import Actor, require, require_office, staff_id
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile
from hwdesk.states import LIVE_SESSION_STATES

YEAR_END = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))
YEAR_END_LABEL = ("年末年始休業（12月29日〜1月3日）", "Year-end closure (Dec 29 – Jan 3)")
WEEKEND_LABELS = {5: ("土曜日", "Saturday"), 6: ("日曜日", "Sunday")}
MAX_SEARCH_DAYS = 400  # next_open_day never loops forever (a year of closures is an error)


# --- national holidays ------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _holidays(year: int, language: str) -> dict[date, str]:
    return dict(holidays.Japan(years=year, language=language))


def holiday_name(day: date) -> tuple[str, str] | None:
    """The national holiday on ``day`` as (Japanese, English), e.g. ('振替休日', 'Substitute Holiday')."""
    ja = _holidays(day.year, "ja").get(day)
    if ja is None:
        return None
    return ja, _holidays(day.year, "en_US").get(day, ja)


def holiday_data_official(year: int, *, today: date | None = None) -> bool:
    """Whether the holidays of ``year`` have been published by the Cabinet Office.

    Rule (docs/rules.md "Calendar"): years up to this year are official; next year becomes
    official on 1 February of this year (the equinox days are announced each February);
    anything later is provisional (computed by formula; the law may still change).
    """
    today = today or today_jst()
    if year <= today.year:
        return True
    return year == today.year + 1 and today >= date(today.year, 2, 1)


def holiday_warning(year: int, *, today: date | None = None) -> tuple[str, str] | None:
    """A warning (ja, en) to show when ``year``'s holiday data is not yet official, else None."""
    if holiday_data_official(year, today=today):
        return None
    return (
        f"{year}年の祝日は内閣府の公表前の暫定データです（春分・秋分の日は前年2月に公表）。公表後に確認してください。",
        f"The holidays of {year} are provisional (not yet published by the Cabinet Office; the equinox "
        "days are announced each February for the next year). Check again after publication.",
    )


# --- closed days ------------------------------------------------------------------------------


def _fixed_reason(day: date) -> tuple[str, str] | None:
    """The reason a day is closed at every office (holiday, year-end, weekend), or None."""
    name = holiday_name(day)
    if name:
        return name
    if (day.month, day.day) in YEAR_END:
        return YEAR_END_LABEL
    return WEEKEND_LABELS.get(day.weekday())


def _closure_reason(c: Closure) -> tuple[str, str]:
    return f"事業所の休業日（{c.reason}）", f"Office closure ({c.reason})"


def closed_reason(session: Session, office_id: str, day: date) -> tuple[str, str] | None:
    """Why ``office_id`` is closed on ``day`` as (Japanese, English), or None when it is open."""
    fixed = _fixed_reason(day)
    if fixed:
        return fixed
    c = session.exec(select(Closure).where(Closure.office_id == office_id, Closure.day == day)).first()
    return _closure_reason(c) if c else None


def closed_days(session: Session, *, office_id: str, start: date, end: date) -> dict[date, tuple[str, str]]:
    """Every closed day in [start, end] with its reason (one query for the office closures)."""
    rows = session.exec(
        select(Closure).where(Closure.office_id == office_id, col(Closure.day) >= start, col(Closure.day) <= end)
    ).all()
    by_day = {c.day: _closure_reason(c) for c in rows}
    out: dict[date, tuple[str, str]] = {}
    day = start
    while day <= end:
        reason = _fixed_reason(day) or by_day.get(day)
        if reason:
            out[day] = reason
        day += timedelta(days=1)
    return out


def is_open(session: Session, *, office_id: str, day: date) -> bool:
    """Whether the office is open on ``day``."""
    return closed_reason(session, office_id, day) is None


def next_open_day(session: Session, *, office_id: str, day: date, include_day: bool = False) -> date:
    """The first open day after ``day`` (or ``day`` itself with ``include_day``)."""
    candidate = day if include_day else day + timedelta(days=1)
    closed = closed_days(session, office_id=office_id, start=candidate, end=candidate + timedelta(days=MAX_SEARCH_DAYS))
    for _ in range(MAX_SEARCH_DAYS):
        if candidate not in closed:
            return candidate
        candidate += timedelta(days=1)
    raise RuleRefusal(
        f"{day.isoformat()} 以降{MAX_SEARCH_DAYS}日間に開庁日がありません。休業日の登録を確認してください。",
        f"No open day within {MAX_SEARCH_DAYS} days after {day.isoformat()}; check the office closures.",
    )


def opening_hours(session: Session, office_id: str) -> tuple[time, time]:
    """(open, close) from the office profile."""
    return profile(session, office_id).opening


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[00:00, next 00:00) of ``day`` in JST, aware."""
    start = datetime.combine(day, time(0), JST)
    return start, start + timedelta(days=1)


# The longest a session can last: ``check_slot`` refuses one that crosses midnight (JST). An
# overlap search may therefore look back only this far from the slot's start (an index range
# instead of every earlier session of the staff member: ~35 ms at 66,000 sessions each).
MAX_SESSION_SPAN = timedelta(days=1)


def check_slot(session: Session, office_id: str, start: datetime, end: datetime) -> None:
    """Refuse (RuleRefusal) a session slot on a closed day, outside opening hours, or malformed.

    ``start``/``end`` must be aware; they are judged in JST. The message names the closed day
    (e.g. 振替休日) or the office's hours.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("日時にタイムゾーンがありません。", "Datetimes must be timezone-aware.", field="start")
    s, e = start.astimezone(JST), end.astimezone(JST)
    if e <= s:
        raise RuleRefusal(
            f"終了時刻（{e:%H:%M}）が開始時刻（{s:%H:%M}）より後になっていません。",
            f"The end ({e:%H:%M}) must be after the start ({s:%H:%M}).",
            field="end",
        )
    if e.date() != s.date():
        raise RuleRefusal(
            "日をまたぐセッションは登録できません。",
            "A session cannot cross midnight into another day.",
            field="end",
        )
    prof = profile(session, office_id)
    reason = closed_reason(session, office_id, s.date())
    if reason:
        raise RuleRefusal(
            f"{format_wareki(s.date(), weekday=True)}は{prof.name}の休業日です（{reason[0]}）。",
            f"{format_date_en(s.date(), weekday=True)} is a closed day at {prof.display_name('en')} ({reason[1]}).",
            field="start",
        )
    opens, closes = prof.opening
    if s.time() < opens or e.time() > closes:
        raise RuleRefusal(
            f"開庁時間（{opens:%H:%M}〜{closes:%H:%M}）外です（{s:%H:%M}〜{e:%H:%M}）。",
            f"Outside opening hours ({opens:%H:%M}–{closes:%H:%M}): {s:%H:%M}–{e:%H:%M}.",
            field="start",
        )


# --- office closures --------------------------------------------------------------------------


def list_closures(
    session: Session, *, office_id: str, start: date | None = None, end: date | None = None
) -> list[Closure]:
    """An office's closures, by day (optionally within [start, end])."""
    stmt = select(Closure).where(Closure.office_id == office_id)
    if start:
        stmt = stmt.where(col(Closure.day) >= start)
    if end:
        stmt = stmt.where(col(Closure.day) <= end)
    return list(session.exec(stmt.order_by(col(Closure.day))))


@dataclass(frozen=True)
class ClosureResult:
    """A closure just added, and the live sessions already booked on that day (to cancel with notice)."""

    closure: Closure
    session_ids: list[int]


@guard("supervisor", what_ja="休業日の登録", what_en="Adding an office closure")
def add_closure(session: Session, *, actor: Actor, office_id: str, day: date, reason: str) -> ClosureResult:
    """A supervisor closes the office on ``day`` (audited); lists the sessions already on that day."""
    from hwdesk.models import Session as SessionRow

    require(actor, "supervisor", what_ja="休業日の登録", what_en="Adding an office closure")
    require_office(actor, office_id)
    profile(session, office_id)
    reason = clean_text(reason, field="reason", max_len=100)
    if not reason:
        raise ValidationFailed("休業の理由を入力してください。", "Enter the reason for the closure.", field="reason")
    fixed = _fixed_reason(day)
    if fixed:
        raise ValidationFailed(
            f"{day.isoformat()} は既に休業日です（{fixed[0]}）。",
            f"{day.isoformat()} is already closed ({fixed[1]}).",
            field="day",
        )
    if session.exec(select(Closure).where(Closure.office_id == office_id, Closure.day == day)).first():
        raise ValidationFailed(
            f"{day.isoformat()} の休業日は登録済みです。",
            f"{day.isoformat()} is already an office closure.",
            field="day",
        )
    closure = Closure(office_id=office_id, day=day, reason=reason, created_by=staff_id(actor))
    session.add(closure)
    try:
        session.flush()
    except IntegrityError:  # another supervisor added it at the same moment (PostgreSQL)
        raise ValidationFailed(
            f"{day.isoformat()} の休業日は登録済みです。",
            f"{day.isoformat()} is already an office closure.",
            field="day",
        ) from None
    lo, hi = day_bounds(day)
    live = session.exec(
        select(SessionRow.id).where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= lo,
            col(SessionRow.start_at) < hi,
            col(SessionRow.state).in_(LIVE_SESSION_STATES),
        )
    ).all()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="closure.add",
        entity="closure",
        entity_id=closure.id,
        office_id=office_id,
        after={"day": day.isoformat(), "reason": reason},
        extra={"sessions_on_day": list(live)},
    )
    return ClosureResult(closure, list(live))


@guard("supervisor", what_ja="休業日の削除", what_en="Removing an office closure")
def remove_closure(session: Session, *, actor: Actor, office_id: str, day: date, reason: str = "") -> None:
    """A supervisor removes an office closure (audited with the reason)."""
    require(actor, "supervisor", what_ja="休業日の削除", what_en="Removing an office closure")
    require_office(actor, office_id)
    closure = session.exec(select(Closure).where(Closure.office_id == office_id, Closure.day == day)).first()
    if closure is None:
        raise NotFound(
            f"{day.isoformat()} に登録された休業日はありません。", f"No office closure on {day.isoformat()}."
        )
    before = {"day": day.isoformat(), "reason": closure.reason}
    session.delete(closure)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="closure.remove",
        entity="closure",
        entity_id=closure.id,
        office_id=office_id,
        before=before,
        extra={"reason": clean_text(reason, field="reason", max_len=200)},
    )
