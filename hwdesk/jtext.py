"""Japanese text and value parsers for hwdesk.

Everything here is a pure function (:func:`now_jst` is re-exported from :mod:`hwdesk.clock`).  Parsers take
what a clerk typed (full-width digits, half-width kana, 和暦, ...) and either
return one canonical value or raise :class:`ParseError` with a message in
Japanese (shown at the counter) and English.  No other exception type escapes
a parser for ``str`` input; the property tests in ``tests/test_jtext.py`` hold
us to that.

Time convention (docs/design.md): the database stores naive UTC, everything
shown is Asia/Tokyo, and a naive datetime coming from a clerk means JST.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

import jaconv

from hwdesk.clock import JST, now_jst
from hwdesk.errors import HwdeskError

__all__ = [
    "JST",
    "ParseError",
    "WEEKDAYS_JA",
    "cell_width",
    "clean_text",
    "csv_safe",
    "format_date_en",
    "format_phone",
    "format_span",
    "format_wareki",
    "format_wareki_short",
    "from_db",
    "kana_key",
    "looks_like_seeker_no",
    "normalize_name",
    "now_jst",
    "parse_date",
    "parse_datetime",
    "parse_day",
    "parse_email",
    "parse_join_url",
    "parse_phone",
    "parse_reading",
    "parse_seeker_no",
    "pad_cells",
    "parse_time",
    "refuse_invisible",
    "safe_display",
    "safe_lines",
    "json_safe",
    "surname",
    "to_db",
    "to_katakana",
]

WEEKDAYS_JA: tuple[str, ...] = ("月", "火", "水", "木", "金", "土", "日")
"""Japanese weekday letters indexed by ``date.weekday()`` (Monday = 0)."""

# Fixed English names: strftime("%a") depends on the process locale.
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Control / invisible characters
# ---------------------------------------------------------------------------

# Bidi controls can make stored text display in a different order than it was
# typed (Trojan-Source style); U+061C is the Arabic letter mark, same family.
_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _is_bad_char(cp: int) -> bool:
    """C0/C1 controls, DEL, bidi controls, BOM, lone surrogates, line/para separators."""
    return (
        cp < 0x20
        or 0x7F <= cp <= 0x9F
        or cp in _BIDI
        or cp == 0xFEFF
        or 0xD800 <= cp <= 0xDFFF  # unencodable in UTF-8; would fail at the DB
        or cp in (0x2028, 0x2029)  # break lines in terminals/CSV like a newline
    )


# The same set as _is_bad_char, as one regex: a clean string (the usual case) is checked in C
# instead of one Python call per character.
_BAD_CHAR_RE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff\u2028\u2029]"
)


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


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


# ---------------------------------------------------------------------------
# Free text and names
# ---------------------------------------------------------------------------

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


# Characters that draw nothing (or a blank) in a name: every Unicode format character (Cf:
# zero-width space/joiner, word joiner, soft hyphen, tags, bidi marks — Unicode 15.1's list,
# written out so that no start-up pass over the code space is needed; a test compares it with
# the running Python's unicodedata), the Hangul fillers, the braille blank and the combining
# grapheme joiner. '山田\u200b太郎' looks like 山田太郎 but would never be found by it.
# Variation selectors stay allowed: 異体字 (IVS) are real in Japanese names.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\u115f\u1160\u3164\uffa0\u2800\u034f]"
)


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


# ---------------------------------------------------------------------------
# Kana
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# 求職番号 (job seeker number)
# ---------------------------------------------------------------------------

# Dash look-alikes an IME or a pasted document may give instead of "-".
_HYPHENS = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63\uff0d"
_HYPHEN_TABLE = str.maketrans({h: "-" for h in _HYPHENS})
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


# ---------------------------------------------------------------------------
# Email
# ---------------------------------------------------------------------------

# Consecutive dots and a dot before "@" are allowed on purpose: old docomo/au
# addresses such as "taro..x.@docomo.ne.jp" are still in use.
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_EMAIL_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def parse_email(value: str) -> str:
    """Email address, simple but strict enough; "" (not given) returns "".

    NFKC first (full-width ＠ from the IME), then: exactly one @, non-empty
    local part of ASCII characters, domain with at least one dot, no spaces.
    The domain is lower-cased; the local part is kept as typed.
    """
    text = _as_text(value)
    addr = _nfkc(text).strip()
    if not addr:
        return ""
    err = ParseError(
        "メールアドレスの形式が正しくありません（例: taro@example.jp）。"
        f"半角英数字で入力してください。入力: {_shown(text)}",
        f"That is not a valid email address (e.g. taro@example.jp). Got: {_shown(text)}",
        field="email",
    )
    if addr.count("@") != 1 or len(addr) > 254:
        raise err
    local, domain = addr.split("@")
    domain = domain.lower()
    labels = domain.split(".")
    if (
        not _EMAIL_LOCAL_RE.fullmatch(local)
        or len(labels) < 2
        or not all(_EMAIL_LABEL_RE.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise err
    return f"{local}@{domain}"


# ---------------------------------------------------------------------------
# Dates, 和暦
# ---------------------------------------------------------------------------

# (name, letter, first day, last day or None).  Newest first so a boundary day
# (1926-12-25 is both 大正15年 and 昭和元年) formats in the newer era.
_ERAS: tuple[tuple[str, str, date, date | None], ...] = (
    ("令和", "R", date(2019, 5, 1), None),
    ("平成", "H", date(1989, 1, 8), date(2019, 4, 30)),
    ("昭和", "S", date(1926, 12, 25), date(1989, 1, 7)),
    ("大正", "T", date(1912, 7, 30), date(1926, 12, 25)),
)
_ERA_BY_KEY = {k: e for e in _ERAS for k in (e[0], e[1])}

_DATE_HINT_JA = "YYYY-MM-DD または 令和7年12月2日 / R7.12.2 の形式で入力してください"
_DATE_HINT_EN = "Enter it as YYYY-MM-DD, 令和7年12月2日 or R7.12.2"

_WEEKDAY_SUFFIX_RE = re.compile(r"\(([月火水木金土日])(?:曜日?)?\)$")
_ISO_DATE_RE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})")
_COMPACT_DATE_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_PLAIN_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # nothing to fold: read it directly
_KANJI_DATE_RE = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?")
_WAREKI_RE = re.compile(
    r"(?P<era>令和|平成|昭和|大正|[RHST])(?P<y>元|[0-9]{1,4})"
    r"(?:年(?P<m1>[0-9]{1,2})月(?P<d1>[0-9]{1,2})日?"
    r"|(?P<sep>[-/.])(?P<m2>[0-9]{1,2})(?P=sep)(?P<d2>[0-9]{1,2}))"
)


def _era_of(d: date) -> tuple[str, str, date, date | None] | None:
    for era in _ERAS:
        if d >= era[2]:
            return era
    return None


def format_wareki(d: date, *, weekday: bool = False) -> str:
    """'令和7年12月2日', '令和元年5月1日', with weekday '令和7年12月2日(火)'.

    平成/昭和/大正 for older dates; before 大正 (1912-07-30) the Western year
    is written with 年月日 ('1900年1月1日'), which :func:`parse_date` reads back.
    """
    era = _era_of(d)
    if era is None:
        text = f"{d.year:04d}年{d.month}月{d.day}日"
    else:
        n = d.year - era[2].year + 1
        text = f"{era[0]}{'元' if n == 1 else n}年{d.month}月{d.day}日"
    if weekday:
        text += f"({WEEKDAYS_JA[d.weekday()]})"
    return text


def format_wareki_short(d: date) -> str:
    """'R7.12.2' (year 1 is written R1); before 大正, 'YYYY.M.D'."""
    era = _era_of(d)
    if era is None:
        return f"{d.year:04d}.{d.month}.{d.day}"
    return f"{era[1]}{d.year - era[2].year + 1}.{d.month}.{d.day}"


def format_date_en(d: date, *, weekday: bool = False) -> str:
    """'2025-12-02', with weekday 'Tue 2025-12-02' (locale independent)."""
    iso = d.isoformat()
    return f"{_WEEKDAYS_EN[d.weekday()]} {iso}" if weekday else iso


def _make_date(y: int, m: int, d: int, value: str, field: str, ja: str, en: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise ParseError(
            f"{ja}: {y}年{m}月{d}日という日付はありません。入力: {_shown(value)}",
            f"The {en} {y:04d}-{m:02d}-{d:02d} does not exist. Got: {_shown(value)}",
            field=field,
        ) from None


def parse_date(value: str, *, field: str = "date") -> date:
    """Parse a date typed at the counter.

    Accepts 2025-12-02, 2025/12/02, 2025.12.2, 20251202, 2025年12月2日,
    和暦 '令和7年12月2日' / '令和元年5月1日', abbreviations 'R7.12.2', 'r7/12/2',
    'H31.4.30', 'S64.1.7', full-width digits and spaces anywhere, and an
    optional weekday suffix '(火)' which must then be right.  Era ranges are
    checked (平成31年5月1日 is refused and the message names 令和元年5月1日);
    impossible days such as 2月30日 are refused.
    """
    text = _as_text(value)
    hit = _DATE_CACHE.get((text, field))
    if hit is not None:
        return hit
    if type(text) is str and _PLAIN_ISO_DATE_RE.fullmatch(text):
        try:
            d = date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            pass  # no such day: the full path words the message
        else:
            if len(_DATE_CACHE) >= 8192:
                _DATE_CACHE.clear()
            _DATE_CACHE[(text, field)] = d
            return d
    ja, en = _labels(field, ("日付", "date"))
    s = "".join(_nfkc(text).translate(_HYPHEN_TABLE).split())
    if not s:
        raise ParseError(
            f"{ja}を入力してください。{_DATE_HINT_JA}。",
            f"Enter the {en}. {_DATE_HINT_EN}.",
            field=field,
        )
    wd = _WEEKDAY_SUFFIX_RE.search(s)
    if wd:
        s = s[: wd.start()]
    d = _parse_date_core(s, text, field, ja, en)
    if wd and WEEKDAYS_JA[d.weekday()] != wd.group(1):
        raise ParseError(
            f"{ja}の曜日が合いません: {format_wareki(d)}は{WEEKDAYS_JA[d.weekday()]}曜日です。入力: {_shown(text)}",
            f"The weekday does not match: {d.isoformat()} is a {_WEEKDAYS_EN[d.weekday()]}. Got: {_shown(text)}",
            field=field,
        )
    if len(_DATE_CACHE) >= 8192:
        _DATE_CACHE.clear()
    _DATE_CACHE[(text, field)] = d
    return d


# The days staff work with (queues, weeks, reports, exports, closures): wide enough for any real
# use, narrow enough that a week or a month around them never leaves the calendar (0001-01-01 or
# 9999-12-31 made date arithmetic overflow into a traceback).
DAY_MIN = date(1900, 1, 1)
DAY_MAX = date(2199, 12, 31)


def parse_day(value: str, *, field: str = "date") -> date:
    """:func:`parse_date`, refused with a clear message outside ``DAY_MIN`` … ``DAY_MAX``."""
    d = parse_date(value, field=field)
    if not DAY_MIN <= d <= DAY_MAX:
        ja, en = _labels(field, ("日付", "date"))
        raise ParseError(
            f"{ja}は{DAY_MIN.year}年から{DAY_MAX.year}年までの日付で入力してください。入力: {_shown(value)}",
            f"The {en} must be between {DAY_MIN.isoformat()} and {DAY_MAX.isoformat()}. Got: {_shown(value)}",
            field=field,
        )
    return d


# (text, field) → date for parse_date: the result depends on nothing else, and an imported
# file repeats the same dates (registration days, birth dates) thousands of times.
_DATE_CACHE: dict[tuple[str, str], date] = {}


def _parse_date_core(s: str, value: str, field: str, ja: str, en: str) -> date:
    for rx, groups in ((_ISO_DATE_RE, (1, 3, 4)), (_COMPACT_DATE_RE, (1, 2, 3)), (_KANJI_DATE_RE, (1, 2, 3))):
        m = rx.fullmatch(s)
        if m:
            y, mo, dd = (int(m.group(g)) for g in groups)
            return _make_date(y, mo, dd, value, field, ja, en)

    m = _WAREKI_RE.fullmatch(s.upper() if s[:1].isascii() else s)
    if not m:
        raise ParseError(
            f"{ja}は {_DATE_HINT_JA}。入力: {_shown(value)}",
            f"The {en} is not a date I can read. {_DATE_HINT_EN}. Got: {_shown(value)}",
            field=field,
        )
    name, _letter, start, end = _ERA_BY_KEY[m.group("era")]
    n = 1 if m.group("y") == "元" else int(m.group("y"))
    if n == 0:
        raise ParseError(
            f"{ja}: {name}0年はありません（1年目は「元年」です）。入力: {_shown(value)}",
            f"The {en} has era year 0, which does not exist (the first year is 元年 = 1). Got: {_shown(value)}",
            field=field,
        )
    mo = int(m.group("m1") or m.group("m2"))
    dd = int(m.group("d1") or m.group("d2"))
    d = _make_date(start.year + n - 1, mo, dd, value, field, ja, en)
    if d < start or (end is not None and d > end):
        yname = "元" if n == 1 else str(n)
        if d < start:
            bound_ja = f"{name}は{format_wareki(start)}（{start.isoformat()}）から始まります"
            bound_en = f"{name} began on {format_wareki(start)} ({start.isoformat()})"
        else:
            assert end is not None
            end_n = end.year - start.year + 1
            end_txt = f"{name}{'元' if end_n == 1 else end_n}年{end.month}月{end.day}日"
            bound_ja = f"{name}は{end_txt}（{end.isoformat()}）で終わっています"
            bound_en = f"{name} ended on {end_txt} ({end.isoformat()})"
        if _era_of(d) is not None:
            right_ja = f"{d.isoformat()} は{format_wareki(d)}です"
            right_en = f"{d.isoformat()} is {format_wareki(d)}"
        else:
            right_ja = f"{d.isoformat()} は明治以前のため西暦で入力してください"
            right_en = f"{d.isoformat()} is before 大正; enter it as YYYY-MM-DD"
        raise ParseError(
            f"{ja}: {name}{yname}年{mo}月{dd}日はありません。{bound_ja}。{right_ja}。入力: {_shown(value)}",
            f"The {en} {name}{yname}年{mo}月{dd}日 does not exist: {bound_en}; {right_en}. Got: {_shown(value)}",
            field=field,
        )
    return d


# ---------------------------------------------------------------------------
# Times and datetimes
# ---------------------------------------------------------------------------

_TIME_COLON_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_TIME_DIGITS_RE = re.compile(r"([0-9]{1,2}?)([0-9]{2})")
_TIME_KANJI_RE = re.compile(r"([0-9]{1,2})時(?:([0-9]{1,2})分|(半))?")
_TIME_HOUR_RE = re.compile(r"([0-9]{1,2})")


def parse_time(value: str) -> time:
    """'10:00', '1000', '930', '10', '10時', '10時30分', '10時半', full-width ok.

    Range 0:00–23:59; seconds are not accepted (slots are per minute).
    """
    text = _as_text(value)
    s = "".join(_nfkc(text).split())
    h = mi = None
    for rx in (_TIME_COLON_RE, _TIME_KANJI_RE, _TIME_HOUR_RE, _TIME_DIGITS_RE):
        m = rx.fullmatch(s)
        if m:
            h = int(m.group(1))
            if rx is _TIME_KANJI_RE:
                mi = 30 if m.group(3) else int(m.group(2) or 0)
            elif rx is _TIME_HOUR_RE:
                mi = 0
            else:
                mi = int(m.group(2))
            break
    if h is None or mi is None or not (0 <= h <= 23 and 0 <= mi <= 59):
        raise ParseError(
            f"時刻は 10:00 や 10時30分 の形式で、0:00〜23:59 の範囲で入力してください。入力: {_shown(text)}",
            f"Enter a time such as 10:00 or 1030, between 0:00 and 23:59. Got: {_shown(text)}",
            field="time",
        )
    return time(h, mi)


def to_db(dt: datetime) -> datetime:
    """Datetime → naive UTC for the database; a naive input is taken as JST.

    Naive means JST because naive values come from clerks typing local time.
    """
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=JST)
    return dt.astimezone(UTC).replace(tzinfo=None)


def from_db(dt: datetime) -> datetime:
    """Naive UTC from the database → aware JST (an aware input is just converted)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(JST)


