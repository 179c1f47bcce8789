"""The supervisor's audit log: filter by staff, seeker, action and JST dates; shows whether the
hash chain verifies. Supervisors only — a clerk sees the refusal and nothing else.

UI strings live here (``TEXT``) rather than in ``screens.i18n``; every stored value (terminal,
entity, detail) is shown literally through ``RowTable`` / ``lit``. The query and the chain check
run in thread workers; the query is a write (each view is itself audited as ``audit.view``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Static

from screens.base import HwScreen, lit
from screens.inputs import Input
from screens.widgets import Column, KeyFooter, RowTable

TEXT: dict[str, tuple[str, str]] = {
    "title": ("監査ログ", "Audit log"),
    "cmd": ("監査ログを開く（統括職員）", "Open the audit log (supervisors)"),
    "ph.staff": ("職員ID", "Staff ID"),
    "ph.seeker": ("求職番号", "Seeker no."),
    "ph.action": ("操作（前方一致）", "Action (prefix)"),
    "ph.from": ("開始日 (2027-02-01/R9.2.1)", "From (YYYY-MM-DD)"),
    "ph.to": ("終了日", "To"),
    "col.at": ("日時 (JST)", "Time (JST)"),
    "col.staff": ("職員", "Staff"),
    "col.terminal": ("端末", "Terminal"),
    "col.action": ("操作", "Action"),
    "col.entity": ("対象", "Entity"),
    "col.seeker": ("求職番号", "Seeker no."),
    "col.detail": ("内容", "Detail"),
    "chain.checking": ("ハッシュチェーンを検証中…", "Verifying the hash chain…"),
    "chain.ok": ("✔ ハッシュチェーン検証済み（{n}件、改ざんなし）", "✔ Hash chain verifies ({n} rows, no tampering)"),
    "chain.bad": ("✘ ハッシュチェーンが壊れています: {problem}", "✘ The hash chain is broken: {problem}"),
    "count": ("{n}件（新しい順）", "{n} rows (newest first)"),
    "count_more": (
        "{n}件以上（新しい順、先頭{n}件を表示）。条件を絞ってください。",
        "{n}+ rows (newest first, first {n} shown). Narrow the filters.",
    ),
    "none": ("該当する記録はありません。", "No matching entries."),
    "loading": ("読み込み中…", "Loading…"),
    "k.apply": ("絞り込む", "Filter"),
    "k.back": ("戻る", "Back"),
    "k.reload": ("再読込", "Reload"),
    "k.clear": ("条件を消す", "Clear filters"),
}


def text(key: str, lang: str, **values: object) -> str:
    """A string of this module (or of ``table``) in ``lang``."""
    pair = TEXT.get(key, (key, key))
    s = pair[1] if lang == "en" else pair[0]
    return s.format(**values) if values else s


def localize_own_bindings(node: Any, table: dict[str, tuple[str, str]], lang: str) -> None:
    """Binding descriptions that are keys of ``table`` → their text in ``lang``."""
    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [
            replace(b, description=(table[b.description][1] if lang == "en" else table[b.description][0]))
            if b.description in table
            else b
            for b in items
        ]
        for key, items in bindings.key_to_bindings.items()
    }


def refusal(actor: Any, what_ja: str, what_en: str, lang: str) -> str | None:
    """The PermissionDenied message for an actor below supervisor (None when allowed).

    The same check the services apply; the services refuse again on every call.
    """
    from hwdesk.errors import PermissionDenied
    from hwdesk.services.context import require

    if actor is None:
        return "—"
    try:
        require(actor, "supervisor", what_ja=what_ja, what_en=what_en)
    except PermissionDenied as exc:
        return exc.message(lang)
    return None


class AuditLogScreen(HwScreen):
    """Audit rows newest first, filtered; the hash chain's state on its own line."""

    CSS_PATH = "audit_log.tcss"
    AUTO_FOCUS = "#audit-staff"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("ctrl+r", "reload", "k.reload"),
        Binding("f4", "clear", "k.clear"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        localize_own_bindings(self, TEXT, self.lang)
        self.refused = refusal(self.hw.actor, "監査ログの閲覧", "Viewing the audit log", self.lang)

    def tt(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def header(self):
        from screens.base import StaffHeader

        return StaffHeader(self.tt("title"))

    def compose(self) -> ComposeResult:
        yield self.header()
        if self.refused is not None:
            yield Static(lit(self.refused), id="audit-refused", markup=False)
            yield KeyFooter(compact=True)
            return
        with Horizontal(id="audit-filters"):
            for wid, ph in (
                ("audit-staff", "ph.staff"),
                ("audit-seeker", "ph.seeker"),
                ("audit-action", "ph.action"),
                ("audit-from", "ph.from"),
                ("audit-to", "ph.to"),
            ):
                with Vertical(classes="audit-filter"):  # the label stays above what is typed
                    yield Label(self.tt(ph), markup=False)
                    yield Input(id=wid, compact=True)
        yield Static(lit(self.tt("chain.checking")), id="audit-chain", markup=False)
        yield Static(lit(self.tt("loading")), id="audit-status", markup=False)
        t = self.tt
        yield RowTable(
            [
                # 80 columns: when, who, what and whose number whole; the detail under the row;
                # the entity and the terminal fold away first.
                Column(t("col.at"), width=19),
                Column(t("col.staff"), min_width=6),
                Column(t("col.terminal"), min_width=8, priority=4),
                Column(t("col.action"), min_width=10),
                Column(t("col.entity"), min_width=8, priority=3),
                Column(t("col.seeker"), min_width=8),
                Column(t("col.detail"), min_width=10, priority=2, detail=True),
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

        def chain(s):
            from hwdesk.services import audit_view

            return audit_view.chain_status(s, actor=actor)

        self.query_one("#audit-status", Static).update(lit(self.tt("loading")))
        self.db(parse_and_query, self._show, self._failed, write=True, group="audit-query")
        self.db(chain, self._show_chain, group="audit-chain")

    def _show(self, result) -> None:
        cells, keys, more = result
        self.query_one(RowTable).set_rows(cells, keys)
        n = len(keys)
        key = "none" if n == 0 else "count_more" if more else "count"
        self.query_one("#audit-status", Static).update(lit(self.tt(key, n=n)))

    def _failed(self, exc: BaseException) -> None:
        self.query_one("#audit-status", Static).update(lit(self.hw.message_of(exc), "$error"))
        field = getattr(exc, "field", None)
        target = {"date_from": "#audit-from", "date_to": "#audit-to", "seeker_no": "#audit-seeker"}.get(field or "")
        if target:
            self.query_one(target, Input).focus()

    def _show_chain(self, report) -> None:
        widget = self.query_one("#audit-chain", Static)
        if report.ok:
            widget.update(lit(self.tt("chain.ok", n=report.rows), "$success"))
        else:
            widget.update(lit(self.tt("chain.bad", problem=report.problem), "bold $error"))
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


def palette_commands(app: Any, lang: str) -> list[tuple[str, Any, str]]:
    """Command palette entries (name in both languages, callback, help) for the supervisor screens
    of this module and ``screens.reports``; the screens refuse a clerk themselves."""
    from screens.reports import TEXT as REPORT_TEXT
    from screens.reports import ReportsScreen

    out = []
    for table, factory in ((TEXT, AuditLogScreen), (REPORT_TEXT, ReportsScreen)):
        ja, en = table["cmd"]
        out.append(
            (
                f"{ja} / {en}",
                partial(app.call_later, lambda f=factory: app.push_screen(f())),
                en if lang == "en" else ja,
            )
        )
    return out
