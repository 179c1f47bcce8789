"""Fixtures: every store test runs on a real SQLite file and on the real PostgreSQL server.

PostgreSQL comes from ``HWDESK_TEST_PG_URL`` (``.ci/run`` exports it); each test gets its own
schema, so tests never see each other's rows. Without the variable, or with the server
unreachable, the PostgreSQL variants skip and say why.
"""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

os.environ.setdefault("HWDESK_TERMINAL", "pytest")
# No test prints on this machine's printers: CUPS is a socket that does not exist, unless a test
# starts a spooler of its own (tests/test_printing_cups.py).
os.environ["CUPS_SERVER"] = "/nonexistent/hwdesk-tests/cups.sock"

PG_URL = os.environ.get("HWDESK_TEST_PG_URL", "")
DEMO_PASSWORD = "hwdesk-demo"


def _pg_reason() -> str | None:
    if not PG_URL:
        return "HWDESK_TEST_PG_URL is not set (CI sets it; e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL at HWDESK_TEST_PG_URL is unreachable: {exc}"


_PG_SKIP = _pg_reason()


def pg_schema_url(schema: str) -> str:
    """The test server's URL with ``search_path`` set to ``schema``."""
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def make_pg_schema() -> str:
    """Create an empty schema on the test server; returns its name."""
    import psycopg

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema


def drop_pg_schema(schema: str) -> None:
    """Drop a test schema."""
    import psycopg

    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def db_url(request, tmp_path):
    """A database URL for an empty database: an SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hwdesk.sqlite3'}"
        return
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    schema = make_pg_schema()
    try:
        yield pg_schema_url(schema)
    finally:
        drop_pg_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path):
    """An SQLite file URL (for tests that are about SQLite itself)."""
    return f"sqlite:///{tmp_path / 'hwdesk.sqlite3'}"


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema URL (skips with the reason when there is no server)."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    schema = make_pg_schema()
    try:
        yield pg_schema_url(schema)
    finally:
        drop_pg_schema(schema)


def _seed_staff(store):
    """Offices and staff through the services (the first account), the rest sharing one hash."""
    from hwdesk import audit
    from hwdesk.models import Staff
    from hwdesk.services.offices import sync_offices

    with store.write() as s:
        sync_offices(s)
        for office in ("takamatsu", "shibuya", "maebashi"):
            suffix = "" if office == "takamatsu" else "_" + office[:3]
            for role, login in (("clerk", "clerk1"), ("supervisor", "super1"), ("admin", "admin1")):
                st = Staff(
                    login=login + suffix,
                    name=f"{office} {role}",
                    role=role,
                    office_id=office,
                    password_hash=_demo_hash(),
                )
                s.add(st)
                s.flush()
                audit.record(
                    s, staff_id=st.id, action="staff.create", entity="staff", entity_id=st.id, office_id=office
                )


_HASH: list[str] = []


def _demo_hash() -> str:
    # argon2 at OWASP cost takes ~50 ms; hash the shared test password once per process.
    if not _HASH:
        from hwdesk.security import hash_password

        _HASH.append(hash_password(DEMO_PASSWORD))
    return _HASH[0]


_TEMPLATES: dict[str, bytes] = {}


@pytest.fixture
def store(db_url):
    """A migrated store with the three offices and staff of every role at each office.

    Logins: clerk1/super1/admin1 at takamatsu, clerk1_shi/… at shibuya, clerk1_mae/… at maebashi.
    """
    from hwdesk.db import open_store

    if db_url.startswith("sqlite"):
        # Migrating and seeding once per worker, then copying the file, keeps the suite fast.
        path = db_url.removeprefix("sqlite:///")
        if "sqlite" not in _TEMPLATES:
            tmpl = open_store(db_url)
            _seed_staff(tmpl)
            tmpl.dispose()
            with open(path, "rb") as f:
                _TEMPLATES["sqlite"] = f.read()
        else:
            with open(path, "wb") as f:
                f.write(_TEMPLATES["sqlite"])
        st = open_store(db_url)
        from hwdesk import audit_hooks

        with st.read() as s:  # a copied file: anchored as if its seeding had been written here
            audit_hooks.anchor_current(s)
    else:
        st = open_store(db_url)
        _seed_staff(st)
    yield st
    st.dispose()


@pytest.fixture
def db(tmp_path) -> str:
    """For the screens' tests: a fresh SQLite database with the offices and one clerk at 高松."""
    from helpers.ui import _build

    return _build(tmp_path / "ui.sqlite3")


@pytest.fixture
def actors(store):
    """Actors by login."""
    from sqlmodel import select

    from hwdesk.models import Staff
    from hwdesk.services.context import Actor

    with store.read() as s:
        return {st.login: Actor.of(st) for st in s.exec(select(Staff))}


# The audit key of the test run (every process of it, so SQLite templates copied between tests
# verify), and anchors kept per test: tests/test_audit_anchor.py covers the key file itself.
os.environ.setdefault("HWDESK_AUDIT_KEY", "5e" * 32)


@pytest.fixture(autouse=True)
def _audit_anchor_dir(tmp_path, monkeypatch):
    """Each test's audit anchors in its own directory (never the user's config directory)."""
    monkeypatch.setenv("HWDESK_AUDIT_ANCHOR_DIR", str(tmp_path / "anchors"))


@pytest.fixture(autouse=True)
def _config_dir(tmp_path, monkeypatch):
    """Each test's settings files (the terminal's printer, its handout folder) in its own config
    directory, never the user's: a random-keys test once saved a handout folder there."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


@pytest.fixture
def tmpfs(tmp_path):
    """A small real filesystem of our own (tmpfs), for full-disk and read-only faults."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {res.stderr.strip() or res.returncode}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
