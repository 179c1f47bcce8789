"""Errors a user may see: each carries a Japanese message and its English form."""

from __future__ import annotations


class HwdeskError(Exception):
    """Base of every error shown to a user. ``str()`` is the Japanese message."""

    def __init__(self, message_ja: str, message_en: str, *, field: str | None = None):
        super().__init__(message_ja)
        self.message_ja = message_ja
        self.message_en = message_en
        self.field = field

    def message(self, lang: str = "ja") -> str:
        """The message in ``lang`` ('ja' or 'en')."""
        return self.message_en if lang == "en" else self.message_ja


class StoreError(HwdeskError):
    """The database could not do what was asked (busy, full, read-only, unreachable)."""


class NotFound(HwdeskError):
    """A seeker, session or staff member that does not exist."""


class PermissionDenied(HwdeskError):
    """The signed-in staff member's role does not allow this."""


class ValidationFailed(HwdeskError):
    """Input that breaks a rule of the form (duplicate number, missing field …)."""


class AuthError(HwdeskError):
    """Sign-in refused (the same message for an unknown ID and a wrong password)."""


class RuleRefusal(HwdeskError):
    """A rule from an office's terms refuses the action; ``failures`` cite the articles."""

    def __init__(self, message_ja: str, message_en: str, *, failures: list | None = None, field: str | None = None):
        super().__init__(message_ja, message_en, field=field)
        self.failures = failures or []


def user_message(exc: BaseException, lang: str = "ja") -> str:
    """The message to show a user for any error we expect (parsers' and ours)."""
    if hasattr(exc, "message") and callable(exc.message):
        return exc.message(lang)
    return str(exc)
