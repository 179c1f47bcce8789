"""What every screen shares: localized key bindings, the staff header, database workers,
literal text, and drafts kept in the app.

Nothing here imports SQLModel/SQLAlchemy or ``hwdesk.db``: the sign-in screen (and so this
module) is on the cold-start path. Services are imported inside the functions that run in
thread workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from hwdesk.texts import CATALOGUE, tr
from screens.textual_private import PacedRepaint, key_bindings, set_key_bindings

if TYPE_CHECKING:  # pragma: no cover
    from screens.app import HwdeskApp

log = logging.getLogger("hwdesk.screens")

# --- literal text -----------------------------------------------------------------------------


def visible(value: object) -> str:
    """Stored text with every control and invisible character made visible: ``jtext.safety.safe_display``,
    the one home of display safety for the app and the CLI (one regex search for clean text)."""
    from hwdesk.jtext.safety import safe_display

    return safe_display(value if value is None or isinstance(value, str) else str(value))


def lit(value: object, style: str = "", *, multiline: bool = False) -> Content:
    """Plain, literal content: never parsed as markup, controls made visible.

    With ``multiline`` line breaks are kept (terms text, notes); every other control character
    is still made visible.
    """
    if multiline and value is not None:
        from hwdesk.jtext.safety import safe_lines

        content = Content(safe_lines(str(value).replace("\r\n", "\n")))
    else:
        content = Content(visible(value))
    return content.stylize(style) if style else content


def lines(*parts: Content | str) -> Content:
    """Join pieces of content with newlines (str pieces are taken literally)."""
    out = Content("")
    for i, part in enumerate(parts):
        if i:
            out = out + Content("\n")
        out = out + (part if isinstance(part, Content) else lit(part))
    return out


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` terminal cells (full-width aware)."""
    if width <= 0:
        return ""
    if text.isascii() and text.isprintable():  # one cell a character: no width tables to consult
        n = len(text)
        return text[: width - 1] + "…" if n > width else text + " " * (width - n)
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


# --- bindings in the UI language ----------------------------------------------------------------


def localize_bindings(node: Any, lang: str) -> None:
    """Replace message ids used as binding descriptions by their text in ``lang``.

    Descriptions in ``BINDINGS`` are message ids of ``hwdesk.texts`` (e.g. ``"k.save"``); the
    Footer and the command palette then show them in the chosen language.
    """
    new: dict[str, list[Binding]] = {}
    for key, items in key_bindings(node).items():
        new[key] = [replace(b, description=tr(b.description, lang)) if b.description in CATALOGUE else b for b in items]
    set_key_bindings(node, new)


def supervisor_refusal(actor: Any, what_key: str, lang: str) -> str | None:
    """The PermissionDenied message for an actor below supervisor (None when allowed); ``what_key``
    names the action in the refusal. The same check the services apply; they refuse again on every call.
    """
    from hwdesk.errors import PermissionDenied
    from hwdesk.services.context import require

    if actor is None:
        return "—"
    try:
        require(actor, "supervisor", what_ja=tr(what_key, "ja"), what_en=tr(what_key, "en"))
    except PermissionDenied as exc:
        return exc.message(lang)
    return None


# --- the header ---------------------------------------------------------------------------------


class StaffHeader(Horizontal):
    """Title on the left; the signed-in person, role and office on the right. Always literal."""

    DEFAULT_CSS = """
    StaffHeader { height: 1; dock: top; background: $panel; color: $text; }
    StaffHeader > #hdr-title { width: auto; padding: 0 1; text-style: bold; background: $primary; color: $text; }
    StaffHeader > #hdr-screen { width: 1fr; padding: 0 1; color: $text-muted; }
    StaffHeader > #hdr-demo { width: auto; padding: 0 1; background: $warning; color: $background; display: none; }
    StaffHeader > #hdr-who { width: auto; padding: 0 1; }
    """

    #: Below this width the right side is the name and the office's short name only.
    NARROW = 100

    def __init__(self, screen_title: str = "") -> None:
        super().__init__()
        self._screen_title = screen_title
        self._short = False

    def compose(self):
        app: HwdeskApp = self.app  # type: ignore[assignment]  # Textual types .app as the base App
        yield Static(lit(tr("app.short", app.lang)), id="hdr-title")
        yield Static(lit(self._screen_title), id="hdr-screen")
        demo = Static(lit(tr("header.demo", app.lang)), id="hdr-demo")
        demo.display = bool(getattr(app, "is_demo", False))
        yield demo
        self._short = app.size.width < self.NARROW
        yield Static(app.who_content(short=self._short), id="hdr-who")

    def on_resize(self, event) -> None:
        if (event.size.width < self.NARROW) != self._short:
            self._short = not self._short
            self.refresh_who()

    def refresh_who(self) -> None:
        """Show the current person again (after sign-in / sign-out)."""
        app: HwdeskApp = self.app  # type: ignore[assignment]  # Textual types .app as the base App
        try:
            self.query_one("#hdr-who", Static).update(app.who_content(short=self._short))
            self.query_one("#hdr-demo", Static).display = bool(getattr(app, "is_demo", False))
        except Exception:  # not composed yet
            pass


