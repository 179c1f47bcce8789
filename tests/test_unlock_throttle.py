"""The idle lock's password check shares sign-in's failure count and lockout (one rule)."""

from __future__ import annotations

from sqlmodel import select

from hwdesk.models import AuditLog, Staff
from hwdesk.security import LOCK_THRESHOLD
from hwdesk.services import auth


def test_unlock_failures_count_lock_the_account_and_share_the_sign_in_count(store, actors):
    clerk = actors["clerk1"]
    for _ in range(3):
        assert auth.verify_unlock(store, actor=clerk, password="guess-guess") is False
    with store.read() as s:
        st = s.get(Staff, clerk.id)
        fails = s.exec(select(AuditLog).where(AuditLog.action == "auth.unlock_fail")).all()
    assert st.failed_count == 3 and st.locked_until is None and len(fails) == 3
    # the right password works and clears the count for sign-in too
    assert auth.verify_unlock(store, actor=clerk, password="hwdesk-demo") is True
    with store.read() as s:
        st = s.get(Staff, clerk.id)
        assert st.failed_count == 0 and st.locked_until is None
        assert s.exec(select(AuditLog).where(AuditLog.action == "auth.unlock")).one().staff_id == clerk.id
    # guessing at the lock screen locks the account like guessing at sign-in
    for _ in range(LOCK_THRESHOLD):
        assert auth.verify_unlock(store, actor=clerk, password="guess-guess") is False
    assert auth.verify_unlock(store, actor=clerk, password="hwdesk-demo") is False
    with store.read() as s:
        assert s.get(Staff, clerk.id).locked_until is not None
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "auth.lockout")).all()) == 1


def test_an_account_deactivated_while_locked_cannot_unlock(store, actors):
    clerk = actors["clerk1"]
    with store.write() as s:
        st = s.get(Staff, clerk.id)
        st.active = False
        s.add(st)
    assert auth.verify_unlock(store, actor=clerk, password="hwdesk-demo") is False
