"""``python -m bench load`` at small N on both backends: every action answered, no errors, and
each booking on the supervisors' queue within 2 s (issue 18; N = 20 is the benchmark's)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def load_db(db_url, tmp_path):
    """A small bench build in the test's database (SQLite file, or the PostgreSQL schema)."""
    from bench import build, pgbuild

    build.CACHE = tmp_path / "cache"
    path = build.build(2000, 5000, log=lambda *_: None)
    if db_url.startswith("sqlite"):
        return str(path)
    pgbuild.copy_from_sqlite(path, db_url, 2000, 5000, log=lambda *_: None)
    return db_url


def test_terminals_at_a_counter_pace(load_db):
    from bench import load

    mix = (("search", 2), ("open seeker", 2), ("book", 6), ("cancel", 2), ("confirm offer", 1), ("queue refresh", 1))
    doc = load.run(load_db, 4, 6, log=lambda *_: None, mix=mix, pause=(0.1, 0.4))
    assert doc["errors"] == 0, doc["error_samples"]
    for action in ("search (per key)", "open seeker", "book", "queue refresh"):
        assert doc["actions"].get(action, {}).get("n", 0) > 0, action
    live = doc["live_update_ms"]
    assert live["n"] > 0 and live["within_2s"], live
    md = load.markdown(doc)
    assert "| live queue update (commit → supervisor's queue) |" in md and "Errors: **0**" in md
