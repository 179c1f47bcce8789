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

from hwdesk.errors import HwdeskError

# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal may act on or that reorder
# text: DEL, C1 controls, bidi controls, line/paragraph separators, BOM, lone surrogates. They
# are written as \uXXXX escapes: still valid JSON for scripts, inert on a terminal.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff\ud800-\udfff]")

EXIT_REFUSED = 2


class Ctx:
    """What a command needs: parsed arguments, the store (opened lazily) and the language."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lang: str = args.lang
        self._store = None

    @property
    def store(self):
        """The database, opened (and migrated) on first use."""
        if self._store is None:
            from hwdesk.db import open_store

            self._store = open_store(self.args.db)
            from hwdesk.services.offices import sync_offices

            with self._store.write() as s:
                sync_offices(s)
        return self._store

    def actor(self):
        """The staff member named by ``--as`` after checking the password (HWDESK_PASSWORD or a prompt)."""
        from hwdesk.services import auth

        login = self.args.as_staff or os.environ.get("HWDESK_STAFF")
        if not login:
            raise HwdeskError(
                "書き込む操作には --as 職員ID が必要です。", "Commands that write need --as STAFF_ID."
            )
        password = os.environ.get("HWDESK_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise HwdeskError(
                    "パスワードを HWDESK_PASSWORD で渡すか、端末から入力してください。",
                    "Give the password in HWDESK_PASSWORD or type it at a terminal.",
                )
            password = getpass.getpass(f"{login} のパスワード / password: ")
        with self.store.write() as s:
            return auth.sign_in(s, login=login, password=password)

    def out_json(self, data) -> None:
        """Print JSON for scripts (UTF-8, not ASCII-escaped)."""
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        print(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))

    def msg(self, ja: str, en: str) -> str:
        """Pick the message for the chosen language."""
        return en if self.lang == "en" else ja


Handler = Callable[[Ctx], int | None]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from hwdesk.cli import admin, seekers

    parser = argparse.ArgumentParser(prog="hwdesk", description="ハローワーク オンラインサービス窓口システム / Hello Work online counter")
    parser.add_argument("--db", default=None, help="SQLite file or SQLAlchemy URL (default: HWDESK_DB, else a file in the user data dir)")
    parser.add_argument("--lang", choices=("ja", "en"), default=os.environ.get("HWDESK_LANG", "ja"))
    parser.add_argument("--as", dest="as_staff", default=None, help="staff ID to act as (password from HWDESK_PASSWORD or a prompt)")
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
                        child.add_argument(*o.option_strings, dest=o.dest, choices=o.choices, help=o.help,
                                           default=argparse.SUPPRESS)
                    add_to(child)

    add_to(parser)


def _optional_modules():
    """Command modules added by later features (present when their code is)."""
    import importlib

    out = []
    for name in ("sessions", "handouts", "printers", "records", "usage", "maintenance", "serve"):
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
        print(exc.message(ctx.lang), file=sys.stderr)
        failures = getattr(exc, "failures", None)
        for f in failures or []:
            print("  " + (f.line("", ctx.lang) if hasattr(f, "line") else str(f)), file=sys.stderr)
        return EXIT_REFUSED
    except ValueError as exc:  # jtext.ParseError and friends
        from hwdesk.errors import user_message

        print(user_message(exc, ctx.lang), file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    finally:
        if ctx._store is not None:
            ctx._store.dispose()
