"""docs/deployment.md, tested where one server allows: a pg_dump of a working database restored
into a fresh database passes ``hwdesk check`` (schema, audit chain, and the name index, which on
PostgreSQL has no foreign key since migration 0009 and is compared with the seekers instead)."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from helpers import new_seeker
from sqlalchemy import text

from hwdesk.cli import main

pytestmark = pytest.mark.pg


@pytest.mark.parametrize("db_url", ["pg"], indirect=True)
def test_a_restored_dump_passes_hwdesk_check(store, actors, tmp_path, capsys, monkeypatch):
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian package postgresql-client)")
    from conftest import PG_URL

    from hwdesk.services.importer import HEADER_JA, import_seekers

    for i in range(3):
        new_seeker(store, actors["clerk1"], name=f"讃岐 花子{i}", kana=f"サヌキ ハナコ{'アイウ'[i]}")
    rows = [",".join(HEADER_JA)] + [
        f"37010-{900 + i},高松 {i}郎,タカマツ {'アイウエオ'[i]}ロウ,1980-01-0{i + 1},,,窓口," for i in range(5)
    ]
    with store.write() as s:
        assert (
            import_seekers(s, actor=actors["clerk1"], data="\n".join(rows).encode(), office_id="takamatsu").added == 5
        )
    server = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    # As docs/operations.md says: the head is kept outside the database beside the dump, and the
    # restored copy is checked against it (a new database has no anchor of its own yet).
    head_file = tmp_path / "hwdesk.audit-head"
    assert main(["--db", store.url, "check", "--head-file", str(head_file)]) == 0
    with store.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    dump = tmp_path / "hwdesk.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}", server],
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh = "hwrestore_" + uuid.uuid4().hex[:10]
    import psycopg

    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh}"')
    monkeypatch.delenv("HWDESK_AUDIT_HEAD_FILE", raising=False)
    try:
        target = server.rsplit("/", 1)[0] + "/" + fresh
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={target}", str(dump)], check=True, capture_output=True, timeout=120
        )
        url = f"postgresql+psycopg://{target.split('://', 1)[1]}?options=-csearch_path%3D{schema}"
        capsys.readouterr()
        code = main(["--lang", "en", "--db", url, "check", "--head-file", str(head_file)])
        out = capsys.readouterr()
        assert code == 0, out.out + out.err
        assert "Name search index (name_gram): ok" in out.out
        # The check is real: a seeker taken out of the name index behind hwdesk's back is reported.
        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(f'DELETE FROM "{schema}".name_gram WHERE seeker_id = (SELECT max(id) FROM "{schema}".seeker)')
        code = main(["--lang", "en", "--db", url, "check", "--head-file", str(head_file)])
        out = capsys.readouterr()
        assert code != 0 and "not indexed" in out.out, out.out
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