_ISO_DT_START_RE = re.compile(r"[0-9]{4}-?[0-9]{2}-?[0-9]{2}[T ]")
# Greedy date part so the *last* break is used: dates may contain spaces
# ("令和 7年12月2日 10:00"); "日" or ")" may also end the date without a space.
_DT_SPLIT_RE = re.compile(r"(?P<d>.+)(?:\s+|(?<=日)|(?<=\)))(?P<t>\S+)")


def parse_datetime(value: str) -> datetime:
    """Date and time → aware JST datetime.

    ISO 8601 with an offset ('2025-12-02T10:00+09:00', 'Z' ok) is converted to
    JST; without an offset JST is assumed.  Otherwise 'DATE TIME' where DATE
    is anything :func:`parse_date` accepts and TIME anything :func:`parse_time`
    accepts ('令和7年12月2日(火) 10:00', 'R7.12.2 10時').  A date alone is
    refused: a time is required.
    """
    text = _as_text(value)
    s = _nfkc(text).strip()
    if _ISO_DT_START_RE.match(s):
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            pass
        else:
            try:
                return dt.replace(tzinfo=JST) if dt.tzinfo is None else dt.astimezone(JST)
            except (OverflowError, ValueError):
                raise ParseError(
                    f"日時が扱える範囲を超えています。入力: {_shown(text)}",
                    f"The date and time is out of range. Got: {_shown(text)}",
                    field="datetime",
                ) from None
    m = _DT_SPLIT_RE.fullmatch(s)
    if not m:
        raise ParseError(
            "日時は「日付 時刻」の形式で入力してください"
            f"（例: 2025-12-02 10:00, 令和7年12月2日 10時30分）。入力: {_shown(text)}",
            f"Enter a date and a time (e.g. 2025-12-02 10:00 or 令和7年12月2日 10時30分). Got: {_shown(text)}",
            field="datetime",
        )
    d = parse_date(m.group("d"), field="date")
    t = parse_time(m.group("t"))
    return datetime.combine(d, t, tzinfo=JST)


