"""The text of the seeker detail's sections: profile, registration, consent per office, notices,
companions, environment checks, approvals, sessions and terminations, as styled lines.

Kept apart from the screen (``screens.seeker_detail``), which lays the sections out and fills them.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content

from hwdesk.clock import today_jst
from hwdesk.states import SeatState
from hwdesk.texts import CATALOGUE, pick, tr
from screens.base import fit, lit

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
"""The detail's sections in screen order: (widget id suffix, title text key)."""


class DetailText:
    """Writes the detail's lines in one language, naming offices as the app does."""

    def __init__(self, lang: str, office_name: Callable[..., str]) -> None:
        self.lang = lang
        self.office_name = office_name

    def t(self, key: str, **values: object) -> str:
        """The text ``key`` in the chosen language."""
        return tr(key, self.lang, **values)

    def date(self, d) -> str:
        """A day as the detail shows it (和暦 in Japanese), "—" for none."""
        from hwdesk.jtext.dates import format_date_en, format_wareki

        if d is None:
            return "—"
        return pick(format_wareki, format_date_en, self.lang)(d)

    def when(self, dt) -> str:
        """A moment as the detail shows it (its JST day and time), "—" for none."""
        from hwdesk.clock import JST

        if dt is None:
            return "—"
        local = dt.astimezone(JST)
        return f"{self.date(local.date())} {local:%H:%M}"

    def sections(self, d, places) -> dict[str, list[Content]]:
        """The lines of each section of the detail (``SECTIONS``) for the read ``d`` and the seat ``places``."""
        from hwdesk.jtext.numbers import format_phone
        from hwdesk.services.consent import COMPANION_LABELS, METHOD_LABELS, NOTICE_LABELS
        from hwdesk.services.seekers import FIELD_LABELS
        from hwdesk.terms import service_label

        sk = d.seeker
        en = self.lang == "en"
        t = self.t

        def half(pair: tuple[str, str]) -> str:
            return pick(*pair, self.lang)

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
        row(half(FIELD_LABELS["seeker_no"]), sk.seeker_no)
        row(half(FIELD_LABELS["name"]), lit(sk.name, "bold"))
        row(half(FIELD_LABELS["name_kana"]), sk.name_kana)
        row(half(FIELD_LABELS["birth_date"]), self.date(sk.birth_date))
        row(half(FIELD_LABELS["phone"]), format_phone(sk.phone) if sk.phone else "—")
        row(half(FIELD_LABELS["email"]), sk.email or "—")
        row(half(FIELD_LABELS["office_id"]), self.office_name(sk.office_id))

        title("detail.registration")
        if sk.registered_on is None:
            item(lit(t("detail.reg_none"), "$error"))
        else:
            kind = t("detail.reg_online") if sk.registration_kind == "online" else t("detail.reg_office")
            item(f"{kind}  {t('detail.reg_on', date=self.date(sk.registered_on))}")
            until = d.registration_until
            if until is not None:
                lapsed = until < today_jst()
                item(
                    lit(
                        t("detail.reg_lapsed" if lapsed else "detail.reg_until", date=self.date(until)),
                        "$error" if lapsed else "",
                    )
                )
        if sk.switched_to_office_on:
            item(t("detail.switched", date=self.date(sk.switched_to_office_on)))
        if sk.webcam_confirmed:
            item(lit(t("detail.webcam_yes", date=self.date(sk.webcam_confirmed_on)), "$success"))
        else:
            item(t("detail.webcam_no"))

        title("detail.consent")
        for row_data in d.consent_rows:
            st = row_data["status"]
            office = self.office_name(row_data["office_id"], short=True)
            head = lit(fit(office, 8 if not en else 12) + " ")
            if st.consent is None:
                key = "detail.deemed" if row_data["method"] == "deemed_by_use" else "detail.consent_none"
                out.append(head + lit("— " + t(key, version=st.in_force.version), "$text-muted"))
            else:
                line = t(
                    "detail.consent_line",
                    version=st.consented_version,
                    when=self.when(st.consent.given_at),
                    method=half(METHOD_LABELS.get(st.consent.method, (st.consent.method, st.consent.method))),
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
                            date=self.date(st.in_force.effective_on),
                            version=st.in_force.version,
                            cite=revision_cite(row_data["office_id"], self.lang),
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
                        office=self.office_name(tv.office_id, short=True),
                        version=tv.version,
                        when=self.when(n.notified_at),
                        method=half(NOTICE_LABELS.get(n.method, (n.method, n.method))),
                    )
                )

        title("detail.companions")
        if not d.companions:
            item(lit(t("common.not_recorded"), "$text-muted"))
        for c in d.companions:
            kind = half(COMPANION_LABELS.get(c.kind, (c.kind, c.kind)))
            lang = tr("q.paren", self.lang, text=c.language) if c.language else ""
            scope = t("detail.one_session", id=c.session_id) if c.session_id else t("detail.standing")
            late = t("detail.unannounced") if c.unannounced else (t("detail.late") if c.late else "")
            text = t(
                "detail.companion_line",
                kind=kind,
                language=lang,
                name=c.name or "—",
                scope=scope,
                when=self.when(c.notified_at),
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
            bad = [half(labels.get(k, (k, k))) for k, v in answers.items() if not v]
            result = (
                t("detail.env_ok")
                if chk.all_ok
                else t("detail.env_ng", items=tr("common.sep_names", self.lang).join(bad))
            )
            text = t(
                "detail.env_line",
                office=self.office_name(office_id, short=True),
                date=self.date(chk.declared_on),
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
                    office=self.office_name(a.office_id, short=True),
                    service=service_label(a.service, self.lang),
                    date=self.date(a.recognized_on),
                    who=d.staff_names.get(a.recognized_by, str(a.recognized_by)),
                    revoked=t("detail.revoked") if a.revoked_at else "",
                    note=a.note or "",
                )
            )

        title("detail.sessions")
        if not d.sessions:
            item(lit(t("common.not_recorded"), "$text-muted"))
        for entry in d.sessions:
            item(self.session_line(entry))
        if places:
            from hwdesk.services.offers import format_until

            sep = tr("common.sep", self.lang)
            parts = [
                t(
                    "det.place_offer",
                    id=p.session_id,
                    when=f"{p.start:%m/%d %H:%M}",
                    until=format_until(p.offered_until, self.lang),
                )
                if p.state == SeatState.OFFERED
                else t("det.place_wait", id=p.session_id, when=f"{p.start:%m/%d %H:%M}", rank=p.rank)
                for p in places
            ]
            item(lit(t("det.places", items=sep.join(parts)), "$warning"))

        title("detail.terminations")
        if not d.terminations:
            item(lit(t("common.not_recorded"), "$text-muted"))
        else:
            for term in d.terminations:
                until = t("detail.until", date=self.date(term.until)) if term.until else ""
                lifted = t("detail.lifted", date=self.when(term.lifted_at)) if term.lifted_at else ""
                scope = t(f"detail.scope_{term.scope}") if f"detail.scope_{term.scope}" in CATALOGUE else term.scope
                item(
                    lit(
                        t(
                            "detail.termination_line",
                            office=self.office_name(term.office_id, short=True),
                            cite=term.cite,
                            scope=scope,
                            until=until,
                            decided=self.when(term.decided_at),
                            lifted=lifted,
                        ),
                        "$text-muted" if term.lifted_at else "$error",
                    )
                )

        return sections

    def session_line(self, entry) -> Content:
        """One of the seeker's sessions with their booking's state."""
        from hwdesk.states import state_label
        from hwdesk.terms import service_label

        # detail.SessionLine: the seeker's enrollment state in the session
        return lit(
            self.t(
                "detail.session_line",
                id=entry.session_id,
                when=self.when(entry.start),
                office=self.office_name(entry.office_id, short=True),
                kind=service_label(entry.kind, self.lang),
                state=state_label(entry.enrollment_state, self.lang),
            )
        )


def revision_cite(office_id: str, lang: str) -> str:
    """The article that makes the office tell seekers of a revision (前橋 第9条 …), as the screen cites it."""
    from hwdesk.terms import cite_text, cite_text_en, office_profile

    cite = office_profile(office_id).article("revision")
    return pick(cite_text, cite_text_en, lang)(cite)
