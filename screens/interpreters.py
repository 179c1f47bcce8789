"""The interpreter roster and the week's interpreter load (issue 20 item 1).

The roster (``interpreters.roster``): who interprets which language on which weekdays and hours —
the office's interpreters, and the remote interpretation service as the fallback. Every staff
member reads it; supervisors add (``a``), correct (``c``: the old line ends with the reason and
stays in the history) and end lines (``e``, with a reason). ``h`` shows ended lines too.
Below it, for supervisors, the week's load (``interpreting.week_load``): sessions given to each
interpreter, per language how they are covered, and the sessions nobody covers; ``[`` / ``]``
move a week. Opened from the command palette or ``i`` on the week view.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Select, Static

from hwdesk.texts import pick
from screens.base import HwModal, OfficeScreen, lit
from screens.footer import KeyFooter
from screens.inputs import Input
from screens.queue import today_jst
from screens.widgets import Column, RowTable


def _fmt(d: date, lang: str) -> str:
    from hwdesk.jtext.dates import format_date_en, format_wareki

    return pick(format_wareki, format_date_en, lang)(d)


def _short(d: date, lang: str) -> str:
    from hwdesk.jtext.dates import format_wareki_short

    return pick(format_wareki_short(d), d.isoformat(), lang)


class InterpretersScreen(OfficeScreen):
    """``InterpretersScreen(office_id=None, day=None)``: the roster, and the week of ``day``."""

    TITLE_KEY = "interp.title"
    AUTO_FOCUS = "#in-roster"
    DEFAULT_CSS = """
    InterpretersScreen #in-head { padding: 0 1; height: 1; text-style: bold; }
    InterpretersScreen #in-intro { padding: 0 1; height: auto; color: $text-muted; }
    InterpretersScreen #in-roster { margin: 0 1; height: 1fr; min-height: 4; }
    InterpretersScreen #in-week-head { padding: 0 1; height: 1; text-style: bold; }
    InterpretersScreen #in-load { margin: 0 1; height: 1fr; min-height: 3; }
    InterpretersScreen #in-langs { padding: 0 1; height: auto; max-height: 6; }
    """
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("a", "add", "k.interp_add"),
        Binding("c", "correct", "k.interp_fix"),
        Binding("e", "end", "k.interp_end"),
        Binding("h", "history", "k.interp_history"),
        Binding("left_square_bracket", "week(-1)", "k.prev_week"),
        Binding("right_square_bracket", "week(1)", "k.next_week"),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, office_id: str | None = None, day: date | None = None) -> None:
        super().__init__()
        self.office_id = office_id
        day = day or today_jst()
        self.monday = day - timedelta(days=day.weekday())
        self.history = False
        self.lines: list[Any] = []
        self.load: Any = None

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        yield Static("", id="in-head", markup=False)
        yield Static("", id="in-intro", markup=False)
        yield RowTable(
            [
                Column(t("interp.col.language"), width=12),
                Column(t("interp.col.mode"), width=16),
                Column(t("interp.col.name"), weight=2, min_width=10),
                Column(t("interp.col.hours"), width=18),
                Column(t("interp.col.dates"), width=17),
                Column(t("interp.col.state"), weight=2, min_width=6),
            ],
            id="in-roster",
        )
        yield Static("", id="in-week-head", markup=False)
        yield RowTable(
            [
                Column(t("interp.col.language"), width=12),
                Column(t("interp.col.name"), weight=2, min_width=10),
                Column(t("interp.col.hours"), width=18),
                Column(t("interp.col.sessions"), weight=2, min_width=8),
                Column(t("interp.col.load"), width=14),
            ],
            id="in-load",
        )
        yield Static("", id="in-langs", markup=False)
        yield KeyFooter(compact=True)

    @property
    def supervisor(self) -> bool:
        """Whether the signed-in person may change the roster and see the load."""
        return self.hw.actor is not None and self.hw.actor.at_least("supervisor")

    def reload(self) -> None:
        office, monday, history, actor, sup = self.office_id, self.monday, self.history, self.hw.actor, self.supervisor

        def work(s):
            from hwdesk.services import interpreters, interpreting
            from hwdesk.services.offices import profile

            assert office is not None  # set from the signed-in staff member's office on mount
            lines = interpreters.roster(s, actor=actor, office_id=office, history=history)
            load = interpreting.week_load(s, actor=actor, office_id=office, week_start=monday) if sup else None
            return lines, load, profile(s, office).cite("companions")

        self.db(work, self._show, group="interp")

    def _show(self, result) -> None:
        lines, load, cite = self.view = result
        self.lines, self.load = lines, load
        lang, t = self.lang, self.t
        office = self.hw.office_name(self.office_id or "")
        history = t("interp.history") if self.history else ""
        self.query_one("#in-head", Static).update(
            lit(t("interp.head", office=office, when=_fmt(today_jst(), lang), history=history))
        )
        self.query_one("#in-intro", Static).update(lit(t("interp.intro", cite=cite)))
        rows = []
        for ln in lines:
            dates = f"{_short(ln.valid_from, lang)}〜{_short(ln.until, lang) if ln.until else ''}"
            state = t("interp.ended", reason=ln.end_reason) if ln.ended_at is not None else t("interp.active")
            if ln.replaces_id:
                state += "（" + t("interp.corrects", id=ln.replaces_id) + "）"
            rows.append([ln.language, ln.mode_label(lang), ln.name, ln.hours_text(lang), dates, state])
        self.query_one("#in-roster", RowTable).reload_rows(rows, [ln.id for ln in lines])
        self._show_load(load)

    def _show_load(self, load) -> None:
        lang, t = self.lang, self.t
        head = self.query_one("#in-week-head", Static)
        table = self.query_one("#in-load", RowTable)
        langs = self.query_one("#in-langs", Static)
        if load is None:
            head.update(lit(t("interp.load_supervisor")))
            table.set_rows([], [])
            langs.update("")
            return
        head.update(lit(t("interp.week", start=_fmt(load.start, lang), end=_fmt(load.start + timedelta(days=6), lang))))
        rows = []
        for x in load.lines:
            ids = " ".join(f"#{i}" for i in x.sessions)
            h = f"{x.minutes / 60:.1f}/{x.roster_minutes / 60:.1f}h"
            rows.append([x.line.language, x.line.name, x.line.hours_text(lang), ids, h])
        table.set_rows(rows, [x.line.id for x in load.lines])
        out = [
            t(
                "interp.lang_line",
                language=g.language,
                n=g.sessions,
                person=g.in_person,
                remote=g.remote,
                none=len(g.uncovered),
            )
            for g in load.languages
        ]
        if load.uncovered:
            from hwdesk.services.interpreters import WEEKDAYS_EN, WEEKDAYS_JA

            wd = pick(WEEKDAYS_JA, WEEKDAYS_EN, lang)
            items = t("common.sep").join(
                f"#{sid} {start:%m/%d}({wd[start.weekday()]}) {start:%H:%M} {language}"
                for sid, start, _kind, language in load.uncovered
            )
            out.append("⚠ " + t("interp.uncovered", items=items))
        langs.update(lit("\n".join(out) if out else t("interp.no_need"), multiline=True))

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.hw.pop_screen()

    def action_history(self) -> None:
        self.history = not self.history
        self.reload()

    def action_week(self, delta: int) -> None:
        self.monday += timedelta(days=7 * delta)
        self.reload()

    def _line(self):
        key = self.query_one("#in-roster", RowTable).current_key
        return next((ln for ln in self.lines if ln.id == key), None)

    def _refused(self) -> bool:
        if self.supervisor:
            return False
        from screens.termination import refusal

        denied = refusal(self.hw.actor)
        if denied is not None:
            self.hw.show_error(denied)
        return True

    def action_add(self) -> None:
        if self._refused():
            return
        self.app.push_screen(InterpreterForm(self.office_id or self.home_office()), self.reload_saying)

    def action_correct(self) -> None:
        line = self._line()
        if line is None or line.ended_at is not None or self._refused():
            return
        self.app.push_screen(InterpreterForm(line.office_id, replaces=line), self.reload_saying)

    def action_end(self) -> None:
        line = self._line()
        if line is None or line.ended_at is not None or self._refused():
            return
        from screens.dialogs import Ask

        actor = self.hw.actor

        def go(reason: str | None) -> None:
            if not reason:
                return

            def work(s):
                from hwdesk.services import interpreters

                return interpreters.remove(s, actor=actor, interpreter_id=line.id, reason=reason).id

            self.db(
                work,
                lambda i: self.reload_saying(self.t("interp.removed", id=i)),
                self.hw.show_error,
                write=True,
                group="interp-end",
            )

        self.app.push_screen(Ask(self.t("interp.end_reason", id=line.id)), go)


class InterpreterForm(HwModal, ModalScreen["str | None"]):
    """Add a roster line, or correct one (``replaces``: its values to start from, and a reason)."""

    BINDINGS = [Binding("ctrl+s", "save", "k.save"), Binding("escape", "dismiss_none", "k.back")]
    AUTO_FOCUS = "#if-mode"
    DEFAULT_CSS = """
    InterpreterForm { align: center middle; }
    InterpreterForm > Vertical { width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $accent; background: $surface; padding: 0 1; }
    InterpreterForm .form-row { height: 1; margin-bottom: 1; }
    InterpreterForm .form-label { width: 24; }
    InterpreterForm Input, InterpreterForm Select { width: 1fr; }
    InterpreterForm #if-msg { color: $error; height: auto; }
    """

    def __init__(self, office_id: str, replaces: Any = None) -> None:
        super().__init__()
        self.office_id, self.replaces = office_id, replaces

    def _row(self, label: str, widget) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label, markup=False, classes="form-label")
            yield widget

    def _input(self, label: str, wid: str, **options: Any) -> ComposeResult:
        """A labelled one-line input of the form (``options``: the Input's own)."""
        yield from self._row(label, Input(advance=True, id=wid, compact=True, **options))

    def compose(self) -> ComposeResult:
        from hwdesk.services.interpreters import MODE_LABELS

        t, old = self.t, self.replaces
        modes = [(pick(ja, en, self.lang), key) for key, (ja, en) in MODE_LABELS.items()]
        with Vertical():
            title = t("interp.add") + (f" — {t('interp.corrects', id=old.id)}" if old else "")
            yield Static(lit(title, "bold"), markup=False)
            yield from self._row(
                t("interp.f.mode"),
                Select(modes, id="if-mode", allow_blank=False, compact=True, value=old.mode if old else "in_person"),
            )
            yield from self._input(t("interp.f.name"), "if-name", max_length=60, value=old.name if old else "")
            yield from self._input(
                t("interp.f.language"),
                "if-language",
                max_length=40,
                placeholder="英語 / English",
                value=old.language if old else "",
            )
            yield from self._input(
                t("interp.f.weekdays"), "if-weekdays", placeholder="月-金 / 月水金", value=old.weekdays if old else ""
            )
            yield from self._input(
                t("interp.f.hours"),
                "if-hours",
                placeholder="09:00-12:00",
                value=f"{old.start}-{old.end}" if old else "",
            )
            yield from self._input(t("interp.f.from"), "if-from", placeholder=today_jst().isoformat())
            yield from self._input(t("interp.f.note"), "if-note", max_length=200, value=old.note if old else "")
            reason = Input(advance=True, id="if-reason", compact=True, max_length=300)
            if old is not None:
                yield from self._row(t("interp.f.reason"), reason)
            yield Static("", id="if-msg", markup=False)

    def _value(self, wid: str) -> str:
        return self.query_one(f"#{wid}", Input).value.strip()

    def action_save(self) -> None:
        if self.busy("if-save"):
            return
        mode = self.query_one("#if-mode", Select).value
        name, language, weekdays = self._value("if-name"), self._value("if-language"), self._value("if-weekdays")
        hours, first, note = self._value("if-hours"), self._value("if-from"), self._value("if-note")
        reason = self._value("if-reason") if self.replaces is not None else ""
        replaces = self.replaces.id if self.replaces is not None else None
        actor, office = self.hw.actor, self.office_id

        def work(s):
            import re

            from hwdesk.errors import ValidationFailed
            from hwdesk.jtext.dates import parse_day
            from hwdesk.services import interpreters

            parts = [p for p in re.split(r"\s*[-〜~–－]\s*", hours) if p]
            if len(parts) != 2:
                raise ValidationFailed(
                    "時間は 09:00-12:00 のように入力してください。",
                    "Enter the hours as 09:00-12:00.",
                    field="hours",
                )
            return interpreters.add(
                s,
                actor=actor,
                office_id=office,
                mode=str(mode),
                name=name,
                language=language,
                weekdays=weekdays,
                start=parts[0],
                end=parts[1],
                valid_from=parse_day(first, field="valid_from") if first else None,
                note=note,
                replaces_id=replaces,
                reason=reason,
            ).id

        def failed(exc: BaseException) -> None:
            self.query_one("#if-msg", Static).update(lit(self.hw.message_of(exc)))

        def saved(line_id: int) -> None:
            self.dismiss(self.t("interp.added", id=line_id))

        self.db(work, saved, failed, write=True, group="if-save")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
