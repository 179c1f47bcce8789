"""The ``hwdesk`` console script: the app, and commands for bulk work and scripts.

Each submodule registers its subcommands (``register(sub)``) and implements them with the
same services the screens call, so rules and messages are the same everywhere. A refused
action prints its reason on stderr and exits with status 2; no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from hwdesk.errors import HwdeskError

if TYPE_CHECKING:
    from hwdesk.db import Store

EXIT_REFUSED = 2

_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")  # ASCII digits only ('²' is a digit to str.isdigit)
# Ids are PostgreSQL integers (int4): anything larger is no row, and the driver would refuse it.
ID_MAX = 2_147_483_647


def bounded_int(option: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a JA/EN message (exit 2).

    Bounds are checked before any work: ``--limit 10**30`` neither reaches the database nor
    asks it for a billion rows.
    """

    def parse(text: str) -> int:
        value = text.strip()
        if not _INTEGER.fullmatch(value) or not (low <= int(value) <= high):
            raise argparse.ArgumentTypeError(
                f"{option} は {low}〜{high} の整数で指定してください（入力: {value[:20]!r}） / "
                f"{option} must be a whole number from {low} to {high} (got {value[:20]!r})"
            )
        return int(value)

    parse.__name__ = "integer"  # argparse names the type in its own messages
    return parse


def id_arg(option: str) -> Callable[[str], int]:
    """An argparse type for a row id (1 … ID_MAX)."""
    return bounded_int(option, 1, ID_MAX)


def check_office(name: str) -> None:
    """Refuse an office that has no terms (the NotFound names the offices that exist)."""
    from hwdesk.terms import office_profile

    office_profile(name)


def day_option(text: str, field: str):
    """A day given as an option's value (ISO or 和暦); a refusal names ``field``."""
    from hwdesk.jtext.dates import parse_day

    return parse_day(text, field=field)


class Ctx:
    """What a command needs: parsed arguments, the store (opened lazily) and the language."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lang: str = args.lang
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The database, opened (and migrated) on first use.

        Opening takes no write lock: reads run under another process's write transaction and on
        a read-only file. The shipped offices are written only into a database that has none (a
        new one); offices or terms versions added to ``data/`` since are synced by the next
        command that signs in to write (``actor``).
        """
        if self._store is None:
            from hwdesk.db import open_store

            self._store = open_store(self.args.db)
            self._sync_offices(writer=False)
        return self._store

    def _sync_offices(self, *, writer: bool) -> None:
        from hwdesk.services.offices import offices_synced, sync_offices

        assert self._store is not None  # opened by ``store``
        with self._store.read() as s:
            synced = offices_synced(s)
        if synced or (synced is False and not writer):
            return
        with self._store.write() as s:
            sync_offices(s)

    def actor(self):
        """The staff member named by ``--as`` after checking the password (HWDESK_PASSWORD or a prompt)."""
        from hwdesk.services import auth

        login, password = self.credentials()
        actor = auth.sign_in(self.store, login=login, password=password)
        self._sync_offices(writer=True)
        return actor

    def credentials(self) -> tuple[str, str]:
        """(login, password) of ``--as`` (or HWDESK_STAFF) and HWDESK_PASSWORD or a prompt, unchecked."""
        login = self.args.as_staff or os.environ.get("HWDESK_STAFF")
        if not login:
            raise HwdeskError("書き込む操作には --as 職員ID が必要です。", "Commands that write need --as STAFF_ID.")
        password = os.environ.get("HWDESK_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise HwdeskError(
                    "パスワードを HWDESK_PASSWORD で渡すか、端末から入力してください。",
                    "Give the password in HWDESK_PASSWORD or type it at a terminal.",
                )
            password = getpass.getpass(f"{login} のパスワード / password: ")
        return login, password

    def reader(self):
        """The signed-in staff member for a command that shows personal data (``--as`` is required)."""
        if not (self.args.as_staff or os.environ.get("HWDESK_STAFF")):
            raise HwdeskError(
                "個人情報を表示する操作には --as 職員ID が必要です（表示は監査ログに記録されます）。",
                "Commands that show personal data need --as STAFF_ID (the view is recorded in the audit log).",
            )
        return self.actor()

    def audit_read(self, actor, *, office_id: str = "", rows: int, **detail) -> None:
        """Record that ``actor`` viewed ``rows`` records through this command (counts, never contents).

        Called after the read and before printing: nothing is shown unless the view is recorded.
        """
        from hwdesk import audit

        command = " ".join(
            c for c in (self.args.command, getattr(self.args, f"{self.args.command}_command", None)) if c
        )
        with self.store.write() as s:
            audit.record(
                s,
                staff_id=actor.id or None,
                action="cli.read",
                entity="cli",
                entity_id=command,
                office_id=office_id or "",
                extra={"rows": rows, "json": bool(getattr(self.args, "json", False)), **detail},
            )

    def echo(self, *parts: object, file=None) -> None:
        """Print stored text for a terminal: every part through ``jtext.safety.safe_lines`` (controls shown, not obeyed)."""
        from hwdesk.jtext.safety import safe_lines

        print(safe_lines(" ".join(str(p) for p in parts)), file=file)

    def out_json(self, data) -> None:
        """Print JSON for scripts (UTF-8, not ASCII-escaped)."""
        from hwdesk.jtext.safety import json_safe

        print(json_safe(json.dumps(data, ensure_ascii=False, indent=2, default=str)))

    def msg(self, key: str, **values: object) -> str:
        """The message ``key`` of ``hwdesk.texts`` in the chosen language, placeholders filled."""
        from hwdesk.texts import tr

        return tr(key, self.lang, **values)

    def pick(self, ja: str, en: str) -> str:
        """The chosen language's half of a pair that is data (an office's wording, a service's
        bilingual result), not a message of the catalogue."""
        from hwdesk.texts import pick

        return pick(ja, en, self.lang)


