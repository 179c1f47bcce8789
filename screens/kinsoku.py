"""Textual wraps every text (labels, details, toasts, tables' wrapped cells) with Rich's
``divide_line``, which folds Japanese at the last cell that fits: a line could start with 。 or
）. :func:`install` makes Textual break lines with ``hwdesk.linebreak`` instead (kinsoku, wide
characters whole), the rules the handout PDF follows, so there is one wrapper everywhere."""

from __future__ import annotations

from hwdesk.linebreak import break_offsets


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Rich's ``divide_line`` contract, with kinsoku (text that fits, or has no wide character,
    goes the quick way: every keystroke repaints)."""
    from rich._wrap import divide_line as rich_divide_line
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return []
    if text.isascii():
        return rich_divide_line(text, width, fold=fold)
    return break_offsets(text, max(1, width), fold=fold)


def install() -> None:
    """Use :func:`divide_line` for every text Textual wraps, and keep wide characters whole
    where regions overlap (:func:`_render_chops`); idempotent."""
    import textual.content
    from textual._compositor import Compositor

    textual.content.divide_line = divide_line
    Compositor._render_chops = _render_chops  # type: ignore[method-assign]  # replacing Textual's method is the install


def _mid_wide(strip, offsets: list[int]) -> set[int]:
    """The ``offsets`` (cells from the strip's start) that fall inside a wide character."""
    from rich.cells import get_character_cell_size

    text = strip.text
    if len(text) == strip.cell_length:  # no wide character: the usual case, answered at once
        return set()
    wanted, found, x = set(offsets), set(), 0
    for ch in text:
        w = get_character_cell_size(ch)
        if w == 2 and x + 1 in wanted:
            found.add(x + 1)
        x += w
    return found


def _render_chops(self, crop, is_rendered_line):
    """Textual's ``Compositor._render_chops``, except that a wide character lying across the
    edge of a region underneath (a toast over two panes) is kept whole: the two pieces on either
    side of that edge go out as one. Textual cut it in two halves and painted each as a space
    ("利用の中  は…", issue 17)."""
    from textual.strip import Strip

    cuts = self.cuts
    chops = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    renders = self._get_renders(crop)
    for region, clip, strips in renders:
        render_region = region.intersection(clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips):
            if not is_rendered_line(y):
                continue
            chops_line = chops[y]
            final_cuts = [cut for cut in cuts[y] if (last_cut >= cut >= first_cut)]
            inner = [cut - render_x for cut in final_cuts[1:]]
            cut_strips = strip.divide(inner)
            get_chops_line = chops_line.get
            split = _mid_wide(strip, inner[:-1]) if len(inner) > 1 else ()
            if not split:
                for cut, piece in zip(final_cuts, cut_strips):
                    if get_chops_line(cut) is None:
                        chops_line[cut] = piece
                continue
            group = None  # (start cut) of pieces going out as one
            for i, (cut, piece) in enumerate(zip(final_cuts, cut_strips)):
                if get_chops_line(cut) is not None:
                    group = None
                    continue
                if group is not None and cut - render_x in split:
                    # this piece joins the one before: the wide character across the edge whole
                    end = final_cuts[i + 1] if i + 1 < len(final_cuts) else cut + piece.cell_length
                    chops_line[group] = strip.crop(group - render_x, end - render_x)
                    chops_line[cut] = Strip([], 0)
                    continue
                chops_line[cut] = piece
                group = cut
    return chops


__all__ = ["divide_line", "install"]
