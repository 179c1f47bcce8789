"""The session screen's book dialog: a seeker found by 求職番号, name or reading (as the search
screen finds them), then ``scheduling.book``; a refusal lists each failed requirement with its
article, and a supervisor may override with a reason."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from screens.base import HwModal, lit
from screens.inputs import Input
from screens.widgets import Column, RowTable


class BookModal(HwModal, ModalScreen["str | None"]):
    """Book a seeker found by 求職番号, name or reading (as the search screen finds them: the
    matches are listed as you type; Enter on one books it); a refusal lists each failed
    requirement (with its article)."""

    BINDINGS = [Binding("escape", "dismiss_none", "k.back")]
    DEFAULT_CSS = """
    BookModal { align: center middle; }
    BookModal > Vertical { width: 90; max-width: 100%; height: auto; max-height: 90%; border: thick $accent; background: $surface; padding: 1 2; }
    BookModal Input { margin-bottom: 1; }
    BookModal #bk-matches { height: 8; }
    BookModal #bk-result { color: $error; height: auto; }
    """
    AUTO_FOCUS = "#bk-no"

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self.matches: list = []
        self.interp_ok: int | None = None  # the seeker whose interpreter warning was shown: Enter again books

    def compose(self) -> ComposeResult:
        sup = self.hw.actor is not None and self.hw.actor.at_least("supervisor")
        t = self.t
        with Vertical():
            yield Static(lit(t("bk.title")), markup=False)
            yield Label(t("bk.find"), markup=False, classes="field-label")
            yield Input(id="bk-no", compact=True)
            yield RowTable(
                [
                    # number and name whole at any width; the reading folds away first (space shows it)
                    Column(t("col.seeker_no"), min_width=8),
                    Column(t("col.name"), min_width=8),
                    Column(t("col.kana"), min_width=8, priority=1),
                ],
                id="bk-matches",
                fit_content=True,
            )
            label = Label(t("bk.override"), markup=False, classes="field-label", id="bk-override-label")
            override = Input(id="bk-override", compact=True)
            label.display = override.display = sup
            yield label
            yield override
            yield Static("", id="bk-result", markup=False)

    @on(Input.Changed, "#bk-no")
    def _find(self, event: Input.Changed) -> None:
        query, actor = event.value.strip(), self.hw.actor
        self.interp_ok = None  # another seeker: a warning shown for the last one does not carry over
        if not query:
            self._matches([])
            return
        scope = None if actor is None or actor.all_offices else actor.office_id

        def work(s):
            from hwdesk.services.seeker_search import search

            return search(s, query, actor=actor, limit=20, office_id=scope)

        self.db(work, self._matches, lambda exc: self._matches([]), group="bk-find", lane=True)

    def _matches(self, rows: list) -> None:
        self.matches = rows
        self.query_one("#bk-matches", RowTable).set_rows(
            [[r.seeker_no, r.name, r.name_kana] for r in rows], [r.id for r in rows]
        )

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        """Enter in either field: book the number typed, or the one match, or go to the matches."""
        text = self.query_one("#bk-no", Input).value.strip()
        if not text:
            return
        if any(ch.isdigit() for ch in text) and all(ch.isdigit() or ch == "-" for ch in text):
            self.book(number=text)  # a 求職番号: booked at once
        elif len(self.matches) == 1:
            self.book(seeker_id=self.matches[0].id)
        elif self.matches:
            self.query_one("#bk-matches").focus()

    @on(RowTable.Chosen)
    def _chosen(self, event: RowTable.Chosen) -> None:
        self.book(seeker_id=int(event.key))

    def book(self, *, number: str | None = None, seeker_id: int | None = None) -> None:
        reason = self.query_one("#bk-override", Input).value.strip() or None
        actor, sid, lang = self.hw.actor, self.session_id, self.lang
        office = self.hw.office_name(actor.office_id) if actor is not None else ""
        confirmed = self.interp_ok

        def work(s):
            from hwdesk.services import interpreting, scheduling, seekers

            if number is not None:
                seeker = seekers.get_by_number(s, number, actor=actor)
            else:
                assert seeker_id is not None  # book() is given a number or an id
                seeker = seekers.seeker_of(s, actor=actor, seeker_id=seeker_id)
            # An interpreter nobody covers then is a warning, not a condition: shown once, Enter again books.
            check = interpreting.booking_check(s, actor=actor, session_id=sid, seeker_id=seeker.id)
            if check.warn and confirmed != seeker.id:
                return seeker.id, check.message(lang)
            scheduling.book(s, actor=actor, session_id=sid, seeker_id=seeker.id, override_reason=reason)
            return seeker.seeker_no

        def err(exc):
            out = [self.hw.message_of(exc)]
            for f in getattr(exc, "failures", []) or []:
                try:
                    out.append(f.line(office, lang))
                except Exception:
                    out.append(str(f))
            if self.query_one("#bk-override").display and getattr(
                exc, "failures", None
            ):  # no override lifts a condition
                out.append(self.t("bk.override_hint"))
            self.query_one("#bk-result", Static).update(lit("\n".join(out), multiline=True))

        def done(result) -> None:
            if isinstance(result, tuple):
                self.interp_ok, text = result
                box = self.query_one("#bk-result", Static)
                box.update(lit(text + "\n" + self.t("interp.book_again"), multiline=True))
                return
            self.dismiss(result)

        self.db(work, done, err, write=True, group="book")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
