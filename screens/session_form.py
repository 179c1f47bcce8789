"""Creating a session, or a series with an RRULE, from the queue or the week view (``n``).

The office's services to choose from; the date in 和暦 or ISO; the time as ``10:00-10:45``; the
staff member's login (default: the one signed in); a capacity for a group session; an optional
repeat rule, title and join URL. ``scheduling.create_session`` / ``create_series`` decide (closed
days, opening hours, the staff member's other sessions, never in the past); a series lists the
days it skipped and why. A refusal is shown in the dialog with everything typed kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Select, Static

from hwdesk.texts import pick
from screens import dates
from screens.base import HwModal, lit
from screens.inputs import Input

FIELDS = {
    "kind": "#sf-kind",
    "start": "#sf-date",
    "date": "#sf-date",
    "time": "#sf-time",
    "staff": "#sf-staff",
    "capacity": "#sf-capacity",
    "rrule": "#sf-rrule",
    "title": "#sf-title",
    "join_url": "#sf-url",
}


def parse_span(day_text: str, time_text: str):
    """('2027-02-09' or 和暦, '10:00-10:45') → (start, end), aware JST; a ValidationFailed otherwise."""
    from datetime import datetime, time

    from hwdesk.clock import JST
    from hwdesk.errors import ValidationFailed
    from hwdesk.jtext.dates import parse_date

    day = parse_date(day_text, field="date")
    parts = time_text.replace("〜", "-").replace("～", "-").split("-")
    try:
        if len(parts) != 2:
            raise ValueError
        a, b = (time.fromisoformat(p.strip().zfill(5)) for p in parts)
    except ValueError:
        raise ValidationFailed(
            "時刻は 10:00-10:45 の形で入力してください。", "Times look like 10:00-10:45.", field="time"
        ) from None
    return datetime.combine(day, a, JST), datetime.combine(day, b, JST)


def parse_move(text: str):
    """'2027-02-09 10:00-10:45' (the date in 和暦 too) → (start, end); a ValidationFailed otherwise."""
    from hwdesk.errors import ValidationFailed

    parts = text.split()
    if len(parts) != 2:
        raise ValidationFailed(
            "「日付 開始-終了」の形で入力してください（例: 2027-02-09 10:00-10:45）。",
            "Type 'date start-end' (e.g. 2027-02-09 10:00-10:45).",
            field="start",
        )
    return parse_span(parts[0], parts[1])


class NewSessionModal(HwModal, ModalScreen["str | None"]):
    """The new session's details; Ctrl+S creates it (dismisses with what was created), Esc goes back."""

    BINDINGS = [Binding("ctrl+s", "create", "k.save"), Binding("escape", "dismiss_none", "k.back")]
    AUTO_FOCUS = "#sf-kind"
    DEFAULT_CSS = """
    NewSessionModal { align: center middle; }
    NewSessionModal > VerticalScroll { width: 90; max-width: 100%; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    NewSessionModal .sf-label { color: $text-muted; }
    NewSessionModal Input { background: $boost; }
    NewSessionModal #sf-msg { color: $error; height: auto; }
    """

    def __init__(self, office_id: str, day: date, services: list[str]) -> None:
        super().__init__()
        self.office_id, self.day, self.services = office_id, day, services

    def compose(self) -> ComposeResult:
        from hwdesk.terms import service_label

        t = self.t
        login = self.hw.actor.login if self.hw.actor is not None else ""
        with VerticalScroll():
            yield Static(lit(t("ses.new_title") + "  " + self.hw.office_name(self.office_id)), markup=False)
            yield Static(lit(t("ses.kind")), classes="sf-label", markup=False)
            yield Select(
                [(service_label(k, self.lang), k) for k in self.services],
                id="sf-kind",
                prompt=t("ses.kind"),
                value=self.services[0] if self.services else Select.BLANK,
                compact=True,
            )
            with Vertical():
                for key, wid, value in (
                    ("ses.date", "sf-date", self.day.isoformat()),
                    ("ses.time", "sf-time", ""),
                    ("ses.staff", "sf-staff", login),
                    ("ses.capacity", "sf-capacity", ""),
                    ("ses.rrule", "sf-rrule", ""),
                    ("ses.title", "sf-title", ""),
                    ("ses.url", "sf-url", ""),
                ):
                    yield Static(
                        lit(t(key)), classes="sf-label", markup=False
                    )  # the label stays when the field is filled
                    yield Input(value=value, id=wid, compact=True, advance=wid != "sf-url")
                    if wid == "sf-staff":  # the balance hint: this staff member's week so far
                        yield Static("", id="sf-load", markup=False)
            yield Static("", id="sf-msg", markup=False)

    def on_mount(self) -> None:
        self._load_hint()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("sf-staff", "sf-date"):
            self._load_hint()

    def _load_hint(self) -> None:
        """Show the chosen staff member's sessions and hours in the week of the chosen day, with the
        office's mean (``staff_load.staff_week_load``); nothing when the login or date is not one yet."""
        login, day_text = self._value("#sf-staff"), self._value("#sf-date")
        actor, office, lang, fallback = self.hw.actor, self.office_id, self.lang, self.day

        def work(s):
            from hwdesk.errors import HwdeskError
            from hwdesk.jtext.dates import parse_date
            from hwdesk.services.staff_load import staff_week_load
            from hwdesk.texts import tr

            if not login or actor is None:
                return ""
            try:
                day = parse_date(day_text, field="date") if day_text else fallback
                load = staff_week_load(s, actor=actor, office_id=office, staff_login=login, day=day)
            except (HwdeskError, ValueError):
                return ""
            return tr("sf.load", lang, name=login, load=load.text(lang))

        def show(text: str) -> None:
            self.query_one("#sf-load", Static).update(lit(text, "$text-muted"))

        self.db(work, show, lambda _exc: None, group="sf-load")

    def _value(self, sel: str) -> str:
        return self.query_one(sel, Input).value.strip()

    def action_create(self) -> None:
        if self.busy("sf-create"):
            return
        kind = self.query_one("#sf-kind", Select).value
        actor, office = self.hw.actor, self.office_id
        day_text, time_text, staff = self._value("#sf-date"), self._value("#sf-time"), self._value("#sf-staff")
        cap_text, rrule, title, url = (
            self._value("#sf-capacity"),
            self._value("#sf-rrule"),
            self._value("#sf-title"),
            self._value("#sf-url"),
        )
        lang = self.lang

        def work(s):
            from hwdesk.errors import ValidationFailed
            from hwdesk.services import scheduling

            if kind is Select.BLANK or kind is Select.NULL:
                raise ValidationFailed("種別を選んでください。", "Choose the kind.", field="kind")
            start, end = parse_span(day_text, time_text)
            if cap_text and not cap_text.isdigit():
                raise ValidationFailed("定員は数字です。", "The capacity is a number.", field="capacity")
            common: dict[str, Any] = dict(
                actor=actor,
                office_id=office,
                kind=str(kind),
                start=start,
                end=end,
                staff_login=staff,
                capacity=int(cap_text) if cap_text else None,
                title=title,
                join_url=url,
            )
            if rrule:
                res = scheduling.create_series(s, rrule=rrule, **common)
                created = [r.id for r in res.created]
                skipped = [(k.start, pick(k.reason, k.reason_en, lang)) for k in res.skipped]
            else:
                created, skipped = [scheduling.create_session(s, **common).id], []
            return created, skipped

        def ok(result) -> None:
            created, skipped = result
            lines_ = [self.t("ses.created", ids=", ".join(f"#{i}" for i in created))]
            lines_ += [self.t("ses.skipped", day=dates.day(when, self.lang), reason=why) for when, why in skipped]
            self.dismiss("\n".join(lines_))

        def err(exc: BaseException) -> None:
            out = [self.hw.message_of(exc)]
            for f in getattr(exc, "failures", []) or []:
                try:
                    out.append(f.line(self.hw.office_name(office), lang))
                except Exception:
                    out.append(str(f))
            self.query_one("#sf-msg", Static).update(lit("\n".join(out), multiline=True))
            target = FIELDS.get(getattr(exc, "field", "") or "")
            if target:
                self.query_one(target).focus()

        self.db(work, ok, err, write=True, group="sf-create")

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def open_new_session(screen: Any, office_id: str, day: date, then) -> None:
    """Read the office's services, then open ``NewSessionModal``; ``then(message)`` after a creation."""

    def work(s):
        from hwdesk.services.offices import profile

        return list(profile(s, office_id).services)

    screen.db(
        work, lambda services: screen.app.push_screen(NewSessionModal(office_id, day, services), then), group="sf-open"
    )
