"""A closed terminal ends the app, even when the hang-up signal never reaches it.

Behind ``make run`` (make keeps SIGHUP to itself) a closed tmux window left hwdesk running with
a dead terminal, one core at 100 %. Here the app runs on a real pseudo-terminal with SIGHUP
ignored, the terminal is closed, and the process must be gone within seconds.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
HWDESK = [sys.executable, "-c", "import sys; from hwdesk.cli import main; sys.exit(main())"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX pseudo-terminal")
def test_app_exits_when_its_terminal_hangs_up_without_sighup(tmp_path):
    db = tmp_path / "hw.sqlite3"
    subprocess.run([*HWDESK, "--db", str(db), "init"], cwd=ROOT, check=True, capture_output=True)
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="30", HWDESK_TERMINAL="pty-test")
    pid, master = pty.fork()
    if pid == 0:  # the child: SIGHUP ignored, as behind a parent that keeps it
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.chdir(ROOT)
        os.execve(sys.executable, [*HWDESK, "--db", str(db), "app"], env)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and "職員ID".encode() not in seen and "管理者".encode() not in seen:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
        assert seen, "the app drew nothing"
    finally:
        os.close(master)  # the terminal goes away
    end = time.monotonic() + 15
    status = None
    while time.monotonic() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the app kept running after its terminal closed")
    assert status is not None
