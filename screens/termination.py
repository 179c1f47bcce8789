"""Stopping a seeker's use (supervisor only): ground from the office's own grounds with its
article, scope (this session / suspended until a date / use ended), until date, review date and
narrative. After saving, the seeker's future bookings the stop covers are listed for the clerk to
cancel with notice. ``L`` lifts the active termination, with a reason.

Opened with ``T`` from the seeker detail (``open_termination``); a clerk sees the refusal there.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Select, Static

from hwdesk.texts import pick
from screens.base import HwScreen, lit, when_composed
from screens.dialogs import LiftModal
from screens.footer import KeyFooter
from screens.inputs import Input, TextArea

REQUIRE = {"what_ja": "利用の中止", "what_en": "Stopping a seeker's use"}


def refusal(actor: Any) -> BaseException | None:
    """The PermissionDenied a clerk gets (the same message the service gives), or None."""
    from hwdesk.services.context import require

    try:
        require(actor, "supervisor", **REQUIRE)
    except Exception as exc:
        return exc
    return None


class TerminationScreen(HwScreen):
    """A seeker's terminations at one office; decide a new one or lift the active one."""

    CSS_PATH = "termination.tcss"
    TITLE_KEY = "term.title"
    AUTO_FOCUS = "#tm-ground"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("ctrl+s", "save", "k.save"),
        Binding("L", "lift", "k.term_lift"),
        Binding("K", "cancel_covered", "k.cancel_covered"),
    ]

    def __init__(self, seeker_id: int, office_id: str) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.office_id = office_id
        self.grounds: list[tuple[str, str, str, str]] = []
        self.terms: list = []
        self.result: Any = None

    def compose(self) -> ComposeResult:
        from hwdesk.services.terminations import SCOPE_LABELS

        t = self.t
        yield self.header()
        with VerticalScroll(id="tm-main"):
            yield Static(lit(t("common.loading")), id="tm-who", markup=False)
            yield Static("", id="tm-current", markup=False)
            with Vertical(id="tm-form"):
                yield Static(lit(t("term.ground")), classes="tm-label", markup=False)
                yield Select([], id="tm-ground", prompt=t("term.ground"), compact=True)
                yield Static(lit(t("term.scope")), classes="tm-label", markup=False)
                yield Select(
                    [(pick(*lab, self.lang), k) for k, lab in SCOPE_LABELS.items()],
                    id="tm-scope",
                    value="suspended",
                    allow_blank=False,
                    compact=True,
                )
                # Each field keeps its label once typed in (a placeholder alone vanishes).
                for wid, key in (
                    ("tm-until", "term.until"),
                    ("tm-review", "term.review"),
                    ("tm-session", "term.session"),
                ):
                    yield Static(lit(t(key)), classes="tm-label", markup=False)
                    yield Input(id=wid, compact=True)
                yield Static(lit(t("term.narrative")), classes="tm-label", markup=False)
                yield TextArea(id="tm-narrative")
            yield Static("", id="tm-msg", markup=False)
            yield Static("", id="tm-bookings", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        sid, office = self.seeker_id, self.office_id

        def work(s):
            from hwdesk.services import seekers, terminations

            seeker = seekers.seeker_of(s, actor=self.hw.actor, seeker_id=sid)
            return (
                seeker.seeker_no,
                seeker.name,
                terminations.available_grounds(s, office_id=office),
                terminations.terminations_of(s, actor=self.hw.actor, seeker_id=sid, office_id=office),
            )

        self.db(work, self._show, group="term-load")

    @when_composed
    def _show(self, result) -> None:
        from hwdesk.services.terminations import SCOPE_LABELS, ground_label

        no, name, grounds, terms = result
        self.grounds, self.terms = grounds, terms
        self.query_one("#tm-who", Static).update(lit(f"{no}  {name}  ｜ {self.hw.office_name(self.office_id)}"))
        sel = self.query_one("#tm-ground", Select)
        keep = sel.value
        sel.set_options([(f"{pick(ja, en, self.lang)}（{cite}）", g) for g, ja, en, cite in grounds])
        if keep is not Select.NULL and any(g[0] == keep for g in grounds):
            sel.value = keep
        out = []
        for term in terms:
            g = ground_label(term.office_id, term.ground, self.lang)
            sc_ja, sc_en = SCOPE_LABELS.get(term.scope, (term.scope, term.scope))
            sc = pick(sc_ja, sc_en, self.lang)
            line = f"{term.decided_at:%Y-%m-%d} {g}（{term.cite}）{sc}"
            if term.until:
                line += f" → {term.until}"
            line += f"  {self.t('term.lifted', reason=term.lift_reason) if term.lifted_at else self.t('term.active')}"
            out.append(line)
        head = self.t("term.current") + ("\n" + "\n".join(out) if out else " " + self.t("common.none"))
        if self.active() is not None:
            head += "\n" + self.t("term.lift_hint")
        self.query_one("#tm-current", Static).update(lit(head, multiline=True))

    def active(self) -> Any:
        return next((x for x in self.terms if x.lifted_at is None), None)

    @when_composed
    def say_here(self, text: str, *, error: bool = False) -> None:
        msg = self.query_one("#tm-msg", Static)
        msg.update(lit(text, multiline=True))
        msg.set_class(error, "-error")

    # --- actions ---------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_save(self) -> None:
        if self.busy("term-save"):
            return
        ground = self.query_one("#tm-ground", Select).value
        scope = self.query_one("#tm-scope", Select).value
        until_s = self.query_one("#tm-until", Input).value.strip()
        review_s = self.query_one("#tm-review", Input).value.strip()
        session_s = self.query_one("#tm-session", Input).value.strip()
        narrative = self.query_one("#tm-narrative", TextArea).text
        actor, sid, office = self.hw.actor, self.seeker_id, self.office_id
        if ground is Select.NULL:
            self.say_here(self.t("term.need_ground"), error=True)
            self.query_one("#tm-ground").focus()
            return

        def work(s):
            from hwdesk.errors import ValidationFailed
            from hwdesk.jtext.dates import parse_date
            from hwdesk.services import terminations

            until = parse_date(until_s, field="until") if until_s else None
            review = parse_date(review_s, field="review_on") if review_s else None
            if session_s and not session_s.lstrip("#").isdigit():
                raise ValidationFailed("セッション番号は数字です。", "The session number is a number.", field="session")
            session_id = int(session_s.lstrip("#")) if session_s else None
            return terminations.terminate(
                s,
                actor=actor,
                seeker_id=sid,
                office_id=office,
                ground=str(ground),
                narrative=narrative,
                scope=str(scope),
                until=until,
                review_on=review,
                session_id=session_id,
            )

        self.db(work, self._saved, self._failed, write=True, group="term-save")

    @when_composed
    def _saved(self, result) -> None:
        from hwdesk.services.scheduling import state_label
        from hwdesk.terms import service_label

        self.result = result
        msg = self.t("term.saved")
        if result.agreement_ended:
            msg += "\n" + self.t("term.agreement_ended")
        self.say_here(msg)
        lines = [self.t("term.bookings", n=len(result.future_bookings))]
        for b in result.future_bookings:
            lines.append(
                f"  #{b.session_id}  {b.start:%Y-%m-%d %H:%M}–{b.end:%H:%M}  {service_label(b.kind, self.lang)}"
                f"  {state_label(b.enrollment_state, self.lang)}"
            )
        if not result.future_bookings:
            lines.append("  " + self.t("common.none"))
        else:
            lines.append(self.t("term.cancel_hint"))
        self.query_one("#tm-bookings", Static).update(lit("\n".join(lines), multiline=True))
        self.load()

    @when_composed
    def _failed(self, exc: BaseException) -> None:
        self.say_here(self.hw.message_of(exc), error=True)
        field = getattr(exc, "field", None)
        target = {
            "ground": "#tm-ground",
            "scope": "#tm-scope",
            "until": "#tm-until",
            "review_on": "#tm-review",
            "narrative": "#tm-narrative",
            "session": "#tm-session",
        }.get(field or "")
        if target:
            self.query_one(target).focus()

    def action_cancel_covered(self) -> None:
        """Cancel the future bookings the stop just saved covers, recording how the seeker was told
        (``terminations.cancel_bookings``); asks for the notice, then ``y``."""
        from screens.dialogs import Ask, FinalConfirm

        result = self.result
        if result is None or not result.future_bookings:
            self.say_here(self.t("term.nothing_to_cancel"), error=True)
            return
        term_id, n, actor = result.termination.id, len(result.future_bookings), self.hw.actor

        def work_for(notice: str):
            def work(s):
                from hwdesk.services import terminations

                return terminations.cancel_bookings(s, actor=actor, termination_id=term_id, notice=notice)

            return work

        def ok(done) -> None:
            self.say_here(self.t("term.cancelled", n=len(done)))
            self.query_one("#tm-bookings", Static).update("")
            self.result = None

        def noticed(notice: str | None) -> None:
            if not notice:
                return
            self.app.push_screen(
                FinalConfirm(self.t("term.cancel_confirm", n=n, notice=notice)),
                lambda yes: yes and self.db(work_for(notice), ok, self._failed, write=True, group="term-cancel"),
            )

        self.app.push_screen(Ask(self.t("term.cancel_prompt")), noticed)

    def action_lift(self) -> None:
        term = self.active()
        if term is None:
            self.say_here(self.t("term.none_active"), error=True)
            return
        self.app.push_screen(LiftModal(), lambda reason: self._lift(term.id, reason) if reason else None)

    def _lift(self, term_id: int, reason: str) -> None:
        actor = self.hw.actor

        def work(s):
            from hwdesk.services import terminations

            terminations.lift(s, actor=actor, termination_id=term_id, reason=reason)

        def ok(_):
            self.say_here(self.t("term.lift_done"))
            self.load()

        self.db(work, ok, self._failed, write=True, group="term-lift")
