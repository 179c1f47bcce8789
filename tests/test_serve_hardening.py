"""Issue 21, finding 6: ``hwdesk serve`` keeps the database URL out of command lines and banners,
accepts WebSockets only from its own page, caps the sessions, and loads nothing from outside hosts."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_serve import _free_port, _wait_port

SECRET = "s3cret-Pa55word"


def _descendants(pid: int) -> list[int]:
    out = []
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for c in children:
        out.append(int(c))
        out.extend(_descendants(int(c)))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.fixture
def served(tmp_path):
    """``hwdesk serve`` on a demo database named by HWDESK_DB with a password-bearing URL in the
    banner test; yields (port, process, stdout file)."""
    servers = []

    def start(db_url: str, *extra: str):
        port = _free_port()
        out = tmp_path / f"serve-{port}.out"
        env = {**os.environ, "HWDESK_DB": db_url, "HWDESK_TERMINAL": "serve-test"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "hwdesk", "--lang", "en", "serve", "--port", str(port), *extra],
            stdout=out.open("w"),
            stderr=subprocess.STDOUT,
            env=env,
        )
        servers.append(proc)
        _wait_port(port)
        return port, proc, out

    yield start
    for proc in servers:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "served.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "hwdesk", "--db", str(db), "demo", "--seekers", "3"], check=True, capture_output=True
    )
    return db


async def _ws(port: int, origin: str | None):
    import aiohttp

    headers = {"Origin": origin} if origin else {}
    session = aiohttp.ClientSession()
    try:
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24", headers=headers)
    except aiohttp.WSServerHandshakeError as exc:
        await session.close()
        return exc.status, None, None
    return 101, ws, session


def test_url_reaches_children_by_environment_not_argv_and_banner_masks_the_password(served, demo_db):
    # A PostgreSQL-style URL with a password (never connected to here: the banner and the child's
    # command line are what is checked), then a real database for the child processes.
    port, proc, out = served(f"postgresql+psycopg://hw:{SECRET}@127.0.0.1:1/none")
    time.sleep(0.5)
    banner = out.read_text()
    assert SECRET not in banner and "postgresql+psycopg://hw:***@127.0.0.1:1/none" in banner, banner
    proc.terminate()
    proc.wait(10)

    port, proc, out = served(f"sqlite:///{demo_db}")

    async def scenario():
        status, ws, session = await _ws(port, f"http://127.0.0.1:{port}")
        assert status == 101
        try:
            deadline = time.monotonic() + 20
            cmdlines = []
            while time.monotonic() < deadline:
                kids = _descendants(proc.pid)
                cmdlines = [_cmdline(p) for p in kids]
                if any("hwdesk" in c and " app" in c for c in cmdlines):
                    break
                await asyncio.sleep(0.2)
            return kids, cmdlines
        finally:
            await ws.close()
            await session.close()

    kids, cmdlines = asyncio.run(scenario())
    assert any("hwdesk" in c and " app" in c for c in cmdlines), cmdlines
    for c in cmdlines:
        assert str(demo_db) not in c and "--db" not in c, c
    app = next(p for p, c in zip(kids, cmdlines) if "-m hwdesk" in c)
    environ = Path(f"/proc/{app}/environ").read_bytes().split(b"\0")
    assert f"HWDESK_DB=sqlite:///{demo_db}".encode() in environ


def test_websocket_from_another_origin_or_none_is_refused(served, demo_db):
    port, proc, _ = served(f"sqlite:///{demo_db}")

    async def scenario():
        results = []
        for origin in ("http://evil.example", None, f"http://127.0.0.1:{port + 1}"):
            status, ws, session = await _ws(port, origin)
            results.append(status)
            if ws is not None:
                await ws.close()
                await session.close()
        return results

    assert asyncio.run(scenario()) == [403, 403, 403]
    assert not [p for p in _descendants(proc.pid) if "hwdesk" in _cmdline(p)]  # no app process was started


def test_sessions_beyond_the_cap_are_refused_politely(served, demo_db):
    import urllib.error
    import urllib.request

    port, proc, _ = served(f"sqlite:///{demo_db}", "--max-sessions", "1")
    origin = f"http://127.0.0.1:{port}"

    async def scenario():
        status, ws, session = await _ws(port, origin)
        assert status == 101
        try:
            second = (await _ws(port, origin))[0]
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
                page = 200, ""
            except urllib.error.HTTPError as exc:
                page = exc.code, exc.read().decode()
            return second, page
        finally:
            await ws.close()
            await session.close()

    second, (code, text) = asyncio.run(scenario())
    assert second == 503 and code == 503
    assert "limit of 1 sessions" in text and "Try again" in text
    # once the first session ends, a new one is accepted
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, ws, session = asyncio.run(_ws(port, origin))
        if status == 101:
            asyncio.run(_close(ws, session))
            break
        time.sleep(0.3)
    assert status == 101


async def _close(ws, session):
    await ws.close()
    await session.close()


def test_the_page_loads_nothing_from_outside_hosts(served, demo_db):
    import urllib.request

    port, _, _ = served(f"sqlite:///{demo_db}")
    html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
    refs = re.findall(r'(?:href|src)\s*=\s*"([^"]+)"|url\(\s*"?([^")]+)"?\s*\)', html)
    urls = [a or b for a, b in refs]
    assert urls, html[:500]
    for u in urls:
        assert u.startswith(f"http://127.0.0.1:{port}/") or u.startswith("/"), u
    assert "googleapis" not in html and "gstatic" not in html
    assert "RobotoMono-VariableFont_wght.ttf" in html
    font = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/fonts/RobotoMono-VariableFont_wght.ttf", timeout=10)
    assert font.status == 200 and len(font.read()) > 10_000
