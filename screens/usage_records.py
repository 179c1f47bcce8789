"""Usage records (利用の記録: 前橋 第4条, 渋谷 第4条, 高松 第7条): add one, and (supervisors) list them.

Opened from the seeker page (``u``) with the seeker filled in, or from the command palette. Any
staff member adds a record (Ctrl+S); listing is for supervisors and each list is an audited view
(Ctrl+R, ``services.usage_entry.list_for``), so nothing is listed without being asked for.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Label, Static

from screens import dates
from screens.base import HwScreen, lit, snapshot
from screens.footer import KeyFooter
from screens.forms import hide_field_errors, show_error
from screens.inputs import Input

FIELDS = (  # (input id, label key, error field of the service, max length)
    ("u-session", "usage.session", "session_id", 12),
    ("u-seeker", "usage.seeker", "seeker_no", 20),
    ("u-joined", "usage.joined", "joined_at", 40),
    ("u-left", "usage.left", "left_at", 40),
    ("u-device", "usage.device", "device_kind", 40),
    ("u-os", "usage.os", "os", 80),
    ("u-participant", "usage.participant", "participant_id", 200),
)


class UsageRecordsScreen(HwScreen):
    """``UsageRecordsScreen(seeker_id=None, session_id=None)``."""

    CSS_PATH = "usage_records.tcss"
    TITLE_KEY = "usage.title"
    AUTO_FOCUS = "#u-session"
    BINDINGS = [
        Binding("ctrl+s", "save", "k.save"),
        Binding("ctrl+r", "list", "k.list_usage"),
        Binding("escape", "back", "k.back"),
    ]

    def __init__(self, seeker_id: int | None = None, session_id: int | None = None) -> None:
        super().__init__()
        self.seeker_id = seeker_id
        self.session_id = session_id
        self.rows: list = []

    def compose(self) -> ComposeResult:
        t = self.t
        yield self.header()
        with VerticalScroll(id="u-body"):
            yield Static(lit(t("usage.title")), classes="section-title")
            yield Static("", id="u-intro", classes="muted", markup=False)
            for wid, label, field, length in FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(t(label), markup=False, classes="form-label")
                    yield Input(advance=True, id=wid, compact=True, max_length=length)
                yield Static("", id=f"err-{field}", classes="field-error", markup=False)
            yield Static("", id="u-msg", markup=False)
            yield Static("", id="u-list", markup=False)
        yield KeyFooter(compact=True)

    @property
    def supervisor(self) -> bool:
        """Whether the signed-in person may list records (supervisor or above)."""
        actor = self.hw.actor
        return actor is not None and actor.at_least("supervisor")

    def on_mount(self) -> None:
        hide_field_errors(self)
        if self.session_id is not None:
            self.query_one("#u-session", Input).value = str(self.session_id)
        actor = self.hw.actor
        sid = self.seeker_id

        def work(s):
            from hwdesk.services.offices import profile
            from hwdesk.services.seekers import seeker_of

            prof = profile(s, actor.office_id)
            return prof, (seeker_of(s, actor=actor, seeker_id=sid).seeker_no if sid is not None else "")

        self.db(work, self._loaded, group="load")

    def _loaded(self, result) -> None:
        prof, seeker_no = result
        self.query_one("#u-intro", Static).update(
            lit(self.t("usage.intro", office=prof.display_name(self.lang), cite=prof.cite("usage_records")))
        )
        if seeker_no:
            self.query_one("#u-seeker", Input).value = seeker_no
        self.query_one("#u-list", Static).update(
            lit(self.t("usage.pick") if self.supervisor else self.t("usage.clerk_note"), "$text-muted")
        )

    def _error(self, field: str | None, text: str) -> None:
        show_error(self, text, "u-msg", field, {f: wid for wid, _, f, _ in FIELDS}.get(field or ""))

    def action_save(self) -> None:
        if self.busy("save"):
            return
        v = snapshot(self)
        actor = self.hw.actor

        def work(s):
            from hwdesk.services.usage_entry import UsageEntry, add_entry

            entry = UsageEntry(*(v.get(wid, "") or "" for wid, *_ in FIELDS))
            rec = add_entry(s, actor=actor, entry=entry)
            return rec.id, rec.session_id

        self.db(
            work,
            self._saved,
            lambda exc: self._error(getattr(exc, "field", None), self.hw.message_of(exc)),
            write=True,
            group="save",
            exclusive=False,
        )

    def _saved(self, result) -> None:
        rec_id, session = result
        hide_field_errors(self)
        for wid in ("u-joined", "u-left", "u-device", "u-os", "u-participant"):
            self.query_one(f"#{wid}", Input).value = ""
        msg = self.query_one("#u-msg", Static)
        msg.remove_class("error")
        msg.update(lit(self.t("usage.saved", id=rec_id, session=session)))
        self.hw.say(self.t("usage.saved", id=rec_id, session=session))

    def action_list(self) -> None:
        """A supervisor's audited view of the session's records (or, without a session, the seeker's)."""
        if not self.supervisor:
            self.query_one("#u-list", Static).update(lit(self.t("usage.clerk_note"), "$warning"))
            return
        if self.busy("list"):
            return
        v = snapshot(self)
        session_no, seeker_no = (v.get("u-session") or "").strip(), (v.get("u-seeker") or "").strip()
        if session_no:
            seeker_no = ""
        actor = self.hw.actor

        def work(s):
            from hwdesk.services.usage_entry import list_for

            return list_for(s, actor=actor, session_id=session_no, seeker_no=seeker_no)

        self.db(
            work,
            self._listed,
            lambda exc: self._error(getattr(exc, "field", None), self.hw.message_of(exc)),
            write=True,
            group="list",
            exclusive=False,
        )

    def _listed(self, rows) -> None:
        from hwdesk.clock import JST

        self.rows = rows
        if not rows:
            self.query_one("#u-list", Static).update(lit(self.t("usage.list_none")))
            return

        def hm(dt) -> str:
            return dt.astimezone(JST).strftime("%H:%M") if dt else "--:--"

        lines = [self.t("usage.list", n=len(rows))]
        for r in rows:
            day = dates.day(r.session_start.astimezone(JST).date(), self.lang)
            mins = "" if r.minutes is None else self.t("usage.minutes", n=r.minutes)
            lines.append(
                f"#{r.id} S{r.session_id} {day} {r.seeker_no or '-'} {hm(r.joined_at)}–{hm(r.left_at)}{mins} "
                f"{r.device_kind} {r.os} {r.participant_id}".rstrip()
            )
        self.query_one("#u-list", Static).update(lit("\n".join(lines), multiline=True))

    def action_back(self) -> None:
        self.hw.pop_screen()
