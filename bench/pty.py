"""Keystroke → results on screen, as a terminal sees it (issue 18), beside the Pilot measure.

``python -m bench.pty ARGS_JSON`` runs the real app (``python -m hwdesk --db …``) under a
pseudo-terminal, feeds everything it writes to a ``pyte`` screen (a terminal emulator), signs in
as clerk1, and types the search texts key by key. A keystroke's latency is the time from writing
the key to the pty until the last change of the results region (the rows from ``ROWS_FROM``
down) in the burst it caused (the burst ends after ``QUIET`` s without output). Nothing of the
app is imported: the same measure works on any backend, and counts what the Pilot figure cannot
(the driver's writes). Its floor, ``echo_floor``, is a bare program that rewrites 34 rows per key
under the same harness: what the measure itself costs.

A separate reader process takes each chunk off the pty and stamps the time it arrived before the
emulator parses it: the kernel hands a frame over in 4 KB reads, and pyte, in Python, takes ~3.5
ms to parse one; read in the parsing thread, the rest of the frame waited for that parse, and the
emulator's own speed counted as the app's (a real terminal parses in native code).

Method of ../shared/perf-probe/keylat.py, as a module the benchmark runs for both backends.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import signal
import statistics
import struct
import sys
import termios
import threading
import time

COLS, LINES = 120, 40
ROWS_FROM = 5
QUIET = 0.15
WAIT = 2.0  # a slow search is silent: wait this long for the change itself

ECHO = r"""
import os, sys, tty
tty.setraw(0)
n = 0
while True:
    ch = os.read(0, 16)
    if not ch or ch == b"\x03":
        break
    n += 1
    out = ["\x1b[H"] + [f"\x1b[{r + 1};1H{(str(n) + ' ' + ch.decode(errors='replace')) * 8}\x1b[K" for r in range(5, 39)]
    os.write(1, "".join(out).encode())
"""


class Terminal:
    """A program under a pty, its output on a pyte screen, and when the results region changed."""

    def __init__(self, argv: list[str], env: dict | None = None) -> None:
        import pyte

        self.screen = pyte.Screen(COLS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.last_out = time.perf_counter()
        self.changed_at = 0.0
        self._region = ""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # pragma: no cover - the child
            os.environ.update(env or {})
            os.environ.update({"TERM": "xterm-256color", "COLUMNS": str(COLS), "LINES": str(LINES)})
            os.execvp(argv[0], argv)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLS, 0, 0))
        self._pipe, w = os.pipe()
        self.reader_pid = os.fork()
        if self.reader_pid == 0:  # pragma: no cover - the reader process
            os.close(self._pipe)
            _forward(self.fd, w)
        os.close(w)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        head = struct.calcsize(_HEAD)
        with os.fdopen(self._pipe, "rb", buffering=0) as pipe:
            while True:
                stamp = _exactly(pipe, head)
                if stamp is None:
                    return
                now, size = struct.unpack(_HEAD, stamp)
                data = _exactly(pipe, size)
                if data is None:
                    return
                self._feed(now, data)

    def _feed(self, now: float, data: bytes) -> None:
        """Parse one chunk that arrived at ``now``; the results region changed then if it differs."""
        with self.lock:
            self.stream.feed(data)
            self.last_out = now
            region = "\n".join(self._lines(ROWS_FROM, LINES - 1))
            if region != self._region:
                self._region, self.changed_at = region, now

    def _lines(self, lo: int, hi: int) -> list[str]:
        return ["".join(self.screen.buffer[y][x].data for x in range(COLS)) for y in range(lo, hi)]

    def text(self) -> str:
        """The whole screen as text."""
        with self.lock:
            return "\n".join(self._lines(0, LINES))

    def send(self, s: str) -> None:
        """Type ``s`` (as bytes to the pty)."""
        os.write(self.fd, s.encode())

    def quiet(self, timeout: float = 10.0) -> None:
        """Wait until the program has written nothing for ``QUIET`` s."""
        end = time.perf_counter() + timeout
        while time.perf_counter() - self.last_out < QUIET and time.perf_counter() < end:
            time.sleep(0.01)

    def wait_for(self, pred, timeout: float = 60.0) -> None:
        """Wait until ``pred(screen text)`` holds."""
        end = time.time() + timeout
        while time.time() < end:
            if pred(self.text()):
                return
            time.sleep(0.05)
        raise RuntimeError(f"timed out; screen:\n{self.text()}")

    def key(self, ch: str) -> float | None:
        """Type one key; ms until the results region last changed in its burst (None: no change)."""
        with self.lock:
            before = self.changed_at
        t0 = time.perf_counter()
        self.send(ch)
        end = t0 + WAIT
        while time.perf_counter() < end:
            with self.lock:
                if self.changed_at > before:
                    break
            time.sleep(0.001)
        time.sleep(0.02)
        self.quiet()
        with self.lock:
            at = self.changed_at
        return (at - t0) * 1e3 if at > before and at >= t0 else None

    def close(self) -> None:
        """Kill the program and the reader."""
        for pid in (self.pid, self.reader_pid):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass


_HEAD = "dI"  # a chunk's arrival (perf_counter: CLOCK_MONOTONIC, the same in every process), its length


def _forward(fd: int, out: int) -> None:  # pragma: no cover - runs in the reader process
    """Read the pty as fast as it delivers, stamping each chunk as it arrives; pass them on."""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        now = time.perf_counter()
        try:
            os.write(out, struct.pack(_HEAD, now, len(data)) + data)
        except OSError:
            break
    os._exit(0)


def _exactly(pipe, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        part = pipe.read(n - len(buf))
        if not part:
            return None
        buf += part
    return buf


def category(cat: str, i: int) -> str:
    """The Pilot run's categories: kanji by fragment length."""
    return cat if cat != "kanji" else ("kanji1" if i == 1 else "kanji2" if i == 2 else "kanji3+")


