"""Findings 5, 7, 8, 9 and 10 of issue 21, through the ``hwdesk`` command line.

5. Personal data read through the CLI needs ``--as`` and writes an audit row with counts only;
   ``--limit`` is capped.
7. Every command that prints stored text shows a hostile corpus (ESC, OSC 52, CSI, C1, bidi
   overrides, Rich markup, NUL, zero-width characters, a very long line) without a single raw
   control character.
8. Exports and handouts are owner-only (0600) even over an existing file of another mode.
9. Out-of-range dates and integers, a file that is not a database, a missing folder, a busy port
   and an endless import file are refused with a plain message (exit 2), never a traceback.
10. Reads take no write lock: they work while another process holds it, and on a read-only file.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import make_ready, new_seeker
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hwdesk.cli import ID_MAX, bounded_int, main
from hwdesk.clock import today_jst
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.dates import DAY_MAX, DAY_MIN, parse_day
from hwdesk.models import AuditLog, Closure, Seeker, TermsVersion
from hwdesk.models import Session as SessionRow

PASSWORD = "hwdesk-demo"
LONG = "長" * 5000
CORPUS = [
    "\x1b[31m赤\x1b[0m",
    "\x1b]52;c;ZXZpbA==\x07",
    "\x1b]2;title\x1b\\",
    "\x9b31m",
    "\x85\x9d",
    "\u202e逆\u202c",
    "\u2066隔離\u2069",
    "[bold]太[/bold]",
    "[@click=app.quit]押す[/]",
    "\x00NUL",
    "ゼロ\u200b幅",
    "\ufeffBOM",
    "\x7fDEL",
]
HOSTILE = "".join(CORPUS)


def bad_chars(text: str) -> list[str]:
    """Every character a terminal could act on or that draws invisibly (a line break is fine)."""
    return sorted(
        {
            f"U+{ord(c):04X}"
            for c in text
            if c != "\n" and (unicodedata.category(c) in ("Cc", "Cf") or c in "\u2028\u2029")
        }
    )


@pytest.fixture
def cli(store, db_url, monkeypatch, capsys):
    """Run ``hwdesk --db URL --lang en [--as LOGIN] …`` in this process: (status, stdout, stderr)."""
    monkeypatch.setenv("HWDESK_PASSWORD", PASSWORD)
    monkeypatch.delenv("HWDESK_STAFF", raising=False)
    monkeypatch.setenv("COLUMNS", "20000")  # no wrapping

    def run(*args: str, as_: str | None = None):
        try:
            code = main(["--db", db_url, "--lang", "en", *(["--as", as_] if as_ else []), *args])
        except SystemExit as exc:  # argparse's own refusals (bounds checked at parse time)
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def _audit(store, action: str) -> list[AuditLog]:
    with store.read() as s:
        return list(s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def _session(cli, day: str = "2027-02-08", hm: str = "10:00", kind: str = "counseling") -> int:
    code, out, err = cli(
        "session",
        "create",
        "--office",
        "takamatsu",
        "--json",
        "--kind",
        kind,
        "--start",
        f"{day}T{hm}",
        "--end",
        f"{day}T{hm[:2]}:45",
        "--staff",
        "clerk1",
        "--url",
        "https://zoom.us/j/987",
        "--meeting-id",
        "987 654",
        "--passcode",
        "s3cret",
        as_="clerk1",
    )
    assert code == 0, err
    return json.loads(out)["created"][0]


# --- finding 5: reads of personal data are signed in and audited --------------------------------

READS = [
    ("seeker", "find", "ヤマダ"),
    ("queue", "--office", "takamatsu", "--date", "2027-02-08"),
    ("week", "--office", "takamatsu", "--date", "2027-02-08"),
    ("reminders", "--office", "takamatsu", "--date", "2027-02-05"),
    ("notify-list", "takamatsu"),
    ("retention", "--office", "takamatsu", "--months", "1"),
    ("eligibility", "37010-1", "--office", "takamatsu", "--service", "counseling"),
]


@pytest.mark.parametrize("args", READS, ids=lambda a: a[0])
def test_personal_data_reads_need_sign_in(cli, store, actors, args):
    new_seeker(store, actors["clerk1"], seeker_no="37010-1")
    code, out, err = cli(*args)
    assert code == 2 and "--as" in err and "Traceback" not in err
    assert "37010-1" not in out and "山田" not in out


def test_find_is_audited_with_counts_not_contents(cli, store, actors):
    for i in range(3):
        new_seeker(store, actors["clerk1"], name=f"山田 {'一二三'[i]}郎")
    new_seeker(store, actors["clerk1_shi"], office_id="shibuya", name="山田 渋谷")
    code, out, err = cli("seeker", "find", "ヤマダ", "--json", as_="clerk1")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 3 and {r["office"] for r in rows} == {"takamatsu"}  # the clerk's own office by default
    [row] = _audit(store, "cli.read")
    assert row.entity_id == "seeker find" and row.office_id == "takamatsu"
    detail = json.loads(row.detail_json)
    assert detail["rows"] == 3 and "山田" not in row.detail_json and "ヤマダ" not in row.detail_json
    code, _, err = cli("seeker", "find", "ヤマダ", "--office", "shibuya", as_="clerk1")
    assert code == 2 and "another office" in err
    assert len(_audit(store, "cli.read")) == 1


def test_every_read_command_writes_one_audit_row(cli, store, actors):
    sk = new_seeker(store, actors["clerk1"], seeker_no="37010-1")
    make_ready(store, actors["clerk1"], sk.id, "takamatsu")
    sid = _session(cli)
    assert cli("book", str(sid), sk.seeker_no, as_="clerk1")[0] == 0
    for args in [*READS, ("session", "show", str(sid))]:
        before = len(_audit(store, "cli.read"))
        code, _, err = cli(*args, as_="super1")
        assert code in (0, 1), (args, err)  # eligibility exits 1 when a requirement fails
        assert len(_audit(store, "cli.read")) == before + 1, args


def test_limit_is_capped_with_a_clear_message(cli, store, actors):
    code, _, err = cli("seeker", "find", "ヤ", "--limit", "1001", as_="clerk1")
    assert code == 2 and "--limit must be a whole number from 1 to 1000" in err and "Traceback" not in err
    code, _, err = cli("seeker", "find", "ヤ", "--limit", "100000000000000000000000000000", as_="clerk1")
    assert code == 2 and "from 1 to 1000" in err
    assert cli("seeker", "find", "ヤ", "--limit", "1000", as_="clerk1")[0] == 0


# --- finding 7: hostile stored text is shown, never obeyed ---------------------------------------


def _plant_everywhere(store, actors, db_url, cli, tmp_path):
    """Hostile text in a seeker's name, a session title, a closure reason and a terms revision."""
    hostile = HOSTILE if store.is_sqlite else HOSTILE.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    name = hostile if store.is_sqlite else hostile[:60]
    sk = new_seeker(store, actors["clerk1"], seeker_no="37010-77", kana="ヤマダ")
    make_ready(store, actors["clerk1"], sk.id, "takamatsu")
    sid = _session(cli)
    assert cli("book", str(sid), sk.seeker_no, as_="clerk1")[0] == 0
    today = today_jst()
    with store.write() as s:
        s.get(Seeker, sk.id).name = name
        row = s.get(SessionRow, sid)
        row.title = hostile[:100]
        s.add(
            Closure(office_id="takamatsu", day=date(2027, 2, 5), reason=hostile[:100], created_by=actors["super1"].id)
        )
    from hwdesk.terms import shipped_terms

    raw = json.loads(json.dumps(shipped_terms()["takamatsu"][-1].raw))
    raw["version"] = raw["version"] + 1
    raw["effective_on"] = (today + timedelta(days=30)).isoformat()
    raw["title"] = raw["title"] + HOSTILE
    raw["articles"][0]["paragraphs"][0]["text"] = HOSTILE + LONG
    path = tmp_path / "hostile-terms.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    code, out, err = cli(
        "terms-add", "takamatsu", str(path), "--effective", raw["effective_on"], "--reason", "test", as_="super1"
    )
    if code != 0:  # the terms parser refused the controls at input: plant the text as a database edit would
        with store.write() as s:
            tv = s.exec(
                select(TermsVersion).where(TermsVersion.office_id == "takamatsu").order_by(TermsVersion.version.desc())
            ).first()
            doc = json.loads(tv.document_json)
            doc["articles"][0]["paragraphs"][0]["text"] = HOSTILE + LONG
            tv.document_json = json.dumps(doc, ensure_ascii=False)
    else:
        assert not bad_chars(out + err)
    return sk, sid, raw["effective_on"]


