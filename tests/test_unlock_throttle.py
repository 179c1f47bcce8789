"""The idle lock's password check is throttled like sign-in (one failure count, one rule)."""

from __future__ import annotations

from sqlmodel import select

from hwdesk.models import AuditLog, Staff
from hwdesk.services import auth


def test_unlock_failures_count_slow_down_and_share_the_sign_in_count(store, actors):
    clerk = actors["clerk1"]
    slept: list[float] = []
    for _ in range(6):
        with store.write() as s:
            assert auth.verify_unlock(s, actor=clerk, password="guess-guess", sleep=slept.append) is False
    with store.read() as s:
        st = s.get(Staff, clerk.id)
        fails = s.exec(select(AuditLog).where(AuditLog.action == "auth.unlock_fail")).all()
    assert st.failed_count == 6 and st.locked_until is not None and len(fails) == 6
    # the sixth try waited the wait set by the fifth failure
    assert slept and 0 < slept[-1] <= 5.0
    # the right password still works (after the wait), and clears the count for sign-in too
    with store.write() as s:
        assert auth.verify_unlock(s, actor=clerk, password="hwdesk-demo", sleep=slept.append) is True
    with store.read() as s:
        st = s.get(Staff, clerk.id)
        assert st.failed_count == 0 and st.locked_until is None
        assert s.exec(select(AuditLog).where(AuditLog.action == "auth.unlock")).one().staff_id == clerk.id


def test_an_account_deactivated_while_locked_cannot_unlock(store, actors):
    clerk = actors["clerk1"]
    with store.write() as s:
        st = s.get(Staff, clerk.id)
        st.active = False
        s.add(st)
    with store.write() as s:
        assert auth.verify_unlock(s, actor=clerk, password="hwdesk-demo", sleep=lambda _: None) is False
