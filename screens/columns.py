"""The width policy of every table: which columns a width shows, how wide, and what folds away.

A screen declares its columns once (``Column``): a fixed width or a flexible one, a priority
(0 = identifying: 求職番号, time, state, name — never cut when the table measures its rows), and
whether a column that does not fit moves to a detail line under its row (``detail=True``) or just
folds away. ``plan`` turns the declaration, the table's width and the widest text of each column
into widths (0 = not shown); ``RowTable`` paints from that. Widths are terminal cells, so
full-width Japanese lines up.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from hwdesk.linebreak import break_chars, wrap


@dataclass(frozen=True)
class Column:
    """A column: its header, and either a fixed width in cells or a share of what is left.

    ``priority`` 0 columns are always shown; when the minimum widths do not fit, the column with
    the highest priority folds first (the rightmost of equals). A folded ``detail`` column is shown
    on a line under its row (``label: text``); a column that would be cut with an ellipsis is
    folded there too, when the table measures its rows (``RowTable(fit_content=True)``).
    ``max_width`` caps the width a flexible column takes for its longest text (0 = no cap).
    """

    label: str
    width: int = 0  # fixed cells; 0 = flexible
    weight: int = 1  # share of the remaining width for flexible columns
    min_width: int = 4
    priority: int = 0
    detail: bool = False
    max_width: int = 0


def plan(columns: list[Column], width: int, natural: list[int] | None = None) -> list[int]:
    """Column widths for a table ``width`` cells wide (0 = folded away), one space after each.

    Without ``natural`` (a table that does not measure its rows, such as search: no work per
    row per keystroke) flexible columns share what the fixed ones leave by weight. With
    ``natural`` (the widest text of each column, header included) identifying columns get their
    whole text, the others get theirs in priority order, and what is left goes to the last
    flexible column shown.
    """
    n = len(columns)
    if natural is not None:
        natural = [min(w, c.max_width) if c.max_width else w for w, c in zip(natural, columns)]

    def minimum(i: int) -> int:
        c = columns[i]
        if c.width:
            return c.width
        if natural is not None and c.priority == 0:
            return max(c.min_width, natural[i])
        return c.min_width

    shown = [True] * n
    if natural is not None:
        # An optional column with nothing in it gives its room to the others.
        for i, c in enumerate(columns):
            if c.priority and natural[i] == 0:
                shown[i] = False
    _fold_until_fits(columns, shown, width, minimum)
    widths = [minimum(i) if shown[i] else 0 for i in range(n)]

    flexible = [i for i in range(n) if shown[i] and not columns[i].width]
    if natural is None:
        left = max(0, width - sum(c.width for i, c in enumerate(columns) if shown[i] and c.width) - sum(shown))
        total = sum(columns[i].weight for i in flexible) or 1
        used = 0
        for i in flexible:
            widths[i] = max(columns[i].min_width, left * columns[i].weight // total)
            used += widths[i]
        if flexible and used < left:  # rounding leftovers to the first flexible column
            widths[flexible[0]] += left - used
        return widths

    def whole(i: int) -> int:
        return columns[i].width or max(columns[i].min_width, natural[i])

    # Rather than cut text, an optional column folds (a detail column moves under its row), the
    # highest priority first, until every column left can have its whole text.
    while sum(whole(i) + 1 for i in range(n) if shown[i]) > width:
        movable = [i for i, c in enumerate(columns) if shown[i] and c.priority]
        if not movable:
            break
        i = max(movable, key=lambda i: (columns[i].priority, i))
        shown[i], widths[i] = False, 0
    left = width - sum(widths) - sum(shown)
    for i in sorted((i for i in flexible if shown[i]), key=lambda i: (columns[i].priority, i)):
        grow = min(max(0, left), whole(i) - widths[i])
        widths[i] += grow
        left -= grow
    rest = [i for i in flexible if shown[i]]
    if rest and left > 0:
        widths[rest[-1]] += left
    return widths


def _fold_until_fits(columns: list[Column], shown: list[bool], width: int, minimum) -> None:
    """Fold the highest priority columns (rightmost first) until the minimum widths fit."""
    while sum(minimum(i) + 1 for i in range(len(columns)) if shown[i]) > width:
        optional = [i for i, c in enumerate(columns) if shown[i] and c.priority]
        if not optional:
            return
        shown[max(optional, key=lambda i: (columns[i].priority, i))] = False


def natural_widths(columns: list[Column], rows: list[list[str]]) -> list[int]:
    """The widest text of each column (header included), in cells."""
    widths = [cell_len(c.label) for c in columns]
    empty = [True] * len(columns)
    for row in rows:
        for i, cell in enumerate(row):
            if cell:
                empty[i] = False
                w = len(cell) if cell.isascii() else cell_len(cell)
                if w > widths[i]:
                    widths[i] = w
    # An optional column with no text at all: 0, so ``plan`` can leave it out.
    return [0 if empty[i] and c.priority else w for i, (w, c) in enumerate(zip(widths, columns))]


def wrap_cells(text: str, width: int, limit: int = 4) -> list[str]:
    """``text`` broken into lines of at most ``width`` cells by ``hwdesk.linebreak`` (kinsoku
    kept, Latin words and numbers whole: "15 min" never becomes "1" / "5 min"; a word wider than
    a line, such as an audit row's JSON, starts where the line has room), at most ``limit``
    lines. When there is more, the last line shows as much of the rest as fits, then "…"."""
    if width <= 0 or not text.strip():
        return []
    out = wrap(text, width, fill=True)
    while not out[-1].strip():
        out.pop()
    if len(out) > limit:
        pos = 0  # each line is a piece of ``text`` (only the spaces at the breaks are gone)
        for line in out[: limit - 1]:
            pos = text.index(line, pos) + len(line)
        rest = text[pos:].replace("\n", " ").strip()
        last = rest if cell_len(rest) <= width else break_chars(rest, width - 1, cell_len)[0] + "…"
        out = out[: limit - 1] + [last]
    return out


def under_row(
    columns: list[Column], widths: list[int], cells: list[str], width: int, limit: int, *, whole: bool
) -> list[str]:
    """The lines a table shows under a row, indented under its second column, ``width`` cells wide.

    Normally the folded ``detail`` columns, ``label: text`` joined on at most ``limit`` lines (the
    last cut with …). ``whole`` (an expanded row): every folded column and every cell cut short,
    each ``label: text`` on lines of its own, none cut.
    """
    indent = next((w + 1 for w in widths if w), 2)
    room = max(10, width - indent)
    indent = min(indent, max(0, width - room))

    def shown_under(c: Column, w: int, cell: str) -> bool:
        if not cell:
            return False
        if not w:  # folded away
            return c.detail or whole
        return whole and cell_len(cell) > w  # cut short in its column

    parts = [
        f"{c.label}: {cell}" if c.label else cell
        for c, w, cell in zip(columns, widths, cells)
        if shown_under(c, w, cell)
    ]
    if not parts:
        return []
    if whole:
        return [" " * indent + line for part in parts for line in wrap_cells(part, room, limit=len(part))]
    return [" " * indent + line for line in wrap_cells("　".join(parts), room, limit=limit)]