def test_hostile_corpus_through_every_command_that_prints_stored_text(cli, store, actors, db_url, tmp_path):
    sk, sid, effective = _plant_everywhere(store, actors, db_url, cli, tmp_path)
    commands = [
        (("seeker", "find", "37010-77"), "super1"),
        (("seeker", "find", "37010-77", "--json"), "super1"),
        (("session", "show", str(sid)), "super1"),
        (("session", "show", str(sid), "--json"), "super1"),
        (("closure", "list", "--office", "takamatsu"), None),
        (("terms", "takamatsu"), None),
        (("terms", "takamatsu", "--article", "1"), None),
        (("terms", "takamatsu", "--json"), None),
        (("terms-diff", "takamatsu"), None),
        (("terms-diff", "takamatsu", "--json"), None),
        (("queue", "--office", "takamatsu", "--date", "2027-02-08"), "super1"),
        (("queue", "--office", "takamatsu", "--date", "2027-02-08", "--json"), "super1"),
        (("week", "--office", "takamatsu", "--date", "2027-02-08"), "super1"),
        (("reminders", "--office", "takamatsu", "--date", "2027-02-05"), "super1"),
        (("reminders", "--office", "takamatsu", "--date", "2027-02-05", "--json"), "super1"),
        (("notify-list", "takamatsu"), "super1"),
        (("retention", "--office", "takamatsu", "--months", "1"), "super1"),
        (("eligibility", "37010-77", "--office", "takamatsu", "--service", "counseling"), "super1"),
        (("book", str(sid), "37010-77"), "clerk1"),  # refused: the message quotes the stored name
        (("offices",), None),
    ]
    shown = ""
    for args, login in commands:
        code, out, err = cli(*args, as_=login)
        assert "Traceback" not in err, (args, err)
        assert not bad_chars(out), (args, bad_chars(out))
        assert not bad_chars(err), (args, bad_chars(err))
        shown += out + err
    # Shown, not obeyed: the escapes appear as visible pictures and the markup as typed.
    assert "␛[31m赤␛[0m" in shown and "␛]52;c;ZXZpbA==␇" in shown and "<U+202E>逆" in shown
    assert "[bold]太[/bold]" in shown and "[@click=app.quit]押す[/]" in shown and "ゼロ<U+200B>幅" in shown
    assert "␀NUL" in shown or not store.is_sqlite


