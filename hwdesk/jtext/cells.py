"""Terminal cells: how wide text shows (:func:`cell_width`) and padding to a width
(:func:`pad_cells`), for aligning columns of plain-text output."""

from __future__ import annotations

import unicodedata

__all__ = ["cell_width", "pad_cells"]


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
