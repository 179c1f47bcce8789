"""Errors a user may see: each carries a Japanese message and its English form."""

from __future__ import annotations


class HwdeskError(Exception):
    """Base of every error shown to a user. ``str()`` is the Japanese message.

    The CLI turns these, and only these, into a refusal (exit 2, the message in the chosen
    language) and the app into a message; any other exception is a bug and keeps its traceback.
    """

    def __init__(self, message_ja: str, message_en: str, *, field: str | None = None):
        super().__init__(message_ja)
        self.message_ja = message_ja
        self.message_en = message_en
        self.field = field

    def message(self, lang: str = "ja") -> str:
        """The message in ``lang`` ("en…" gives English, anything else Japanese)."""
        return self.message_en if str(lang).lower().startswith("en") else self.message_ja


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
