"""The benchmark database on PostgreSQL: the SQLite build (bench/build.py) copied in with COPY.

Both backends then hold the very same rows (ids, names, days), so their tables compare path for
path. The schema comes from the app's migrations (``open_store``); secondary indexes are dropped
during the load and made again after it, foreign-key triggers are off while copying
(``session_replication_role = replica``: the rows come from a database that checked them), and
``name_gram`` is made from the names as the app makes it (``nameindex.grams``). A marker in
``meta`` (``bench_build``) names the size loaded, so a second run reuses the database.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

MARK = "bench_build"


def dsn(url: str) -> str:
    """A psycopg connection string from an SQLAlchemy URL (``options=-csearch_path…`` kept)."""
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def connect(url: str, **kw):
    """A psycopg connection to the database ``url`` names."""
    import psycopg

    return psycopg.connect(dsn(url), **kw)


def _tables(pg) -> list[str]:
    from sqlmodel import SQLModel

    import hwdesk.models  # noqa: F401

    present = {r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    return [t.name for t in SQLModel.metadata.sorted_tables if t.name in present]


def loaded(url: str, seekers: int, sessions: int) -> bool:
    """Whether the database at ``url`` already holds this benchmark size."""
    try:
        with connect(url) as pg:
            row = pg.execute("SELECT value FROM meta WHERE key = %s", (MARK,)).fetchone()
    except Exception:
        return False
    return bool(row) and row[0] == f"{seekers}-{sessions}"


def copy_from_sqlite(source: Path, url: str, seekers: int, sessions: int, *, log=print) -> None:
    """Make the PostgreSQL database at ``url`` hold exactly the rows of the SQLite file ``source``."""
    from hwdesk import nameindex
    from hwdesk.db import open_store

    t0 = time.perf_counter()
    open_store(url).dispose()  # the schema, by the migrations
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    with connect(url) as pg:
        pg.execute("SET session_replication_role = replica")
        pg.execute("SET TIME ZONE 'UTC'")
        pg.execute("SET maintenance_work_mem = '256MB'")
        tables = _tables(pg)
        pg.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
        # Secondary indexes (not the keys or unique constraints) go and come back after the load.
        indexes = pg.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _ in indexes:
            pg.execute(f'DROP INDEX "{name}"')
        for table in tables:
            if table == nameindex.GRAM_TABLE:
                continue
            pg_cols = [
                r[0]
                for r in pg.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s"
                    " ORDER BY ordinal_position",
                    (table,),
                )
            ]
            try:
                lite_cols = {r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')}
            except sqlite3.Error:
                continue
            cols = [c for c in pg_cols if c in lite_cols]
            if not cols:
                continue
            t = time.perf_counter()
            n = 0
            quoted = ", ".join(f'"{c}"' for c in cols)
            with pg.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN') as cp:
                rows = lite.execute(f'SELECT {quoted} FROM "{table}"')
                while part := rows.fetchmany(50_000):
                    for r in part:
                        cp.write_row(r)
                    n += len(part)
            if n > 10_000:
                log(f"  {table}: {n:,} rows in {time.perf_counter() - t:.1f}s")
        if "given_key" not in {r[1] for r in lite.execute('PRAGMA table_info("seeker")')}:
            # A build cached before migration 0010: the given names' reading key as 0010 fills it.
            pg.execute(
                "UPDATE seeker SET given_key = replace(replace(substr(name_kana, strpos(name_kana, ' ') + 1),"
                " ' ', ''), '・', '') WHERE strpos(name_kana, ' ') > 0"
            )
        t = time.perf_counter()
        n = 0
        with pg.cursor().copy(f"COPY {nameindex.GRAM_TABLE} (gram, seeker_id) FROM STDIN") as cp:
            rows = lite.execute("SELECT id, name FROM seeker WHERE anonymized_at IS NULL")
            while part := rows.fetchmany(50_000):
                for sid, name in part:
                    for g in nameindex.grams(name):
                        cp.write_row((g, sid))
                        n += 1
        log(f"  {nameindex.GRAM_TABLE}: {n:,} rows in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        for _, sql in indexes:
            pg.execute(sql)
        with_id = [
            r[0]
            for r in pg.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'id'"
            )
        ]
        for table in with_id:  # every serial column's sequence past the copied ids
            seq = pg.execute("SELECT pg_get_serial_sequence(%s, 'id')", (f'"{table}"',)).fetchone()
            if seq and seq[0]:
                pg.execute(f"SELECT setval('{seq[0]}', coalesce((SELECT max(id) FROM \"{table}\"), 0) + 1, false)")
        pg.execute(
            "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (MARK, f"{seekers}-{sessions}"),
        )
        pg.commit()
        log(f"  indexes: {time.perf_counter() - t:.1f}s")
    with connect(url, autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
    lite.close()
    log(f"  PostgreSQL loaded in {time.perf_counter() - t0:.1f}s")


def build(seekers: int, sessions: int, url: str, *, log=print) -> Path:
    """The SQLite build (cached), and the same rows in PostgreSQL at ``url`` unless already there."""
    from bench import build as build_mod

    path = build_mod.build(seekers, sessions, log=log)
    if not loaded(url, seekers, sessions):
        log(f"copying into PostgreSQL {url.rsplit('@', 1)[-1]} …")
        copy_from_sqlite(path, url, seekers, sessions, log=log)
    return path
