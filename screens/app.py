"""The hwdesk Textual app: screens for the counter clerk.

Cold start: this module imports Textual and the sign-in screen only. The store
(``hwdesk.db.open_store`` + ``offices.sync_offices``, which pull in SQLAlchemy, SQLModel and the
migrations) opens in a thread worker after the sign-in screen is painted, while the clerk types.
Every database call runs in a thread worker (``screens.base.DbMixin.db``), never on the UI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.notifications import SeverityLevel
from textual.timer import Timer

from hwdesk.texts import pick, tr
from screens import kinsoku
from screens.base import lit, localize_bindings, visible
from screens.commands import HwdeskCommands, localized_system_commands
from screens.inputs import Input
from screens.signin import SignInScreen
from screens.textual_private import key_bindings

kinsoku.install()  # every text Textual wraps follows kinsoku (hwdesk.linebreak)

log = logging.getLogger("hwdesk.screens")
OFFER_SECONDS = 30.0  # how often the app moves waitlist offers past their deadline on

LIGHT, DARK = "textual-light", "textual-dark"


def _blank_screen():
    """The base of the search mode: Textual's blank default screen (sign-in, then search, sit on it)."""
    from textual.screen import Screen

    return Screen(id="_default")


def _mode_screen(module: str, name: str) -> Callable[[], Any]:
    """A mode's screen factory that imports the screen's module on first use (cold start)."""

    def factory() -> Any:
        from importlib import import_module

        return getattr(import_module(module), name)()

    return factory


