"""Environment self-check: each item of the office's own 利用環境 article, as written, plus the
private room; each answered yes or no, dated."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Label, Static

from hwdesk.clock import today_jst
from hwdesk.texts import pick
from screens.base import lines, lit, restore
from screens.footer import KeyFooter
from screens.forms import FormScreen
from screens.inputs import Input
from screens.widgets import YesNo


class EnvCheckScreen(FormScreen):
    """``EnvCheckScreen(seeker_id, office_id)``."""

    CSS_PATH = "env_check.tcss"
    TITLE_KEY = "env.title"
    BINDINGS = [
        Binding("ctrl+s", "save", "k.save"),
        Binding("escape", "back", "k.back"),
        Binding("ctrl+y", "all_yes", "k.all_yes"),
    ]

    def __init__(self, seeker_id: int, office_id: str) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.office_id = office_id
        self.draft_key = f"env:{seeker_id}:{office_id}"
        self.items: list = []
        self._ready = False

    def compose(self) -> ComposeResult:
        yield self.header()
        with VerticalScroll(id="e-body"):
            yield Static(lit(self.t("env.title")), classes="section-title")
            yield Static("", id="e-intro", markup=False)
            yield Vertical(id="e-items")
            with Horizontal(classes="form-row", id="e-date-row"):
                yield Label(self.t("env.date"), markup=False, classes="form-label")
                yield Input(id="e-date", compact=True, max_length=30)
            yield Static("", id="e-msg", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        sid, office = self.seeker_id, self.office_id

        def work(s):
            from hwdesk.services.consent import env_items
            from hwdesk.services.offices import profile
            from hwdesk.services.seekers import seeker_of

            sk = seeker_of(s, actor=self.hw.actor, seeker_id=sid)
            prof = profile(s, office)
            env = prof.requirements.get("environment") or {}
            from hwdesk.terms import cite_text

            return sk.name, sk.seeker_no, prof, cite_text(env.get("cite")), env_items(s, office)

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:

        from hwdesk.jtext.dates import format_date_en, format_wareki

        name, no, prof, cite, items = result
        self.items = items
        self.query_one("#e-intro", Static).update(
            lines(
                lit(f"{name}（{no}）", "bold"),
                lit(self.t("env.intro", office=prof.display_name(self.lang), cite=cite), "$text-muted"),
            )
        )
        box = self.query_one("#e-items", Vertical)
        widgets: list[Widget] = []
        labels = (self.t("common.yes"), self.t("common.no"), self.t("common.unanswered"))
        if not items:
            widgets.append(Static(lit(self.t("env.none")), markup=False))
        for i, item in enumerate(items, 1):
            head = lit(f"{i}. {pick(item.label, item.label_en, self.lang)}", "bold") + lit(
                f"  {item.cite}", "$text-muted"
            )
            widgets.append(Static(lines(head, lit(item.text)), classes="e-item-text", markup=False))
            widgets.append(YesNo(labels, id=f"e-{item.key}"))
        box.mount_all(widgets)
        today = today_jst()
        date_input = self.query_one("#e-date", Input)
        date_input.value = pick(format_wareki, format_date_en, self.lang)(today)
        draft = self.hw.drafts.get(self.draft_key)
        if draft:
            self.call_after_refresh(self._restore, draft)
        else:
            self.call_after_refresh(self._start)

    def _restore(self, draft: dict) -> None:
        with self.prevent(Input.Changed, YesNo.Changed):
            restore(self, draft)
        self._start()

    def _start(self) -> None:
        self._ready = True
        first = next(iter(self.query(YesNo)), None)
        if first is not None:
            first.focus()

    @on(YesNo.Changed)
    @on(Input.Changed)
    def _changed(self) -> None:
        self.keep_draft()

    def action_all_yes(self) -> None:
        for w in self.query(YesNo):
            w.value = True

    def action_save(self) -> None:
        if self.busy("save"):
            return
        from hwdesk.jtext.dates import parse_date

        msg = self.query_one("#e-msg", Static)
        answers: dict[str, bool] = {}
        for item in self.items:
            w = self.query_one(f"#e-{item.key}", YesNo)
            if w.value is None:
                msg.update(lit(self.t("env.unanswered", item=pick(item.label, item.label_en, self.lang))))
                msg.add_class("error")
                w.focus()
                w.scroll_visible()
                return
            answers[item.key] = bool(w.value)
        try:
            declared = parse_date(self.query_one("#e-date", Input).value, field="date")
        except Exception as exc:
            msg.update(lit(self.hw.message_of(exc)))
            msg.add_class("error")
            self.query_one("#e-date", Input).focus()
            return
        sid, office, actor = self.seeker_id, self.office_id, self.hw.actor

        def work(s):
            from hwdesk.services.consent import record_env_check

            return record_env_check(
                s, actor=actor, seeker_id=sid, office_id=office, answers=answers, declared_on=declared
            ).all_ok

        self.save(work, self._saved, self._refused)

    def _refused(self, exc: BaseException) -> None:
        msg = self.query_one("#e-msg", Static)
        msg.update(lit(self.hw.message_of(exc)))
        msg.add_class("error")
        field = getattr(exc, "field", None)
        if field:
            try:
                self.query_one(f"#e-{field}").focus()
            except Exception:
                pass

    def _saved(self, all_ok: bool) -> None:
        self.close_saved(
            self.t("env.saved_ok" if all_ok else "env.saved_ng"), severity="information" if all_ok else "warning"
        )