# --- finding 8: owner-only files, whatever was there --------------------------------------------


def test_export_over_an_existing_world_writable_file_is_owner_only(cli, store, actors, tmp_path):
    new_seeker(store, actors["clerk1"])
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "seekers.csv"
    out.write_text("old")
    out.chmod(0o666)
    code, _, err = cli(
        "export",
        "seekers",
        "--office",
        "takamatsu",
        "--from",
        "2020-01-01",
        "--to",
        "2030-12-31",
        "--out",
        str(out),
        as_="super1",
    )
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and "山田" in out.read_text(encoding="utf-8-sig")
    assert [p.name for p in out.parent.iterdir()] == ["seekers.csv"]  # no temporary file left


def test_new_export_is_owner_only_under_a_permissive_umask(cli, store, actors, tmp_path):
    old = os.umask(0)
    try:
        out = tmp_path / "new.csv"
        assert (
            cli(
                "export",
                "sessions",
                "--office",
                "takamatsu",
                "--from",
                "2027-01-01",
                "--to",
                "2027-01-31",
                "--out",
                str(out),
                as_="clerk1",
            )[0]
            == 0
        )
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("suffix", ["pdf", "png"])
def test_handout_over_an_existing_file_is_owner_only(cli, store, actors, tmp_path, suffix):
    sk = new_seeker(store, actors["clerk1"])
    make_ready(store, actors["clerk1"], sk.id, "takamatsu")
    sid = _session(cli)
    assert cli("book", str(sid), sk.seeker_no, as_="clerk1")[0] == 0
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / f"h.{suffix}"
    out.write_bytes(b"old")
    out.chmod(0o666)
    code, _, err = cli("handout", str(sid), "--out", str(out), as_="clerk1")
    assert code == 0, err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.stat().st_size > 1000
    assert sorted(p.name for p in out.parent.iterdir()) == [f"h.{suffix}"]