# --- screens ------------------------------------------------------------------------------------


class DbMixin:
    """Database work in thread workers; results come back on the UI thread.

    ``self.db(fn, ok)`` runs ``fn(session)`` in a thread worker inside ``store.read()`` (or
    ``store.write()`` with ``write=True``) and calls ``ok(result)`` on the UI thread; errors go to
    ``err(exc)`` (default: ``self.show_error``). With ``exclusive=True`` (the default) a newer
    call in the same group supersedes an older one: the older one's result is dropped.
    """

    _db_tokens: dict[str, object]

    def busy(self, group: str) -> bool:
        """Whether a worker of ``group`` started by this node is still running (a second Ctrl+S
        while a save is in flight is ignored rather than saving twice)."""
        from textual.worker import WorkerState

        node: Widget = self  # type: ignore[assignment]  # a mixin of Widget subclasses
        return any(
            w.node is node and w.group == group and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            for w in node.app.workers
        )

    def supersede(self, group: str) -> None:
        """Drop the result of any query in flight in ``group``."""
        if not hasattr(self, "_db_tokens"):
            self._db_tokens = {}
        self._db_tokens[group] = object()

    def db(
        self,
        fn: Callable[[Any], Any],
        ok: Callable[[Any], object] | None = None,
        err: Callable[[BaseException], object] | None = None,
        *,
        write: bool = False,
        group: str = "db",
        exclusive: bool = True,
        lane: bool = False,
        store: bool = False,
    ):
        """Run ``fn(session)`` off the UI thread; ``ok(result)`` / ``err(exc)`` on the UI thread.

        With ``store=True`` ``fn`` gets the store itself, for a service that runs its own
        transactions (sign-in checks a password between a read and a write, inside neither).

        With ``lane=True`` (reads only, for keystroke paths such as search) the call goes to one
        long-lived thread worker per group that runs only the newest request: no worker is
        created per keystroke (that hand-off alone was ~3 ms of a 16 ms budget), and a request
        superseded before it started is never run. Its statements run as ``Store.lookup``'s,
        each on its own.
        """
        node: Widget = self  # type: ignore[assignment]  # a mixin of Widget subclasses
        app: HwdeskApp = node.app  # type: ignore[assignment]  # Textual types .app as the base App
        if not hasattr(self, "_db_tokens"):
            self._db_tokens = {}
        token = object()
        self._db_tokens[group] = token

        def current() -> bool:
            return (not exclusive) or self._db_tokens.get(group) is token

        def deliver(callback: Callable[[Any], object] | None, value: Any) -> None:
            def run() -> None:
                if not current():
                    return
                if not node.is_attached and callback is not None and callback != app.show_error:
                    return
                if callback is not None:
                    try:
                        callback(value)
                    except Exception as exc:  # a bug in a callback must not take the app down
                        log.exception("screen callback failed")
                        app.show_error(exc)

            try:
                app.call_from_thread(run)
            except RuntimeError:  # app shutting down
                pass

        def stale(worker) -> bool:
            return exclusive and (worker.is_cancelled or not current())

        def job() -> None:
            worker = get_current_worker()
            if lane and stale(worker):
                return
            try:
                db = app.wait_store()
                if store:
                    result = fn(db)
                elif write:
                    with db.write() as session:
                        result = fn(session)
                else:
                    with db.lookup() if lane else db.read() as session:
                        result = fn(session)
            except Exception as exc:  # every failure is shown, never raised into Textual
                if not stale(worker) or not exclusive:
                    deliver(err or app.show_error, exc)
                return
            if stale(worker):
                return
            deliver(ok, result)

        if lane and not write:
            lanes = self.__dict__.setdefault("_db_lanes", {})
            if group not in lanes or lanes[group].finished:
                lanes[group] = _Lane()
                node.run_worker(lanes[group].loop, thread=True, group=f"lane:{group}", exit_on_error=False)
            lanes[group].submit(job)
            return None
        return node.run_worker(job, thread=True, exclusive=exclusive, group=group, exit_on_error=False)


