"""Staff accounts and sign-in."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from sqlmodel import Session, col, func, select

from hwdesk import audit
from hwdesk.clock import now_utc
from hwdesk.db import Store
from hwdesk.errors import AuthError, NotFound, ValidationFailed
from hwdesk.jtext.text import clean_text, refuse_invisible
from hwdesk.models import ROLES, Office, Staff
from hwdesk.security import (
    LOCK_MINUTES,
    LOCK_THRESHOLD,
    check_password_policy,
    hash_password,
    lockout_minutes,
    verify_password,
)
from hwdesk.services.context import SYSTEM, Actor, require, staff_id
from hwdesk.services.guard import guard

# One answer for an unknown ID, a wrong password and a locked account (OWASP: the response does
# not tell which IDs exist), which also tells a locked-out person what to do.
BAD_SIGN_IN = AuthError(
    f"職員IDまたはパスワードが違います。{LOCK_THRESHOLD}回続けて失敗するとアカウントは{LOCK_MINUTES}分以上ロックされます（管理者が解除できます）。",
    f"Wrong staff ID or password. After {LOCK_THRESHOLD} failures in a row an account locks for {LOCK_MINUTES} minutes or more (an admin can unlock it).",
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
        raise ValidationFailed(
            "職員IDは空白のない半角英数字です。",
            "A staff ID is ASCII letters and digits without spaces.",
            field="login",
        )
    if not name:
        raise ValidationFailed("氏名を入力してください。", "Enter a name.", field="name")
    if role not in ROLES:
        raise ValidationFailed(
            f"役割は {', '.join(ROLES)} のいずれかです。", f"Role must be one of {', '.join(ROLES)}.", field="role"
        )
    if session.get(Office, office_id) is None:
        raise ValidationFailed(f"事業所 '{office_id}' はありません。", f"No office '{office_id}'.", field="office")
    if session.exec(select(Staff).where(Staff.login == login)).first():
        raise ValidationFailed(
            f"職員ID '{login}' は既に使われています。", f"Staff ID '{login}' is taken.", field="login"
        )
    if check_policy:
        check_password_policy(password, login=login)
    staff = Staff(
        login=login,
        name=name,
        role=role,
        office_id=office_id,
        all_offices=all_offices,
        password_hash=hash_password(password),
    )
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


def sign_in(store: Store, *, login: str, password: str) -> Actor:
    """Check a staff ID and password; count failures and lock the account after repeated ones.

    Takes the store, not a session: the password is verified (argon2, ~50 ms) between a short
    read and a short write transaction, never inside one, so guessing at one terminal cannot
    hold the write lock other clerks need. An unknown ID is verified against a dummy hash and
    audited the same way, so the answer and its time are the same for known and unknown IDs;
    every refusal (unknown ID, wrong password, locked account) gives the same message.
    """
    login = login.strip()
    with store.read() as s:
        staff = s.exec(select(Staff).where(Staff.login == login)).first()
        stored_hash = staff.password_hash if staff is not None and staff.active else None
        sid = staff.id if staff is not None and stored_hash is not None else None
    ok, new_hash = verify_password(stored_hash or _dummy_hash(), password)
    with store.write() as s:
        if sid is None:
            audit.record(s, staff_id=None, action="auth.fail", entity="staff", entity_id=login[:40])
            failed = True
        else:
            actor = _settle(
                s, sid, ok and stored_hash is not None, new_hash, fail_action="auth.fail", expected_hash=stored_hash
            )
            failed = actor is None
            if actor is not None:
                audit.record(
                    s,
                    staff_id=actor.id,
                    action="auth.sign_in",
                    entity="staff",
                    entity_id=actor.id,
                    office_id=actor.office_id,
                )
    if failed or actor is None:
        raise BAD_SIGN_IN
    return actor


def _settle(
    session: Session, sid: int, ok: bool, new_hash: str | None, *, fail_action: str, expected_hash: str | None
) -> Actor | None:
    """Record the outcome of a password check made outside the transaction (sign-in and unlock).

    The one place the lockout rule is applied: a locked account is refused even with the right
    password (audited ``auth.refused_locked``); a failure counts, and the LOCK_THRESHOLD-th in a
    row locks the account (audited ``auth.lockout``); a success clears the count and rehashes an
    old hash. The row is locked (FOR UPDATE on PostgreSQL) so failures at two terminals both count.
    """
    staff = session.exec(select(Staff).where(Staff.id == sid).with_for_update()).first()
    now = now_utc()
    if staff is None or not staff.active or staff.password_hash != expected_hash:
        # Deactivated, or the password changed, while the hash was being checked.
        audit.record(session, staff_id=sid, action=fail_action, entity="staff", entity_id=sid)
        return None
    if staff.locked_until and staff.locked_until > now:
        audit.record(
            session,
            staff_id=staff.id,
            action="auth.refused_locked",
            entity="staff",
            entity_id=staff.id,
            extra={"locked_until": staff.locked_until.isoformat(timespec="seconds")},
        )
        return None
    if not ok:
        staff.failed_count += 1
        minutes = lockout_minutes(staff.failed_count)
        staff.locked_until = now + timedelta(minutes=minutes) if minutes else None
        session.add(staff)
        audit.record(
            session,
            staff_id=staff.id,
            action=fail_action,
            entity="staff",
            entity_id=staff.id,
            extra={"failed_count": staff.failed_count},
        )
        if staff.locked_until is not None:
            audit.record(
                session,
                staff_id=staff.id,
                action="auth.lockout",
                entity="staff",
                entity_id=staff.id,
                office_id=staff.office_id,
                extra={
                    "failed_count": staff.failed_count,
                    "minutes": minutes,
                    "locked_until": staff.locked_until.isoformat(timespec="seconds"),
                },
            )
        return None
    staff.failed_count = 0
    staff.locked_until = None
    if new_hash:
        staff.password_hash = new_hash
    session.add(staff)
    return Actor.of(staff)


def verify_unlock(store: Store, *, actor: Actor, password: str) -> bool:
    """Re-check the signed-in person's password to lift the idle lock.

    Checked exactly like sign-in (outside any transaction, same failure count and lockout): a
    locked terminal is not a place to guess passwords faster than at the sign-in screen.
    """
    with store.read() as s:
        staff = s.get(Staff, actor.id)
        stored_hash = staff.password_hash if staff is not None and staff.active else None
    ok, new_hash = verify_password(stored_hash or _dummy_hash(), password)
    with store.write() as s:
        done = _settle(
            s,
            actor.id,
            ok and stored_hash is not None,
            new_hash,
            fail_action="auth.unlock_fail",
            expected_hash=stored_hash,
        )
        if done is not None:
            audit.record(s, staff_id=actor.id, action="auth.unlock", entity="staff", entity_id=actor.id)
    return done is not None


@guard("admin", what_ja="アカウントのロック状況", what_en="Account lockouts")
def locked_staff(session: Session, *, actor: Actor) -> list[Staff]:
    """Accounts locked now (admin only), for ``hwdesk staff locked``."""
    require(actor, "admin", what_ja="アカウントのロック状況", what_en="Account lockouts")
    now = now_utc()
    rows = session.exec(select(Staff).where(col(Staff.locked_until).is_not(None)).order_by(col(Staff.login)))
    return [st for st in rows if st.locked_until and st.locked_until > now]


@guard("admin", what_ja="アカウントのロック解除", what_en="Unlocking an account")
def unlock_account(session: Session, *, actor: Actor, login: str) -> None:
    """An admin lifts a lockout: clears the failure count and ``locked_until`` (audited)."""
    require(actor, "admin", what_ja="アカウントのロック解除", what_en="Unlocking an account")
    staff = session.exec(select(Staff).where(Staff.login == login)).first()
    if staff is None:
        raise NotFound(f"職員ID '{login}' はありません。", f"No staff ID '{login}'.")
    before = {
        "failed_count": staff.failed_count,
        "locked_until": staff.locked_until.isoformat(timespec="seconds") if staff.locked_until else None,
    }
    staff.failed_count = 0
    staff.locked_until = None
    session.add(staff)
    audit.record(
        session,
        staff_id=actor.id,
        action="staff.unlock",
        entity="staff",
        entity_id=staff.id,
        office_id=staff.office_id,
        before=before,
    )


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
