"""What every jtext parser shares: :class:`ParseError`, the field labels a refusal is worded
with, how the offending input is quoted, NFKC, and the dash look-alikes read as "-".

A parser takes what a clerk typed (full-width digits, half-width kana, 和暦, ...) and either
returns one canonical value or raises :class:`ParseError` with a message in Japanese (shown at
the counter) and English. No other exception type escapes a parser for ``str`` input; the
property tests in ``tests/test_jtext.py`` hold us to that.
"""

from __future__ import annotations

import unicodedata

from hwdesk.errors import HwdeskError
from hwdesk.jtext.safety import safe_display

__all__ = ["ParseError"]


class ParseError(HwdeskError, ValueError):
    """Bad input. .field (str|None), .message_ja, .message_en; str(e) == message_ja.

    A ``HwdeskError`` (a refusal the user sees); also a ``ValueError`` so generic validation
    code (pydantic, argparse) treats it as a value problem.
    """


# Field id -> (Japanese label, English label) for messages. Unknown ids fall
# back to the id itself so a message is never blank.
_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "text": ("入力", "input"),
    "name": ("氏名", "name"),
    "kana": ("フリガナ", "reading (furigana)"),
    "name_kana": ("フリガナ", "reading (furigana)"),
    "date": ("日付", "date"),
    "birth_date": ("生年月日", "date of birth"),
    "time": ("時刻", "time"),
    "datetime": ("日時", "date and time"),
    "seeker_no": ("求職番号", "job seeker number"),
    "phone": ("電話番号", "phone number"),
    "email": ("メールアドレス", "email address"),
    "url": ("URL", "URL"),
    "join_url": ("参加URL", "join URL"),
    "note": ("メモ", "note"),
    "notes": ("メモ", "notes"),
    "address": ("住所", "address"),
    "title": ("タイトル", "title"),
    "reason": ("理由", "reason"),
}


def _labels(field: str | None, default: tuple[str, str] | None = None) -> tuple[str, str]:
    if field in _FIELD_LABELS:
        return _FIELD_LABELS[field]
    if default is not None:
        return default
    return (field or "入力", field or "input")


def _shown(value: object) -> str:
    """Offending input for a message: visible controls, at most 30 chars, quoted."""
    text = safe_display(value if isinstance(value, str) or value is None else str(value))
    if len(text) > 30:
        text = text[:30] + "…"
    return f"'{text}'"


def _as_text(value: object) -> str:
    # Forms hand us None for untouched fields; treat it as empty rather than
    # crashing in unicodedata with a TypeError.
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise TypeError(f"expected str, got {type(value).__name__}")


def _nfkc(value: str) -> str:
    # NFKC folds full-width ASCII/digits, half-width kana and U+3000 — the
    # usual differences between what an IME produces and what we store.
    return unicodedata.normalize("NFKC", value)


# Dash look-alikes an IME or a pasted document may give instead of "-".
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63\uff0d"
_HYPHEN_TABLE = str.maketrans({h: "-" for h in _HYPHENS})
