"""The supervisor's audit log: filter by staff, seeker, action and JST dates; shows whether the
hash chain verifies. Supervisors only — a clerk sees the refusal and nothing else.

UI strings are the ``audit.*`` messages of ``hwdesk.texts``; every stored value (terminal,
entity, detail) is shown literally through ``RowTable`` / ``lit``. The query and the chain check
run in thread workers; the query is a write (each view is itself audited as ``audit.view``).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from screens.base import HwScreen, StaffHeader, lit, supervisor_refusal
from screens.footer import KeyFooter
from screens.inputs import Input
from screens.widgets import Column, RowTable


class AuditLogScreen(HwScreen):
    """Audit rows newest first, filtered; the hash chain's state on its own line."""

    CSS_PATH = "audit_log.tcss"
    AUTO_FOCUS = "#audit-staff"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("ctrl+r", "reload", "k.reload"),
        Binding("f4", "clear", "audit.k.clear"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.refused = supervisor_refusal(self.hw.actor, "audit.what", self.lang)

    def header(self) -> StaffHeader:
        return StaffHeader(self.t("audit.title"))

    def compose(self) -> ComposeResult:
        yield self.header()
        if self.refused is not None:
            yield Static(lit(self.refused), id="audit-refused", markup=False)
            yield KeyFooter(compact=True)
            return
        with Horizontal(id="audit-filters"):
            for wid, ph in (
                ("audit-staff", "audit.ph.staff"),
                ("audit-seeker", "audit.ph.seeker"),
                ("audit-action", "audit.ph.action"),
                ("audit-from", "audit.ph.from"),
                ("audit-to", "audit.ph.to"),
            ):
                with Vertical(classes="audit-filter"):  # the label stays above what is typed
                    yield Label(self.t(ph), markup=False)
                    yield Input(id=wid, compact=True)
        yield Static(lit(self.t("audit.chain.checking")), id="audit-chain", markup=False)
        yield Static(lit(self.t("common.loading")), id="audit-status", markup=False)
        t = self.t
        yield RowTable(
            [
                # 80 columns: when, who, what and whose number whole; the detail under the row;
                # the entity and the terminal fold away first.
                Column(t("audit.col.at"), width=19),
                Column(t("audit.col.staff"), min_width=6),
                Column(t("audit.col.terminal"), min_width=8, priority=4),
                Column(t("audit.col.action"), min_width=10),
                Column(t("audit.col.entity"), min_width=8, priority=3),
                Column(t("audit.col.seeker"), min_width=8),
                Column(t("audit.col.detail"), min_width=10, priority=2, detail=True),
            ],
            id="audit-rows",
            fit_content=True,
            detail_lines=1,
        )
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        if self.refused is None:
            self.action_reload()

    # --- work ---------------------------------------------------------------------------------

    def _values(self) -> dict[str, str]:
        return {
            name: self.query_one(f"#audit-{wid}", Input).value
            for name, wid in (
                ("staff_login", "staff"),
                ("seeker_no", "seeker"),
                ("action", "action"),
                ("date_from", "from"),
                ("date_to", "to"),
            )
        }

    def action_reload(self) -> None:
        if self.refused is not None:
            return
        actor = self.hw.actor
        values = self._values()

        def parse_and_query(s):
            from hwdesk.services import audit_view

            flt = audit_view.AuditFilter.parse(**values)
            rows = audit_view.query(s, actor=actor, flt=flt)
            cells = [
                [
                    r.at.strftime("%Y-%m-%d %H:%M:%S"),
                    r.staff_login,
                    r.terminal,
                    r.action,
                    f"{r.entity}:{r.entity_id}" if r.entity_id else r.entity,
                    r.seeker_no,
                    r.detail,
                ]
                for r in rows
            ]
            return cells, [r.id for r in rows], len(rows) >= audit_view.PAGE

        self.query_one("#audit-status", Static).update(lit(self.t("common.loading")))
        self.db(parse_and_query, self._show, self._failed, write=True, group="audit-query")

    def _check_chain(self) -> None:
        """Verify the chain once the query has recorded this view (``audit.view``): run beside
        it, the count shown included that row or not, whichever committed first."""
        actor = self.hw.actor

        def chain(s):
            from hwdesk.services import audit_view

            return audit_view.chain_status(s, actor=actor)

        self.db(chain, self._show_chain, group="audit-chain")

    def _show(self, result) -> None:
        cells, keys, more = result
        self.query_one(RowTable).set_rows(cells, keys)
        n = len(keys)
        key = "audit.none" if n == 0 else "audit.count_more" if more else "audit.count"
        self.query_one("#audit-status", Static).update(lit(self.t(key, n=n)))
        self._check_chain()

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#audit-status", Static).update(lit(self.hw.message_of(exc), "$error"))
        self._check_chain()
        field = getattr(exc, "field", None)
        target = {"date_from": "#audit-from", "date_to": "#audit-to", "seeker_no": "#audit-seeker"}.get(field or "")
        if target:
            self.query_one(target, Input).focus()

    def _show_chain(self, report) -> None:
        widget = self.query_one("#audit-chain", Static)
        if report.ok:
            widget.update(lit(self.t("audit.chain.ok", n=report.rows), "$success"))
        else:
            widget.update(lit(self.t("audit.chain.bad", problem=report.problem), "bold $error"))
        widget.set_class(not report.ok, "broken")

    # --- actions ------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.action_reload()

    def action_move(self, delta: int) -> None:
        if self.refused is None:
            self.query_one(RowTable).move(delta)

    def action_clear(self) -> None:
        if self.refused is None:
            for w in self.query(Input):
                w.value = ""
            self.action_reload()

    def action_back(self) -> None:
        self.hw.pop_screen()
