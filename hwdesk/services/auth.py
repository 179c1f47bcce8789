"""Staff accounts and sign-in."""

from __future__ import annotations

import time
from functools import cache
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from hwdesk import audit
from hwdesk.errors import AuthError, NotFound, ValidationFailed
from hwdesk.jtext import clean_text, refuse_invisible
from hwdesk.models import ROLES, Office, Staff
from hwdesk.security import check_password_policy, failure_delay_seconds, hash_password, verify_password
from hwdesk.services.context import SYSTEM, Actor, require, staff_id
from hwdesk.services.guard import guard

BAD_SIGN_IN = AuthError(
    "職員IDまたはパスワードが違います。",
    "Wrong staff ID or password.",
)


def staff_count(session: Session) -> int:
    """How many staff accounts exist (0 means the first-run screen creates the admin)."""
    return session.exec(select(func.count()).select_from(Staff)).one()


def create_staff(
    session: Session,
    *,
    actor: Actor,
    login: str,
    name: str,
    role: str,
    office_id: str,
    password: str,
    all_offices: bool = False,
    check_policy: bool = True,
) -> Staff:
    """Create a staff account (admin only, except the very first account)."""
    first = staff_count(session) == 0
    if not first and actor is not SYSTEM:
        require(actor, "admin", what_ja="職員の管理", what_en="Managing staff")
    login = clean_text(login, field="login", max_len=40)
    name = refuse_invisible(clean_text(name, field="name", max_len=60))
    if not login or not login.isascii() or " " in login:
        raise ValidationFailed("職員IDは空白のない半角英数字です。", "A staff ID is ASCII letters and digits without spaces.", field="login")
    if not name:
        raise ValidationFailed("氏名を入力してください。", "Enter a name.", field="name")
    if role not in ROLES:
        raise ValidationFailed(f"役割は {', '.join(ROLES)} のいずれかです。", f"Role must be one of {', '.join(ROLES)}.", field="role")
    if session.get(Office, office_id) is None:
        raise ValidationFailed(f"事業所 '{office_id}' はありません。", f"No office '{office_id}'.", field="office")
    if session.exec(select(Staff).where(Staff.login == login)).first():
        raise ValidationFailed(f"職員ID '{login}' は既に使われています。", f"Staff ID '{login}' is taken.", field="login")
    if check_policy:
        check_password_policy(password, login=login)
    staff = Staff(login=login, name=name, role=role, office_id=office_id, all_offices=all_offices, password_hash=hash_password(password))
    session.add(staff)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor) or staff.id,
        action="staff.create",
        entity="staff",
        entity_id=staff.id,
        office_id=office_id,
        after={"login": login, "role": role, "office": office_id},
    )
    return staff


def sign_in(session: Session, *, login: str, password: str, sleep=time.sleep) -> Actor:
    """Check a staff ID and password; counts failures and slows down repeated guessing.

    The same message is given for an unknown ID and a wrong password. After 5 failures each
    attempt waits, doubling; an admin can unlock the account.
    """
    # Locked so that concurrent failures from two terminals both count (PostgreSQL read committed).
    staff = session.exec(select(Staff).where(Staff.login == login.strip()).with_for_update()).first()
    if staff is None or not staff.active:
        verify_password(_dummy_hash(), password)  # same work either way: no timing oracle
        audit.record(session, staff_id=None, action="auth.fail", entity="staff", entity_id=login[:40])
        session.commit()  # the failure is recorded even though we raise
        raise BAD_SIGN_IN
    if not _password_ok(session, staff, password, sleep=sleep, fail_action="auth.fail"):
        session.commit()  # keep the failure count although we raise
        raise BAD_SIGN_IN
    audit.record(session, staff_id=staff.id, action="auth.sign_in", entity="staff", entity_id=staff.id, office_id=staff.office_id)
    return Actor.of(staff)


def _password_ok(session: Session, staff: Staff, password: str, *, sleep, fail_action: str) -> bool:
    """The one place a password is checked against the failure throttle (sign-in and unlock).

    A staff member inside a wait (after 5 failures, doubling) waits it out first (at most 5 s a
    try); a failure counts and sets the next wait; a success clears both and rehashes an old hash.
    """
    now = datetime.now(UTC)
    if staff.locked_until and staff.locked_until > now:
        wait = (staff.locked_until - now).total_seconds()
        sleep(min(wait, 5.0))
    ok, new_hash = verify_password(staff.password_hash, password)
    if not ok:
        staff.failed_count += 1
        delay = failure_delay_seconds(staff.failed_count)
        staff.locked_until = now + timedelta(seconds=delay) if delay else None
        session.add(staff)
        audit.record(session, staff_id=staff.id, action=fail_action, entity="staff", entity_id=staff.id, extra={"failed_count": staff.failed_count})
        return False
    staff.failed_count = 0
    staff.locked_until = None
    if new_hash:
        staff.password_hash = new_hash
    session.add(staff)
    return True


def verify_unlock(session: Session, *, actor: Actor, password: str, sleep=time.sleep) -> bool:
    """Re-check the signed-in person's password to lift the idle lock.

    Throttled exactly like sign-in (same failure count): a locked terminal is not a place to
    guess passwords faster than at the sign-in screen.
    """
    staff = session.exec(select(Staff).where(Staff.id == actor.id).with_for_update()).first()
    if staff is None or not staff.active:
        return False
    ok = _password_ok(session, staff, password, sleep=sleep, fail_action="auth.unlock_fail")
    if ok:
        audit.record(session, staff_id=actor.id, action="auth.unlock", entity="staff", entity_id=actor.id)
    return ok


@guard("admin", what_ja="アカウントのロック解除", what_en="Unlocking an account")
def unlock_account(session: Session, *, actor: Actor, login: str) -> None:
    """An admin resets a staff member's failure count."""
    require(actor, "admin", what_ja="アカウントのロック解除", what_en="Unlocking an account")
    staff = session.exec(select(Staff).where(Staff.login == login)).first()
    if staff is None:
        raise NotFound(f"職員ID '{login}' はありません。", f"No staff ID '{login}'.")
    staff.failed_count = 0
    staff.locked_until = None
    session.add(staff)
    audit.record(session, staff_id=actor.id, action="staff.unlock", entity="staff", entity_id=staff.id)


def get_staff(session: Session, login: str) -> Staff:
    """A staff row by login."""
    staff = session.exec(select(Staff).where(Staff.login == login)).first()
    if staff is None:
        raise NotFound(f"職員ID '{login}' はありません。", f"No staff ID '{login}'.")
    return staff


def list_staff(session: Session, *, office_id: str | None = None) -> list[Staff]:
    """Active staff, optionally of one office."""
    stmt = select(Staff).where(Staff.active == True)  # noqa: E712
    if office_id:
        stmt = stmt.where(Staff.office_id == office_id)
    return list(session.exec(stmt.order_by(Staff.login)))


@cache
def _dummy_hash() -> str:
    return hash_password("dummy-password-for-timing")
