"""'Book this seeker' (``b`` on the seeker page): the office's upcoming sessions of services the
seeker is ready for (``choices.upcoming_for``: the eligibility function decides), Enter books the
chosen one (``scheduling.book`` checks everything again; a full group session waitlists). A
refusal is shown in the dialog, which stays open."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from hwdesk.texts import tr
from screens.base import HwModal, lit
from screens.widgets import Column, RowTable


class BookSeekerModal(HwModal, ModalScreen["str | None"]):
    """Choose an upcoming session for one seeker; dismisses with the message to show, or None."""

    BINDINGS = [Binding("escape", "dismiss_none", "k.back")]
    AUTO_FOCUS = "#bs-table"
    DEFAULT_CSS = """
    BookSeekerModal { align: center middle; }
    BookSeekerModal > Vertical { width: 100; max-width: 100%; height: 80%; border: thick $accent; background: $surface; padding: 0 1; }
    BookSeekerModal #bs-msg { color: $error; height: auto; }
    """

    def __init__(self, seeker_id: int, office_id: str, seeker_no: str, name: str) -> None:
        super().__init__()
        self.seeker_id, self.office_id, self.seeker_no, self.seeker_name = seeker_id, office_id, seeker_no, name
        self.choices: list[Any] = []
        self.covers: dict[int, tuple] = {}  # session id → interpreters.Cover per language the seeker asks for
        self.interp_ok: int | None = None  # the session whose interpreter warning was shown: Enter again books

    def compose(self) -> ComposeResult:
        t = self.t
        with Vertical():
            yield Static(lit(t("bs.title", no=self.seeker_no, name=self.seeker_name)), markup=False)
            yield RowTable(
                [
                    # 80 columns: time and service whole; the seats and the title move under the row
                    Column(t("q.col.time"), min_width=11),
                    Column(t("q.col.kind"), min_width=8),
                    Column(t("bs.col.seats"), min_width=6, priority=2, detail=True),
                    Column(t("bs.col.title"), min_width=10, priority=3, detail=True),
                ],
                id="bs-table",
                fit_content=True,
            )
            yield Static("", id="bs-msg", markup=False)

    def on_mount(self) -> None:
        sid, office, actor = self.seeker_id, self.office_id, self.hw.actor

        def work(s):
            from hwdesk.services import choices, interpreting

            found = choices.upcoming_for(s, actor=actor, seeker_id=sid, office_id=office)
            self.covers = interpreting.covers_for_seeker(
                s, actor=actor, seeker_id=sid, office_id=office, session_ids=[c.session_id for c in found]
            )
            return found

        self.db(work, self._show, group="bs-load")

    def _show(self, found: list) -> None:
        from hwdesk.services.scheduling import is_group
        from hwdesk.terms import service_label

        self.choices = found
        lang = self.lang
        rows = []
        for c in found:
            seats = (
                f"{c.taken}/{c.capacity}" + (tr("book.waitlist_mark", lang) if c.full else "")
                if is_group(c.kind)
                else ""
            )
            marks = " ".join(f"{x.language}{x.mark()}" for x in self.covers.get(c.session_id, ()))
            title = f"{self.t('interp.col')} {marks}  {c.title}" if marks else c.title
            rows.append(
                [f"#{c.session_id} {c.start:%m/%d %H:%M}-{c.end:%H:%M}", service_label(c.kind, lang), seats, title]
            )
        self.query_one(RowTable).set_rows(rows, [c.session_id for c in found])
        if not found:
            self.query_one("#bs-msg", Static).update(lit(self.t("bs.none")))

    @on(RowTable.Chosen)
    def _chosen(self, event: RowTable.Chosen) -> None:
        if self.busy("bs-book"):
            return
        actor, seeker_id, session_id = self.hw.actor, self.seeker_id, int(event.key)
        confirmed, lang = self.interp_ok == session_id, self.lang

        def work(s):
            from hwdesk.services import interpreting, scheduling

            # An interpreter nobody covers then is a warning, not a condition: shown once, Enter again books.
            check = interpreting.booking_check(s, actor=actor, session_id=session_id, seeker_id=seeker_id)
            if check.warn and not confirmed:
                return None, check.message(lang)
            return scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id).state, ""

        def ok(result) -> None:
            from hwdesk.states import state_label

            state, warning = result
            if state is None:
                self.interp_ok = session_id
                box = self.query_one("#bs-msg", Static)
                box.update(lit(warning + "\n" + self.t("interp.pick_again"), multiline=True))
                return
            self.dismiss(self.t("bs.booked", id=session_id, state=state_label(state, self.lang)))

        def err(exc: BaseException) -> None:
            out = [self.hw.message_of(exc)]
            office = self.hw.office_name(self.office_id)
            for f in getattr(exc, "failures", []) or []:
                try:
                    out.append(f.line(office, self.lang))
                except Exception:
                    out.append(str(f))
            self.query_one("#bs-msg", Static).update(lit("\n".join(out), multiline=True))

        self.db(work, ok, err, write=True, group="bs-book")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
