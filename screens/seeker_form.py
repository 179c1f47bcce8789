"""Register or edit a seeker: validation as you type and on save; a refused save keeps what was
typed and puts the cursor on the field to fix. Drafts live in the app (``app.drafts``), so Esc
goes back without losing anything."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Label, Select, Static

from hwdesk.clock import today_jst
from hwdesk.texts import pick
from screens.base import lines, lit, restore, snapshot
from screens.footer import KeyFooter
from screens.forms import FormScreen
from screens.inputs import Input

TEXT_FIELDS = ("seeker_no", "name", "name_kana", "birth_date", "phone", "email", "registered_on")
DUP_FIELDS = ("seeker_no", "name_kana", "birth_date")


def _all_fields() -> tuple[str, ...]:
    """Every field of the form: the seeker service's fields, then the webcam box."""
    from hwdesk.services.seekers import FIELD_ORDER

    return (*FIELD_ORDER, "webcam_confirmed")


class SeekerFormScreen(FormScreen):
    """``SeekerFormScreen(None)`` registers a new seeker; ``SeekerFormScreen(id)`` edits one."""

    CSS_PATH = "seeker_form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "k.save"),
        Binding("escape", "back", "k.back"),
        Binding("ctrl+r", "discard_draft", "k.discard_draft"),
    ]

    def __init__(self, seeker_id: int | None, *, focus: str | None = None) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.start_field = focus if focus in _all_fields() else "seeker_no"  # where the cursor starts
        self.draft_key = f"seeker:{seeker_id if seeker_id is not None else 'new'}"
        self._ready = False
        self._dup_people: list = []
        self._refused_field: str | None = None  # the field the bottom refusal is about
        self._age_confirmed: object = None  # the unusual birth date the clerk said is right
        self.TITLE_KEY = "form.title_new" if seeker_id is None else "form.title_edit"

    # --- layout -------------------------------------------------------------------------------

    def _field(self, name: str, widget: Widget) -> ComposeResult:
        from hwdesk.services.seekers import FIELD_LABELS

        ja, en = FIELD_LABELS[name]
        with Horizontal(classes="form-row"):
            yield Label(pick(ja, en, self.lang), markup=False, classes="form-label")
            yield widget
        yield Static("", id=f"err-{name}", classes="field-error", markup=False)

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        with VerticalScroll(id="form-body"):
            yield Static(lit(t(self.TITLE_KEY)), classes="section-title", id="form-title")
            yield from self._field(
                "seeker_no",
                Input(
                    advance=True, id="f-seeker_no", compact=True, placeholder=t("form.hint_seeker_no"), max_length=20
                ),
            )
            yield from self._field(
                "name", Input(advance=True, id="f-name", compact=True, placeholder=t("form.hint_name"), max_length=80)
            )
            yield from self._field(
                "name_kana",
                Input(advance=True, id="f-name_kana", compact=True, placeholder=t("form.hint_kana"), max_length=80),
            )
            yield from self._field(
                "birth_date",
                Input(advance=True, id="f-birth_date", compact=True, placeholder=t("form.hint_date"), max_length=30),
            )
            yield from self._field(
                "phone",
                Input(advance=True, id="f-phone", compact=True, placeholder=t("form.hint_phone"), max_length=30),
            )
            yield from self._field(
                "email",
                Input(advance=True, id="f-email", compact=True, placeholder=t("form.hint_email"), max_length=254),
            )
            yield from self._field(
                "registration_kind",
                Select(
                    [(t("form.kind_office"), "office"), (t("form.kind_online"), "online")],
                    id="f-registration_kind",
                    allow_blank=False,
                    compact=True,
                    value="office",
                ),
            )
            yield from self._field(
                "registered_on",
                Input(
                    advance=True, id="f-registered_on", compact=True, placeholder=t("form.hint_regdate"), max_length=30
                ),
            )
            actor = self.hw.actor
            # Only the offices this person may register seekers at (require_office): a clerk's own.
            offices = [
                (pick(o["name"], o["name_en"], self.lang), o["id"])
                for o in self.hw.offices
                if actor is None or actor.all_offices or actor.id == 0 or o["id"] == actor.office_id
            ]
            yield from self._field(
                "office_id",
                Select(
                    offices,
                    id="f-office_id",
                    allow_blank=False,
                    compact=True,
                    value=self.hw.actor.office_id if self.hw.actor else Select.NULL,
                ),
            )
            yield from self._field(
                "webcam_confirmed", Checkbox(t("form.webcam"), id="f-webcam_confirmed", compact=True)
            )
            yield Static("", id="dup-panel", markup=False)
            yield Checkbox(t("form.different"), id="f-different", compact=True)
            yield Static("", id="form-msg", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#f-different", Checkbox).display = False
        self.query_one("#dup-panel").display = False
        for name in _all_fields():
            self.query_one(f"#err-{name}").display = False
        draft = self.hw.drafts.get(self.draft_key)
        if draft is not None:
            self._fill(draft)
            self._say(self.t("common.draft_restored"))
            self._after_fill()
        elif self.seeker_id is None:
            self._ready = True
            self.call_after_refresh(self._focus_field, self.start_field)
        else:
            self._say(self.t("form.loading"))
            sid = self.seeker_id

            def work(s):
                from hwdesk.services.seekers import form_dict, form_from_seeker, seeker_of

                return form_dict(form_from_seeker(seeker_of(s, actor=self.hw.actor, seeker_id=sid)))

            self.db(work, self._loaded, group="load")

    def _loaded(self, values: dict) -> None:
        self._fill({f"f-{k}": v for k, v in values.items()})
        self._say("")
        self._after_fill()

    def _fill(self, values: dict) -> None:
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            restore(self, values)

    def _after_fill(self) -> None:
        self._ready = True
        for name in TEXT_FIELDS:
            value = self.query_one(f"#f-{name}", Input).value
            if value.strip():
                self._validate(name, value)
        self._check_duplicates()
        self._focus_field(self.start_field)

    # --- as you type --------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = False) -> None:
        msg = self.query_one("#form-msg", Static)
        msg.update(lit(text))
        msg.set_class(error, "error")

    def _show_error(self, name: str, text: str) -> None:
        if name not in _all_fields():
            return
        err = self.query_one(f"#err-{name}", Static)
        err.update(lit(text))
        err.display = bool(text)

    def _validate(self, name: str, value: str) -> bool:
        from hwdesk.services.seekers import validate_field

        try:
            validate_field(name, value)
        except Exception as exc:  # ParseError / ValidationFailed carry ja and en
            self._show_error(name, self.hw.message_of(exc))
            return False
        self._show_error(name, "")
        return True

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self, event) -> None:
        if not self._ready:
            return
        self.keep_draft()
        wid = event.control.id or ""
        name = wid[2:] if wid.startswith("f-") else ""
        if name in TEXT_FIELDS:
            value = event.value
            if value.strip() or name in ("phone", "email", "registered_on"):
                fixed = self._validate(name, value)
            else:
                self._show_error(name, "")
                fixed = False
        else:
            fixed = name != ""  # a choice made again answers a refusal about it
            if fixed:
                self._show_error(name, "")
        if fixed and name == self._refused_field:
            # The refusal at the bottom was about this field, now fixed: it goes by itself.
            self._refused_field = None
            self._say("")
        if name == "birth_date":
            self._age_confirmed = None
        if name in DUP_FIELDS:
            self._check_duplicates()

    def form(self):
        from hwdesk.services.seekers import SeekerForm

        v = snapshot(self)
        return SeekerForm(
            seeker_no=v.get("f-seeker_no", ""),
            name=v.get("f-name", ""),
            name_kana=v.get("f-name_kana", ""),
            birth_date=v.get("f-birth_date", ""),
            phone=v.get("f-phone", ""),
            email=v.get("f-email", ""),
            registration_kind=v.get("f-registration_kind") or "office",
            registered_on=v.get("f-registered_on", ""),
            office_id=v.get("f-office_id") or "",
            webcam_confirmed=bool(v.get("f-webcam_confirmed")),
        )

    # --- duplicates (before saving) -------------------------------------------------------------

    def _check_duplicates(self) -> None:
        from hwdesk.jtext.kana import kana_key
        from hwdesk.services.seekers import validate_field

        form = self.form()
        try:
            number: str | None = str(validate_field("seeker_no", form.seeker_no))
        except Exception:
            number = None
        try:
            kana = kana_key(str(validate_field("name_kana", form.name_kana)))
            born = validate_field("birth_date", form.birth_date)
        except Exception:
            kana, born = None, None
        exclude = self.seeker_id
        if number is None and kana is None:
            self.supersede("dups")
            self._show_dups(None, [])
            return

        def work(s):
            from hwdesk.errors import NotFound
            from hwdesk.services.seekers import find_duplicates, get_by_number

            same_no = None
            if number is not None:
                try:
                    found = get_by_number(s, number, actor=self.hw.actor)
                    same_no = None if found.id == exclude else (found.seeker_no, found.name)
                except NotFound:
                    same_no = None
            people = []
            if kana is not None:
                _, found_people = find_duplicates(
                    s, {"seeker_no": "", "kana_key": kana, "birth_date": born}, exclude_id=exclude
                )
                people = [(p.seeker_no, p.name) for p in found_people]
            return same_no, people

        self.db(lambda s: work(s), lambda r: self._show_dups(*r), group="dups")

    def _show_dups(self, same_no, people: list) -> None:
        panel = self.query_one("#dup-panel", Static)
        different = self.query_one("#f-different", Checkbox)
        parts = []
        if same_no:
            parts.append(lit("⚠ " + self.t("form.dup_no", no=same_no[0], name=same_no[1])))
        if people:
            who = "、".join(f"{no} {name}" for no, name in people)
            parts.append(lit("⚠ " + self.t("form.dup_person", who=who)))
        self._dup_people = people
        panel.update(lines(*parts) if parts else "")
        panel.display = bool(parts)
        different.display = bool(people)
        if not people and different.value:
            with self.prevent(Checkbox.Changed):
                different.value = False

    # --- save ---------------------------------------------------------------------------------

    def _focus_field(self, name: str | None) -> None:
        if name in _all_fields():
            w = self.query_one(f"#f-{name}")
            w.focus()
            self.query_one("#form-body", VerticalScroll).scroll_to_widget(w, animate=False)

    def _refused(self, exc: BaseException) -> None:
        msg = self.hw.message_of(exc)
        field = getattr(exc, "field", None)
        if field == "office":
            field = "office_id"
        if field in _all_fields():
            self._show_error(field, msg)
        self._refused_field = field
        self._say(self.t("form.refused", msg=msg), error=True)
        if field == "name_kana" and self._dup_people is not None:
            self._check_duplicates()
        self._focus_field(field)

    def action_save(self) -> None:
        if self.busy("save"):
            return
        from hwdesk.services.seekers import validate_form

        form = self.form()
        try:
            validate_form(form)
        except Exception as exc:
            self._refused(exc)
            return
        if not self._age_plausible(form.birth_date):
            return
        allow = bool(self.query_one("#f-different", Checkbox).value)
        sid = self.seeker_id
        actor = self.hw.actor
        self._say(self.t("form.saving"))

        def work(s):
            from hwdesk.services.seekers import create_seeker, update_seeker

            if sid is None:
                return create_seeker(s, actor=actor, form=form, allow_same_person=allow).id
            return update_seeker(s, actor=actor, seeker_id=sid, form=form, allow_same_person=allow).id

        self.save(work, self._saved, self._refused)

    def _age_plausible(self, birth_text: str) -> bool:
        """True to go on saving. A birth date that makes the seeker younger than 15 or older than
        100 is more often a slip (a wrong era, a year off by a century) than a fact: ask first
        (``y`` saves it as typed, anything else goes back to the field)."""
        from datetime import date

        from hwdesk.jtext.dates import format_day
        from hwdesk.services.seekers import validate_field
        from screens.dialogs import FinalConfirm

        born = validate_field("birth_date", birth_text)
        assert isinstance(born, date)
        today = today_jst()
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        if 15 <= age <= 100 or self._age_confirmed == born:
            return True
        shown = format_day(born, self.lang)

        def answered(yes: bool | None) -> None:
            if yes:
                self._age_confirmed = born
                self.action_save()
            else:
                self._focus_field("birth_date")

        self.app.push_screen(FinalConfirm(self.t("form.age_check", born=shown, age=age)), answered)
        return False

    def _saved(self, seeker_id: int) -> None:
        self._say("")
        new = self.seeker_id is None
        hw = self.hw
        self.close_saved(
            self.t("form.created" if new else "form.updated"),
            then=(lambda: hw.open_seeker(seeker_id)) if new else None,
        )

    def action_discard_draft(self) -> None:
        self.drop_draft()
        self.hw.say(self.t("common.draft_discarded"))
        self._ready = False
        blank: dict[str, object] = {f"f-{n}": "" for n in TEXT_FIELDS}
        blank["f-webcam_confirmed"] = False
        self._fill(blank)
        for name in _all_fields():
            self._show_error(name, "")
        if self.seeker_id is not None:
            self.on_mount()
        else:
            self._ready = True
            self._show_dups(None, [])


_ = date  # dates are parsed by the services
