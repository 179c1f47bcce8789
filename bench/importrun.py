"""A large CSV file imported as ``hwdesk import seekers`` does, in its own process (issue 18).

``python -m bench.importrun DB ROWS`` writes a CSV of ROWS new seekers to a temporary file (line
by line, so the file is never in memory), imports it with ``importer.import_file`` into ``DB``
in one write transaction that is rolled back, and prints one line ``BENCH-IMPORT {json}``:
rows/s and the process's peak resident set (VmHWM), which the issue bounds at 300 MB whatever
the file's size.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


class Rollback(Exception):
    pass


def write_csv(path: Path, rows: int, first_no: int) -> None:
    """ROWS seekers, one person each (the reading is made from the number), Japanese header."""
    from hwdesk.names import GIVEN, SURNAMES
    from hwdesk.services.importer import HEADER_JA

    rng = random.Random(11)
    digits = "アイウエオカキクケコ"
    with open(path, "w", encoding="utf-8") as f:
        f.write(",".join(HEADER_JA) + "\n")
        for i in range(rows):
            n = first_no + i
            s, sk = rng.choice(SURNAMES)
            g, _ = rng.choice(GIVEN)
            reading = "".join(digits[int(d)] for d in str(n))
            birth = date(1960 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat()
            f.write(f"37010-{n},{s} {g},{sk} {reading},{birth},090{rng.randrange(10**8):08d},,窓口,2024-04-01\n")


def vm_hwm_mb() -> float:
    """Peak resident set of this process, MB."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def workers_hwm_mb() -> float:
    """Peak resident set of the largest child that ended (the import's row-checking worker), MB.
    Added to this process's: a forked worker counts the pages it shares with its parent too, so
    the sum overstates what the two use together, never understates it."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    db, rows = sys.argv[1], int(sys.argv[2])
    from bench.__main__ import clerk_actor
    from hwdesk.db import open_store
    from hwdesk.services.importer import import_file

    store = open_store(db, migrate=False)
    actor = clerk_actor(store)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "seekers.csv"
        write_csv(path, rows, 50_000_000)
        size = path.stat().st_size
        import gc

        gc.collect()
        gc.freeze()
        base = vm_hwm_mb()
        try:
            with store.write() as s:
                t0 = time.perf_counter()
                result = import_file(s, actor=actor, path=path, office_id="takamatsu")
                dt = time.perf_counter() - t0
                raise Rollback
        except Rollback:
            pass
    store.dispose()
    print(
        "BENCH-IMPORT "
        + json.dumps(
            {
                "rows": rows,
                "added": result.added,
                "errors": len(result.errors),
                "seconds": dt,
                "rows_per_s": rows / dt,
                "peak_rss_mb": vm_hwm_mb() + workers_hwm_mb(),
                "worker_peak_rss_mb": workers_hwm_mb(),
                "rss_before_mb": base,
                "file_mib": size / 2**20,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
