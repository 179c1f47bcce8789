"""Line breaking for Japanese and mixed text, one rule set for the screens and the handout PDF.

Japanese breaks between any two characters except where kinsoku (禁則) forbids it: a line never
starts with a closing mark or small kana (。、」）』 ぁっャ ー …) and never ends with an opening mark
(「（『 …). Latin words, numbers and URLs-in-words break only at spaces (a word wider than the
line is broken by character). :func:`units` cuts text into the pieces a line may break between;
:func:`wrap` fills lines of at most ``width`` by any measure (terminal cells by default: a wide
character counts two and is never split); the PDF measures the same units in points
(``hwdesk.handout``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# Characters that must not start a line attach to the unit before them; characters that must
# not end a line attach to the unit after them.
NO_START = frozenset(
    "、。，．,.)）]］}｝〕〉》」』】〙〗〟’”｠»ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻‐゠–〜～？!！?‼⁇⁈⁉・:：;；/／…‥%％"
)
NO_END = frozenset("(（[［{｛〔〈《「『【〘〖〝‘“｟«")


def is_wordchar(ch: str) -> bool:
    """Characters that form unbreakable words (Latin, digits, ASCII punctuation…)."""
    if ch.isspace():
        return False
    eaw = unicodedata.east_asian_width(ch)
    return eaw in ("Na", "H", "N") and not ("\uff61" <= ch <= "\uff9f")


def units(text: str) -> list[str]:
    """``text`` cut where a line may break: each unit is a Latin word, one wide character with
    the closing marks after it and the opening marks before it, or a single space."""
    out: list[str] = []
    pending = ""  # opening brackets waiting for the next unit
    word = ""

    def flush_word() -> None:
        nonlocal word
        if word:
            out.append(word)
            word = ""

    for ch in text:
        if ch.isspace() and ch != "\u3000":
            flush_word()
            if pending:
                out.append(pending)
                pending = ""
            out.append(" ")
        elif ch in NO_END:
            flush_word()
            pending += ch
        elif ch in NO_START and (word or (out and out[-1] != " ")) and not pending:
            if word:
                word += ch
            else:
                out[-1] += ch
        elif is_wordchar(ch):
            if pending:
                flush_word()
                word = pending
                pending = ""
            word += ch
        else:  # CJK and other wide characters: a break is allowed before each
            flush_word()
            out.append(pending + ch)
            pending = ""
    flush_word()
    if pending:
        out.append(pending)
    return out


def _cells(text: str) -> int:
    from hwdesk.jtext.cells import cell_width

    return cell_width(text)


def break_chars(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` cut by character into lines no wider than ``width`` (a character wider than the
    line gets a line of its own)."""
    lines, cur, cur_w = [], "", 0.0
    for ch in text:
        ch_w = measure(ch)
        if cur and cur_w + ch_w > width:
            lines.append(cur)
            cur, cur_w = ch, ch_w
        else:
            cur, cur_w = cur + ch, cur_w + ch_w
    if cur:
        lines.append(cur)
    return lines


def wrap(text: str, width: float, *, measure: Callable[[str], float] | None = None, fill: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` (terminal cells unless ``measure`` says), broken
    between units (kinsoku kept), each line's trailing spaces dropped; newlines in ``text``
    start new lines. A unit wider than a whole line is broken by character, the only place a
    kinsoku rule may give way (never a character: a wide one moves to the next line whole); it
    starts on a line of its own, or with ``fill`` where the line has room (a JSON value or a URL
    after its label in a table's few lines, where a line of its own would show nothing of it)."""
    measure = measure or _cells
    out: list[str] = []
    for para in (text or "").split("\n"):
        out.extend(_wrap_line(para, width, measure, fill) or [""])
    return out


def _wrap_line(text: str, width: float, measure: Callable[[str], float], fill: bool = False) -> list[str]:
    lines: list[str] = []
    cur, cur_w = "", 0.0
    space = measure(" ")
    for unit in units(text):
        if unit == " " and not cur:
            continue
        unit_w = measure(unit)
        cand, cand_w = cur + unit, cur_w + unit_w
        trailing = len(cand) - len(cand.rstrip(" "))
        if cand_w - trailing * space <= width:
            cur, cur_w = cand, cand_w
            continue
        if fill and unit_w > width and cur.strip():
            head = break_chars(unit, width - cur_w, measure)[0] if cur_w < width else ""
            if head and measure(head) <= width - cur_w:  # the line's room, then whole lines
                lines.append(cur + head)
                unit = unit[len(head) :]
                unit_w = measure(unit)
                cur = ""
        if cur.strip():
            lines.append(cur.rstrip(" "))
        cur, cur_w = ("", 0.0) if unit == " " else (unit, unit_w)
        if cur_w > width:
            pieces = break_chars(cur, width, measure)
            lines.extend(pieces[:-1])
            cur = pieces[-1]
            cur_w = measure(cur)
    if cur.strip():
        lines.append(cur.rstrip(" "))
    return lines


def break_offsets(text: str, width: int, *, fold: bool = True) -> list[int]:
    """Where a one-line ``text`` breaks to fit ``width`` cells: the index each new line starts
    at (Rich's ``divide_line`` contract, which Textual wraps every text with). Spaces at a
    line's end do not count (the caller strips them); ``fold``: a unit wider than the line is
    broken by character, else it is left whole (cropped by the caller)."""
    from hwdesk.jtext.cells import cell_width

    offsets: list[int] = []
    pos = 0
    used = 0  # cells on the current line, without its trailing spaces
    pending = 0  # trailing spaces' cells
    for unit in units(text):
        size = len(unit)
        if unit == " ":
            if used:
                pending += 1
            elif not offsets:  # the text's own indent: kept, so it takes room
                used += 1
            pos += 1
            continue
        w = cell_width(unit)
        if used and used + pending + w > width:
            offsets.append(pos)
            used, pending = 0, 0
        if w > width and fold:
            # by character: every piece but the last a line of its own
            start, line_w = pos, 0
            for i, ch in enumerate(unit):
                cw = cell_width(ch)
                if line_w and line_w + cw > width:
                    offsets.append(pos + i)
                    line_w = 0
                line_w += cw
            used = line_w
            pending = 0
            pos = start + size
            continue
        used += pending + w
        pending = 0
        pos += size
    return [o for o in offsets if 0 < o < len(text)]


__all__ = ["NO_START", "NO_END", "break_chars", "break_offsets", "is_wordchar", "units", "wrap"]
