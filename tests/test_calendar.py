"""Closed days, opening hours and office closures (hwdesk.services.calendar), on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import PermissionDenied, RuleRefusal, ValidationFailed
from hwdesk.models import AuditLog
from hwdesk.services import calendar


def at(day: str, hm: str) -> datetime:
    """An aware JST datetime."""
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def test_year_boundary_closed_days(store):
    with store.read() as s:
        reasons = {
            date(2025, 12, 29) + timedelta(days=i): calendar.closed_reason(
                s, "takamatsu", date(2025, 12, 29) + timedelta(days=i)
            )
            for i in range(8)
        }
    assert reasons[date(2025, 12, 29)] == calendar.YEAR_END_LABEL  # Monday, year-end
    assert reasons[date(2025, 12, 31)] == calendar.YEAR_END_LABEL
    assert reasons[date(2026, 1, 1)][0] == "元日"
    assert reasons[date(2026, 1, 2)] == calendar.YEAR_END_LABEL  # Friday, still year-end
    assert reasons[date(2026, 1, 3)] is not None  # Saturday and year-end
    assert reasons[date(2026, 1, 4)] == ("日曜日", "Sunday")
    assert reasons[date(2026, 1, 5)] is None  # Monday: first open day
    with store.read() as s:
        assert calendar.next_open_day(s, office_id="takamatsu", day=date(2025, 12, 26)) == date(2026, 1, 5)
        assert calendar.next_open_day(s, office_id="takamatsu", day=date(2026, 1, 5), include_day=True) == date(
            2026, 1, 5
        )


@pytest.mark.parametrize("day", [date(2025, 11, 24), date(2026, 5, 6), date(2027, 3, 22)])
def test_substitute_holidays_are_closed_by_name(store, day):
    with store.read() as s:
        assert calendar.closed_reason(s, "shibuya", day) == ("振替休日", "Substitute Holiday")
        assert not calendar.is_open(s, office_id="shibuya", day=day)
        with pytest.raises(RuleRefusal) as exc:
            calendar.check_slot(
                s,
                "shibuya",
                datetime.combine(day, datetime.min.time().replace(hour=10), JST),
                datetime.combine(day, datetime.min.time().replace(hour=11), JST),
            )
    assert "振替休日" in exc.value.message_ja and "ハローワーク渋谷" in exc.value.message_ja
    assert "Substitute Holiday" in exc.value.message_en


def test_citizens_holiday_and_weekends(store):
    with store.read() as s:
        assert calendar.closed_reason(s, "maebashi", date(2026, 9, 22))[0] == "国民の休日"
        assert calendar.closed_reason(s, "maebashi", date(2027, 2, 6)) == ("土曜日", "Saturday")
        assert calendar.is_open(s, office_id="maebashi", day=date(2027, 2, 2))  # a Tuesday


def test_opening_hours_and_malformed_slots(store):
    with store.read() as s:
        assert calendar.opening_hours(s, "takamatsu") == (
            datetime.strptime("08:30", "%H:%M").time(),
            datetime.strptime("17:15", "%H:%M").time(),
        )
        calendar.check_slot(
            s, "takamatsu", at("2027-02-02", "08:30"), at("2027-02-02", "17:15")
        )  # the whole day is fine
        cases = [
            (at("2027-02-02", "08:00"), at("2027-02-02", "09:00"), "開庁時間（08:30〜17:15）外"),
            (at("2027-02-02", "17:00"), at("2027-02-02", "17:30"), "開庁時間"),
            (at("2027-02-02", "11:00"), at("2027-02-02", "10:00"), "終了時刻"),
            (at("2027-02-02", "11:00"), at("2027-02-02", "11:00"), "終了時刻"),
            (at("2027-02-02", "16:00"), at("2027-02-03", "09:00"), "日をまたぐ"),
        ]
        for start, end, words in cases:
            with pytest.raises(RuleRefusal) as exc:
                calendar.check_slot(s, "takamatsu", start, end)
            assert words in exc.value.message_ja, (start, end, exc.value.message_ja)
        with pytest.raises(ValidationFailed):
            calendar.check_slot(s, "takamatsu", datetime(2027, 2, 2, 10), datetime(2027, 2, 2, 11))
        # Hours are judged in JST whatever zone the caller used: 01:00 UTC is 10:00 JST.
        from datetime import UTC

        calendar.check_slot(s, "takamatsu", datetime(2027, 2, 2, 1, tzinfo=UTC), datetime(2027, 2, 2, 2, tzinfo=UTC))


def test_office_closure_added_and_removed_by_supervisor_audited(store, actors):
    day = date(2027, 2, 3)
    with store.write() as s, pytest.raises(PermissionDenied):
        calendar.add_closure(s, actor=actors["clerk1"], office_id="takamatsu", day=day, reason="設備点検")
    with store.write() as s, pytest.raises(PermissionDenied):
        calendar.add_closure(s, actor=actors["super1_shi"], office_id="takamatsu", day=day, reason="設備点検")
    with store.write() as s:
        res = calendar.add_closure(s, actor=actors["super1"], office_id="takamatsu", day=day, reason="設備点検")
    assert res.session_ids == []
    with store.read() as s:
        assert calendar.closed_reason(s, "takamatsu", day) == (
            "事業所の休業日（設備点検）",
            "Office closure (設備点検)",
        )
        assert calendar.is_open(s, office_id="shibuya", day=day)  # other offices unaffected
        assert calendar.next_open_day(s, office_id="takamatsu", day=date(2027, 2, 2)) == date(2027, 2, 4)
        assert [c.day for c in calendar.list_closures(s, office_id="takamatsu")] == [day]
        with pytest.raises(RuleRefusal) as exc:
            calendar.check_slot(s, "takamatsu", at("2027-02-03", "10:00"), at("2027-02-03", "11:00"))
        assert "設備点検" in exc.value.message_ja
    with store.write() as s, pytest.raises(ValidationFailed):
        calendar.add_closure(s, actor=actors["super1"], office_id="takamatsu", day=day, reason="二重")
    with store.write() as s, pytest.raises(ValidationFailed):
        calendar.add_closure(s, actor=actors["super1"], office_id="takamatsu", day=date(2027, 2, 6), reason="土曜")
    with store.write() as s:
        calendar.remove_closure(s, actor=actors["super1"], office_id="takamatsu", day=day, reason="点検延期")
    with store.read() as s:
        assert calendar.is_open(s, office_id="takamatsu", day=day)
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.action.like("closure.%")))]
    assert actions == ["closure.add", "closure.remove"]


def test_closure_lists_sessions_already_on_that_day(store, actors):
    from hwdesk.services import scheduling

    with store.write() as s:
        row = scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind="counseling",
            start=at("2027-02-04", "10:00"),
            end=at("2027-02-04", "10:45"),
            staff_login="clerk1",
        )
    with store.write() as s:
        res = calendar.add_closure(
            s, actor=actors["super1"], office_id="takamatsu", day=date(2027, 2, 4), reason="停電"
        )
    assert res.session_ids == [row.id]


def test_holiday_data_official_rule():
    # Up to this year: official. Next year: official from 1 February. Later: provisional.
    assert calendar.holiday_data_official(2026, today=date(2026, 1, 10))
    assert not calendar.holiday_data_official(2027, today=date(2026, 1, 31))
    assert calendar.holiday_data_official(2027, today=date(2026, 2, 1))
    assert not calendar.holiday_data_official(2028, today=date(2026, 12, 31))
    assert calendar.holiday_warning(2027, today=date(2026, 2, 1)) is None
    ja, en = calendar.holiday_warning(2028, today=date(2026, 6, 1))
    assert "暫定" in ja and "provisional" in en


def test_closed_days_range_matches_closed_reason(store, actors):
    with store.write() as s:
        calendar.add_closure(s, actor=actors["super1_mae"], office_id="maebashi", day=date(2027, 4, 30), reason="棚卸")
    with store.read() as s:
        many = calendar.closed_days(s, office_id="maebashi", start=date(2027, 4, 25), end=date(2027, 5, 9))
        for i in range(15):
            d = date(2027, 4, 25) + timedelta(days=i)
            assert many.get(d) == calendar.closed_reason(s, "maebashi", d), d
    assert date(2027, 4, 29) in many and date(2027, 4, 30) in many and date(2027, 5, 6) not in many