def format_span(start: datetime, end: datetime, *, lang: str = "ja") -> str:
    """'令和7年12月2日(火) 10:00〜11:00' / en 'Tue 2025-12-02 10:00-11:00', in JST.

    Naive datetimes are taken as JST (as in :func:`to_db`).  If the span
    crosses midnight the end date is repeated.
    """
    s = _as_jst(start)
    e = _as_jst(end)
    en = str(lang).lower().startswith("en")
    day = format_date_en if en else format_wareki
    sep = "-" if en else "〜"
    left = f"{day(s.date(), weekday=True)} {s:%H:%M}"
    if e.date() == s.date():
        return f"{left}{sep}{e:%H:%M}"
    return f"{left}{sep}{day(e.date(), weekday=True)} {e:%H:%M}"


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: 2 a wide or full-width character (漢字, かな, ２), 0 a
    combining mark or zero-width format character, 1 anything else (ASCII, ｶﾅ half-width).

    For aligning columns of plain-text output (``len`` counts 山田 as 2, a terminal shows 4).
    """
    if text.isascii():
        return len(text)
    n = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        n += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return n


def pad_cells(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` terminal cells (left-aligned, or ``right``);
    never cut: text wider than ``width`` is returned whole."""
    fill = " " * max(0, width - cell_width(text))
    return fill + text if right else text + fill