Handler = Callable[[Ctx], int | None]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from hwdesk.cli import admin, seekers

    parser = argparse.ArgumentParser(
        prog="hwdesk", description="ハローワーク オンラインサービス窓口システム / Hello Work online counter"
    )
    parser.add_argument(
        "--db",
        default=None,
        help="SQLite file or SQLAlchemy URL (default: HWDESK_DB, else a file in the user data dir)",
    )
    parser.add_argument("--lang", choices=("ja", "en"), default=os.environ.get("HWDESK_LANG", "ja"))
    parser.add_argument(
        "--as", dest="as_staff", default=None, help="staff ID to act as (password from HWDESK_PASSWORD or a prompt)"
    )
    sub = parser.add_subparsers(dest="command")
    for module in (admin, seekers, *_optional_modules()):
        module.register(sub)
    _globals_after_subcommands(parser)
    return parser


GLOBAL_DESTS = ("db", "lang", "as_staff")


def _globals_after_subcommands(parser: argparse.ArgumentParser) -> None:
    """Let ``--db``, ``--lang`` and ``--as`` also follow the subcommand (``hwdesk queue --db x``).

    Every subcommand's parser, nested ones too, gets a copy of each global option whose default
    is SUPPRESS: a copy not given leaves the value parsed before the subcommand alone, one given
    after it wins (as the later of two options does).
    """
    options = [a for a in parser._actions if a.dest in GLOBAL_DESTS]

    def add_to(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in dict.fromkeys(action.choices.values()):  # aliases share one parser
                    for o in options:
                        child.add_argument(
                            *o.option_strings, dest=o.dest, choices=o.choices, help=o.help, default=argparse.SUPPRESS
                        )
                    add_to(child)

    add_to(parser)


def _optional_modules():
    """Command modules added by later features (present when their code is)."""
    import importlib

    out = []
    for name in (
        "sessions",
        "handouts",
        "printers",
        "records",
        "usage",
        "maintenance",
        "serve",
        "staff",
        "counter",
        "notices",
        "interpreters",
        "followup",
    ):
        try:
            out.append(importlib.import_module(f"hwdesk.cli.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"hwdesk.cli.{name}":
                raise
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``hwdesk`` console script; a reader that stops early ends it quietly."""
    try:
        code = _main(argv)
        sys.stdout.flush()  # output still buffered meets a closed pipe here, not at interpreter exit
        return code
    except BrokenPipeError:
        # `hwdesk … --json | head -1`: the reader has gone, and nothing is wrong. Point stdout at
        # /dev/null so the flush at exit does not fail again, and end as a process that SIGPIPE
        # ends does (128 + 13), without a traceback. Writes are transactions: none is half-done.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is not a file (tests capture it)
            pass
        return 141


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    ctx = Ctx(args)
    if not args.command:
        from hwdesk.cli.admin import run_app

        return run_app(ctx) or 0
    try:
        return args.handler(ctx) or 0
    except HwdeskError as exc:
        # Messages quote stored text (a name in a refusal): shown, never obeyed, as all output.
        ctx.echo(exc.message(ctx.lang), file=sys.stderr)
        failures = getattr(exc, "failures", None)
        for f in failures or []:
            ctx.echo("  " + (f.line("", ctx.lang) if hasattr(f, "line") else str(f)), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    finally:
        if ctx._store is not None:
            ctx._store.dispose()
