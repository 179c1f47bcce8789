"""The one clock (hwdesk/clock.py): nothing else reads the time, and tests can fix it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hwdesk import clock
from hwdesk.clock import JST, frozen, now_jst, now_utc, today_jst

ROOT = Path(__file__).resolve().parent.parent
# A call that reads the machine's clock; the clock module is the one place allowed to.
_READS_CLOCK = re.compile(r"\b(?:datetime\.now|datetime\.today|datetime\.utcnow|date\.today)\(")


def test_only_the_clock_module_reads_the_time():
    offenders = []
    for top in ("hwdesk", "screens"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path == ROOT / "hwdesk" / "clock.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if _READS_CLOCK.search(code):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "use hwdesk.clock (now_utc/now_jst/today_jst) instead:\n" + "\n".join(offenders)


def test_today_is_the_japanese_date_not_the_hosts():
    before = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    got = today_jst()
    after = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    assert before <= got <= after
    assert now_jst().tzinfo is JST and now_utc().tzinfo is UTC


def test_frozen_fixes_every_reading_and_restores_the_real_clock():
    # 23:30 UTC is already the next day in Japan.
    at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)
    with frozen(at):
        assert today_jst() == date(2026, 4, 1)
        assert now_utc() == at and now_jst() == at
        assert now_jst().utcoffset() == timedelta(hours=9)
    assert abs(now_utc() - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_naive_fixed_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        clock.set_clock(datetime(2026, 1, 1))


def test_a_fixed_clock_reaches_the_services():
    """A service's default "today" comes from the clock: a birth date tomorrow (by the frozen clock) is refused."""
    from hwdesk.errors import ValidationFailed
    from hwdesk.services.seekers import validate_field

    with frozen(datetime(2030, 6, 1, 0, 30, tzinfo=JST)):
        assert validate_field("birth_date", "2030-05-31") == date(2030, 5, 31)
        with pytest.raises(ValidationFailed):
            validate_field("birth_date", "2030-06-02")
