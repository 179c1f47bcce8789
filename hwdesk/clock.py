"""The one clock: "now" and "today in Japan" for the whole counter.

Every service, screen and CLI command asks this module for the time; nothing else calls
``datetime.now`` or ``date.today`` (``tests/test_clock.py`` fails if a new call appears). The
office's day is Asia/Tokyo whatever the machine's own time zone is, so "today" is always
:func:`today_jst`, never the host's local date.

Tests fix the time with :func:`frozen` (a context manager) or :func:`set_clock`; the setting is
process-wide (Textual's workers run in threads, which a context variable would not reach).
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

__all__ = ["JST", "UTC", "frozen", "now_jst", "now_utc", "set_clock", "today_jst"]

JST: ZoneInfo = ZoneInfo("Asia/Tokyo")

# Japan has kept UTC+9 without daylight saving since 1951, so the day number is plain arithmetic.
_JST_OFFSET_S = 9 * 3600
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

_source: Callable[[], datetime] | None = None


def set_clock(source: datetime | Callable[[], datetime] | None) -> None:
    """Fix the clock at an aware datetime, drive it from a callable, or (``None``) restore the real one."""
    global _source
    if source is None or callable(source):
        _source = source
        return
    if source.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    fixed = source
    _source = lambda: fixed  # noqa: E731 - a constant source


@contextmanager
def frozen(at: datetime | Callable[[], datetime]) -> Iterator[None]:
    """Within the block the clock reads ``at`` (an aware datetime or a callable giving one)."""
    before = _source
    set_clock(at)
    try:
        yield
    finally:
        set_clock(before)


def now_utc() -> datetime:
    """The current time, aware, in UTC (what the database stores)."""
    if _source is not None:
        return _source().astimezone(UTC)
    return datetime.now(UTC)


def now_jst() -> datetime:
    """The current time, aware, in JST (what staff read)."""
    if _source is not None:
        return _source().astimezone(JST)
    return datetime.now(JST)


def today_jst() -> date:
    """Today's date in Japan.

    Cheap enough for per-row use (the importer validates every row against it): one
    ``time.time()`` and integer arithmetic, no time-zone conversion.
    """
    if _source is not None:
        return _source().astimezone(JST).date()
    return date.fromordinal(_EPOCH_ORDINAL + int((_time.time() + _JST_OFFSET_S) // 86400))
