"""Handouts from booked sessions: each office's own instructions, the QR, the audit row."""

from __future__ import annotations

from datetime import datetime, timedelta

import pypdfium2 as pdfium
import pytest
import zxingcpp
from helpers import new_seeker
from sqlmodel import select

from hwdesk.clock import JST
from hwdesk.errors import ValidationFailed
from hwdesk.models import AuditLog, Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import handouts
from hwdesk.services.auth import get_staff

URLS = {
    "maebashi": ("zoom", "https://us06web.zoom.us/j/81234567890?pwd=abc"),
    "shibuya": ("teams", "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0"),
    "takamatsu": ("webex", "https://hellowork.webex.com/meet/takamatsu01"),
}
KINDS = {"maebashi": "seminar", "shibuya": "counseling", "takamatsu": "interview"}
PASSCODE = "Canary-7391"


def _session(store, actor, office, *, url=None, people=1, start=datetime(2027, 2, 2, 10, 0, tzinfo=JST)):
    platform, default_url = URLS[office]
    with store.write() as s:
        staff = get_staff(s, actor.login)
        srow = SessionRow(
            office_id=office,
            kind=KINDS[office],
            start_at=start,
            end_at=start + timedelta(hours=1),
            staff_id=staff.id,
            capacity=max(people, 1),
            platform=platform,
            join_url=default_url if url is None else url,
            meeting_id="812 3456 7890",
            passcode=PASSCODE,
            title="応募書類セミナー" if office == "maebashi" else "",
        )
        s.add(srow)
        s.flush()
        sid = srow.id
    for i in range(people):
        sk = new_seeker(store, actor, office_id=office, birth=f"1980-02-{i + 1:02d}")
        with store.write() as s:
            s.add(Enrollment(session_id=sid, seeker_id=sk.id, state="booked"))
    return sid


def _pages_text_and_qr(path, *, calendar=False):
    """Each page's text and its QR codes: the join codes, or (``calendar``) the calendar codes."""
    pdf = pdfium.PdfDocument(str(path))
    out = []
    for page in pdf:
        text = page.get_textpage().get_text_range()
        img = page.render(scale=200 / 72).to_pil()
        codes = [b.text for b in zxingcpp.read_barcodes(img)]
        codes = [c for c in codes if c.startswith("BEGIN:VCALENDAR") == calendar]
        out.append((text, codes))
    return out


@pytest.mark.parametrize("office", ["maebashi", "shibuya", "takamatsu"])
def test_each_offices_handout_scans_and_cites_its_own_terms(store, actors, tmp_path, office):
    login = {"maebashi": "clerk1_mae", "shibuya": "clerk1_shi", "takamatsu": "clerk1"}[office]
    actor = actors[login]
    sid = _session(store, actor, office)
    with store.write() as s:
        job = handouts.for_session(s, actor=actor, session_id=sid)
        out = handouts.write(s, actor=actor, job=job, out=tmp_path / "h.pdf")
    pages = _pages_text_and_qr(out)
    text = "".join(t for t, _ in pages)
    assert pages[0][1] == [URLS[office][1]]  # the QR on the first page; the terms' lines run on
    flat = "".join(text.split())
    from hwdesk.handout_text import handout_lines
    from hwdesk.terms import shipped_terms

    for ins in handout_lines(office, shipped_terms()[office][-1]):  # every line of the office's terms, as printed
        assert "".join(ins.text.split()) in flat and ins.cite in flat
    assert "令和9年2月2日(火)" in text and "2027-02-02" in text and PASSCODE in text
    assert "録画" in text or "録音" in text
    recording_cite = {"maebashi": "第4条第4項", "shibuya": "第4条第3項", "takamatsu": "第12条(2)"}[office]
    room_cite = {"maebashi": "第3条(7)", "shibuya": "第6条(2)", "takamatsu": "第12条(3)"}[office]
    assert recording_cite in text and room_cite in text
    assert ("従量制" in text) == (office == "takamatsu")  # only 高松's terms warn about metered plans
    assert "様" not in text  # privacy by default: no name


def test_group_session_prints_one_page_per_participant_and_audits_without_passcode(store, actors, tmp_path):
    actor = actors["clerk1_mae"]
    sid = _session(store, actor, "maebashi", people=3)
    with store.write() as s:
        job = handouts.for_session(s, actor=actor, session_id=sid)
        handouts.write(s, actor=actor, job=job, out=tmp_path / "batch.pdf")
    pages = _pages_text_and_qr(tmp_path / "batch.pdf")
    firsts = [codes for text, codes in pages if "（続き）" not in text]  # each seeker's sheet starts with the QR
    assert len(firsts) == 3 and all(codes == [URLS["maebashi"][1]] for codes in firsts)
    with store.read() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "handout.print")).all()
    assert len(rows) == 1 and PASSCODE not in rows[0].detail_json


def test_refuses_missing_or_mismatched_link_before_printing(store, actors, tmp_path):
    actor = actors["clerk1"]
    for url in ("", "http://hellowork.webex.com/meet/x", "https://evil.example.com/meet/x"):
        sid = _session(store, actor, "takamatsu", url=url)
        with store.write() as s, pytest.raises(ValidationFailed):
            handouts.for_session(s, actor=actor, session_id=sid)
    assert not list(tmp_path.glob("*.pdf"))


def test_english_and_large_print_and_png(store, actors, tmp_path):
    actor = actors["clerk1_shi"]
    sid = _session(store, actor, "shibuya")
    with store.write() as s:
        job = handouts.for_session(s, actor=actor, session_id=sid, lang="en")
        handouts.write(s, actor=actor, job=job, out=tmp_path / "en.pdf", large_print=True, lang="en")
        handouts.write(s, actor=actor, job=job, out=tmp_path / "en.png", lang="en")
    pages = _pages_text_and_qr(tmp_path / "en.pdf")
    text = "".join(t for t, _ in pages)
    assert "Passcode" in text and "Recording" in text and pages[0][1] == [URLS["shibuya"][1]]
    from PIL import Image

    png_codes = [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "en.png"))]
    assert sorted(png_codes)[0].startswith("BEGIN:VCALENDAR") and sorted(png_codes)[1:] == [URLS["shibuya"][1]]


def test_cli_handout_for_a_day(db_url, tmp_path, monkeypatch, capsys):
    from conftest import _seed_staff

    from hwdesk.cli import main
    from hwdesk.db import open_store
    from hwdesk.models import Staff
    from hwdesk.services.context import Actor

    st = open_store(db_url)
    _seed_staff(st)
    with st.read() as s:
        actor = Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())
    _session(st, actor, "takamatsu", people=2)
    _session(st, actor, "takamatsu", people=1, start=datetime(2027, 2, 2, 14, 0, tzinfo=JST))
    st.dispose()
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    code = main(
        [
            "--db",
            db_url,
            "--as",
            "clerk1",
            "handout",
            "--office",
            "takamatsu",
            "--date",
            "R9.2.2",
            "--out",
            str(tmp_path / "day.pdf"),
        ]
    )
    assert code == 0 and "案内書3部" in capsys.readouterr().out
    assert sum("（続き）" not in text for text, _ in _pages_text_and_qr(tmp_path / "day.pdf")) == 3
