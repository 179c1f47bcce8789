"""Issue 21, finding 3: sign-in checks passwords outside any write transaction, locks an account
after repeated failures (OWASP: refused until ``locked_until``, lifted by an admin or by time),
and treats unknown and known IDs alike. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from hwdesk import security
from hwdesk.errors import AuthError, PermissionDenied
from hwdesk.models import AuditLog, Staff
from hwdesk.security import LOCK_MINUTES, LOCK_THRESHOLD
from hwdesk.services import auth


def _actions(store, action: str) -> list[AuditLog]:
    with store.read() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _write_lock_is_free(store, staff_id: int) -> bool:
    """Whether another connection can take the write lock (SQLite) or the staff row (PostgreSQL) now."""
    if store.is_sqlite:
        import sqlite3

        conn = sqlite3.connect(str(store.sqlite_path), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            conn.close()
    from sqlalchemy import create_engine

    engine = create_engine(store.url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '50ms'"))
            conn.execute(text("SELECT 1 FROM staff WHERE id = :i FOR UPDATE"), {"i": staff_id})
            conn.rollback()
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def test_password_is_verified_outside_any_write_transaction(store, actors, monkeypatch):
    """Reproduces the stall: the argon2 check (and formerly a sleep) ran while the write lock was held."""
    seen: list[bool] = []
    real = security.verify_password

    def spying(stored, password):
        seen.append(_write_lock_is_free(store, actors["clerk1"].id))
        return real(stored, password)

    monkeypatch.setattr(auth, "verify_password", spying)
    for pw in ("wrong-password", "hwdesk-demo"):
        try:
            auth.sign_in(store, login="clerk1", password=pw)
        except AuthError:
            pass
    auth.verify_unlock(store, actor=actors["clerk1"], password="wrong-again")
    with pytest.raises(AuthError):
        auth.sign_in(store, login="nobody", password="whatever-pw")
    assert seen == [True, True, True, True]


def test_lockout_refuses_even_the_right_password_until_locked_until(store):
    for _ in range(LOCK_THRESHOLD):
        with pytest.raises(AuthError):
            auth.sign_in(store, login="clerk1", password="guess-guess")
    with store.read() as s:
        st = s.exec(select(Staff).where(Staff.login == "clerk1")).one()
    assert st.failed_count == LOCK_THRESHOLD
    assert st.locked_until is not None
    assert timedelta(minutes=LOCK_MINUTES - 1) < st.locked_until - datetime.now(UTC) <= timedelta(minutes=LOCK_MINUTES)
    lockouts = _actions(store, "auth.lockout")
    assert len(lockouts) == 1 and lockouts[0].staff_id == st.id and '"minutes": 15' in lockouts[0].detail_json
    # the right password is refused, with the same message as a wrong one, and audited
    with pytest.raises(AuthError) as refused:
        auth.sign_in(store, login="clerk1", password="hwdesk-demo")
    assert refused.value is auth.BAD_SIGN_IN
    assert len(_actions(store, "auth.refused_locked")) == 1
    # time lifts it: the lock is in the past
    with store.write() as s:
        s.connection().execute(
            text("UPDATE staff SET locked_until = :t WHERE id = :i"),
            {"t": datetime.now(UTC) - timedelta(seconds=1), "i": st.id},
        )
    assert auth.sign_in(store, login="clerk1", password="hwdesk-demo").login == "clerk1"
    with store.read() as s:
        st = s.get(Staff, st.id)
        assert st.failed_count == 0 and st.locked_until is None


def test_a_second_lockout_lasts_twice_as_long():
    assert security.lockout_minutes(LOCK_THRESHOLD - 1) == 0
    assert security.lockout_minutes(LOCK_THRESHOLD) == LOCK_MINUTES
    assert security.lockout_minutes(2 * LOCK_THRESHOLD) == 2 * LOCK_MINUTES
    assert security.lockout_minutes(100 * LOCK_THRESHOLD) == security.LOCK_MAX_MINUTES


def test_an_admin_unlocks_and_a_clerk_cannot(store, actors):
    for _ in range(LOCK_THRESHOLD):
        with pytest.raises(AuthError):
            auth.sign_in(store, login="clerk1", password="guess-guess")
    with store.write() as s, pytest.raises(PermissionDenied):
        auth.unlock_account(s, actor=actors["super1"], login="clerk1")
    with store.read() as s:
        assert [st.login for st in auth.locked_staff(s, actor=actors["admin1"])] == ["clerk1"]
    with store.write() as s:
        auth.unlock_account(s, actor=actors["admin1"], login="clerk1")
    assert auth.sign_in(store, login="clerk1", password="hwdesk-demo").login == "clerk1"
    unlocks = _actions(store, "staff.unlock")
    assert (
        len(unlocks) == 1
        and unlocks[0].staff_id == actors["admin1"].id
        and '"failed_count": 10' in unlocks[0].detail_json
    )


def test_cli_staff_unlock(store):
    for _ in range(LOCK_THRESHOLD):
        with pytest.raises(AuthError):
            auth.sign_in(store, login="clerk1", password="guess-guess")
    env = {**os.environ, "HWDESK_PASSWORD": "hwdesk-demo"}
    base = [sys.executable, "-m", "hwdesk", "--db", store.url, "--lang", "en"]
    out = subprocess.run(
        [*base, "--as", "clerk1_shi", "staff", "unlock", "clerk1"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 2 and "admin" in out.stderr.lower()
    out = subprocess.run([*base, "--as", "admin1", "staff", "locked"], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.startswith("clerk1\t10\t")
    out = subprocess.run(
        [*base, "--as", "admin1", "staff", "unlock", "clerk1"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Unlocked clerk1."
    assert auth.sign_in(store, login="clerk1", password="hwdesk-demo").login == "clerk1"


def test_unknown_and_known_ids_do_the_same_work(store, monkeypatch):
    """Same message, one argon2 verification at the same cost, one audit row, whether the ID exists or not."""
    hashes: list[str] = []
    real = security.verify_password

    def spying(stored, password):
        hashes.append(stored)
        return real(stored, password)

    monkeypatch.setattr(auth, "verify_password", spying)
    with store.read() as s:
        before = len(s.exec(select(AuditLog.id)).all())
    messages = []
    for login in ("clerk1", "no-such-clerk"):
        with pytest.raises(AuthError) as exc:
            auth.sign_in(store, login=login, password="wrong-password")
        messages.append(exc.value.message_en)
    with store.read() as s:
        after = len(s.exec(select(AuditLog.id)).all())
    assert messages[0] == messages[1]
    assert after - before == 2
    assert len(hashes) == 2
    # the dummy hash costs what a real one does (same argon2id parameters)
    params = [h.split("$")[2:4] for h in hashes]
    assert params[0] == params[1]
