"""The key footer: Textual's Footer in the UI language, wrapping onto more rows when one is too
narrow for every key."""

from __future__ import annotations

from textual.widgets import Footer

from hwdesk.texts import tr
from screens.textual_private import FooterKey, forget_closed_watchers

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """The key footer, on two or three lines when one is too narrow for every key.

    Textual's Footer is one line and cuts what does not fit: at 80 columns the session screen
    lost 受付・完了 … 案内書 off the right edge. This one lays the keys out in a grid of as few
    rows as fit (at most three), each column as wide as its widest key, so every key keeps its
    whole label; if even that is too narrow, the app-wide keys are left to the command palette.
    """

    DEFAULT_CSS = """
    KeyFooter.-wrapped { layout: grid; grid-gutter: 0 0; }
    KeyFooter.-wrapped FooterKey { width: auto; }
    """
    MAX_ROWS = 3
    #: Labels of Textual's own widgets' keys → our message keys (the footer speaks the UI language).
    TEXTUAL_LABELS = {"Dismiss menu": "k.dismiss_menu"}

    def compose(self):
        lang = getattr(self.app, "lang", "ja")
        self._forget_removed_keys()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description in self.TEXTUAL_LABELS:
                widget.description = tr(self.TEXTUAL_LABELS[widget.description], lang)
            yield widget
        self.call_after_refresh(self._fit)

    def _forget_removed_keys(self) -> None:
        """Drop the watchers of keys removed by the last recompose.

        Textual's Footer binds every FooterKey to its ``compact`` (``data_bind``), which adds a
        watcher to the footer; a recompose (each change of screen, focus or bindings) removes the
        keys but not their watchers, and Textual prunes them only when ``compact`` changes, which
        it never does here. Every footer so kept each key it ever showed: ~30 keys a screen
        switch, the bulk of the memory that F2/F4 presses piled up.
        """
        forget_closed_watchers(self)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self, again: bool = False) -> None:
        from rich.cells import cell_len
        from textual.dom import NoScreen

        try:
            active = self.screen.active_bindings
        except NoScreen:  # the screen closed before this callback ran
            return
        keys, docked, guessed = [], 0, False
        for k in self.query(FooterKey):
            if k.has_class("-command-palette"):  # docked right: its own width, border and padding
                width = k.outer_size.width
                if not width:  # not laid out yet: guessed, and fitted again once it is
                    width, guessed = self.palette_width(k), True
                docked += width
            else:
                keys.append(k)
        if guessed and not again:
            self.call_after_refresh(self._fit, True)
        room = self.size.width - docked
        # The app's own keys (lock, theme, the other screens) are the first to go when even three
        # rows are too narrow: they are on every screen, and in the command palette (^p).
        everywhere = {key for key, (node, *_rest) in active.items() if node is self.app}
        for spare in (False, True):
            shown = [k for k in keys if not (spare and k.key in everywhere)]
            widths = [cell_len(k.key_display) + cell_len(k.description) + 2 for k in shown]  # key, space, label, margin
            rows = next((r for r in range(1, self.MAX_ROWS + 1) if sum(self._columns(widths, r)) <= room), 0)
            if rows:
                break
        rows = rows or self.MAX_ROWS
        for k in keys:
            k.display = k in shown
        self.set_class(rows > 1, "-wrapped")
        if rows > 1:
            columns = self._columns(widths, rows)
            self.styles.grid_size_columns = len(columns)
            self.styles.grid_size_rows = rows
            self.styles.grid_columns = " ".join(str(w) for w in columns)
        self.styles.height = rows

    def palette_width(self, key: FooterKey) -> int:
        """The width Textual gives the command palette's key (docked right) once laid out."""
        from rich.cells import cell_len

        return cell_len(key.key_display) + cell_len(key.description) + (2 if self.compact else 3)

    @staticmethod
    def _columns(widths: list[int], rows: int) -> list[int]:
        """Column widths when ``widths`` fill ``rows`` rows, row by row."""
        if rows == 1:
            return [sum(widths)]
        n = -(-len(widths) // rows)
        return [max(widths[j::n]) for j in range(n)]
