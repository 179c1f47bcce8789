"""Printing without a spooler: the IPP wire format, this terminal's printer choice, the audit row,
and what the clerk reads for each outcome (the real spooler is in test_printing_cups.py)."""

from __future__ import annotations

import json
import struct
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hwdesk import ipp, printing
from hwdesk.clock import JST
from hwdesk.models import AuditLog
from hwdesk.models import Session as SessionRow
from hwdesk.services import handouts
from hwdesk.services.auth import get_staff


def _response(status: int, groups: list[tuple[int, list[tuple[int, str, object]]]]) -> bytes:
    """An IPP response as a server sends it (the same encoding as a request)."""
    body = bytearray(struct.pack(">BBHI", 1, 1, status, 7))
    for tag, attrs in groups:
        body.append(tag)
        for vtag, name, value in attrs:
            body += ipp._attr(vtag, name, value)
    body.append(ipp.END)
    return bytes(body)


def test_decode_reads_what_cups_sends():
    data = _response(
        0,
        [
            (ipp.OPERATION, [(ipp.CHARSET, "attributes-charset", "utf-8")]),
            (
                ipp.PRINTER,
                [
                    (ipp.NAME, "printer-name", "窓口"),
                    (ipp.ENUM, "printer-state", 5),
                    (ipp.KEYWORD, "printer-state-reasons", ["media-jam-error", "paused"]),
                    (ipp.BOOLEAN, "printer-is-accepting-jobs", False),
                ],
            ),
            (ipp.PRINTER, [(ipp.NAME, "printer-name", "second")]),
        ],
    )
    resp = ipp.decode(data)
    assert resp.ok and [g["printer-name"] for g in resp.all(ipp.PRINTER)] == [["窓口"], ["second"]]
    first = resp.first(ipp.PRINTER)
    assert first["printer-state"] == [5] and first["printer-is-accepting-jobs"] == [False]
    assert first["printer-state-reasons"] == ["media-jam-error", "paused"]


def test_request_starts_with_charset_and_language_then_the_job_group():
    data = ipp.encode(ipp.PRINT_JOB, 3, [(ipp.URI, "printer-uri", "ipp://localhost/printers/p")], printing.JOB_OPTIONS)
    assert data[:8] == struct.pack(">BBHI", 1, 1, ipp.PRINT_JOB, 3)
    resp = ipp.decode(data)  # the same grammar both ways
    op, job = resp.first(ipp.OPERATION), resp.first(ipp.JOB)
    assert list(op)[:2] == ["attributes-charset", "attributes-natural-language"]
    assert (
        job["sides"] == ["one-sided"] and job["media"] == ["iso_a4_210x297mm"] and job["job-sheets"] == ["none", "none"]
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_decode_never_fails_other_than_with_ipp_error(data):
    try:
        ipp.decode(data)
    except ipp.IppError:
        pass


@given(st.text(max_size=60), st.integers(-(2**31), 2**31 - 1))
def test_values_round_trip(text, number):
    resp = ipp.decode(_response(0, [(ipp.JOB, [(ipp.TEXT, "t", text), (ipp.INTEGER, "n", number)])]))
    assert resp.first(ipp.JOB) == {"t": [text], "n": [number]}


def test_server_is_found_as_libcups_finds_it(monkeypatch, tmp_path):
    monkeypatch.setenv("CUPS_SERVER", "/run/x/cups.sock")
    assert ipp.server() == "/run/x/cups.sock"
    monkeypatch.setenv("CUPS_SERVER", "printhost")
    assert ipp.server() == "printhost:631"
    monkeypatch.setenv("CUPS_SERVER", "printhost:8631/version=1.1")
    assert ipp.server() == "printhost:8631"


def test_no_server_is_a_message_not_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "none.sock"))
    with pytest.raises(printing.PrintServerDown) as exc:
        printing.destinations(path=tmp_path / "h.pdf")
    assert "CUPS" in exc.value.message("ja") and str(tmp_path / "h.pdf") in exc.value.message("en")


def test_this_terminals_choice_is_remembered_and_forgotten(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert printing.chosen_printer() is None
    printing.choose_printer("窓口プリンター")
    assert printing.config_path() == tmp_path / "hwdesk" / "printer.json"
    assert printing.chosen_printer() == "窓口プリンター"
    printing.config_path().write_text("{not json")
    assert printing.chosen_printer() is None  # a damaged file is no choice, not a crash
    printing.choose_printer("a")
    printing.choose_printer(None)
    assert not printing.config_path().exists()


def test_printer_text_is_data():
    assert printing.clean("jam\x1b[31m\x07 in tray\u202e 2") == "jam[31m in tray 2"
    dest = printing.Destination("p", "", "", "stopped", True, ("media-jam-error", "paused"), "\x1b]0;x\x07Jam", False)
    assert dest.reason("ja") == "紙詰まり、]0;xJam" and dest.reason("en") == "paper jam; ]0;xJam"


def _result(state: str, reasons=(), message="") -> printing.PrintResult:
    return printing.PrintResult("counter", 42, state, tuple(reasons), message, 3, Path("/tmp/h.pdf"))


def test_each_outcome_says_what_happened_and_what_to_do():
    assert _result("printed").text("ja") == "counter で 3 ページ印刷しました（ジョブ counter-42）。"
    assert "Collect the pages" in _result("queued", ["media-empty-error"]).text("en")
    assert "out of paper" in _result("queued", ["media-empty-error"]).text("en")
    assert "プリンターで解除するか" in _result("held", ["job-hold-until-specified"]).text("ja")
    failed = _result("failed", ["media-jam"], "Jam at tray 2")
    assert "紙詰まり、Jam at tray 2" in failed.text("ja") and "PDFは保存してあります（/tmp/h.pdf）" in failed.text("ja")
    assert "removed from the queue" in failed.text("en")


def test_the_audit_row_names_printer_job_and_outcome(store, actors, tmp_path):
    actor = actors["clerk1"]
    start = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
    with store.write() as s:
        srow = SessionRow(
            office_id="takamatsu",
            kind="counseling",
            start_at=start,
            end_at=start + timedelta(hours=1),
            staff_id=get_staff(s, "clerk1").id,
            capacity=1,
            platform="webex",
            join_url="https://hellowork.webex.com/meet/t1",
            passcode="Secret-1",
        )
        s.add(srow)
        s.flush()
        job = handouts.for_session(s, actor=actor, session_id=srow.id)
        out = handouts.write(s, actor=actor, job=job, out=tmp_path / "h.pdf")
        result = printing.PrintResult("counter", 17, "held", ("job-hold-until-specified",), "", len(job.pages), out)
        handouts.record_sent(s, actor=actor, job=job, result=result)
    with store.read() as s:
        [row] = s.exec(select(AuditLog).where(AuditLog.action == "handout.sent")).all()
    detail = json.loads(row.detail_json)
    assert detail == {
        "printer": "counter",
        "job_id": 17,
        "state": "held",
        "reason": "held until released",
        "pages": 1,
        "file": "h.pdf",
    }
    assert row.entity_id == str(job.session_ids[0]) and "Secret-1" not in row.detail_json


def test_printers_forget_goes_back_to_the_cups_default(monkeypatch, tmp_path, capsys):
    from hwdesk.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    printing.choose_printer("counter")
    assert main(["--db", str(tmp_path / "x.sqlite3"), "--lang", "en", "printers", "--forget"]) == 0
    assert "CUPS's default is used" in capsys.readouterr().out and printing.chosen_printer() is None
