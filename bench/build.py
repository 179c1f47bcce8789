"""Build a benchmark database at office-network scale, fast.

The schema comes from the app's own migrations (``open_store``); the rows go in through plain
``sqlite3`` ``executemany`` in a few big transactions (the ORM row by row would take hours at
a million seekers). Secondary indexes are dropped during the load and rebuilt after it.
The file is cached under ``bench/.cache`` keyed by its size and reused between runs.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hwdesk import nameindex
from hwdesk.names import GIVEN, SURNAMES

CACHE = Path(__file__).parent / ".cache"
OFFICES = ("maebashi", "shibuya", "takamatsu")
PREFIX = {"maebashi": "10010", "shibuya": "13080", "takamatsu": "37010"}
KINDS = {
    "maebashi": ("seminar", "tour"),
    "shibuya": ("counseling", "seminar", "interview"),
    "takamatsu": ("counseling", "referral", "seminar", "interview", "selection"),
}
PLATFORM = {"maebashi": "zoom", "shibuya": "teams", "takamatsu": "webex"}
URL = {
    "zoom": "https://us06web.zoom.us/j/",
    "teams": "https://teams.microsoft.com/l/meetup-join/",
    "webex": "https://hw.webex.com/meet/",
}
STAFF_PER_OFFICE = 40
FIRST_DAY = date(2024, 1, 4)
BENCH_PASSWORD = "hwdesk-bench-pass"


def db_path(seekers: int, sessions: int) -> Path:
    """Where the cached database of that size lives."""
    return CACHE / f"bench-{seekers}-{sessions}.sqlite3"


def _ts(dt: datetime) -> str:
    # The format SQLModel's UTCDateTime writes on SQLite (naive UTC with microseconds).
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


#: The seeker columns of ``import_rows``, in order.
IMPORT_COLUMNS = (
    "id, seeker_no, name, name_kana, kana_key, given_key, birth_date, phone, email, registration_kind, registered_on,"
    " office_id, webcam_confirmed, created_at, updated_at"
)


def import_rows(
    rows: list[list[str]], ids: Iterable[int], office_id: str, webcam: object, now: object
) -> Iterator[tuple]:
    """The rows of an import CSV (no header) as seeker rows (``IMPORT_COLUMNS``) with ``ids``, raw:
    the reading keys computed, nothing validated (the import floors)."""
    from hwdesk.jtext.kana import kana_key
    from hwdesk.services.seekers import given_key

    for sid, r in zip(ids, rows):
        name_kana = r[2]
        yield (
            sid,
            r[0],
            r[1],
            name_kana,
            kana_key(name_kana),
            given_key(name_kana),
            r[3],
            r[4],
            "",
            "office",
            r[7],
            office_id,
            webcam,
            now,
            now,
        )


def _open_days(n_days_needed: int) -> list[date]:
    import holidays

    jp = holidays.Japan(years=range(FIRST_DAY.year, FIRST_DAY.year + 12))
    out: list[date] = []
    d = FIRST_DAY
    while len(out) < n_days_needed:
        if d.weekday() < 5 and d not in jp and not ((d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)):
            out.append(d)
        d += timedelta(days=1)
    return out


def build(seekers: int, sessions: int, *, log=print) -> Path:
    """Build (or reuse) the database; returns its path."""
    path = db_path(seekers, sessions)
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    from hwdesk.db import open_store
    from hwdesk.security import hash_password
    from hwdesk.services.offices import sync_offices

    store = open_store(path)
    with store.write() as s:
        sync_offices(s)
    store.dispose()
    rng = random.Random(20261123)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-800000")
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN "
        "('seeker','session','enrollment','consent','env_check','audit_log','companion_notice')"
    ).fetchall()
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')
    now = _ts(datetime.now(UTC))
    pw = hash_password(BENCH_PASSWORD)

    con.execute("BEGIN")
    staff_ids: dict[str, list[int]] = {}
    for office in OFFICES:
        for i in range(STAFF_PER_OFFICE):
            login = (
                f"{office[:3]}{i:03d}"
                if i
                else {"maebashi": "clerk1_mae", "shibuya": "clerk1_shi", "takamatsu": "clerk1"}[office]
            )
            role = "supervisor" if i % 10 == 1 else "clerk"
            cur = con.execute(
                "INSERT INTO staff (login, name, role, office_id, all_offices, password_hash, failed_count, active, created_at)"
                " VALUES (?,?,?,?,0,?,0,1,?)",
                (login, f"職員 {i}", role, office, pw, now),
            )
            assert cur.lastrowid is not None  # an INSERT sets it
            staff_ids.setdefault(office, []).append(cur.lastrowid)
    con.execute("COMMIT")

    t1 = time.perf_counter()
    con.execute("BEGIN")
    office_of: list[str] = []

    def seeker_rows():
        for i in range(1, seekers + 1):
            office = OFFICES[i % 3]
            office_of.append(office)
            s, sk = rng.choice(SURNAMES)
            g, gk = rng.choice(GIVEN)
            birth = date(1955 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat()
            reg = (FIRST_DAY - timedelta(days=rng.randrange(2000))).isoformat()
            phone = f"0{rng.choice((70, 80, 90))}{rng.randrange(10**8):08d}"
            yield (
                i,
                f"{PREFIX[office]}-{i}",
                f"{s} {g}",
                f"{sk} {gk}",
                f"{sk}{gk}",
                gk.replace(" ", ""),
                birth,
                phone,
                "",
                "office" if rng.random() < 0.7 else "online",
                reg,
                office,
                1,
                now,
                now,
            )

    con.executemany(
        "INSERT INTO seeker (id, seeker_no, name, name_kana, kana_key, given_key, birth_date, phone, email,"
        " registration_kind, registered_on, office_id, webcam_confirmed, created_at, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        seeker_rows(),
    )

    names = con.execute("SELECT id, name FROM seeker ORDER BY id").fetchall()
    cur = con.cursor()
    nameindex.add_sqlite(cur, [r[0] for r in names], [r[1] for r in names])
    cur.close()
    tv = {
        o: con.execute("SELECT id FROM termsversion WHERE office_id=? ORDER BY version DESC", (o,)).fetchone()[0]
        for o in OFFICES
    }
    con.executemany(
        "INSERT INTO consent (seeker_id, office_id, terms_version_id, given_at, method) VALUES (?,?,?,?,?)",
        ((i, office_of[i - 1], tv[office_of[i - 1]], now, "application") for i in range(1, seekers + 1) if i % 10 < 8),
    )
    answers = json.dumps(
        {
            k: True
            for k in (
                "secure_device",
                "internet",
                "os_supported",
                "firewall",
                "no_file_sharing",
                "antivirus",
                "private_room",
            )
        }
    )
    con.executemany(
        "INSERT INTO env_check (seeker_id, office_id, answers_json, all_ok, declared_on, recorded_at) VALUES (?,?,?,1,?,?)",
        ((i, office_of[i - 1], answers, FIRST_DAY.isoformat(), now) for i in range(1, seekers + 1) if i % 10 < 7),
    )
    con.execute("COMMIT")
    t2 = time.perf_counter()
    log(f"  seekers {seekers:,} + name index + consents/env checks: {t2 - t1:.1f}s")

    # Sessions: spread evenly over the three offices and enough open days for ~800 per office-day.
    per_day = 800
    days = _open_days(max(1, sessions // (per_day * 3)) + 1)
    con.execute("BEGIN")
    by_office = {o: [i for i in range(1, seekers + 1) if office_of[i - 1] == o] for o in OFFICES}

    def session_rows():
        n = 0
        for day in days:
            for office in OFFICES:
                for k in range(per_day):
                    n += 1
                    if n > sessions:
                        return
                    kinds = KINDS[office]
                    kind = kinds[k % len(kinds)]
                    slot = k % 16  # 16 half-hour slots, 9:00-16:30 JST
                    start = datetime(
                        day.year, day.month, day.day, 9 + slot // 2, 30 * (slot % 2), tzinfo=UTC
                    ) - timedelta(hours=9)
                    staff = staff_ids[office][(k // 16) % STAFF_PER_OFFICE]
                    group = kind in ("seminar", "interview", "tour")
                    plat = PLATFORM[office]
                    url = URL[plat] + str(10**9 + n) if k % 10 else ""
                    state = "completed" if day < date.today() else "scheduled"
                    yield (
                        n,
                        office,
                        kind,
                        "",
                        _ts(start),
                        _ts(start + timedelta(minutes=30)),
                        staff,
                        20 if group else 1,
                        plat,
                        url,
                        str(800000000 + n),
                        f"{n % 1000000:06d}",
                        state,
                        "",
                        "",
                        now,
                        now,
                    )

    con.executemany(
        "INSERT INTO session (id, office_id, kind, title, start_at, end_at, staff_id, capacity, platform, join_url, meeting_id,"
        " passcode, state, cancel_reason, cancel_note, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        session_rows(),
    )
    n_sessions = con.execute("SELECT max(id) FROM session").fetchone()[0] or 0

    def enrollment_rows():
        for sid, office, cap, state in con.execute("SELECT id, office_id, capacity, state FROM session"):
            pool = by_office[office]
            people = {pool[rng.randrange(len(pool))] for _ in range(1 if cap == 1 else 3)}
            est = "completed" if state == "completed" else "booked"
            for p in people:
                yield (sid, p, est, now, "", "")

    rows = list(enrollment_rows())
    con.executemany(
        "INSERT INTO enrollment (session_id, seeker_id, state, booked_at, cancel_reason, override_reason) VALUES (?,?,?,?,?,?)",
        rows,
    )
    con.execute("COMMIT")
    t3 = time.perf_counter()
    log(f"  sessions {n_sessions:,} + enrollments {len(rows):,}: {t3 - t2:.1f}s")
    for _, sql in indexes:
        con.execute(sql)
    con.execute("ANALYZE")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    t4 = time.perf_counter()
    log(f"  indexes + ANALYZE: {t4 - t3:.1f}s; total {t4 - t0:.1f}s; {path.stat().st_size / 2**20:.0f} MiB")
    # A day that is full (the last day of a small build may be partly filled or empty).
    full_days = n_sessions // (per_day * 3)
    busiest = days[max(0, min(full_days - 1, 3))].isoformat()
    meta.write_text(
        json.dumps(
            {
                "seekers": seekers,
                "sessions": n_sessions,
                "busiest_day": busiest,
                "days": len(days),
                "built_in_s": round(t4 - t0, 1),
            }
        )
    )
    return path