def _as_jst(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=JST)
    return dt.astimezone(JST)


# ---------------------------------------------------------------------------
# Join URLs
# ---------------------------------------------------------------------------

# Exact hosts and parent domains (matching "x.<domain>") per platform.
_PLATFORM_HOSTS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "zoom": (frozenset({"zoom.us", "zoom.com"}), ("zoom.us", "zoom.com")),
    "teams": (
        frozenset({"teams.microsoft.com", "teams.live.com"}),
        ("teams.microsoft.com",),
    ),
    "webex": (frozenset({"webex.com"}), ("webex.com",)),
}
_PLATFORM_NAMES = {"zoom": "Zoom", "teams": "Microsoft Teams", "webex": "Webex"}
_HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\]")


def parse_join_url(value: str, platform: str) -> str:
    """Meeting join URL for ``platform`` ("zoom", "teams", "webex", other).

    https only; the host must belong to the platform (zoom: zoom.us, zoom.com
    and their subdomains; teams: teams.microsoft.com, teams.live.com,
    *.teams.microsoft.com; webex: webex.com, *.webex.com); any other platform
    name accepts any https host.  URLs with user info (user@host), spaces,
    backslashes, control characters or a non-ASCII host are refused, since
    those are how a look-alike link hides where it really goes.  Returns the
    URL stripped of surrounding whitespace.
    """
    text = _as_text(value)
    url = text.strip()
    plat = str(platform).strip().lower()

    def err(ja: str, en: str) -> ParseError:
        return ParseError(f"{ja} 入力: {_shown(text)}", f"{en} Got: {_shown(text)}", field="join_url")

    if not url:
        raise err("参加URLを入力してください。", "Enter the join URL.")
    if len(url) > 2000:
        raise err("URLが長すぎます（2000文字まで）。", "The URL is too long (max 2000 characters).")
    if any(ch.isspace() or _is_bad_char(ord(ch)) for ch in url):
        raise err(
            "URLに空白や制御文字が含まれています。",
            "The URL contains spaces or control characters.",
        )
    if "\\" in url:
        raise err("URLに「\\」は使えません。", "The URL must not contain a backslash.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise err("URLの形式が正しくありません。", "That is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme == "http":
        raise err(
            "http:// のURLは使えません。https:// で始まるURLを入力してください。",
            "http:// links are not accepted; enter the https:// link.",
        )
    if scheme != "https":
        raise err(
            "URLは https:// で始まる必要があります。",
            "The URL must start with https://.",
        )
    if "@" in parts.netloc:
        raise err(
            "ユーザー名入りのURL（…@…）は使えません。",
            "URLs with a user name part (…@…) are not accepted.",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host or not host.isascii() or not _HOST_RE.fullmatch(host) or ".." in host:
        raise err("URLのホスト名が正しくありません。", "The URL has no valid host name.")
    rule = _PLATFORM_HOSTS.get(plat)
    if rule is not None:
        exact, parents = rule
        if not (host in exact or any(host.endswith("." + p) for p in parents)) or port not in (None, 443):
            label = _PLATFORM_NAMES[plat]
            raise err(
                f"{label} の参加URLではありません（ホスト: {safe_display(host)[:60]}）。",
                f"This is not a {label} join URL (host: {safe_display(host)[:60]}).",
            )
    return url


# ---------------------------------------------------------------------------
# Display and export safety
# ---------------------------------------------------------------------------


def _display_char(ch: str) -> str:
    cp = ord(ch)
    if ch == "\n":
        return "\u2424"  # ␤ SYMBOL FOR NEWLINE
    if cp < 0x20:
        return chr(0x2400 + cp)  # ␀..␟ control pictures
    if cp == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{cp:04X}>"


def safe_display(value: str | None) -> str:
    """Stored text made safe to show: every invisible control becomes visible.

    The one home of display safety (the app's ``screens/base.lit``, the CLI's ``Ctx.echo`` and
    tables, the handouts). C0 controls → control pictures (U+2400 + code, newline → ␤ U+2424),
    DEL → ␡; C1 controls, bidi controls, U+FEFF, U+2028/9, lone surrogates and the invisible
    format characters names refuse (U+200B …) → '<U+202E>'-style escapes.  For text that reached the
    database another way (imports, manual DB edits).  Never raises; ``None``
    gives "".
    """
    if value is None:
        return ""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # a broken __str__ must not take the screen down
        return "<?>"
    if _DISPLAY_BAD_RE.search(text) is None:
        return text
    return _DISPLAY_BAD_RE.sub(_display_match, text)


# What safe_display makes visible: the controls clean_text refuses, and the invisible characters
# refuse_invisible refuses in names (a zero-width space shown as <U+200B>, not as nothing).
_DISPLAY_BAD_RE = re.compile(f"{_BAD_CHAR_RE.pattern}|{_INVISIBLE_RE.pattern}")


def _display_match(m: re.Match) -> str:
    return _display_char(m.group())


def json_safe(text: str) -> str:
    """JSON text (from ``json.dumps(ensure_ascii=False)``) with every character safe_display would
    show escaped as ``\\uXXXX`` (a surrogate pair above U+FFFF): still the same JSON for a
    script, inert on a terminal. json.dumps already escapes C0 controls; this covers DEL, C1,
    bidi and the invisible format characters."""
    return _JSON_BAD_RE.sub(_json_escape, text)


# C0 controls are left to json.dumps (it escapes them in strings; outside strings they are the
# layout's own line breaks).
_JSON_BAD_RE = re.compile(f"(?![\x00-\x1f])(?:{_DISPLAY_BAD_RE.pattern})")


def _json_escape(m: re.Match) -> str:
    cp = ord(m.group())
    if cp > 0xFFFF:
        cp -= 0x10000
        return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"
    return f"\\u{cp:04x}"


def safe_lines(value: str | None) -> str:
    """Multi-line stored text (terms, notes) for a terminal: :func:`safe_display` line by line.

    Line breaks stay line breaks; every other control or invisible character is shown, never
    obeyed. The one function the CLI prints stored text through (``Ctx.echo``).
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if _DISPLAY_BAD_RE.search(text) is None:
        return text
    return "\n".join(safe_display(line) for line in text.split("\n"))


# Leading characters that make Excel/LibreOffice evaluate a cell; the
# full-width forms are included because Japanese Excel may fold them.
_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_safe(value: object) -> str:
    """A CSV cell guarded against formula injection.

    ``str(value)`` (None → ""); if it starts with = + - @ TAB or CR (or
    their full-width forms) it is prefixed with a single quote.  Real numbers
    (int, float — not bool) are left alone so -5 stays a number.
    """
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return text
    if text.startswith(_CSV_TRIGGERS):
        return "'" + text
    return text
