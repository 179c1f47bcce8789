"""An office's terms of use, article by article: scroll, jump to any article (type 7 → 第7条),
and record consent to the version in force by the office's own method."""

from __future__ import annotations

from time import monotonic
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from hwdesk.clock import today_jst
from hwdesk.texts import pick
from screens.base import HwScreen, lines, lit
from screens.footer import KeyFooter
from screens.inputs import Input


def _no_break(text: str) -> str:
    """Japanese text has no spaces to wrap at, so the space after an item number "(1) " would push
    the whole sentence to the next line: drop that one space and let the line fold at the width."""
    import re

    return re.sub(r"(?m)^(\s*)\((\d+)\) ", r"\1(\2)", text)


DIGIT_WINDOW = 1.0  # seconds in which digits typed one after another make one number (1, 2 → 12)


class TermsScreen(HwScreen):
    """``TermsScreen(office_id, seeker_id)``; without a seeker it is for reading only."""

    CSS_PATH = "terms_viewer.tcss"
    TITLE_KEY = "terms.title"
    AUTO_FOCUS = "#articles"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("ctrl+s", "record_consent", "k.record_consent"),
        Binding("i", "record_notice", "k.record_notice"),
        Binding("1", "digit(1)", "k.jump", key_display="0-9"),
        Binding("j", "focus_jump", "k.jump", show=False),
        Binding("p", "step(-1)", "k.prev_article"),
        Binding("n", "step(1)", "k.next_article"),
        *[Binding(str(d), f"digit({d})", show=False) for d in (0, 2, 3, 4, 5, 6, 7, 8, 9)],
    ]

    def __init__(self, office_id: str, seeker_id: int | None) -> None:
        super().__init__()
        self.office_id = office_id
        self.seeker_id = seeker_id
        self.numbers: list[int] = []
        self.current: int | None = None
        self.version: Any = None
        self.status: Any = None
        self._digits = ""
        self._digit_at = 0.0

    def compose(self) -> ComposeResult:
        yield self.header()
        yield Static(lit(self.t("common.loading")), id="terms-head", markup=False)
        with Horizontal(id="terms-jump"):
            yield Label(self.t("terms.jump_label"), markup=False)
            yield Input(
                id="jump",
                compact=True,
                placeholder=self.t("terms.jump_placeholder"),
                max_length=3,
                restrict=r"[0-9０-９]*",
            )
            yield Static("", id="jump-msg", markup=False)
        with Horizontal(id="terms-body"):
            yield OptionList(id="toc")
            yield VerticalScroll(id="articles", can_focus=True)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < 100, "narrow")
        self.load()

    def load(self) -> None:
        office, sid = self.office_id, self.seeker_id

        def work(s):

            from hwdesk.services import consent as consent_svc
            from hwdesk.services.offices import document, profile, terms_in_force
            from hwdesk.services.seekers import seeker_of

            version = terms_in_force(s, office, today_jst())
            doc = document(version)
            prof = profile(s, office)
            seeker = seeker_of(s, actor=self.hw.actor, seeker_id=sid) if sid is not None else None
            status = consent_svc.consent_status(s, seeker_id=sid, office_id=office) if sid is not None else None
            return version, doc, prof, seeker, status

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        from hwdesk.conditions import condition
        from hwdesk.terms import article_as_text

        version, doc, prof, seeker, status = result
        self.version, self.status, self.prof = version, status, prof
        # the dates and the 所長 exactly as the office's text gives them (策定/改訂/施行, or 前橋's bare date)
        # the Japanese dates stand apart by a full-width space, which a catalogue text cannot be
        dates = pick("　", ", ", self.lang).join(doc.date_lines(self.lang))
        consent = condition(prof, "consent")  # the rule engine's consent condition (hwdesk.conditions)
        cite = consent.cite_text if consent is not None else ""
        method_key = "terms.method_deemed" if prof.consent_method == "deemed_by_use" else "terms.method_application"
        head = [
            lit(doc.title, "bold"),
            lit(f"{prof.display_name(self.lang)}  {self.t('terms.version', version=doc.version)}"),
            lit(self.t("terms.dated", dates=dates, issuer=doc.issuer)),
            lit(self.t(method_key, cite=cite), "$text-muted"),
        ]
        if seeker is not None:
            head.append(lit(self.t("terms.for_seeker", name=seeker.name, no=seeker.seeker_no)))
            head.append(self._status_line(status))
        else:
            head.append(lit(self.t("terms.no_seeker"), "$text-muted"))
        self.query_one("#terms-head", Static).update(lines(*head))

        scroll = self.query_one("#articles", VerticalScroll)
        scroll.remove_children()
        widgets = []
        preamble = doc.raw.get("preamble") or []
        if preamble:
            widgets.append(
                Static(
                    lines(lit(self.t("terms.preamble"), "bold"), *[lit(p, multiline=True) for p in preamble]),
                    classes="article",
                    markup=False,
                )
            )
        toc = self.query_one("#toc", OptionList)
        toc.clear_options()
        self.numbers = []
        for art in doc.articles:
            n = int(art["number"])
            self.numbers.append(n)
            text = article_as_text(art)
            first, _, rest = text.partition("\n")
            body = lit(first, "bold $primary") + (
                Content("\n") + lit(_no_break(rest), multiline=True) if rest else Content("")
            )
            widgets.append(Static(body, id=f"art-{n}", classes="article", markup=False))
            heading = art.get("heading") or ""
            toc.add_option(Option(lit(self.t("terms.toc_article", n=n, heading=heading)), id=f"toc-{n}"))
        supplementary = doc.raw.get("supplementary") or []
        if supplementary:
            widgets.append(
                Static(
                    lines(lit(self.t("terms.supplementary"), "bold"), *[lit(p, multiline=True) for p in supplementary]),
                    classes="article",
                    markup=False,
                )
            )
        scroll.mount_all(widgets)
        self.refresh_bindings()

    def _status_line(self, status) -> Content:
        from hwdesk.jtext.dates import format_date_en, format_wareki

        if status is None:
            return Content("")
        if status.consent is None:
            text, style = "✘ " + self.t("common.not_recorded"), "$error"
        elif status.current:
            text, style = "✔ " + self.t("detail.current_notified" if status.notified else "detail.current"), "$success"
        else:
            eff = status.in_force.effective_on
            d = pick(format_wareki, format_date_en, self.lang)(eff)
            from hwdesk.terms import cite_text, cite_text_en

            rev = self.prof.article("revision")
            cite = pick(cite_text, cite_text_en, self.lang)(rev)
            text, style = (
                "✘ "
                + self.t(
                    "detail.outdated",
                    office=self.prof.display_name(self.lang),
                    date=d,
                    version=status.in_force.version,
                    cite=cite,
                ),
                "$error",
            )
        return lit(self.t("terms.status", status=text), style)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "record_consent":
            return self.seeker_id is not None and self.version is not None
        if action == "record_notice":
            return self.status is not None and self.status.outdated
        return True

    # --- jumping ------------------------------------------------------------------------------

    def jump(self, n: int) -> bool:
        if n not in self.numbers:
            self.query_one("#jump-msg", Static).update(lit(self.t("terms.no_article", n=n)))
            return False
        self.query_one("#jump-msg", Static).update("")
        for w in self.query(".article.current"):
            w.remove_class("current")
        target = self.query_one(f"#art-{n}")
        target.add_class("current")
        self.current = n
        scroll = self.query_one("#articles", VerticalScroll)
        scroll.scroll_to_widget(target, top=True, animate=False)
        toc = self.query_one("#toc", OptionList)
        with self.prevent(OptionList.OptionHighlighted):
            toc.highlighted = self.numbers.index(n)
        return True

    def action_digit(self, d: int) -> None:
        now = monotonic()
        if now - self._digit_at <= DIGIT_WINDOW and self._digits:
            candidate = int(self._digits + str(d))
            if candidate in self.numbers:
                self._digits += str(d)
                self._digit_at = now
                self.jump(candidate)
                return
        self._digits = str(d)
        self._digit_at = now
        self.jump(d)

    def action_step(self, delta: int) -> None:
        if not self.numbers:
            return
        i = self.numbers.index(self.current) if self.current in self.numbers else -1
        self.jump(self.numbers[max(0, min(len(self.numbers) - 1, i + delta))])

    def action_focus_jump(self) -> None:
        self.query_one("#jump", Input).focus()

    @on(Input.Submitted, "#jump")
    def _jump_submitted(self, event: Input.Submitted) -> None:
        import unicodedata

        value = unicodedata.normalize("NFKC", event.value).strip()
        if value.isdigit() and self.jump(int(value)):
            event.input.value = ""
            self.query_one("#articles").focus()

    @on(OptionList.OptionSelected, "#toc")
    def _toc_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.jump(int(event.option.id.split("-")[1]))

    # --- recording ----------------------------------------------------------------------------

    def action_record_consent(self) -> None:
        if self.busy("record"):
            return
        if self.seeker_id is None or self.version is None:
            return
        sid, office, actor = self.seeker_id, self.office_id, self.hw.actor

        def work(s):
            from hwdesk.services.consent import record_consent

            c = record_consent(s, actor=actor, seeker_id=sid, office_id=office)
            return c.method

        self.db(work, self._consented, write=True, group="record", exclusive=False)

    def _consented(self, method: str) -> None:
        from hwdesk.services.consent import METHOD_LABELS

        label = METHOD_LABELS.get(method, (method, method))
        self.hw.say(self.t("terms.recorded", version=self.version.version, method=pick(*label, self.lang)))
        hw = self.hw

        def go() -> None:
            if hw.screen is self:
                hw.pop_screen()

        hw.later(go)

    def action_record_notice(self) -> None:
        if self.status is None or not self.status.outdated or self.seeker_id is None:
            return
        sid, actor, tv_id = self.seeker_id, self.hw.actor, self.status.in_force.id

        def work(s):
            from hwdesk.services.consent import record_terms_notice

            record_terms_notice(s, actor=actor, seeker_id=sid, terms_version_id=tv_id, method="counter")

        def done(_):
            self.hw.say(self.t("terms.notice_recorded"))
            self.load()

        self.db(work, done, write=True, group="notice", exclusive=False)

    def action_back(self) -> None:
        self.hw.pop_screen()
