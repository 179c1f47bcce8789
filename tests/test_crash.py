"""Crash safety: a writer *process* is SIGKILLed at random moments, many times.

Afterwards the SQLite file passes ``PRAGMA integrity_check``, every seeker the writer reported
committed is there, every seeker has its audit row and every audit row its seeker (a transaction
is all or nothing), and the audit chain verifies. The same for a CSV import, which is one
transaction by the documented rule: after a kill either all its good rows are there or none.

The writers are forked from a warm server process (``fixtures/writer.py server``), so fifteen
kills take a few seconds rather than fifteen Python start-ups; the random moments come from a
fixed seed, so a failure replays.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlmodel import Session, create_engine

from hwdesk import audit
from hwdesk.services import importer

pytestmark = pytest.mark.slow

WRITER = Path(__file__).parent / "fixtures" / "writer.py"
SEED = 20261123


class WriterServer:
    """``fixtures/writer.py server``: forks writer processes on request, so each kill costs
    milliseconds rather than a Python start-up. Each child is a real process, killed by pid."""

    def __init__(self, url: str):
        self.proc = subprocess.Popen(
            [sys.executable, str(WRITER), "server", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self._until(lambda line: line == "ready")

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")  # EOF

    def _until(self, done, timeout: float = 30.0) -> list[str]:
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None or (line == "" and self.proc.poll() is not None):
                self.proc.kill()
                pytest.fail(
                    f"writer server stalled or died; seen {seen[-5:]}; stderr: {self.proc.stderr.read()[-2000:]}"
                )
            seen.append(line)
            if done(line):
                return seen

    def start(self, *cmd: str, until=lambda line: line == "ready") -> tuple[int, list[str]]:
        """Fork a writer running ``cmd``; once it has printed a line ``until`` accepts, returns its
        pid and the lines it printed so far."""
        self.proc.stdin.write(" ".join(cmd) + "\n")
        self.proc.stdin.flush()
        pid: list[int] = []
        flags = {"until": False}

        def done(line: str) -> bool:
            if line.startswith("pid "):
                pid.append(int(line.split()[1]))
            elif until(line):
                flags["until"] = True
            return bool(pid) and flags["until"]

        seen = self._until(done)
        return pid[0], [line for line in seen if not line.startswith("pid ")]

    def kill_and_collect(self, pid: int, *, kill: bool = True) -> list[str]:
        """SIGKILL the writer (unless it is left to finish), reap it, return its complete lines."""
        if kill:
            os.kill(pid, signal.SIGKILL)
        self.proc.stdin.write("wait\n")
        self.proc.stdin.flush()
        lines = self._until(lambda line: f"exited {pid} " in line)
        # Single small writes to a pipe are atomic, but a report cut by the kill would be glued to
        # the "exited" line: only whole lines count as reported.
        return lines[:-1]

    def close(self) -> None:
        """Stop the server."""
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def assert_consistent(path: Path) -> dict[str, int]:
    """integrity_check ok, seekers ⇔ audit rows, chain verifies; returns seeker_no → id."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        seekers = dict(conn.execute("SELECT seeker_no, id FROM seeker").fetchall())
        audited = {int(r[0]) for r in conn.execute("SELECT entity_id FROM audit_log WHERE action = 'seeker.create'")}
        for (detail,) in conn.execute("SELECT detail_json FROM audit_log WHERE action = 'import.seekers'"):
            audited.update(importer.imported_ids(json.loads(detail)))  # an import's one row lists its seekers
        assert set(seekers.values()) == audited, "a seeker without its audit row, or an audit row without its seeker"
        indexed = {r[0] for r in conn.execute("SELECT rowid FROM name_fts")}
        assert indexed == set(seekers.values()), "name index rows must come and go with their seeker"
    finally:
        conn.close()
    engine = create_engine(f"sqlite:///{path}")
    with Session(engine) as s:
        chain = audit.verify_chain(s)
    engine.dispose()
    assert chain.ok, chain.problem
    return seekers


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_killed_writer_loses_nothing_it_reported(store):
    path = store.sqlite_path
    store.dispose()
    rng = random.Random(SEED)
    reported: list[str] = []
    server = WriterServer(store.url)
    try:
        for i in range(15):
            # Kill only once the stream is flowing (the first commit reported), at a random moment.
            pid, first = server.start("seekers", str(i * 100_000 + 1), until=str.isdigit)
            time.sleep(rng.uniform(0.0, 0.3))
            lines = first + server.kill_and_collect(pid)
            reported += [f"37010-{n}" for n in lines if n.isdigit()]
            if i % 5 == 4:  # every kill must leave a consistent file, not just the last one
                assert_consistent(path)
    finally:
        server.close()
    seekers = assert_consistent(path)
    missing = [n for n in reported if n not in seekers]
    assert not missing, f"reported committed but lost: {missing[:5]}"
    assert len(reported) >= 15, "every round should have reported commits before its kill"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_killed_import_writes_all_or_nothing(store):
    path = store.sqlite_path
    store.dispose()
    rng = random.Random(SEED + 1)
    rows = 5000
    outcomes = []
    mid_write: list[int] = []  # what rounds killed while writing left behind
    server = WriterServer(store.url)
    try:
        for i in range(8):
            start = 1_000_000 + i * 10_000
            # Even rounds aim anywhere after the import starts (mostly while rows are validated),
            # odd rounds once its rows are being written, where a half-write would show.
            aim = "writing" if i % 2 else "start"
            pid, _ = server.start("import", str(start), str(rows), until=lambda line, aim=aim: line == aim)
            last = i == 7  # the last import is left to finish, so "all" is seen at least once
            if not last:
                # Writing 5,000 rows takes ~0.1 s now: a kill aimed at it lands within 50 ms.
                time.sleep(rng.uniform(0.0, 0.05 if aim == "writing" else 0.6))
            lines = server.kill_and_collect(pid, kill=not last)
            seekers = assert_consistent(path)
            mine = [n for n in seekers if start <= int(n.split("-")[1]) < start + rows + 10]
            assert len(mine) in (0, rows), f"import {i}: {len(mine)} of {rows} rows — half-written"
            if any(line.startswith("done") for line in lines):
                assert f"done {rows}" in lines, lines
                assert len(mine) == rows, "an import reported done must be all there"
            outcomes.append(len(mine))
            if aim == "writing" and not any(line.startswith("done") for line in lines):
                mid_write.append(len(mine))
            conn = sqlite3.connect(path)
            files = conn.execute(
                "SELECT count(*) FROM audit_log WHERE action = 'import.seekers' AND entity_id = ?",
                (f"crash-{start}.csv",),
            ).fetchone()[0]
            conn.close()
            assert files == (1 if mine else 0), "the import's own audit row goes with its rows"
    finally:
        server.close()
    assert outcomes[-1] == rows
    assert 0 in mid_write, (
        f"no kill landed while rows were being written (outcomes {outcomes}); the test proved nothing"
    )
