"""Passwords (argon2id at or above OWASP's minimum) and the sign-in lockout rule."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hwdesk.errors import ValidationFailed

# OWASP: argon2id, m >= 19 MiB, t >= 2, p = 1. We use m = 19 MiB, t = 2.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, type=Type.ID)
MIN_LENGTH = 10
# A short list of the passwords attackers try first (the check refuses these and their variants).
COMMON = {
    "password",
    "password1",
    "password123",
    "passw0rd",
    "1234567890",
    "12345678",
    "123456789",
    "qwertyuiop",
    "qwerty123",
    "iloveyou",
    "admin12345",
    "administrator",
    "letmein123",
    "welcome123",
    "abc1234567",
    "1q2w3e4r5t",
    "p@ssw0rd",
    "hellowork",
    "hellowork1",
    "hwdesk123",
    "0123456789",
    "1111111111",
    "aaaaaaaaaa",
    "changeme123",
    "trustno1",
    "sunshine12",
}


def check_password_policy(password: str, *, login: str = "") -> None:
    """Refuse a password that is too short, common, or the login itself."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"パスワードは{MIN_LENGTH}文字以上にしてください。",
            f"A password needs at least {MIN_LENGTH} characters.",
            field="password",
        )
    low = password.lower()
    if low in COMMON or (login and login.lower() in low) or len(set(low)) < 4:
        raise ValidationFailed(
            "推測されやすいパスワードです。別のものにしてください。",
            "That password is too easy to guess; choose another.",
            field="password",
        )


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(ok, new_hash): new_hash is set when the parameters were raised since it was hashed."""
    try:
        HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if HASHER.check_needs_rehash(stored_hash):
        return True, HASHER.hash(password)
    return True, None


# Lockout (OWASP Authentication Cheat Sheet, "Account Lockout"): after LOCK_THRESHOLD failures in
# a row the account refuses every sign-in, the right password included, until ``locked_until``;
# each further lockout of the same run of failures lasts twice as long (15 min, 30 min, 1 h … 24 h).
# An admin lifts it at once (``hwdesk --as ADMIN staff unlock LOGIN``).
LOCK_THRESHOLD = 10
LOCK_MINUTES = 15
LOCK_MAX_MINUTES = 24 * 60


def lockout_minutes(failed_count: int) -> int:
    """How long the account locks after its ``failed_count``-th failure in a row (0: no lock)."""
    if failed_count < LOCK_THRESHOLD or failed_count % LOCK_THRESHOLD:
        return 0
    return min(LOCK_MINUTES * 2 ** (failed_count // LOCK_THRESHOLD - 1), LOCK_MAX_MINUTES)
