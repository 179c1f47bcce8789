"""``hwdesk interpreter add|list|remove|load`` and the booking warning of ``hwdesk book``, run
in-process on both backends (exit status 2 and the reason on stderr when refused)."""

from __future__ import annotations

import json

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.cli import main
from hwdesk.models import AuditLog, Interpreter
from hwdesk.services import consent


@pytest.fixture
def cli(store, db_url, monkeypatch, capsys):
    """Run ``hwdesk --db URL [--as LOGIN] …``; returns (exit status, stdout, stderr)."""
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    monkeypatch.delenv("HWDESK_STAFF", raising=False)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, as_: str | None = None):
        code = main(["--db", db_url, *(["--as", as_] if as_ else []), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


ADD = (
    "interpreter",
    "add",
    "--office",
    "takamatsu",
    "--name",
    "グエン 通訳",
    "--language",
    "ベトナム語",
    "--weekdays",
    "水",
    "--start",
    "9:00",
    "--end",
    "12:00",
    "--from",
    "2027-01-01",
)


def test_add_list_remove_with_history(cli, store):
    code, out, err = cli(*ADD, "--json", as_="super1")
    assert code == 0, err
    line = json.loads(out)
    assert (line["weekdays"], line["start"], line["end"], line["valid_from"]) == ([3], "09:00", "12:00", "2027-01-01")
    code, out, err = cli(*ADD, as_="clerk1")  # a clerk reads, never adds
    assert code == 2 and "統括職員" in err and out == ""
    code, out, err = cli("--lang", "en", "interpreter", "list", "--office", "takamatsu", as_="clerk1")
    assert code == 0 and f"#{line['id']} ベトナム語 Interpreter グエン 通訳 Wed 09:00–12:00" in out, err
    code, out, err = cli("interpreter", "list", "--office", "takamatsu")
    assert code == 2 and "--as" in err  # a list is personal data: who reads is recorded
    code, out, err = cli("interpreter", "remove", str(line["id"]), "--reason", "退職", as_="super1")
    assert code == 0 and "終了" in out, err
    code, out, err = cli("interpreter", "remove", str(line["id"]), "--reason", "again", as_="super1")
    assert code == 2 and "既に終了" in err
    code, out, _ = cli("interpreter", "list", "--office", "takamatsu", "--json", as_="clerk1")
    assert json.loads(out) == []
    code, out, _ = cli("interpreter", "list", "--office", "takamatsu", "--history", "--json", as_="clerk1")
    [old] = json.loads(out)
    assert old["end_reason"] == "退職" and old["ended_at"] is not None and old["until"] is not None
    with store.read() as s:
        assert len(s.exec(select(Interpreter)).all()) == 1
        reads = [a for a in s.exec(select(AuditLog).where(AuditLog.action == "cli.read"))]
    assert [a.entity_id for a in reads] == ["interpreter list"] * 3


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--weekdays", "毎日"), "曜日"),
        (("--start", "25:00"), "時刻"),
        (("--from", "2027-13-01"), ""),
    ],
)
def test_bad_input_exits_2_without_a_traceback(cli, store, args, says):
    base = list(ADD)
    for i in range(0, len(args), 2):
        base[base.index(args[i]) + 1] = args[i + 1]
    code, out, err = cli(*base, as_="super1")
    assert code == 2 and "Traceback" not in err and says in err
    with store.read() as s:
        assert s.exec(select(Interpreter)).all() == []


def test_correction_and_another_office(cli):
    code, out, _ = cli(*ADD, "--json", as_="super1")
    first = json.loads(out)["id"]
    code, out, err = cli(*ADD, "--replaces", str(first), as_="super1")
    assert code == 2 and "理由" in err
    code, out, err = cli(*ADD, "--replaces", str(first), "--reason", "曜日の誤り", "--json", as_="super1")
    assert code == 0, err
    assert json.loads(out)["replaces"] == first
    code, out, err = cli("interpreter", "remove", str(first), "--reason", "x", as_="super1_shi")
    assert code == 2 and "他の事業所" in err


def test_book_warns_with_the_nearest_covered_time_and_still_books(cli, store, actors):
    clerk = actors["clerk1"]
    assert cli(*ADD, as_="super1")[0] == 0
    ids = []
    for start, end in (("2027-02-02T14:00", "2027-02-02T14:45"), ("2027-02-03T10:00", "2027-02-03T10:45")):
        code, out, err = cli(
            "session",
            "create",
            "--office",
            "takamatsu",
            "--kind",
            "counseling",
            "--start",
            start,
            "--end",
            end,
            "--staff",
            "clerk1",
            "--json",
            as_="clerk1",
        )
        assert code == 0, err
        ids += json.loads(out)["created"]
    sk = new_seeker(store, clerk)
    make_ready(store, clerk, sk.id, "takamatsu")
    with store.write() as s:
        consent.record_companion(
            s, actor=clerk, seeker_id=sk.id, office_id="takamatsu", kind="interpreter", language="Vietnamese"
        )
    code, out, err = cli("book", str(ids[0]), sk.seeker_no, "--json", as_="clerk1")
    assert code == 0, err
    data = json.loads(out)
    assert data["state"] == "booked" and data["interpreter"]["warning"] is True
    assert [a["session"] for a in data["interpreter"]["alternatives"]] == [ids[1]]
    assert data["interpreter"]["alternatives"][0]["start"] == "2027-02-03T10:00:00+09:00"
    assert "Vietnameseの通訳者がいません" in err and f"#{ids[1]}" in err
    code, out, _ = cli("interpreter", "load", "--office", "takamatsu", "--week", "2027-02-02", "--json", as_="super1")
    load = json.loads(out)
    assert load["week"] == "2027-02-01" and load["languages"][0]["uncovered"] == [ids[0]]
    code, out, err = cli("interpreter", "load", "--office", "takamatsu", as_="clerk1")
    assert code == 2