class HwdeskApp(App):
    """The counter app. ``HwdeskApp(db, lang="ja", demo_notice=None)``."""

    CSS_PATH = "app.tcss"
    TITLE = "hwdesk"
    COMMANDS = App.COMMANDS | {HwdeskCommands}
    # Top-level modes, each with its own screen stack: F2/F3/F4 and the palette switch between
    # them instead of pushing another screen (sixty presses once piled up ~120 screens). The
    # search mode is the base: sign-in and search live there; the others open on first use.
    # Factories import lazily (cold start: this module imports the sign-in screen only).
    DEFAULT_MODE = "search"
    MODES = {
        "search": _blank_screen,
        "queue": _mode_screen("screens.queue", "QueueScreen"),
        "reminders": _mode_screen("screens.reminders", "RemindersScreen"),
        "week": _mode_screen("screens.week", "WeekScreen"),
    }
    BINDINGS = [
        Binding("ctrl+l", "lock", "k.lock"),
        Binding("ctrl+t", "toggle_theme", "k.theme"),
        Binding("f2", "queue", "k.queue"),
        Binding("f3", "reminders", "k.reminders"),
        Binding("f4", "week", "k.week"),
        Binding("ctrl+o", "sign_out", "k.sign_out", show=False),
        Binding("ctrl+p,f1", "command_palette", "k.palette", show=False, priority=True),
        # Priority, so focus moves before the keys typed after Tab are handed on: as the Screen's
        # own binding it ran only when Tab came back up to the app, after the letters that
        # followed it in one burst had gone to the field it left ("clerk1⇥hw…" gave "clerk1hw").
        Binding("tab", "focus_next", show=False, priority=True),
        Binding("shift+tab", "focus_previous", show=False, priority=True),
        Binding("enter", "advance", show=False, priority=True),  # only for Input(advance=True)
    ]

    #: Seconds without a key or mouse event before the screen locks; ``None`` = the office's
    #: ``idle_lock_minutes`` (default 5). Tests set a small value.
    idle_seconds: float | None = None

    def __init__(self, db: str | None, *, lang: str = "ja", demo_notice: str | None = None) -> None:
        self.lang = pick("ja", "en", lang)
        super().__init__()
        self.db_arg = db
        self.demo_notice = demo_notice
        self.store: Any = None
        self.store_error: BaseException | None = None
        self._store_ready = threading.Event()
        self._store_started = False
        self.staff_count: int | None = None
        self.is_demo = demo_notice is not None
        self.offices: list[dict] = []  # {id, name, name_en, short, short_en}
        self.demo_accounts: list[tuple[str, str, str]] = []  # (login, role, office) on a demo database
        self.actor: Any = None
        self.lock_after: float | None = None
        self.locked = False
        self._last_activity = monotonic()
        self._idle_timer: Timer | None = None
        self._pending: list[Callable[[], Any]] = []
        #: Drafts of every form, keyed ("seeker:new", "seeker:12", "companion:12" …); kept while
        #: the clerk moves between screens and while the screen is locked.
        self.drafts: dict[str, dict] = {}
        self.readiness_choice: dict[str, tuple[str, str | None]] = {}  #: seeker id → its panel's (office, service)
        self.theme = DARK
        localize_bindings(self, self.lang)

    # --- start ----------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.title = tr("app.title", self.lang)
        self.push_screen(SignInScreen())  # it calls start_store once it has painted

    def start_store(self) -> None:
        """Open the store in a worker thread, once: the sign-in screen calls it when painted (the
        thread's imports hold the GIL ~0.2 s; the screen the clerk types into comes first)."""
        if not self._store_started:
            self._store_started = True
            self.run_worker(self._open_store, thread=True, group="store", exit_on_error=False)

    def _open_store(self) -> None:
        try:
            from hwdesk.db import open_store
            from hwdesk.services import auth
            from hwdesk.services.offices import list_offices, sync_offices
            from screens.data import demo_accounts, is_demo_db, office_row

            store = open_store(self.db_arg)
            with store.write() as s:
                sync_offices(s)
            with store.read() as s:
                count = auth.staff_count(s)
                offices = [office_row(o) for o in list_offices(s)]
                demo = is_demo_db(s)
            accounts = demo_accounts() if demo or self.demo_notice is not None else []
        except Exception as exc:  # shown on the sign-in screen
            log.exception("cannot open the store")
            self.store_error = exc
            self._store_ready.set()
            self._to_ui(self._store_failed, exc)
            return
        self.store = store
        self.offices = offices
        self.staff_count = count
        self.is_demo = self.is_demo or demo
        self.demo_accounts = accounts
        # Everything imported so far (ORM, migrations, services) lives as long as the app: move
        # it out of the collector's generations. Full collections then walk a few thousand
        # objects instead of ~90k: they were the 30 ms spikes in the queue's p95 (bench, 1M).
        import gc

        gc.freeze()  # no collect first: a full collection here held the GIL ~0.1 s during the first paint
        self._store_ready.set()
        self._to_ui(self._store_opened)

    def _to_ui(self, fn: Callable, *args: Any) -> None:
        try:
            self.call_from_thread(fn, *args)
        except RuntimeError:  # shutting down
            pass

    def db_work(self) -> tuple[list, bool]:
        """Database work in flight: the per-call workers still running, and whether any screen's
        long-lived query lane (``DbMixin.db(lane=True)``) has a job (tests wait on both)."""
        from textual.worker import WorkerState

        workers = [
            w
            for w in self.workers
            if w.state in (WorkerState.PENDING, WorkerState.RUNNING) and not (w.group or "").startswith("lane:")
        ]
        lanes = any(
            not lane.idle for screen in self.all_screens() for lane in screen.__dict__.get("_db_lanes", {}).values()
        )
        return workers, lanes

    def wait_store(self, timeout: float = 120.0):
        """The open store (waits in a worker thread while it opens); raises why it cannot open."""
        if not self._store_ready.wait(timeout):
            from hwdesk.errors import StoreError

            raise StoreError("データベースを開けません（時間切れ）。", "The database did not open in time.")
        if self.store_error is not None:
            raise self.store_error
        return self.store

    def _store_opened(self) -> None:
        if self.staff_count == 0 and isinstance(self.screen, SignInScreen) and self.actor is None:
            from screens.firstrun import FirstRunScreen

            self.switch_screen(FirstRunScreen())
            return
        if isinstance(self.screen, SignInScreen):
            self.screen.store_opened()

    def _store_failed(self, exc: BaseException) -> None:
        if isinstance(self.screen, SignInScreen):
            self.screen.store_failed(exc)

    # --- who is signed in -----------------------------------------------------------------------

    def office_name(self, office_id: str, *, short: bool = False) -> str:
        for o in self.offices:
            if o["id"] == office_id:
                if short:
                    return pick(o["short"], o["short_en"], self.lang)
                return pick(o["name"], o["name_en"], self.lang)
        return office_id

    def who_content(self, *, short: bool = False) -> Content:
        """Who is signed in, in what role, at which office (``short``: name and office's short name,
        for a narrow header that still shows the screen's title whole)."""
        if self.actor is None:
            return lit(tr("header.signed_out", self.lang))
        a = self.actor
        if short:
            return lit(f"{a.name}｜{self.office_name(a.office_id, short=True)}")
        return lit(f"{a.name}（{a.login}）｜{a.role_label(self.lang)}｜{self.office_name(a.office_id)}")

    def signed_in(self, actor: Any, lock_minutes: int) -> None:
        """Called on the UI thread after a successful sign-in."""
        from screens.search import SearchScreen

        self.actor = actor
        self.locked = False
        self.lock_after = float(self.idle_seconds) if self.idle_seconds is not None else lock_minutes * 60.0
        self._last_activity = monotonic()
        if self._idle_timer is not None:
            self._idle_timer.stop()
        self._idle_timer = self.set_interval(0.2, self._check_idle)
        if getattr(self, "_offer_timer", None) is None:
            self._offer_timer = self.set_interval(OFFER_SECONDS, self.settle_offers)
        self.switch_screen(SearchScreen())

    def settle_offers(self, then: Callable[[], Any] | None = None) -> None:
        """Waitlist offers past their reply deadline go to the next in line (``offers.settle``: a
        read, and a write only when one is due) — on a timer and when a screen showing offers
        opens, so no cron is needed. ``then`` runs on the UI thread when something moved."""
        if self.store is None or self.actor is None:
            return

        def job() -> None:
            from hwdesk.services import offers

            try:
                moved = offers.settle(self.wait_store())
            except Exception:  # a busy database: the next tick tries again
                log.exception("settling offers failed")
                return
            if moved and then is not None:
                try:
                    self.call_from_thread(then)
                except RuntimeError:  # app shutting down
                    pass

        self.run_worker(job, thread=True, group="offers", exclusive=False, exit_on_error=False)

    # --- idle lock ------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not self._screen_stacks.get(self._current_mode):
            return  # a key typed ahead that arrives while the app closes (its screens already gone) has nowhere to go
        if isinstance(
            event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)
        ):
            self._last_activity = monotonic()
        elif isinstance(event, events.MouseMove) and not event.is_forwarded:
            self._last_activity = monotonic()
        await super().on_event(event)

    def _check_idle(self) -> None:
        if self.actor is None or self.locked or self.lock_after is None:
            return
        if monotonic() - self._last_activity >= self.lock_after:
            self.action_lock(idle=True)

    async def action_advance(self) -> None:
        """Enter in an ``Input(advance=True)``: submit it (validation, ``Input.Submitted``), then
        move to the next field, before any key typed after Enter is handed on."""
        field = self.focused
        assert isinstance(field, Input)
        await field.action_submit()
        if self.focused is field:
            self.screen.focus_next()

    def get_system_commands(self, screen):
        """Textual's own palette entries (theme, quit, keys, maximize, screenshot) in the UI's language."""
        return localized_system_commands(super().get_system_commands(screen), self.lang)

    def action_lock(self, idle: bool = False) -> None:
        """Hide everything behind a password prompt; the screens behind keep what was typed.
        ``idle``: the idle timer locked it (the prompt says why: the clerk did not lock it)."""
        if self.actor is None or self.locked:
            return
        from screens.lock import LockScreen

        self.locked = True
        self.clear_notifications()
        self.push_screen(LockScreen(manual=not idle))

    def unlocked(self) -> None:
        """The same person typed the password again: show the screen behind as it was."""
        from screens.lock import LockScreen

        if not self.locked:
            return
        self.locked = False
        self._last_activity = monotonic()
        if isinstance(self.screen, LockScreen):
            self.pop_screen()
        pending, self._pending = self._pending, []
        for fn in pending:
            self.call_later(fn)

    def later(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` now, or after unlocking when the screen is locked (screen changes and
        messages from workers that finish while locked must not show over the lock)."""
        if self.locked:
            self._pending.append(fn)
        else:
            fn()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "advance":
            return isinstance(self.focused, Input) and self.focused.advance
        if action in ("focus_next", "focus_previous"):
            # A widget that takes Tab itself (a TextArea that indents) still gets it.
            return not (
                self.focused is not None
                and key_bindings(self.focused).get("tab")
                or getattr(self.focused, "tab_behavior", "focus") == "indent"
            )
        if self.locked:
            return action == "sign_out"  # the lock screen offers it; nothing else while locked
        if self.actor is None and action in {
            "lock",
            "sign_out",
            "search",
            "new_seeker",
            "read_terms",
            "queue",
            "reminders",
            "week",
        }:
            return False
        return True

    # --- navigation -----------------------------------------------------------------------------

    def all_screens(self) -> list:
        """Every screen of every top-level mode (the stacks of modes not shown included)."""
        out: list = []
        for mode in self.MODES:
            try:
                out.extend(self.get_screen_stack(mode))
            except KeyError:  # a mode not opened yet
                pass
        return out

    def _mode_base(self) -> int:
        # The search mode's stack starts with Textual's blank screen; sign-in / search sit at 1.
        return 2 if self.current_mode == self.DEFAULT_MODE else 1

    def _pop_to_base(self) -> None:
        while len(self.screen_stack) > self._mode_base():
            self._keep_draft(self.screen)
            self.pop_screen()

    def _keep_draft(self, screen: Any) -> None:
        """A form about to be closed without Esc keeps what was typed, as Esc would."""
        key = getattr(screen, "draft_key", None)
        if key and self.actor is not None and getattr(screen, "_ready", True):
            from screens.base import snapshot

            try:
                self.drafts[key] = snapshot(screen)
            except Exception:  # a form not composed yet has nothing to keep
                pass

    def to_mode(self, mode: str) -> None:
        """Show a top-level mode (search, queue, reminders, week): its screens as they were left,
        created on first use. Never pushes: the stack depth stays what the clerk opened."""
        if self.actor is None or self.locked or mode == self.current_mode:
            return
        self.switch_mode(mode)

    def go_back(self) -> None:
        """Esc on a top-level mode's own screen goes back to search; on any other screen, closes it."""
        if len(self.screen_stack) > self._mode_base():
            self.pop_screen()
        else:
            self.to_mode(self.DEFAULT_MODE)

    def action_search(self) -> None:
        if self.actor is None:
            return
        self.to_mode(self.DEFAULT_MODE)
        self._pop_to_base()
        try:
            self.screen.query_one("#search-input").focus()
        except Exception:
            pass

    def action_new_seeker(self) -> None:
        self.open_form(None)

    def action_read_terms(self) -> None:
        if self.actor is not None:
            self.open_terms(self.actor.office_id, None)

    def open_seeker(self, seeker_id: int) -> None:
        from screens.seeker_detail import SeekerDetailScreen

        self.push_screen(SeekerDetailScreen(seeker_id))

    def action_queue(self) -> None:
        """The daily queue of the signed-in person's office (F2, command palette)."""
        self.to_mode("queue")

    def action_reminders(self) -> None:
        """The reminder calls for the next open day (F3, command palette)."""
        self.to_mode("reminders")

    def action_usage_records(self) -> None:
        """Usage records: add one, supervisors list them (command palette)."""
        from screens.usage_records import UsageRecordsScreen

        if self.actor is not None and not isinstance(self.screen, UsageRecordsScreen):
            self.push_screen(UsageRecordsScreen())

    def action_notices(self) -> None:
        """Notices to seekers: the office's outbox and the send run (command palette)."""
        from screens.notices import NoticesScreen

        if self.actor is not None and not isinstance(self.screen, NoticesScreen):
            self.push_screen(NoticesScreen())

    def action_week(self) -> None:
        """The week view of the office's sessions (F4, command palette)."""
        self.to_mode("week")

    def action_interpreters(self) -> None:
        """The interpreter roster and the week's load (command palette; ``i`` on the week view)."""
        from screens.interpreters import InterpretersScreen

        if self.actor is not None and not isinstance(self.screen, InterpretersScreen):
            self.push_screen(InterpretersScreen())

    def open_termination(self, seeker_id: int, office_id: str) -> None:
        """The termination form (supervisor only; a clerk sees the refusal)."""
        from screens.termination import TerminationScreen, refusal

        if self.actor is None:
            return
        denied = refusal(self.actor)
        if denied is not None:
            self.show_error(denied)
            return
        self.push_screen(TerminationScreen(seeker_id, office_id))

    def open_session(self, session_id: int) -> None:
        from screens.session_detail import SessionScreen

        self.push_screen(SessionScreen(session_id))

    def open_form(self, seeker_id: int | None, *, focus: str | None = None) -> None:
        """The seeker form (new, or editing ``seeker_id``), the cursor in field ``focus`` if given."""
        if self.actor is None:
            return
        from screens.seeker_form import SeekerFormScreen

        self.push_screen(SeekerFormScreen(seeker_id, focus=focus))

    def open_terms(self, office_id: str, seeker_id: int | None) -> None:
        from screens.terms_viewer import TermsScreen

        self.push_screen(TermsScreen(office_id, seeker_id))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_sign_out(self) -> None:
        if self.actor is None:
            return
        self.actor = None
        self.locked = False
        self.lock_after = None
        self.drafts.clear()
        self._pending.clear()
        self.readiness_choice.clear()
        if self._idle_timer is not None:
            self._idle_timer.stop()
            self._idle_timer = None
        self.clear_notifications()
        self._close_modes()
        self._pop_to_base()
        self.switch_screen(SignInScreen())

    def _close_modes(self) -> None:
        """Back to the search mode; the other modes' screens (and whatever they held) are removed."""
        if self.current_mode != self.DEFAULT_MODE:
            self.switch_mode(self.DEFAULT_MODE)
        for mode, factory in self.MODES.items():
            if mode != self.DEFAULT_MODE:
                self.remove_mode(mode)
                self.add_mode(mode, factory)

    # --- messages -------------------------------------------------------------------------------

    def message_of(self, exc: BaseException) -> str:
        """What to tell the clerk about an error (services' messages carry ja and en)."""
        msg = getattr(exc, "message", None)
        if callable(msg):
            try:
                return visible(msg(self.lang))
            except Exception:
                pass
        log.error("unexpected error", exc_info=exc)
        return tr("common.unexpected", self.lang, kind=type(exc).__name__)

    def show_error(self, exc: BaseException) -> None:
        text = self.message_of(exc)
        self.later(lambda: self.notify(text, severity="error", timeout=8, markup=False))

    def say(self, text: str, *, severity: SeverityLevel = "information") -> None:
        """A toast (plain text, never markup); held back while locked."""
        shown = visible(text)
        self.later(lambda: self.notify(shown, severity=severity, markup=False))


def run_app(db: str | None, lang: str = "ja", demo_notice: str | None = None) -> None:
    """Run the app in the terminal (``hwdesk`` with no subcommand)."""
    from screens.terminal_watch import watch_terminal

    app = HwdeskApp(db, lang=lang, demo_notice=demo_notice)
    watch_terminal(app)
    app.run()
