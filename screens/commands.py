"""The command palette (Ctrl+P): every screen and action, by its Japanese and English name; and
Textual's own palette entries (theme, quit, keys …) in the UI's language."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from hwdesk.texts import CATALOGUE, both, tr
from screens.textual_private import guard_option_list_paging, guard_palette_closing, guard_palette_countdowns

guard_option_list_paging()
guard_palette_closing()
guard_palette_countdowns()


def palette_commands(app: Any, lang: str) -> list[tuple[str, Callable[[], Any], str]]:
    """Command palette entries (name in both languages, callback, help) for the supervisor screens,
    the audit log and the monthly report; the screens refuse a clerk themselves."""
    from screens.audit_log import AuditLogScreen
    from screens.reports import ReportsScreen

    out: list[tuple[str, Callable[[], Any], str]] = []
    for key, factory in (("audit.cmd", AuditLogScreen), ("reports.cmd", ReportsScreen)):
        out.append((both(key), partial(app.call_later, lambda f=factory: app.push_screen(f())), tr(key, lang)))
    return out


# (message id of the name, app action) — shown when signed in.
GLOBAL_COMMANDS = (
    ("cmd.search", "search"),
    ("cmd.new_seeker", "new_seeker"),
    ("cmd.queue", "queue"),
    ("cmd.reminders", "reminders"),
    ("cmd.week", "week"),
    ("cmd.interpreters", "interpreters"),
    ("cmd.read_terms", "read_terms"),
    ("cmd.usage_records", "usage_records"),
    ("cmd.notices", "notices"),
    ("cmd.lock", "lock"),
    ("cmd.theme", "toggle_theme"),
    ("cmd.sign_out", "sign_out"),
    ("cmd.quit", "quit"),
)
SIGNED_OUT_COMMANDS = (("cmd.theme", "toggle_theme"), ("cmd.quit", "quit"))


class HwdeskCommands(Provider):
    """Global commands plus the actions of the screen the palette was opened on."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app: Any = self.app
        if getattr(app, "locked", False):
            return []
        lang = getattr(app, "lang", "ja")
        out: list[tuple[str, Callable[[], Any], str]] = []
        signed_in = getattr(app, "actor", None) is not None
        for key, action in GLOBAL_COMMANDS if signed_in else SIGNED_OUT_COMMANDS:
            out.append((both(key), partial(app.call_later, app.run_action, action), tr(key, lang)))
        if signed_in:  # supervisor screens (audit log, monthly report); they refuse a clerk themselves
            out.extend(palette_commands(app, lang))
        screen = self.screen
        seen: set[str] = set()
        for binding in Binding.make_bindings(getattr(type(screen), "BINDINGS", [])):
            desc = binding.description
            if desc not in CATALOGUE or binding.action in seen or desc in seen:
                continue
            seen.update((binding.action, desc))
            try:
                if screen.check_action(binding.action.split("(")[0], ()) is False:
                    continue
            except Exception:
                continue
            name = both(desc)
            help_text = tr("cmd.screen_action", lang, name=tr(desc, lang)) + f"  [{binding.key}]"
            out.append((name, partial(app.call_later, screen.run_action, binding.action), help_text))
        return out

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


# Textual's palette commands by their English title → our message key's name (``sys.<name>`` and
# ``sys.<name>.help`` in hwdesk/texts/frame.py).
SYSTEM_COMMAND_KEYS = {
    "Theme": "theme",
    "Quit": "quit",
    "Keys": "keys",
    "Maximize": "maximize",
    "Minimize": "minimize",
    "Screenshot": "screenshot",
}


def localized_system_commands(commands: Iterable[SystemCommand], lang: str) -> Iterator[SystemCommand]:
    """Textual's own palette entries (theme, quit, keys, maximize, screenshot) in ``lang``: the same
    commands, their titles and help looked up by Textual's English title."""
    for cmd in commands:
        key = SYSTEM_COMMAND_KEYS.get(cmd.title)
        if key is None:  # a command a newer Textual added: shown as Textual names it
            yield cmd
            continue
        hide = ".hide" if cmd.help.startswith("Hide") else ""
        title, help_ = tr(f"sys.{key}", lang), tr(f"sys.{key}{hide}.help", lang)
        yield SystemCommand(title, help_, cmd.callback, cmd.discover)
