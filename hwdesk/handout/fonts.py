"""The embedded fonts, text measuring and line breaking (no line starts with 。、」)."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable
from functools import partial

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from hwdesk.handout.model import HandoutError
from hwdesk.linebreak import break_chars
from hwdesk.linebreak import units as _units
from hwdesk.paths import data_dir

# ---------------------------------------------------------------------------
# Fonts and text
# ---------------------------------------------------------------------------

_FONT = "HwdeskIPAexGothic"
_FONT_LATIN_BOLD = "HwdeskVeraSansBold"
_font_lock = threading.Lock()
_font_glyphs: frozenset[int] = frozenset()
_font_widths: dict[str, tuple[Callable[[int, float], float], float]] = {}
_fonts_ready = False


def _ensure_fonts() -> None:
    global _fonts_ready, _font_glyphs
    if _fonts_ready:
        return
    with _font_lock:
        if _fonts_ready:
            return
        path = data_dir() / "fonts" / "ipaexg.ttf"
        if not path.is_file():
            raise HandoutError(
                f"日本語フォントが見つかりません: {path}",
                f"Japanese font not found: {path}",
            )
        ipa = TTFont(_FONT, str(path))
        pdfmetrics.registerFont(ipa)
        vera = TTFont(_FONT_LATIN_BOLD, "VeraBd.ttf")  # ships with reportlab
        pdfmetrics.registerFont(vera)
        for name, font in ((_FONT, ipa), (_FONT_LATIN_BOLD, vera)):
            _font_widths[name] = (font.face.charWidths.get, font.face.defaultWidth)
        _font_glyphs = frozenset(ipa.face.charToGlyph)
        _fonts_ready = True


def _clean(text: str | None) -> str:
    """User text made drawable: controls/format characters dropped, line breaks and tabs
    become spaces, characters missing from the font become 〓. Markup-looking text is kept."""
    if not text:
        return ""
    out = []
    for ch in str(text):
        if ch in "\r\n\t\v\f\u2028\u2029\x85":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        if ord(ch) not in _font_glyphs and ch != " ":
            out.append("〓")
            continue
        out.append(ch)
    return "".join(out).strip()


def _w(text: str, size: float, font: str = _FONT) -> float:
    # reportlab's own sum for a TrueType font (rl_accel's pure-Python path), without the three
    # calls around it: wrapping measures thousands of short strings per page
    widths = _font_widths.get(font)
    if widths is None:
        return pdfmetrics.stringWidth(text, font, size)
    get, default = widths
    return 0.001 * size * sum(get(ord(ch), default) for ch in text)


# Kinsoku: the same units as the screens break text into (one rule set, hwdesk.linebreak).


def _break_chars(s: str, size: float, width: float, font: str) -> list[str]:
    # glyph widths add up: a line's width is the sum of its characters'
    return break_chars(s, width, partial(_w, size=size, font=font))


def _wrap(text: str, size: float, width: float, *, font: str = _FONT, anywhere: bool = False) -> list[str]:
    """Wrap ``text`` to ``width`` points by measured glyph widths. Japanese breaks between
    characters (with kinsoku), Latin between words; ``anywhere`` breaks at any character
    (URLs). Words wider than the line are broken by character. Widths are summed unit by unit,
    so wrapping is linear in the text, not quadratic."""
    if not text:
        return []
    if anywhere:
        return _break_chars(text, size, width, font)
    space = _w(" ", size, font)
    lines: list[str] = []
    cur, cur_w = "", 0.0
    for unit in _units(text):
        if unit == " " and not cur:
            continue
        unit_w = _w(unit, size, font)
        cand, cand_w = cur + unit, cur_w + unit_w
        trailing = len(cand) - len(cand.rstrip())
        if cand_w - trailing * space <= width:
            cur, cur_w = cand, cand_w
            continue
        if cur.strip():
            lines.append(cur.rstrip())
        cur, cur_w = ("", 0.0) if unit == " " else (unit, unit_w)
        if cur_w > width:
            pieces = _break_chars(cur, size, width, font)
            lines.extend(pieces[:-1])
            cur = pieces[-1]
            cur_w = _w(cur, size, font)
    if cur.strip():
        lines.append(cur.rstrip())
    return lines
