"""``hwdesk serve`` in a real headless Chromium: the sign-in screen reaches the browser.

The browser comes from Debian's ``chromium`` package (``.ci/run`` installs it when missing);
Playwright drives it through ``/usr/bin/chromium``. Where no browser can be had the test skips
and says why.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def test_serve_listens_on_loopback_by_default():
    from hwdesk.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert args.host == "127.0.0.1"


@pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium: install Debian's chromium package (.ci/run does this as root)"
)
def test_sign_in_screen_renders_in_a_browser(tmp_path):
    pytest.importorskip("playwright.sync_api", reason="playwright is in the test extras")
    from playwright.sync_api import sync_playwright

    db = tmp_path / "served.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "hwdesk", "--db", str(db), "demo", "--seekers", "3"], check=True, capture_output=True
    )
    port = _free_port()
    env = {**os.environ, "HWDESK_TERMINAL": "browser-test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "hwdesk", "--db", str(db), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    frames: list[str] = []
    try:
        _wait_port(port)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.on(
                "websocket",
                lambda ws: ws.on(
                    "framereceived",
                    lambda data: frames.append(data if isinstance(data, str) else data.decode("utf-8", "replace")),
                ),
            )
            page.goto(f"http://127.0.0.1:{port}/")
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and not any("hwdesk-demo" in f for f in frames):
                page.wait_for_timeout(250)
            Path("/tmp").joinpath("hwdesk-serve.png").write_bytes(page.screenshot())
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
    text = "".join(frames)
    # The demo database's sign-in screen shows its demo accounts: that text came through the browser's terminal.
    assert "hwdesk-demo" in text, text[-2000:]
    assert "clerk1" in text
