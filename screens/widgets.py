"""Small widgets of our own: a fast one-page table (Line API) and a yes/no answer (the key
footer is in ``screens.footer``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from screens.base import fit, visible
from screens.columns import Column, natural_widths, plan, under_row

# A row's key is whatever the screen gave it (a seeker's or a session's id): the screen that
# filled the table reads it back.
RowKey = Any


@dataclass(frozen=True)
class Prepared:
    """Rows made literal and laid out as painted lines (``RowTable.prepare``)."""

    rows: list[list[str]]
    lines: list[str]
    layout: tuple[int, tuple[int, ...]]


class RowTable(Widget, can_focus=True):
    """A table that paints one page of rows with the Line API (one Segment per line).

    Rows are lists of plain strings (shown literally, control characters made visible);
    widths are terminal cells, so full-width Japanese text lines up. Much cheaper to refill than
    DataTable (no markup parsing, no per-cell renderables): a search keystroke repaints in a frame.

    Which columns show at a width, and how wide, is ``screens.columns.plan``: with
    ``fit_content=True`` the table measures its rows when they are set (a day's queue, not a
    search keystroke) so identifying columns are never cut, and a ``detail`` column that does not
    fit moves to a line under its row (a row is then two or more lines).

    ``space`` expands the highlighted row: every column folded away at this width (and any cell
    cut short) is shown whole under it, one ``label: text`` a line, wrapped to the width; ``space``
    again folds it back. The footer lists the key only while something is folded.
    """

    DEFAULT_CSS = """
    RowTable { height: 1fr; background: $surface; }
    RowTable > .row-table--header { text-style: bold; background: $panel; color: $text; }
    RowTable > .row-table--cursor { background: $accent 40%; text-style: bold; }
    RowTable:focus > .row-table--cursor { background: $accent; color: $text; }
    RowTable > .row-table--odd { background: $surface-lighten-1; }
    """
    COMPONENT_CLASSES = {"row-table--header", "row-table--cursor", "row-table--odd"}
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "cursor_to(0)", show=False),
        Binding("end", "cursor_to(-1)", show=False),
        Binding("enter", "choose", show=False),
        Binding("space", "expand", "k.expand_row"),
    ]

    cursor: reactive[int] = reactive(0, repaint=True)

    class Chosen(Message):
        """Enter or a double click on a row."""

        def __init__(self, table: RowTable, index: int, key: RowKey) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.key = key

    def __init__(
        self, columns: list[Column], *, id: str | None = None, fit_content: bool = False, detail_lines: int = 2
    ) -> None:
        super().__init__(id=id)
        self.columns = columns
        self.fit_content = fit_content
        self.detail_lines = detail_lines  # at most this many lines under a row (the last cut with …)
        self.rows: list[list[str]] = []
        self.keys: list[RowKey] = []
        self._top = 0
        self._widths: list[int] = []
        self._width_for = -1
        self._natural: list[int] | None = None
        self._details: dict[int, list[str]] = {}  # row → its detail lines at the current widths
        self._lines: list[str] = []  # rows pre-laid-out by ``prepare`` for ``_lines_layout``
        self._lines_layout: tuple[int, tuple[int, ...]] | None = None
        self._expanded: set[RowKey] = set()  # keys of the rows shown whole (``space``)
        self._expandable = False  # whether anything is folded or cut at the current widths

    def on_mount(self) -> None:
        from screens.base import localize_bindings

        localize_bindings(self, getattr(self.app, "lang", "ja"))

    # --- data ---------------------------------------------------------------------------------

    def set_rows(self, rows: list[list[str]] | Prepared, keys: list[RowKey]) -> None:
        """Replace every row (cells are plain strings, or rows ``prepare``d in a worker) and keys."""
        if isinstance(rows, Prepared):
            self.rows, self._lines, self._lines_layout = rows.rows, rows.lines, rows.layout
        else:
            self.rows = [[visible(c) for c in row] for row in rows]
            self._lines, self._lines_layout = [], None
        if self.fit_content:
            self._natural = natural_widths(self.columns, self.rows)
            self._width_for = -1
        self._details = {}
        self.keys = list(keys)
        if self._expanded:  # a refresh keeps the rows that are still there expanded
            self._expanded &= set(self.keys)
        self._top = 0
        self.set_reactive(RowTable.cursor, 0)
        self.refresh()

    def reload_rows(self, rows: list[list[str]] | Prepared, keys: list[RowKey]) -> None:
        """``set_rows`` for a reload: the cursor stays on the row it was on while that row's key is
        still there (otherwise it goes to the top)."""
        key = self.current_key
        self.set_rows(rows, keys)
        if key in self.keys:
            self.cursor = self.keys.index(key)

    def column_layout(self) -> tuple[int, tuple[int, ...]]:
        """The table's width and column widths now (to ``prepare`` rows off the UI thread)."""
        width = self.size.width
        return width, tuple(self._compute_widths(width))

    @staticmethod
    def prepare(rows: list[list[str]], layout: tuple[int, tuple[int, ...]]) -> Prepared:
        """Rows made literal and laid out as painted lines for ``layout``.

        Pure and thread-safe: a search worker calls it so the UI thread only swaps lists and
        paints (cutting and padding full-width text to cells costs ~1 ms a page).
        """
        width, widths = layout
        cells = [[visible(c) for c in row] for row in rows]
        # Each cell is fitted to exactly its width, so a line is ``total`` cells: padded to the
        # table's width without measuring it again (cut, as rarely as the table is narrower).
        total = sum(widths) + sum(1 for w in widths if w)
        pad = " " * (width - total) if total <= width else None
        lines = []
        for row in cells:
            line = "".join([fit(c, w) + " " for c, w in zip(row, widths) if w])
            lines.append(line + pad if pad is not None else fit(line, width))
        return Prepared(cells, lines, layout)

    @property
    def current_key(self) -> RowKey | None:
        if 0 <= self.cursor < len(self.keys):
            return self.keys[self.cursor]
        return None

    # --- geometry -----------------------------------------------------------------------------

    def _compute_widths(self, width: int) -> list[int]:
        if width == self._width_for:
            return self._widths
        self._widths, self._width_for = plan(self.columns, width, self._natural), width
        self._details = {}
        natural = self._natural
        # Folded with text in it (an empty optional column is left out, not folded), or cut short.
        expandable = any((natural[i] > w if natural is not None else not w) for i, w in enumerate(self._widths))
        if expandable != self._expandable:
            self._expandable = expandable
            if self.is_mounted:
                self.call_later(self.refresh_bindings)  # the footer lists the key only when it does something
        return self._widths

    def _detail_lines(self, index: int) -> list[str]:
        """The lines under row ``index``: its folded ``detail`` columns, or every folded or cut
        cell whole when the row is expanded (none if none)."""
        got = self._details.get(index)
        if got is None:
            widths = self._compute_widths(self.size.width)
            whole = bool(self._expanded) and self.keys[index] in self._expanded
            got = under_row(self.columns, widths, self.rows[index], self.size.width, self.detail_lines, whole=whole)
            self._details[index] = got
        return got

    def _has_details(self) -> bool:
        widths = self._compute_widths(self.size.width)
        return any(c.detail and not w for c, w in zip(self.columns, widths)) or (
            bool(self._expanded) and self._expandable
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``space`` (expand) is listed and acts only while a column is folded or cut."""
        if action == "expand":
            self._compute_widths(self.size.width)
            return self._expandable
        return True

    def action_expand(self) -> None:
        """Show the highlighted row's folded and cut cells whole under it, or fold them back."""
        key = self.current_key
        if key is None:
            return
        self._expanded ^= {key}
        self._details.pop(self.cursor, None)
        self._scroll_to_cursor()
        self.refresh()

    def _height(self, index: int) -> int:
        return 1 + len(self._detail_lines(index))

    def _page(self) -> list[tuple[int, int]]:
        """(row, line of that row) for each line under the header, from the top row down."""
        out: list[tuple[int, int]] = []
        room = self.page_height
        details = self._has_details()
        index = self._top
        while len(out) < room and index < len(self.rows):
            out.append((index, 0))
            if details:
                out.extend((index, k) for k in range(1, self._height(index)))
            index += 1
        return out[:room]

    @property
    def page_height(self) -> int:
        return max(1, self.size.height - 1)

    def _line(self, cells: list[str], widths: list[int]) -> str:
        return "".join(fit(c, w) + " " for c, w in zip(cells, widths) if w)

    def render_lines(self, crop):
        # Resolve the four styles once per paint: ``rich_style`` walks every ancestor's CSS and
        # was ~40 % of a repaint when asked for on each of ~40 lines.
        self._paint_styles = (
            self.rich_style,
            self.get_component_rich_style("row-table--header"),
            self.get_component_rich_style("row-table--cursor"),
            self.get_component_rich_style("row-table--odd"),
        )
        # The lines of this page, or False when every row is one line (search: no walk per line).
        self._paint_page: list[tuple[int, int]] | bool | None = self._page() if self._has_details() else False
        try:
            if not self._plain_box():
                return super().render_lines(crop)
            # No border, padding, outline, tint, opacity or hatch: Textual's styles cache would hand
            # each line back unchanged after ~25 style look-ups a line (~2 ms of a search keystroke's
            # frame at 1M seekers). The app's line filters (NO_COLOR, ANSI colours) still apply.
            # tests/test_ui_paint.py checks the strips equal the styles cache's.
            self._styles_cache.clear()  # nothing stale if a style later takes the general path
            background = self.background_colors[1]
            filters = self.get_line_filters()
            strips = []
            for y in crop.line_range:
                strip = self.render_line(y)
                for line_filter in filters:
                    strip = strip.apply_filter(line_filter, background)
                strips.append(strip)
            x1, x2 = crop.column_span
            if (x1, x2) != (0, self.size.width):
                strips = [strip.crop(x1, x2) for strip in strips]
            return strips
        finally:
            self._paint_page = None

    def _plain_box(self) -> bool:
        """Whether the styles cache would leave this widget's lines as they are."""
        st = self.styles
        return (
            st.gutter == (0, 0, 0, 0)
            and not any(edge for edge, _ in st.outline)
            and not st.tint.a
            and self.opacity == 1.0
            and st.text_opacity == 1.0
            and not (st.has_rule("hatch") and st.hatch != "none")
            and self._border_title is None
            and self._border_subtitle is None
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        widths = self._compute_widths(width)
        styles = getattr(self, "_paint_styles", None)
        if styles is None:  # render_line called on its own (not through render_lines)
            styles = (
                self.rich_style,
                *(self.get_component_rich_style(f"row-table--{n}") for n in ("header", "cursor", "odd")),
            )
        base, header, cursor, odd = styles
        if y == 0:
            text = self._line([c.label for c in self.columns], widths)
            return Strip([Segment(fit(text, width), header)], width)
        page: list[tuple[int, int]] | Literal[False] | None = getattr(self, "_paint_page", None)
        if page is None:  # render_line called on its own
            page = self._page() if self._has_details() else False
        if page is False:  # one line a row (search): no page to walk
            index, part = self._top + y - 1, 0
            if index >= len(self.rows):
                return Strip.blank(width, base)
        elif y - 1 >= len(page):
            return Strip.blank(width, base)
        else:
            index, part = page[y - 1]
        if part:
            text = fit(self._detail_lines(index)[part - 1], width)
        elif self._lines_layout == (width, tuple(widths)):
            text = self._lines[index]
        else:
            text = fit(self._line(self.rows[index], widths), width)
        style = cursor if index == self.cursor else odd if index % 2 else base
        return Strip([Segment(text, style)], width)

    def on_resize(self, event: events.Resize) -> None:
        self._width_for = -1
        self._scroll_to_cursor()

    # --- movement -----------------------------------------------------------------------------

    def _last_top(self) -> int:
        """The top row that shows the last row at the bottom of the page."""
        room, top = self.page_height, len(self.rows)
        if not self._has_details():
            return max(0, top - room)
        while top > 0 and room >= self._height(top - 1):
            room -= self._height(top - 1)
            top -= 1
        return top

    def _scroll_to_cursor(self) -> None:
        h = self.page_height
        if self.cursor < self._top:
            self._top = self.cursor
        elif not self._has_details():
            if self.cursor >= self._top + h:
                self._top = self.cursor - h + 1
        else:
            while self._top < self.cursor and sum(self._height(i) for i in range(self._top, self.cursor + 1)) > h:
                self._top += 1
        self._top = max(0, min(self._top, self._last_top()))

    def watch_cursor(self, value: int) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_cursor(self, delta: int) -> None:
        self.move(delta)

    def action_page(self, direction: int) -> None:
        rows = len({index for index, _ in self._page()}) if self._has_details() else self.page_height
        self.move(direction * max(1, rows))

    def action_cursor_to(self, index: int) -> None:
        if self.rows:
            self.cursor = index if index >= 0 else len(self.rows) - 1

    def action_choose(self) -> None:
        if 0 <= self.cursor < len(self.rows):
            self.post_message(self.Chosen(self, self.cursor, self.keys[self.cursor]))

    def on_click(self, event: events.Click) -> None:
        page = self._page()
        if 1 <= event.y <= len(page):
            self.cursor = page[event.y - 1][0]
            if event.chain >= 2:
                self.action_choose()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._top = max(0, min(self._top + 3, self._last_top()))
        self.refresh()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._top = max(0, self._top - 3)
        self.refresh()


class YesNo(Widget, can_focus=True):
    """A yes / no answer that starts unanswered: y or n (or space to flip) on the focused line."""

    DEFAULT_CSS = """
    YesNo { height: 1; width: auto; min-width: 14; padding: 0 1; background: $boost; }
    YesNo:focus { background: $accent; color: $text; text-style: bold; }
    YesNo.-yes { color: $success; }
    YesNo.-no { color: $error; }
    YesNo:focus.-yes, YesNo:focus.-no { color: $text; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "k.yes"),
        Binding("n", "answer(False)", "k.no"),
        Binding("space", "flip", show=False),
        Binding("enter", "flip", show=False),
    ]

    value: reactive[bool | None] = reactive(None)

    class Changed(Message):
        def __init__(self, widget: YesNo, value: bool | None) -> None:
            super().__init__()
            self.widget = widget
            self.value = value

        @property
        def control(self) -> YesNo:
            return self.widget

    def __init__(self, labels: tuple[str, str, str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = labels  # (yes, no, unanswered)
        from screens.base import localize_bindings

        try:
            localize_bindings(self, self.app.lang)  # type: ignore[attr-defined]  # the app is HwdeskApp
        except Exception:
            pass

    def render(self) -> Content:
        yes, no, unanswered = self.labels
        if self.value is None:
            return Content(f"[ ] {unanswered}")
        return Content(f"[✔] {yes}" if self.value else f"[✘] {no}")

    def watch_value(self, value: bool | None) -> None:
        self.set_class(value is True, "-yes")
        self.set_class(value is False, "-no")
        self.post_message(self.Changed(self, value))

    def action_answer(self, value: bool) -> None:
        self.value = value
        self.screen.focus_next()

    def action_flip(self) -> None:
        self.value = not self.value if self.value is not None else True

    def on_click(self) -> None:
        self.action_flip()
