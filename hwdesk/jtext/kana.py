"""Kana readings (フリガナ): :func:`to_katakana`, :func:`parse_reading` and the search key
:func:`kana_key`."""

from __future__ import annotations

import re

import jaconv

from hwdesk.jtext.base import ParseError, _as_text, _labels, _nfkc, _shown
from hwdesk.jtext.text import _SPACES, clean_text

__all__ = ["kana_key", "parse_reading", "to_katakana"]


def to_katakana(value: str) -> str:
    """NFKC (half-width ｶﾅ → full-width) then hiragana → katakana; no validation.

    ゔ→ヴ and ゝゞ→ヽヾ are handled by jaconv's table; ー and ヴ pass through.
    NFKC runs first so that ｶﾞ (two code points) becomes ガ before anything
    else looks at it.
    """
    return jaconv.hira2kata(_nfkc(_as_text(value)))


def _is_reading_char(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x30A1 <= cp <= 0x30FA  # ァ..ヺ
        or cp in (0x30FB, 0x30FC, 0x30FD, 0x30FE)  # ・ ー ヽ ヾ
        or 0x31F0 <= cp <= 0x31FF  # small katakana extensions (Ainu names)
        or ch == " "
    )


# The same set as _is_reading_char, as one regex (fast path for valid readings).
_READING_RE = re.compile(r"[\u30a1-\u30fe\u31f0-\u31ff ]*")
# A reading already in its stored form (katakana, single inner spaces), and one that only
# needs hira2kata (hiragana too): each of these characters is NFKC-stable and hira2kata
# leaves katakana alone, so parse_reading returns the first unchanged.
_KATAKANA_CLEAN_RE = re.compile(r"[\u30a1-\u30fe\u31f0-\u31ff]+(?: [\u30a1-\u30fe\u31f0-\u31ff]+)*")
_KANA_CLEAN_RE = re.compile(
    r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fe\u31f0-\u31ff]+(?: [\u3041-\u3096\u309d\u309e\u30a1-\u30fe\u31f0-\u31ff]+)*"
)


def parse_reading(value: str, *, field: str = "kana") -> str:
    """Furigana: hiragana/katakana/half-width kana, spaces, ー, ・ → katakana.

    Returns katakana with single ASCII spaces between parts ("ヤマダ タロウ").
    Kanji, Latin letters and digits are refused: the reading is what staff
    use to sort and search, so it must be kana only.  Non-empty, max 60.
    """
    if type(value) is str and len(value) <= 60 and _KANA_CLEAN_RE.fullmatch(value):
        if _KATAKANA_CLEAN_RE.fullmatch(value):
            return value
        kana = jaconv.hira2kata(value)
        if _KATAKANA_CLEAN_RE.fullmatch(kana):
            return kana
    ja, en = _labels(field, ("フリガナ", "reading (furigana)"))
    text = clean_text(value, field=field, max_len=60)
    if not text:
        raise ParseError(
            f"{ja}を入力してください（カタカナまたはひらがな）。",
            f"Enter the {en} in katakana or hiragana.",
            field=field,
        )
    kana = to_katakana(text)
    bad = [] if _READING_RE.fullmatch(kana) else [ch for ch in kana if not _is_reading_char(ch)]
    if bad:
        raise ParseError(
            f"{ja}はカタカナまたはひらがなで入力してください（漢字・英字・数字は使えません）。"
            f"使えない文字: {_shown(bad[0])} 入力: {_shown(value)}",
            f"The {en} must be katakana or hiragana only (no kanji, letters or digits). "
            f"Not allowed: {_shown(bad[0])}. Got: {_shown(value)}",
            field=field,
        )
    return _SPACES.sub(" ", kana).strip(" ")


def kana_key(reading: str) -> str:
    """Search key for prefix search: :func:`to_katakana` minus spaces and ・.

    Never raises, so it can run on every keystroke of a partial search.
    """
    if type(reading) is str and _KATAKANA_CLEAN_RE.fullmatch(reading):
        return reading.replace(" ", "").replace("・", "")
    try:
        kana = to_katakana(reading or "")
    except TypeError:
        return ""
    # str.split() drops exactly the characters str.isspace() is true for.
    return "".join(kana.split()).replace("・", "")
