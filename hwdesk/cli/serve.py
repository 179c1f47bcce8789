"""``hwdesk serve``: the app in a browser (textual-serve), for a supervisor's queue on any desk.

Each browser connection starts its own app process, which still requires sign-in. It listens on
loopback unless told otherwise; to reach it from other machines put it behind a TLS reverse proxy
(docs/deployment.md) rather than exposing the port.
"""

from __future__ import annotations

import shlex
import sys

from hwdesk.cli import bounded_int


def register(sub) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="serve the app in a web browser (sign-in still required)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=bounded_int("--port", 1, 65535), default=8000)
    p.add_argument("--public-url", default=None, help="the URL browsers use, when behind a reverse proxy")
    p.set_defaults(handler=cmd_serve)


def app_command(db: str | None, lang: str) -> str:
    """The shell command textual-serve runs for each browser session."""
    parts = [sys.executable, "-m", "hwdesk", "--lang", lang]
    if db:
        parts += ["--db", db]
    parts.append("app")
    return " ".join(shlex.quote(p) for p in parts)


def cmd_serve(ctx) -> int:
    """Serve until interrupted."""
    from textual_serve.server import Server

    from hwdesk.db import resolve_url

    url = resolve_url(ctx.args.db)  # resolve once so every browser session opens the same database
    if ctx.args.host not in ("127.0.0.1", "localhost", "::1"):
        print(ctx.msg(
            f"注意: {ctx.args.host} で待ち受けます。他の端末から使う場合は TLS のリバースプロキシの背後に置いてください（docs/deployment.md）。",
            f"Note: listening on {ctx.args.host}. To use it from other machines, put it behind a TLS reverse proxy (docs/deployment.md).",
        ), file=sys.stderr)
    _require_free_port(ctx.args.host, ctx.args.port)
    server = Server(app_command(url, ctx.lang), host=ctx.args.host, port=ctx.args.port, title="hwdesk", public_url=ctx.args.public_url)
    server.serve()
    return 0


def _require_free_port(host: str, port: int) -> None:
    """Refuse with a plain message when the address is taken (not a traceback from the server)."""
    import socket

    from hwdesk.errors import HwdeskError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise HwdeskError(f"待ち受けるアドレスが不正です: {host}（{exc}）", f"Bad address to listen on: {host} ({exc}).") from None
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