# --- finding 9: bounds at parse time, plain refusals ---------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_out_of_range_dates_are_refused_by_every_date_command(cli, day):
    for args, login in [
        (("queue", "--office", "takamatsu", "--date", day), "clerk1"),
        (("week", "--office", "takamatsu", "--date", day), "clerk1"),
        (("reminders", "--office", "takamatsu", "--date", day), "clerk1"),
        (("report", "--office", "takamatsu", "--day", day), None),
        (("export", "sessions", "--office", "takamatsu", "--from", day, "--to", day), "clerk1"),
        (("export", "report", "--office", "takamatsu", "--from", "2027-01-01", "--to", day), "clerk1"),
        (("closure", "add", "--office", "takamatsu", "--date", day, "--reason", "x"), "super1"),
        (
            (
                "session",
                "create",
                "--office",
                "takamatsu",
                "--kind",
                "counseling",
                "--start",
                f"{day}T10:00",
                "--end",
                f"{day}T10:45",
                "--staff",
                "clerk1",
            ),
            "clerk1",
        ),
    ]:
        code, out, err = cli(*args, as_=login)
        assert code == 2, (args, out, err)
        assert "Traceback" not in err and "between 1900-01-01 and 2199-12-31" in err, (args, err)


@pytest.mark.parametrize(
    "args",
    [
        ("session", "show", "99999999999999999999999"),
        ("session", "show", "-1"),
        ("book", "2147483648", "37010-1"),
        ("lift", "99999999999999999999", "--reason", "x"),
        ("handout", "10000000000000000000000"),
        (
            "session",
            "create",
            "--office",
            "takamatsu",
            "--kind",
            "seminar",
            "--start",
            "2027-02-08T10:00",
            "--end",
            "2027-02-08T11:00",
            "--staff",
            "clerk1",
            "--capacity",
            "100000000000000000000",
        ),
        ("retention", "--office", "takamatsu", "--months", "99999999999999999999"),
        ("report", "--office", "takamatsu", "--month", "2027-01", "--threshold", "1e9"),
        ("terms", "takamatsu", "--article", "99999999999999999999999"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_huge_integers_are_refused_at_parse_time(cli, args):
    code, _, err = cli(*args, as_="super1")
    assert code == 2 and "must be a whole number from" in err and "Traceback" not in err


def test_the_largest_id_is_a_plain_not_found_on_both_backends(cli):
    code, _, err = cli("session", "show", str(ID_MAX), as_="clerk1")
    assert code == 2 and "Traceback" not in err and str(ID_MAX) in err


def test_db_that_is_not_a_database_is_refused_and_left_alone(tmp_path, capsys):
    fake = tmp_path / "passwd"
    fake.write_bytes(Path("/etc/passwd").read_bytes())
    before = fake.read_bytes()
    assert main(["--db", str(fake), "--lang", "en", "offices"]) == 2
    err = capsys.readouterr().err
    assert "is not an hwdesk database" in err and "Traceback" not in err
    assert fake.read_bytes() == before and not list(tmp_path.glob("passwd-*"))
    assert main(["--db", str(tmp_path), "--lang", "en", "offices"]) == 2  # a folder
    assert "is a folder" in capsys.readouterr().err


def test_mistyped_db_folder_is_refused_not_created(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HWDESK_DB", raising=False)
    target = tmp_path / "typo" / "hwdesk.sqlite3"
    assert main(["--db", str(target), "--lang", "en", "offices"]) == 2
    assert "folder does not exist" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_default_database_folder_is_still_created(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("HWDESK_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert main(["--lang", "en", "offices", "--json"]) == 0
    assert (tmp_path / "xdg" / "hwdesk" / "hwdesk.sqlite3").exists()


def test_serve_on_a_busy_port_is_a_plain_message(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["--db", str(tmp_path / "s.sqlite3"), "--lang", "en", "serve", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and f"127.0.0.1:{port} is in use" in err and "Traceback" not in err


def test_import_of_an_endless_file_is_refused_at_the_cap(cli, store, monkeypatch):
    from hwdesk.services import importer

    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 8 << 20)  # the real cap is 256 MiB; the behaviour is the same
    code, _, err = cli("import", "seekers", "/dev/zero", as_="clerk1")
    assert code == 2 and "The file is too large" in err and "split it" in err
    with store.read() as s:
        assert s.exec(select(Seeker)).first() is None


def test_import_line_cap(cli, store, monkeypatch, tmp_path):
    from hwdesk.services import importer

    monkeypatch.setattr(importer, "MAX_FILE_LINES", 10)
    f = tmp_path / "many.csv"
    f.write_text(
        "求職番号,氏名,フリガナ,生年月日\n"
        + "".join(f"37010-{i},山田 太郎,ヤマダ タロウ,1985-04-01\n" for i in range(1, 20))
    )
    code, _, err = cli("import", "seekers", str(f), as_="clerk1")
    assert code == 2 and "Too many lines: 20 (at most 10)" in err


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(), st.text(max_size=40), st.integers().map(str), st.integers(-10, 10**40).map(str)))
def test_bounded_int_accepts_only_its_range(value):
    import argparse

    parse = bounded_int("--limit", 1, 1000)
    text = str(value)
    try:
        got = parse(text)
    except argparse.ArgumentTypeError as exc:
        assert "1〜1000" in str(exc) and "from 1 to 1000" in str(exc)
        return
    assert 1 <= got <= 1000 and got == int(text.strip())


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dates().map(date.isoformat),
        st.text(max_size=30),
        st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    )
)
def test_parse_day_returns_a_day_in_range_or_a_parse_error(text):
    try:
        d = parse_day(text)
    except ParseError as exc:
        assert exc.message("en") and exc.message("ja")
        return
    assert DAY_MIN <= d <= DAY_MAX
    assert (
        d - timedelta(days=400) >= date.min and d + timedelta(days=400) <= date.max
    )  # a year around it never overflows


# --- finding 10: reads take no write lock ------------------------------------------------------

LOCK_FREE_READS = [
    ("terms", "takamatsu", "--article", "1"),
    ("terms", "shibuya"),
    ("offices", "--json"),
    ("report", "--office", "takamatsu", "--month", "2027-01"),
    ("closure", "list", "--office", "takamatsu"),
]


def _run(db: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "HWDESK_PASSWORD": PASSWORD, "HWDESK_LANG": "en"}
    env.pop("HWDESK_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "hwdesk", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def demo_file(tmp_path):
    db = tmp_path / "demo.sqlite3"
    assert main(["--db", str(db), "demo", "--seekers", "3"]) == 0
    return db


def test_reads_work_while_another_process_holds_the_write_lock(demo_file):
    holder = sqlite3.connect(demo_file, isolation_level=None, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE meta SET value = value WHERE key = 'demo'")
    try:
        for args in LOCK_FREE_READS:  # a write-locked open would fail with "busy" after the 10 s timeout
            r = _run(demo_file, *args)
            assert r.returncode == 0, (args, r.stderr)
        # A personal-data read must write its audit row: it waits, then says the database is busy.
        r = _run(demo_file, "--as", "clerk1", "seeker", "find", "ア", timeout=90)
        assert r.returncode == 2 and "busy" in r.stderr and "Traceback" not in r.stderr
    finally:
        holder.rollback()
        holder.close()


@pytest.fixture
def read_only(demo_file):
    """The demo file made read-only: chmod 0444, or (as root, who ignores modes) the immutable flag."""
    if os.geteuid() != 0:
        demo_file.chmod(0o444)
        yield demo_file
        demo_file.chmod(0o600)
        return
    if subprocess.run(["chattr", "+i", str(demo_file)], capture_output=True).returncode != 0:
        pytest.skip("running as root and chattr +i is not available: a read-only file cannot be made")
    try:
        yield demo_file
    finally:
        subprocess.run(["chattr", "-i", str(demo_file)], check=True)


def test_a_read_only_database_file_can_be_read(read_only):
    before = read_only.read_bytes()
    for args in LOCK_FREE_READS:
        r = _run(read_only, *args)
        assert r.returncode == 0, (args, r.stderr)
    r = _run(read_only, "--as", "clerk1", "seeker", "find", "ア")  # needs its audit row: refused plainly
    assert r.returncode == 2 and "read-only" in r.stderr and "Traceback" not in r.stderr
    assert read_only.read_bytes() == before


def test_reads_do_not_sync_offices_and_a_writer_does(store, actors, db_url, cli):
    """A terms version shipped after the database was made is added by the next writer, not by a read."""
    with store.write() as s:
        tv = s.exec(
            select(TermsVersion).where(TermsVersion.office_id == "takamatsu").order_by(TermsVersion.version.desc())
        ).first()
        number = tv.version
        s.delete(tv)
    assert cli("offices", "--json")[0] == 0
    with store.read() as s:
        assert number not in {
            v.version for v in s.exec(select(TermsVersion).where(TermsVersion.office_id == "takamatsu"))
        }
    assert (
        cli("closure", "add", "--office", "takamatsu", "--date", "2027-03-01", "--reason", "点検", as_="super1")[0] == 0
    )
    with store.read() as s:
        assert number in {v.version for v in s.exec(select(TermsVersion).where(TermsVersion.office_id == "takamatsu"))}
