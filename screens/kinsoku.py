"""Textual wraps every text (labels, details, toasts, tables' wrapped cells) with Rich's
``divide_line``, which folds Japanese at the last cell that fits: a line could start with 。 or
）. :func:`install` makes Textual break lines with ``hwdesk.linebreak`` instead (kinsoku, wide
characters whole), the rules the handout PDF follows, so there is one wrapper everywhere."""

from __future__ import annotations

from hwdesk.linebreak import break_offsets


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Rich's ``divide_line`` contract, with kinsoku."""
    return break_offsets(text, max(1, width), fold=fold)


def install() -> None:
    """Use :func:`divide_line` for every text Textual wraps (idempotent)."""
    import textual.content

    textual.content.divide_line = divide_line  # type: ignore[assignment]


__all__ = ["divide_line", "install"]
