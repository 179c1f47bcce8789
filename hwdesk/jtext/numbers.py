"""Numbers a clerk types: the 求職番号 (job seeker number) and Japanese phone numbers."""

from __future__ import annotations

import re

from hwdesk.jtext.base import _HYPHEN_TABLE, _HYPHENS, ParseError, _as_text, _nfkc, _shown

__all__ = ["format_phone", "looks_like_seeker_no", "parse_phone", "parse_seeker_no"]

_SEEKER_RE = re.compile(r"([0-9]{5})-?([0-9]{1,8})")
_SEEKER_LIKE_RE = re.compile(r"[0-9]{5}-?[0-9]{0,8}")
_SEEKER_CANONICAL_RE = re.compile(r"[0-9]{5}-[0-9]{1,8}")  # already what parse_seeker_no returns


def _seeker_compact(value: str) -> str:
    text = _nfkc(value).translate(_HYPHEN_TABLE)
    return "".join(text.split())


def parse_seeker_no(value: str) -> str:
    """求職番号 → canonical "DDDDD-D…" (hyphen after 5 digits, no zero padding).

    After NFKC and removing spaces it must match ``^\\d{5}-?\\d{1,8}$`` (ASCII
    digits); dash look-alikes (‐ – — ー ｰ −) count as the hyphen.
    """
    if type(value) is str and _SEEKER_CANONICAL_RE.fullmatch(value):
        return value
    text = _as_text(value)
    m = _SEEKER_RE.fullmatch(_seeker_compact(text))
    if not m:
        raise ParseError(
            f"求職番号は「5桁-最大8桁」の数字です（例: 13010-12345678）。入力: {_shown(text)}",
            "A job seeker number is 5 digits, a hyphen, then up to 8 digits "
            f"(e.g. 13010-12345678). Got: {_shown(text)}",
            field="seeker_no",
        )
    return f"{m.group(1)}-{m.group(2)}"


def looks_like_seeker_no(value: str) -> bool:
    """True if a search string should be routed to 求職番号 lookup.

    Digits (after NFKC, spaces removed) with at least 5 digits and at most one
    hyphen, which must come right after the 5th digit — so "13010-" already
    routes here while a phone number like "027-290-2111" does not.
    """
    if not isinstance(value, str):
        return False
    return _SEEKER_LIKE_RE.fullmatch(_seeker_compact(value)) is not None


# ---------------------------------------------------------------------------
# Phone
# ---------------------------------------------------------------------------

_PHONE_STRIP = str.maketrans({c: None for c in "-()." + _HYPHENS})
_MOBILE_PREFIXES = ("050", "060", "070", "080", "090")
_PHONE_DIGITS_RE = re.compile(r"0[1-9][0-9]{8,9}")  # digits only: nothing to strip or fold


def _phone_error(value: str) -> ParseError:
    return ParseError(
        "電話番号は0から始まる10桁（固定電話）または11桁（携帯・050など）の数字です"
        f"（例: 027-290-2111, 090-1234-5678）。入力: {_shown(value)}",
        "A phone number is 10 digits (landline) or 11 digits (mobile, 050 …) starting "
        f"with 0 (e.g. 027-290-2111, 090-1234-5678). Got: {_shown(value)}",
        field="phone",
    )


def parse_phone(value: str) -> str:
    """Japanese phone number → digits only ("0272902111").

    Hyphens, spaces, parentheses and dots are dropped; "+81" becomes "0"
    ("+81 (0)3…" works too).  Accepted: 10 digits starting with 0 (not 00),
    0120 is 10 digits; 11 digits starting with 050/060/070/080/090 or 0800.
    A 10-digit number with a mobile prefix (090…) is refused: it has lost a
    digit.
    """
    if type(value) is str and _PHONE_DIGITS_RE.fullmatch(value):
        # The same length/prefix rules as below, for digits that need no cleaning.
        mobile = value.startswith(_MOBILE_PREFIXES)
        if (len(value) == 10 and not mobile) or (len(value) == 11 and (mobile or value.startswith("0800"))):
            return value
        raise _phone_error(value)
    text = _as_text(value)
    digits = "".join(_nfkc(text).translate(_PHONE_STRIP).split())
    if digits.startswith("+81"):
        rest = digits[3:]
        digits = rest if rest.startswith("0") else "0" + rest
    if not digits.isascii() or not digits.isdigit():
        raise _phone_error(text)
    ok = False
    if len(digits) == 10:
        ok = digits[0] == "0" and digits[1] != "0" and not digits.startswith(_MOBILE_PREFIXES)
    elif len(digits) == 11:
        ok = digits.startswith(_MOBILE_PREFIXES) or digits.startswith("0800")
    if not ok:
        raise _phone_error(text)
    return digits


def format_phone(digits: str) -> str:
    """Display form, best effort: 090-1234-5678, 0120-123-456, 03-1234-5678, 027-290-2111.

    Mobiles and 050/060 are 3-4-4, 0800 is 4-3-4, 0120/0570/0990 are 4-3-3,
    03/06 are 2-4-4, other 10-digit numbers 3-3-4 (real area codes vary from
    2 to 5 digits; we do not carry the table).  Anything that is not a
    10/11-digit string is returned unchanged; never raises.
    """
    d = digits if isinstance(digits, str) else ("" if digits is None else str(digits))
    if not (d.isascii() and d.isdigit()):
        return d
    if len(d) == 11:
        if d.startswith("0800"):
            return f"{d[:4]}-{d[4:7]}-{d[7:]}"
        return f"{d[:3]}-{d[3:7]}-{d[7:]}"
    if len(d) == 10:
        if d.startswith(("0120", "0570", "0990")):
            return f"{d[:4]}-{d[4:7]}-{d[7:]}"
        if d.startswith(("03", "06")):
            return f"{d[:2]}-{d[2:6]}-{d[6:]}"
        return f"{d[:3]}-{d[3:6]}-{d[6:]}"
    return d
