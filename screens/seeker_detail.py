"""Seeker detail: profile, registration, consent per office, notices, companions, environment
checks, approvals, sessions and terminations; and a readiness panel for a chosen office and
service (``eligibility.check``) where Enter on a failed item opens the screen that fixes it."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Select, Static
from textual.widgets.option_list import Option

from hwdesk.texts import pick
from screens.base import HwScreen, lines, lit
from screens.footer import KeyFooter
from screens.seeker_detail_text import SECTIONS, DetailText

NARROW = 100  # below this width the readiness panel goes above the details


class SeekerDetailScreen(HwScreen):
    """One seeker, everything a clerk needs at the counter."""

    CSS_PATH = "seeker_detail.tcss"
    TITLE_KEY = "detail.title"
    AUTO_FOCUS = "#r-list"
    BINDINGS = [
        Binding("escape", "back", "k.back"),
        Binding("e", "edit", "k.edit"),
        Binding("t", "terms", "k.terms"),
        Binding("c", "companion", "k.companion"),
        Binding("v", "environment", "k.environment"),
        Binding("w", "webcam", "k.webcam"),
        Binding("a", "approval", "k.approval"),
        Binding("g", "renewal", "k.renewal"),
        Binding("T", "terminate", "k.terminate"),
        Binding("u", "usage", "k.usage"),
        Binding("n", "notices", "k.notices"),
        Binding("b", "book_seeker", "k.book_seeker"),
        Binding("o", "next_office", "k.office"),
        Binding("s", "next_service", "k.service"),
        Binding("r", "reload", "k.reload", show=False),
    ]

    def __init__(self, seeker_id: int) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.data: Any = None
        self.places: list = []
        self.reqs: list = []
        self.prof: Any = None
        choice = self.hw.readiness_choice.get(str(seeker_id)) if self._has_app() else None
        self.office: str | None = choice[0] if choice else None
        self.service: str | None = choice[1] if choice else None

    def _has_app(self) -> bool:
        try:
            return self.app is not None
        except Exception:  # no active app (a screen built outside one)
            return False

    # --- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.header()
        with Horizontal(id="detail-main"):
            with VerticalScroll(id="detail-info"):
                for section, key in SECTIONS:
                    yield Static(lit(self.t(key)), id=f"t-{section}", classes="section-title", markup=False)
                    yield Static(
                        lit(self.t("common.loading")) if section == "profile" else "",
                        id=f"b-{section}",
                        classes="info-body",
                        markup=False,
                    )
            with Vertical(id="readiness"):
                yield Static(lit(self.t("detail.readiness")), classes="section-title", id="r-title")
                with Horizontal(id="r-choices"):
                    offices = [(pick(o["short"], o["short_en"], self.lang), o["id"]) for o in self.hw.offices]
                    yield Select(
                        offices, id="r-office", allow_blank=True, compact=True, prompt=self.t("detail.office_select")
                    )
                    yield Select(
                        [], id="r-service", allow_blank=True, compact=True, prompt=self.t("detail.service_select")
                    )
                yield Static("", id="r-summary", markup=False)
                yield OptionList(id="r-list")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < NARROW, "narrow")

    def on_screen_resume(self) -> None:
        self.load()

    # --- loading ------------------------------------------------------------------------------

    def load(self) -> None:
        sid = self.seeker_id
        office, service = self.office, self.service
        office_ids = [o["id"] for o in self.hw.offices]
        actor = self.hw.actor

        def work(s):
            from hwdesk.services import offers
            from screens.data import load_detail, readiness

            data = load_detail(s, sid, office_ids, actor=actor)
            o = office or data.seeker.office_id
            prof, reqs, svc = _readiness(s, sid, o, service, readiness)
            places = offers.places(
                s, actor=actor, seeker_id=sid
            )  # waitlist places and offers: the seeker's place in line
            return data, o, svc, prof, reqs, places

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        data, office, service, prof, reqs, self.places = result
        self.data = data
        self._render_info()
        self._set_readiness(office, service, prof, reqs)

    def _check_readiness(self) -> None:
        sid, office, service = self.seeker_id, self.office, self.service
        if office is None:
            return

        def work(s):
            from screens.data import readiness

            prof, reqs, svc = _readiness(s, sid, office, service, readiness)
            return office, svc, prof, reqs

        self.db(work, lambda r: self._set_readiness(*r), group="readiness")

    def _set_readiness(self, office: str, service: str | None, prof: Any, reqs: list) -> None:
        from hwdesk.terms import service_label

        self.office, self.service, self.prof, self.reqs = office, service, prof, reqs
        self.hw.readiness_choice[str(self.seeker_id)] = (office, service)
        office_sel = self.query_one("#r-office", Select)
        service_sel = self.query_one("#r-service", Select)
        with self.prevent(Select.Changed):
            if office_sel.value != office:
                office_sel.value = office
            services = list(prof.services) if prof is not None else []
            service_sel.set_options([(service_label(k, self.lang), k) for k in services])
            if service in services:
                service_sel.value = service
        self._render_readiness()

    def _render_readiness(self) -> None:
        lst = self.query_one("#r-list", OptionList)
        highlighted = lst.highlighted
        lst.clear_options()
        failed = 0
        for r in self.reqs:
            mark = Content.styled("✔ ", "bold $success") if r.ok else Content.styled("✘ ", "bold $error")
            label = lit(pick(r.label, r.label_en, self.lang))
            cite = lit(f"  {r.cite}", "$text-muted")
            prompt = mark + label + cite
            detail = pick(r.detail, r.detail_en, self.lang)
            if detail:
                prompt = prompt + Content("\n   ") + lit(detail, "$text-muted")
            lst.add_option(Option(prompt, id=r.key))
            failed += 0 if r.ok else 1
        summary = self.query_one("#r-summary", Static)
        if failed:
            summary.update(lit(self.t("detail.not_ready", n=failed), "bold $error"))
        else:
            summary.update(lit("✔ " + self.t("detail.ready"), "bold $success"))
        if self.reqs:
            first_failed = next((i for i, r in enumerate(self.reqs) if not r.ok), 0)
            lst.highlighted = (
                highlighted
                if highlighted is not None and highlighted < len(self.reqs) and not self.reqs[highlighted].ok
                else first_failed
            )

    # --- the details --------------------------------------------------------------------------

    def _render_info(self) -> None:
        sections = DetailText(self.lang, self.hw.office_name).sections(self.data, self.places)
        for name, _ in SECTIONS:
            body = sections[name]
            shown = bool(body) or name != "notices"
            self.query_one(f"#t-{name}").display = shown
            self.query_one(f"#b-{name}").display = shown
            self.query_one(f"#b-{name}", Static).update(lines(*body) if body else "")

    # --- readiness choices --------------------------------------------------------------------

    @on(Select.Changed, "#r-office")
    def _office_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.office:
            self.office = str(event.value)
            self._check_readiness()

    @on(Select.Changed, "#r-service")
    def _service_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL and event.value != self.service:
            self.service = str(event.value)
            self._check_readiness()

    def action_next_office(self) -> None:
        ids = [o["id"] for o in self.hw.offices]
        if ids and self.office in ids:
            self.office = ids[(ids.index(self.office) + 1) % len(ids)]
            self._check_readiness()

    def action_next_service(self) -> None:
        if self.prof is None:
            return
        services = list(self.prof.services)
        if services:
            i = services.index(self.service) if self.service in services else -1
            self.service = services[(i + 1) % len(services)]
            self._check_readiness()

    # --- fixing -------------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#r-list")
    def _fix(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id
        req = next((r for r in self.reqs if r.key == key), None)
        if req is None or req.ok:
            return
        fix = req.fix or req.key
        actions = {
            "consent": self.action_terms,
            "registration": self.action_edit_registration,
            "webcam": self.action_webcam,
            "environment": self.action_environment,
            "approval": self.action_approval,
            "renewal": self.action_renewal,
        }
        if fix in actions:
            actions[fix]()
        elif fix == "termination":
            self.hw.say(self.t("detail.no_fix_termination"), severity="warning")
        else:
            self.hw.say(self.t("detail.no_fix_service"), severity="warning")

    def action_back(self) -> None:
        self.hw.pop_screen()

    def action_reload(self) -> None:
        self.load()

    def action_edit(self) -> None:
        self.hw.open_form(self.seeker_id)

    def action_edit_registration(self) -> None:
        """The form with the cursor on the registration date (its kind is the field above)."""
        self.hw.open_form(self.seeker_id, focus="registered_on")

    def action_terms(self) -> None:
        if self.office:
            self.hw.open_terms(self.office, self.seeker_id)

    def action_companion(self) -> None:
        from screens.companion import CompanionScreen

        if self.office:
            self.hw.push_screen(CompanionScreen(self.seeker_id, self.office))

    def action_environment(self) -> None:
        from screens.env_check import EnvCheckScreen

        if self.office:
            self.hw.push_screen(EnvCheckScreen(self.seeker_id, self.office))

    def action_approval(self) -> None:
        from screens.approval import ApprovalScreen

        if not self.office or self.prof is None:
            return
        appr = self.prof.requirements.get("approval")
        if not appr:
            self.hw.say(self.t("detail.no_approval"), severity="warning")
            return
        service = self.service if self.service and self.service in appr.get("services", []) else appr["services"][0]
        self.hw.push_screen(ApprovalScreen(self.seeker_id, self.office, service))

    def action_renewal(self) -> None:
        from screens.renewal import RenewalScreen

        self.hw.push_screen(RenewalScreen(self.seeker_id))

    def action_terminate(self) -> None:
        office = self.office or (self.hw.actor.office_id if self.hw.actor is not None else None)
        if office:
            self.hw.open_termination(self.seeker_id, office)

    def action_usage(self) -> None:
        """Usage records (利用の記録) with this seeker filled in."""
        from screens.usage_records import UsageRecordsScreen

        self.hw.push_screen(UsageRecordsScreen(seeker_id=self.seeker_id))

    def action_notices(self) -> None:
        """The notices sent or queued to this seeker (services/notices.py)."""
        from screens.notices import NoticesScreen

        self.hw.push_screen(NoticesScreen(seeker_id=self.seeker_id))

    def action_book_seeker(self) -> None:
        """Book this seeker into an upcoming session they are ready for (``book_seeker``)."""
        from screens.book_seeker import BookSeekerModal

        if self.data is None:
            return
        office = self.office or self.data.seeker.office_id
        sk = self.data.seeker

        def done(message: str | None) -> None:
            if message:
                self.hw.say(message)
                self.load()

        self.hw.push_screen(BookSeekerModal(self.seeker_id, office, sk.seeker_no, sk.name), done)

    def action_webcam(self) -> None:
        from screens.webcam import WebcamScreen

        if self.data is None:
            return
        cite = ""
        if self.prof is not None and self.prof.requirements.get("webcam"):
            from hwdesk.terms import cite_text

            cite = (
                f"{self.hw.office_name(self.prof.id, short=True)} {cite_text(self.prof.requirements['webcam']['cite'])}"
            )
        self.hw.push_screen(WebcamScreen(self.data.seeker.name, cite), self._webcam_answer)

    def _webcam_answer(self, confirmed: bool | None) -> None:
        if confirmed is None:
            return
        sid, actor = self.seeker_id, self.hw.actor

        def work(s):
            from hwdesk.services.seekers import set_webcam

            set_webcam(s, actor=actor, seeker_id=sid, confirmed=confirmed)

        def done(_):
            self.hw.say(self.t("detail.webcam_saved"))
            self.load()

        self.db(work, done, write=True, group="webcam", exclusive=False)


def _readiness(session, seeker_id: int, office: str, service: str | None, readiness_fn):
    """Readiness for ``office``; a service the office does not offer falls back to its first."""
    from hwdesk.services.offices import profile

    prof = profile(session, office)
    services = list(prof.services)
    svc = (
        service
        if service in services
        else ("counseling" if "counseling" in services else (services[0] if services else "counseling"))
    )
    prof, reqs = readiness_fn(session, seeker_id, office, svc)
    return prof, reqs, svc
