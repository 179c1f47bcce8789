"""The benchmark runs end to end at a tiny size (no timing asserts: machines are noisy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PATHS = [
    "cold start → sign-in painted",
    "search query: reading",
    "search query: seeker_no",
    "search query: kanji1",
    "search query: kanji2",
    "search query: kanji3+",
    "seeker detail load",
    "book one session (all checks)",
    "handout PDF (one page)",
    "peak RSS (queue + search open)",
]


def test_bench_tiny(tmp_path):
    out = tmp_path / "results"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--seekers",
            "2000",
            "--sessions",
            "5000",
            "--reps",
            "2",
            "--ui-reps",
            "1",
            "--import-rows",
            "500",
            "--pty-passes",
            "1",
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    jsons = list(out.glob("*-2000.json"))
    mds = list(out.glob("*-2000.md"))
    assert len(jsons) == 1 and len(mds) == 1
    doc = json.loads(jsons[0].read_text())
    results = doc["results"]
    names = set(results)
    for name in PATHS:
        assert name in names, name
    for prefix in (
        "keystroke → painted: reading",
        "keystroke → painted: seeker_no",
        "keystroke → painted: kanji1",
        "keystroke → painted: kanji2",
        "keystroke → painted: kanji3+",
        "daily queue open",
        "CSV import",
        "keystroke → screen (pty): reading",
        "keystroke → screen (pty): kanji1",
    ):
        assert any(n.startswith(prefix) for n in names), prefix
    for name, r in results.items():
        assert r["median"] == r["median"] and r["median"] > 0, name  # measured (not NaN)
        assert "p95" in r and "target" in r and "met" in r
    assert int(results["peak RSS (queue + search open)"]["note"].rsplit(" ", 1)[1]) > 0  # the queue had rows
    assert doc["machine"]["nproc"] and doc["machine"]["sqlite"] and doc["machine"]["textual"]
    md = mds[0].read_text()
    assert "| path | median | p95 | target | met? | floor | ratio |" in md
    for name in names:
        assert f"| {name} |" in md
    assert "| path |" in p.stdout  # the table is printed


@pytest.mark.pg
def test_bench_tiny_on_postgresql(tmp_path, pg_url):
    """``python -m bench --db postgresql+psycopg://…``: the same paths, floors through psycopg."""
    out = tmp_path / "results"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--db",
            pg_url,
            "--seekers",
            "2000",
            "--sessions",
            "5000",
            "--reps",
            "2",
            "--ui-reps",
            "1",
            "--import-rows",
            "500",
            "--pty-passes",
            "0",
            "--import-file-rows",
            "2000",
            "--cache",
            str(tmp_path / "cache"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    doc = json.loads(next(out.glob("*-2000-pg.json")).read_text())
    assert doc["backend"].startswith("PostgreSQL")
    results = doc["results"]
    for name in PATHS:
        assert name in results, name
    for name in (
        "search query: reading",
        "search query: kanji2",
        "seeker detail load",
        "book one session (all checks)",
    ):
        assert results[name]["floor"] and results[name]["floor"] > 0, name
    assert results["CSV import, 2,000-row file"]["median"] > 0
    assert 0 < results["import peak RSS (2,000-row file)"]["median"] < 300
