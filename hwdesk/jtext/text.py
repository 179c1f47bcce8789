"""Free text and names: :func:`clean_text` (NFKC, spaces, refused controls),
:func:`refuse_invisible`, :func:`normalize_name` and :func:`surname`."""

from __future__ import annotations

import re
import unicodedata

from hwdesk.jtext.base import ParseError, _as_text, _labels, _nfkc, _shown
from hwdesk.jtext.safety import _BAD_CHAR_RE, _INVISIBLE_RE, _char_name, _is_bad_char, safe_display

__all__ = ["clean_text", "normalize_name", "refuse_invisible", "surname"]

# Text clean_text returns unchanged (no controls, no whitespace but single inner ASCII spaces)
# is found by one search; with an NFKC check it skips the rest (the usual case in files).
_UNCLEAN_RE = re.compile(_BAD_CHAR_RE.pattern + r"|[^\S ]|  |\A | \Z")


def _is_canonical(text: str, max_len: int) -> bool:
    """True when ``clean_text(text, max_len=max_len)`` is ``text`` itself (a plain str)."""
    return (
        type(text) is str
        and len(text) <= max_len
        and _UNCLEAN_RE.search(text) is None
        and unicodedata.is_normalized("NFKC", text)
    )


_SPACES = re.compile(r"[^\S\n]+")


def clean_text(value: str, *, field: str = "text", max_len: int = 200, allow_newlines: bool = False) -> str:
    """Normalize free text: NFKC, strip, collapse space runs to one ASCII space.

    Refuses (``ParseError``) C0/C1 control characters, DEL, bidi controls and
    U+FEFF — they are invisible at the counter but change how text displays
    later.  With ``allow_newlines`` line breaks (CRLF, CR, U+2028/9 → LF) are
    kept and each line is stripped.  Returns ``""`` for empty input; refuses
    text longer than ``max_len`` characters after cleaning.
    """
    if not allow_newlines and _is_canonical(value, max_len):
        return value
    text = _as_text(value)
    ja, en = _labels(field)
    if allow_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    # Check before NFKC as well as after: normalize() must never see a lone
    # surrogate we would later fail to store.  The per-character loop (which
    # words the message) only runs when the regex found something.
    for ch in text if _BAD_CHAR_RE.search(text) else ():
        cp = ord(ch)
        if ch == "\n" and allow_newlines:
            continue
        if _is_bad_char(cp):
            if ch in "\t\n\r\u2028\u2029":
                is_tab = ch == "\t"
                what_ja, what_en = ("タブ", "tabs") if is_tab else ("改行", "line breaks")
                raise ParseError(
                    f"{ja}に{what_ja}は使えません。入力: {_shown(value)}",
                    f"The {en} cannot contain {what_en}. Got: {_shown(value)}",
                    field=field,
                )
            raise ParseError(
                f"{ja}に表示されない制御文字（{_char_name(ch)}）が含まれています。"
                f"取り除いて入力し直してください。入力: {_shown(value)}",
                f"The {en} contains an invisible control character ({_char_name(ch)}); "
                f"remove it and try again. Got: {_shown(value)}",
                field=field,
            )
    text = _nfkc(text)
    if allow_newlines:
        lines = [_SPACES.sub(" ", line).strip(" ") for line in text.split("\n")]
        text = "\n".join(lines).strip("\n")
    else:
        text = _SPACES.sub(" ", text).strip(" ")
    if len(text) > max_len:
        raise ParseError(
            f"{ja}は{max_len}文字以内で入力してください（現在{len(text)}文字）。",
            f"The {en} must be at most {max_len} characters (got {len(text)}).",
            field=field,
        )
    return text


def refuse_invisible(value: str, *, field: str = "name") -> str:
    """``value`` unchanged, or ParseError naming the first invisible/format character in it."""
    m = _INVISIBLE_RE.search(value)
    if m is None:
        return value
    ja, en = _labels(field)
    raise ParseError(
        f"{ja}に見えない文字（{_char_name(m.group())}）が含まれています。"
        f"取り除いて入力し直してください。入力: {safe_display(_INVISIBLE_RE.sub('◆', value))[:80]}",
        f"The {en} contains an invisible character ({_char_name(m.group())}); "
        f"remove it and try again. Got: {safe_display(_INVISIBLE_RE.sub('◆', value))[:80]}",
        field=field,
    )


def normalize_name(value: str, *, field: str = "name") -> str:
    """A person's name: :func:`clean_text` (max 60), non-empty, no invisible characters."""
    name = clean_text(value, field=field, max_len=60)
    if _INVISIBLE_RE.search(name):  # NFKC keeps every one of them (U+3164 becomes U+1160, also refused)
        refuse_invisible(str(value) if _INVISIBLE_RE.search(value) else name, field=field)  # name it as typed
    if not name:
        raise ParseError("氏名を入力してください。", "Enter a name.", field=field)
    return name


def surname(full_name: str) -> str:
    """The part before the first space (姓 in "山田 太郎"), or the whole name."""
    parts = (full_name or "").split(maxsplit=1)  # any whitespace, incl. U+3000
    return parts[0] if parts else ""
