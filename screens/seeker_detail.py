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

from hwdesk.clock import today_jst
from hwdesk.texts import CATALOGUE
from screens.base import HwScreen, fit, lines, lit
from screens.widgets import KeyFooter

NARROW = 100  # below this width the readiness panel goes above the details
SECTIONS = (
    ("profile", "detail.profile"),
    ("registration", "detail.registration"),
    ("consent", "detail.consent"),
    ("notices", "detail.notices"),
    ("companions", "detail.companions"),
    ("env", "detail.env"),
    ("approvals", "detail.approvals"),
    ("sessions", "detail.sessions"),
    ("terminations", "detail.terminations"),
)


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
                    offices = [(o["short_en"] if self.lang == "en" else o["short"], o["id"]) for o in self.hw.offices]
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
        en = self.lang == "en"
        failed = 0
        for r in self.reqs:
            mark = Content.styled("✔ ", "bold $success") if r.ok else Content.styled("✘ ", "bold $error")
            label = lit(r.label_en if en else r.label)
            cite = lit(f"  {r.cite}", "$text-muted")
            prompt = mark + label + cite
            detail = r.detail_en if en else r.detail
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

    def _date(self, d) -> str:
        from hwdesk.jtext.dates import format_date_en, format_wareki

        if d is None:
            return "—"
        return format_date_en(d) if self.lang == "en" else format_wareki(d)

    def _when(self, dt) -> str:
        from hwdesk.clock import JST

        if dt is None:
            return "—"
        local = dt.astimezone(JST)
        return f"{self._date(local.date())} {local:%H:%M}"

    def _render_info(self) -> None:
        from hwdesk.jtext.numbers import format_phone
        from hwdesk.services.consent import COMPANION_LABELS, METHOD_LABELS, NOTICE_LABELS
        from hwdesk.services.seekers import FIELD_LABELS
        from hwdesk.terms import service_label

        d = self.data
        sk = d.seeker
        en = self.lang == "en"
        t = self.t
        pick = (lambda pair: pair[1]) if en else (lambda pair: pair[0])
        width = 12 if not en else 14
        sections: dict[str, list[Content]] = {name: [] for name, _ in SECTIONS}
        out: list[Content] = sections["profile"]

        def title(key: str) -> None:
            nonlocal out
            out = sections[next(name for name, k in SECTIONS if k == key)]

        def row(label: str, value: Content | str) -> None:
            out.append(lit(fit(label, width) + " ") + (value if isinstance(value, Content) else lit(value)))

        def item(value: Content | str) -> None:
            out.append(value if isinstance(value, Content) else lit(value))

        title("detail.profile")
        row(pick(FIELD_LABELS["seeker_no"]), sk.seeker_no)
        row(pick(FIELD_LABELS["name"]), lit(sk.name, "bold"))
        row(pick(FIELD_LABELS["name_kana"]), sk.name_kana)
        row(pick(FIELD_LABELS["birth_date"]), self._date(sk.birth_date))
        row(pick(FIELD_LABELS["phone"]), format_phone(sk.phone) if sk.phone else "—")
        row(pick(FIELD_LABELS["email"]), sk.email or "—")
        row(pick(FIELD_LABELS["office_id"]), self.hw.office_name(sk.office_id))

        title("detail.registration")
        if sk.registered_on is None:
            item(lit(t("detail.reg_none"), "$error"))
        else:
            kind = t("detail.reg_online") if sk.registration_kind == "online" else t("detail.reg_office")
            item(f"{kind}  {t('detail.reg_on', date=self._date(sk.registered_on))}")
            until = d.registration_until
            if until is not None:
                lapsed = until < today_jst()
                item(
                    lit(
                        t("detail.reg_lapsed" if lapsed else "detail.reg_until", date=self._date(until)),
                        "$error" if lapsed else "",
                    )
                )
        if sk.switched_to_office_on:
            item(t("detail.switched", date=self._date(sk.switched_to_office_on)))
        if sk.webcam_confirmed:
            item(lit(t("detail.webcam_yes", date=self._date(sk.webcam_confirmed_on)), "$success"))
        else:
            item(t("detail.webcam_no"))

        title("detail.consent")
        for row_data in d.consent_rows:
            st = row_data["status"]
            office = self.hw.office_name(row_data["office_id"], short=True)
            head = lit(fit(office, 8 if not en else 12) + " ")
            if st.consent is None:
                key = "detail.deemed" if row_data["method"] == "deemed_by_use" else "detail.consent_none"
                out.append(head + lit("— " + t(key, version=st.in_force.version), "$text-muted"))
            else:
                line = t(
                    "detail.consent_line",
                    version=st.consented_version,
                    when=self._when(st.consent.given_at),
                    method=pick(METHOD_LABELS.get(st.consent.method, (st.consent.method, st.consent.method))),
                )
                if st.current:
                    badge = lit(
                        "✔ " + t("detail.current_notified" if st.notified else "detail.current"), "bold $success"
                    )
                else:
                    badge = lit(
                        "✘ "
                        + t(
                            "detail.outdated",
                            office=office,
                            date=self._date(st.in_force.effective_on),
                            version=st.in_force.version,
                            cite=_revision_cite(row_data["office_id"], en),
                        ),
                        "bold $error",
                    )
                out.append(head + badge + lit("  " + line))
        title("detail.notices")
        if d.notices:
            for n, tv in d.notices:
                item(
                    t(
                        "detail.notice_line",
                        office=self.hw.office_name(tv.office_id, short=True),
                        version=tv.version,
                        when=self._when(n.notified_at),
                        method=pick(NOTICE_LABELS.get(n.method, (n.method, n.method))),
                    )
                )

        title("detail.companions")
        if not d.companions:
            item(lit(t("common.not_recorded"), "$text-muted"))
        for c in d.companions:
            kind = pick(COMPANION_LABELS.get(c.kind, (c.kind, c.kind)))
            lang = f"（{c.language}）" if c.language and not en else (f" ({c.language})" if c.language else "")
            scope = t("detail.one_session", id=c.session_id) if c.session_id else t("detail.standing")
            late = t("detail.unannounced") if c.unannounced else (t("detail.late") if c.late else "")
            text = t(
                "detail.companion_line",
                kind=kind,
                language=lang,
                name=c.name or "—",
                scope=scope,
                when=self._when(c.notified_at),
                late=late,
            )
            item(lit(text, "$warning") if c.late else text)

        title("detail.env")
        if not d.env_checks:
            item(lit(t("common.not_recorded"), "$text-muted"))
        for office_id, chk in d.env_checks:
            import json

            answers = json.loads(chk.answers_json or "{}")
            labels = d.env_labels.get(office_id, {})
            bad = [pick(labels.get(k, (k, k))) for k, v in answers.items() if not v]
            result = (
                t("detail.env_ok")
                if chk.all_ok
                else t("detail.env_ng", items="、".join(bad) if not en else ", ".join(bad))
            )
            text = t(
                "detail.env_line",
                office=self.hw.office_name(office_id, short=True),
                date=self._date(chk.declared_on),
                result=result,
            )
            item(lit(text, "$success" if chk.all_ok else "$error"))

        title("detail.approvals")
        if not d.approvals:
            item(lit(t("common.not_recorded"), "$text-muted"))
        for a in d.approvals:
            item(
                t(
                    "detail.approval_line",
                    office=self.hw.office_name(a.office_id, short=True),
                    service=service_label(a.service, self.lang),
                    date=self._date(a.recognized_on),
                    who=d.staff_names.get(a.recognized_by, str(a.recognized_by)),
                    revoked=t("detail.revoked") if a.revoked_at else "",
                    note=a.note or "",
                )
            )

        title("detail.sessions")
        if not d.sessions:
            item(lit(t("common.not_recorded"), "$text-muted"))
        for entry in d.sessions:
            item(self._session_line(entry))
        if self.places:
            from hwdesk.services.offers import format_until

            sep = "; " if self.lang == "en" else "、"
            parts = [
                t(
                    "det.place_offer",
                    id=p.session_id,
                    when=f"{p.start:%m/%d %H:%M}",
                    until=format_until(p.offered_until, self.lang),
                )
                if p.state == "offered"
                else t("det.place_wait", id=p.session_id, when=f"{p.start:%m/%d %H:%M}", rank=p.rank)
                for p in self.places
            ]
            item(lit(t("det.places", items=sep.join(parts)), "$warning"))

        title("detail.terminations")
        if not d.terminations:
            item(lit(t("common.not_recorded"), "$text-muted"))
        else:
            for term in d.terminations:
                until = t("detail.until", date=self._date(term.until)) if term.until else ""
                lifted = t("detail.lifted", date=self._when(term.lifted_at)) if term.lifted_at else ""
                scope = t(f"detail.scope_{term.scope}") if f"detail.scope_{term.scope}" in CATALOGUE else term.scope
                item(
                    lit(
                        t(
                            "detail.termination_line",
                            office=self.hw.office_name(term.office_id, short=True),
                            cite=term.cite,
                            scope=scope,
                            until=until,
                            decided=self._when(term.decided_at),
                            lifted=lifted,
                        ),
                        "$text-muted" if term.lifted_at else "$error",
                    )
                )

        for name, _ in SECTIONS:
            body = sections[name]
            shown = bool(body) or name != "notices"
            self.query_one(f"#t-{name}").display = shown
            self.query_one(f"#b-{name}").display = shown
            self.query_one(f"#b-{name}", Static).update(lines(*body) if body else "")

    def _session_line(self, entry) -> Content:
        from hwdesk.states import state_label
        from hwdesk.terms import service_label

        # detail.SessionLine: the seeker's enrollment state in the session
        return lit(
            self.t(
                "detail.session_line",
                id=entry.session_id,
                when=self._when(entry.start),
                office=self.hw.office_name(entry.office_id, short=True),
                kind=service_label(entry.kind, self.lang),
                state=state_label(entry.enrollment_state, self.lang),
            )
        )

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


def _revision_cite(office_id: str, en: bool) -> str:
    """The article that makes the office tell seekers of a revision (前橋 第9条 …), as the screen cites it."""
    from hwdesk.terms import cite_text, cite_text_en, office_profile

    cite = office_profile(office_id).article("revision")
    return cite_text_en(cite) if en else cite_text(cite)
