"""Control and invisible characters: which ones input refuses, and how stored text is made safe
to show (:func:`safe_display`, :func:`safe_lines`), to print as JSON (:func:`json_safe`) and
to write into a CSV cell (:func:`csv_safe`).
"""

from __future__ import annotations

import re

__all__ = ["csv_safe", "json_safe", "safe_display", "safe_lines"]

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


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


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