def app(db: str, texts: list, passes: int, login: str, password: str, fps: int | None = None) -> dict:
    """Type ``texts`` ``passes`` times in the real app; the first pass is a warm-up."""
    env = {"TEXTUAL_FPS": str(fps)} if fps else {}
    term = Terminal([sys.executable, "-m", "hwdesk", "--db", db], env)
    samples, misses = [], 0
    try:
        term.wait_for(lambda s: "パスワード" in s or "Password" in s)
        term.quiet()
        term.send(login)
        time.sleep(0.3)
        term.send("\t")
        time.sleep(0.3)
        term.send(password)
        time.sleep(0.3)
        term.send("\r")
        term.wait_for(lambda s: "パスワード" not in s)
        time.sleep(1.0)
        term.quiet()
        for p in range(passes + 1):
            for cat, text in texts:
                term.send("\x1b")  # back to an empty search
                time.sleep(0.3)
                term.quiet()
                for i, ch in enumerate(text, start=1):
                    ms = term.key(ch)
                    if p == 0:
                        continue
                    if ms is None:
                        misses += 1
                    else:
                        samples.append({"path": category(cat, i), "ms": ms})
    finally:
        term.close()
    return {"samples": samples, "misses": misses}


def echo_floor(keys: int = 40) -> list[float]:
    """The harness's own cost: a raw program rewriting 34 rows per key."""
    term = Terminal([sys.executable, "-c", ECHO])
    out = []
    try:
        time.sleep(0.3)
        for i in range(keys + 3):
            ms = term.key("abcdefghij"[i % 10])
            if i >= 3 and ms is not None:
                out.append(ms)
    finally:
        term.close()
    return out


def summary(values: list[float]) -> tuple[float, float]:
    """(median, p95)."""
    if not values:
        return float("nan"), float("nan")
    s = sorted(values)
    return statistics.median(s), s[min(len(s) - 1, int(0.95 * len(s)))]


def main() -> None:
    """``python -m bench.pty ARGS_JSON`` → one line ``BENCH-PTY {json}``."""
    args = json.loads(sys.argv[1])
    res = app(args["db"], args["texts"], args["passes"], args["login"], args["password"], args.get("fps"))
    res["floor"] = echo_floor()
    print("BENCH-PTY " + json.dumps(res, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
