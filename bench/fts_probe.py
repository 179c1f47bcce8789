"""Probe for the next step of the CSV import (issue 8): names in SQLite FTS5 instead of name_gram.

    python -m bench.fts_probe [--seekers 1000000 --sessions 5000000] [--cache DIR]

Copies the benchmark file's names into an FTS5 table whose rows are the name's characters
separated by spaces (``unicode61`` makes each kanji or kana a token, so a fragment is a phrase
query and needs no verification), then measures what the import would pay per name (20,000
inserts in a rolled-back transaction) and what the search would pay per fragment (the first
page in id order). Compare with name_gram: ~8 B-tree rows a name, ~25 µs, 123 MiB at 1M.
Nothing in the app uses this yet; see bench/README.md, "Targets still missed".
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRAGMENTS = ("山", "田", "山田", "田中", "山田太", "山田太郎", "佐藤花子", "山田鬼")


def build(source: Path, target: Path) -> float:
    """The FTS5 table of every seeker's name (seconds taken)."""
    con = sqlite3.connect(target, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE VIRTUAL TABLE name_fts USING fts5(chars, tokenize='unicode61')")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    t0 = time.perf_counter()
    con.execute("BEGIN")
    con.executemany("INSERT INTO name_fts(rowid, chars) VALUES (?, ?)",
                    ((sid, " ".join(name.replace(" ", ""))) for sid, name in src.execute("SELECT id, name FROM seeker")))
    con.execute("COMMIT")
    con.close()
    return time.perf_counter() - t0


def search(con: sqlite3.Connection, fragment: str, limit: int = 50) -> list[int]:
    """Seeker ids whose name (spaces removed) contains ``fragment``, first ``limit`` by id."""
    phrase = '"' + " ".join(fragment.replace(" ", "").replace('"', "")) + '"'
    return [r[0] for r in con.execute("SELECT rowid FROM name_fts WHERE name_fts MATCH ? ORDER BY rowid LIMIT ?", (phrase, limit))]


def main(argv: list[str] | None = None) -> None:
    from hwdesk.names import GIVEN, SURNAMES

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seekers", type=int, default=1_000_000)
    p.add_argument("--sessions", type=int, default=5_000_000)
    p.add_argument("--cache", type=Path, default=ROOT / "bench" / ".cache", help="where python -m bench keeps its files")
    a = p.parse_args(argv)
    source = a.cache / f"bench-{a.seekers}-{a.sessions}.sqlite3"
    if not source.exists():
        raise SystemExit(f"{source} is not built: run python -m bench --seekers {a.seekers} --sessions {a.sessions} first")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "fts.sqlite3"
        print(f"built the FTS5 table of {a.seekers:,} names in {build(source, target):.1f} s, "
              f"{target.stat().st_size / 2**20:.0f} MiB")
        con = sqlite3.connect(target, isolation_level=None)
        con.execute("PRAGMA cache_size=-262144")
        rng = random.Random(7)
        rows = [(10**8 + i, " ".join(rng.choice(SURNAMES)[0] + rng.choice(GIVEN)[0])) for i in range(20_000)]
        for _ in range(3):
            con.execute("BEGIN IMMEDIATE")
            t0 = time.perf_counter()
            con.executemany("INSERT INTO name_fts(rowid, chars) VALUES (?, ?)", rows)
            dt = time.perf_counter() - t0
            con.execute("ROLLBACK")
            print(f"insert: {dt / len(rows) * 1e6:.1f} µs a name")
        for q in FRAGMENTS:
            times, found = [], []
            for _ in range(7):
                t0 = time.perf_counter()
                found = search(con, q)
                times.append((time.perf_counter() - t0) * 1e3)
            print(f"{q}: {len(found)} rows, {statistics.median(times):.2f} ms")
        con.close()


if __name__ == "__main__":
    main()