class _Lane:
    """The loop of a long-lived thread worker that runs the newest job submitted to it."""

    def __init__(self) -> None:
        import threading

        self._cv = threading.Condition()
        self._job: Callable[[], None] | None = None
        self._running = False
        self.finished = False

    @property
    def idle(self) -> bool:
        """No job waiting and none running."""
        with self._cv:
            return self._job is None and not self._running

    def submit(self, job: Callable[[], None]) -> None:
        """Queue ``job``, replacing one that has not started yet."""
        with self._cv:
            self._job = job
            self._cv.notify()

    def loop(self) -> None:
        worker = get_current_worker()
        try:
            while True:
                with self._cv:
                    while self._job is None and not worker.is_cancelled:
                        self._cv.wait(0.5)  # wakes now and then to notice cancellation
                    if worker.is_cancelled:
                        return
                    job, self._job = self._job, None
                    assert job is not None  # the wait ends with a job or a cancellation
                    self._running = True
                try:
                    job()
                finally:
                    with self._cv:
                        self._running = False
        finally:
            self.finished = True


def when_composed(fn):
    """Skip a worker's result that arrives after the screen was closed (its widgets are gone)."""
    from functools import wraps

    from textual.css.query import NoMatches

    @wraps(fn)
    def run(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except NoMatches:
            return None

    return run


class _Localized(Screen):
    """What screens and dialogs share: the app, its language and its texts."""

    @property
    def hw(self) -> HwdeskApp:
        """The running app, with hwdesk's own attributes."""
        return self.app  # type: ignore[return-value]  # Textual types it as the base App

    @property
    def lang(self) -> str:
        """The language the staff member chose ("ja" or "en")."""
        try:
            return self.hw.lang
        except Exception:  # pragma: no cover - no active app
            return "ja"

    def t(self, key: str, **values: object) -> str:
        """The text ``key`` in the chosen language."""
        return tr(key, self.lang, **values)


class HwScreen(PacedRepaint, DbMixin, _Localized):
    """A full screen with the staff header and localized bindings."""

    TITLE_KEY = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        localize_bindings(self, self.lang)

    def header(self) -> StaffHeader:
        return StaffHeader(self.t(self.TITLE_KEY) if self.TITLE_KEY else "")

    def home_office(self) -> str:
        """The signed-in person's office (the day views open on it)."""
        actor = self.hw.actor
        return actor.office_id if actor is not None else "takamatsu"

    def on_resize(self, event) -> None:
        # Layout classes for small terminals (Textual CSS has no media queries):
        # "narrow" below 100 columns, "short" below 30 lines (80×24 stays readable).
        self.set_class(event.size.width < 100, "narrow")
        self.set_class(event.size.height < 30, "short")


class OfficeScreen(HwScreen):
    """A screen of one office's sessions (queue, week, reminders, interpreters): it opens on the
    signed-in person's office unless given one, loads on mount, and loads again when shown again
    once a first load is shown (``view``). A subclass defines ``reload``; Textual also runs a
    subclass's own ``on_mount`` (timers and the like), before this one."""

    office_id: str | None = None
    #: What the last load showed; None until the first one arrives.
    view: Any = None

    def on_mount(self) -> None:
        if self.office_id is None:
            self.office_id = self.home_office()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self.reload()

    def reload(self) -> None:
        """Load what the screen shows (in a worker) and show it."""
        raise NotImplementedError

    def action_reload(self) -> None:
        self.reload()

    def reload_saying(self, message: str | None) -> None:
        """What a form or dialog opened from here gave back: say it and load again (nothing when cancelled)."""
        if message:
            self.hw.say(message)
            self.reload()


class HwModal(PacedRepaint, DbMixin, _Localized, ModalScreen):
    """A dialog over the current screen (localized bindings)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        localize_bindings(self, self.lang)


# --- drafts -------------------------------------------------------------------------------------


def snapshot(screen: Widget) -> dict[str, Any]:
    """Values of every input-like widget with an id (for a draft)."""
    from textual.widgets import Checkbox, Select, TextArea  # not on the cold path (sign-in has none)

    out: dict[str, Any] = {}
    for w in screen.query("Input, Select, Checkbox, TextArea, YesNo"):
        if not w.id:
            continue
        if isinstance(w, Input):
            out[w.id] = w.value
        elif isinstance(w, Select):
            out[w.id] = None if w.value is Select.NULL else w.value
        elif isinstance(w, Checkbox):
            out[w.id] = w.value
        elif isinstance(w, TextArea):
            out[w.id] = w.text
        else:
            out[w.id] = getattr(w, "value", None)
    return out


def restore(screen: Widget, values: dict[str, Any]) -> None:
    """Put a draft's values back into the widgets with those ids."""
    from textual.widgets import Checkbox, Select, TextArea

    for wid, value in values.items():
        try:
            w = screen.query_one(f"#{wid}")
        except Exception:
            continue
        try:
            if isinstance(w, Input):
                w.value = value or ""
            elif isinstance(w, Select):
                if value is not None:
                    w.value = value
            elif isinstance(w, Checkbox):
                w.value = bool(value)
            elif isinstance(w, TextArea):
                w.load_text(value or "")
            elif hasattr(w, "value"):
                w.value = value
        except Exception:  # an option that no longer exists
            pass
