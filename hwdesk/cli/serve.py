"""``hwdesk serve``: the app in a browser (textual-serve), for a supervisor's queue on any desk.

Each browser connection starts its own app process, which still requires sign-in. It listens on
loopback unless told otherwise; to reach it from other machines put it behind a TLS reverse proxy
(docs/deployment.md) rather than exposing the port.

What this adds to textual-serve:

- the database URL reaches each app process in its environment (``HWDESK_DB``), never on its
  command line (which every local user can read in ``ps``), and the start banner shows it with
  the password masked;
- a WebSocket is accepted only from the page's own origin (``--public-url``, else
  ``http://HOST:PORT``; more with ``--allow-origin``), so another web site open in the same
  browser cannot drive a session;
- at most ``--max-sessions`` app processes at once (default 8); beyond that the page and the
  WebSocket are refused with 503 and a plain message;
- the page loads nothing from outside hosts: textual-serve's link to Google Fonts is replaced by
  the Roboto Mono that textual-serve ships in its own static files.
"""

from __future__ import annotations

import os
import shlex
import sys
from urllib.parse import urlsplit

from hwdesk.cli import bounded_int

DEFAULT_MAX_SESSIONS = 8
GOOGLE_FONTS_LINK = "https://fonts.googleapis.com/css?family=Roboto%20Mono"
LOCAL_FONT = """<style>
      @font-face {
        font-family: "Roboto Mono";
        src: url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
        font-weight: 100 700;
      }
    </style>"""


def register(sub) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="serve the app in a web browser (sign-in still required)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=bounded_int("--port", 1, 65535), default=8000)
    p.add_argument("--public-url", default=None, help="the URL browsers use, when behind a reverse proxy")
    p.add_argument(
        "--max-sessions",
        type=bounded_int("--max-sessions", 1, 1000),
        default=DEFAULT_MAX_SESSIONS,
        help=f"browser sessions (app processes) at once; more are refused politely (default {DEFAULT_MAX_SESSIONS})",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="another origin (scheme://host[:port]) whose pages may open sessions; repeatable",
    )
    p.set_defaults(handler=cmd_serve)


def app_command(lang: str) -> str:
    """The shell command textual-serve runs for each browser session (the database is in HWDESK_DB)."""
    parts = [sys.executable, "-m", "hwdesk", "--lang", lang, "app"]
    return " ".join(shlex.quote(p) for p in parts)


def masked(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for banners and logs)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL: an SQLite path has no password
        return url


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, as a browser sends it in ``Origin``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def index_template() -> str:
    """textual-serve's page with its one outside reference (Google Fonts) replaced by a local font."""
    import inspect
    from pathlib import Path

    from textual_serve.server import Server

    path = Path(inspect.getfile(Server)).parent / "templates" / "app_index.html"
    html = path.read_text(encoding="utf-8")
    start = html.find("<link", html.find(GOOGLE_FONTS_LINK) - 80)
    end = html.find("/>", start) + 2
    if GOOGLE_FONTS_LINK not in html or start < 0 or end < 2:
        return html
    return html[:start] + LOCAL_FONT + html[end:]


def make_server(
    command: str, *, host: str, port: int, public_url: str | None, max_sessions: int, allowed: list[str], lang: str
):
    """A textual-serve ``Server`` with the origin check, the session cap and a page without outside hosts."""
    import aiohttp_jinja2
    import jinja2
    from aiohttp import web
    from textual_serve.server import Server

    from hwdesk.texts import tr

    refuse_full = tr("cli.serve.at_limit", lang, n=max_sessions)
    refuse_origin = tr("cli.serve.bad_origin", lang)

    class HwdeskServer(Server):
        """textual-serve, hardened for hwdesk (see the module doc)."""

        active = 0

        @property
        def origins(self) -> set[str]:
            return {origin_of(self.public_url), *(origin_of(o) for o in allowed)}

        async def _make_app(self) -> web.Application:
            app = web.Application()
            aiohttp_jinja2.setup(app, loader=jinja2.DictLoader({"app_index.html": index_template()}))
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws", self.handle_websocket, name="websocket"),
                    web.get("/download/{key}", self.handle_download, name="download"),
                    web.static("/static", self.statics_path, show_index=False, name="static"),
                ]
            )
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        async def on_startup(self, app) -> None:
            # The banner names no command (textual-serve's shows it) and no database URL.
            pass

        async def handle_index(self, request):
            if self.active >= max_sessions:
                return web.Response(status=503, text=refuse_full, content_type="text/plain", charset="utf-8")
            return await super().handle_index(request)

        async def handle_websocket(self, request):
            origin = (request.headers.get("Origin") or "").lower()
            if origin not in self.origins:
                return web.Response(status=403, text=refuse_origin, content_type="text/plain", charset="utf-8")
            if self.active >= max_sessions:
                return web.Response(status=503, text=refuse_full, content_type="text/plain", charset="utf-8")
            type(self).active += 1
            try:
                return await super().handle_websocket(request)
            finally:
                type(self).active -= 1

    return HwdeskServer(command, host=host, port=port, title="hwdesk", public_url=public_url)


def cmd_serve(ctx) -> int:
    """Serve until interrupted."""
    from hwdesk.db import resolve_url
    from hwdesk.errors import HwdeskError

    if ctx.args.max_sessions < 1:
        raise HwdeskError("--max-sessions は 1 以上です。", "--max-sessions must be 1 or more.")
    url = resolve_url(ctx.args.db)  # resolve once so every browser session opens the same database
    # Children inherit the environment; their command lines (readable by every user in ps) carry no URL.
    os.environ["HWDESK_DB"] = url
    if ctx.args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            ctx.msg("cli.serve.note_listening_use_it", host=ctx.args.host),
            file=sys.stderr,
        )
    _require_free_port(ctx.args.host, ctx.args.port)
    server = make_server(
        app_command(ctx.lang),
        host=ctx.args.host,
        port=ctx.args.port,
        public_url=ctx.args.public_url,
        max_sessions=ctx.args.max_sessions,
        allowed=ctx.args.allow_origin,
        lang=ctx.lang,
    )
    print(
        ctx.msg("cli.serve.serving", public_url=server.public_url, db=masked(url), max_sessions=ctx.args.max_sessions),
        flush=True,
    )
    server.serve()
    return 0


def _require_free_port(host: str, port: int) -> None:
    """Refuse with a plain message when the address is taken (not a traceback from the server)."""
    import socket

    from hwdesk.errors import HwdeskError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise HwdeskError(
            f"待ち受けるアドレスが不正です: {host}（{exc}）", f"Bad address to listen on: {host} ({exc})."
        ) from None
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            raise HwdeskError(
                f"{host}:{port} は使用中か使えません（{exc.strerror}）。--port で別のポートを指定してください。",
                f"{host}:{port} is in use or not allowed ({exc.strerror}); choose another with --port.",
            ) from None
