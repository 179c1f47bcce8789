"""The calendar in the QR: the handout's second code is the session as an iCalendar event.

Both codes are decoded from the rendered PDF (zxing-cpp) and the event is parsed with the
``icalendar`` package: the time in Asia/Tokyo is the session's, the UID is stable, nothing about
the seeker is in it. ``handout --ics`` writes the same event to a file.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pypdfium2 as pdfium
import pytest
import zxingcpp
from helpers import new_seeker
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from hwdesk import ics
from hwdesk.clock import JST
from hwdesk.handout import calendar_qr_matrix
from hwdesk.models import AuditLog, Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services import handouts
from hwdesk.services.auth import get_staff

TOKYO = ZoneInfo("Asia/Tokyo")
URL = "https://us06web.zoom.us/j/81234567890?pwd=abc"
PASSCODE = "Canary-7391"
NAME = "検証 花子"
START = datetime(2027, 2, 2, 10, 0, tzinfo=JST)


def _session(store, actor, *, office="maebashi", start=START, people=1, url=URL):
    with store.write() as s:
        staff = get_staff(s, actor.login)
        srow = SessionRow(
            office_id=office,
            kind="counseling",
            start_at=start,
            end_at=start + timedelta(minutes=50),
            staff_id=staff.id,
            capacity=max(people, 1),
            platform="zoom",
            join_url=url,
            meeting_id="812 3456 7890",
            passcode=PASSCODE,
            title="",
        )
        s.add(srow)
        s.flush()
        sid = srow.id
    seekers = []
    for i in range(people):
        sk = new_seeker(store, actor, office_id=office, name=NAME, birth=f"1981-03-{i + 1:02d}")
        seekers.append(sk)
        with store.write() as s:
            s.add(Enrollment(session_id=sid, seeker_id=sk.id, state="booked"))
    return sid, seekers


def _codes(pdf_path, dpi=200):
    """Per page: (join codes, calendar codes), decoded from the page as printed."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    out = []
    try:
        for page in pdf:
            img = page.render(scale=dpi / 72).to_pil()
            texts = [b.text for b in zxingcpp.read_barcodes(img) if b.format == zxingcpp.BarcodeFormat.QRCode]
            out.append(([t for t in texts if not t.startswith("BEGIN:")], [t for t in texts if t.startswith("BEGIN:")]))
    finally:
        pdf.close()
    return out


def _page_texts(pdf_path):
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [page.get_textpage().get_text_range() for page in pdf]
    finally:
        pdf.close()


def _event(text):
    cal = icalendar.Calendar.from_ical(text)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    return cal, events[0]


def _check_event(text, *, sid, office, summary, labels, seekers):
    cal, ev = _event(text)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
    assert start == START and end == START + timedelta(minutes=50)
    assert start.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") == "2027-02-02 10:00"
    assert ev["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert str(ev["UID"]) == ics.uid_for(sid, office) == f"session-{sid}-{office}@hwdesk"
    assert str(ev["SUMMARY"]) == summary
    assert str(ev["URL"]) == URL and str(ev["LOCATION"]) == URL
    desc = str(ev["DESCRIPTION"])
    assert desc.splitlines() == [f"{labels[0]}: 812 3456 7890", f"{labels[1]}: {PASSCODE}"]
    for sk in seekers:  # no personal data
        assert sk.name not in text and sk.seeker_no not in text and sk.phone not in text
    assert "花子" not in text


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_handout_carries_both_codes_and_the_event_parses(store, actors, tmp_path, lang):
    actor = actors["clerk1_mae"]
    sid, seekers = _session(store, actor)
    with store.write() as s:
        job = handouts.for_session(s, actor=actor, session_id=sid, lang=lang)
        handouts.write(s, actor=actor, job=job, out=tmp_path / "h.pdf", lang=lang)
    join, cal = _codes(tmp_path / "h.pdf")[0]
    assert join == [URL] and len(cal) == 1  # both codes on the first page
    if lang == "ja":
        _check_event(
            cal[0],
            sid=sid,
            office="maebashi",
            summary="オンライン職業相談（ハローワーク前橋）",
            labels=("ミーティングID", "パスコード"),
            seekers=seekers,
        )
    else:
        _check_event(
            cal[0],
            sid=sid,
            office="maebashi",
            summary="Online job counseling (Hello Work Maebashi)",
            labels=("Meeting ID", "Passcode"),
            seekers=seekers,
        )
    # each code is labelled on the page in the handout's language
    text = "".join(_page_texts(tmp_path / "h.pdf")[0].split())
    labels = ("参加用QRコード", "カレンダー登録用QRコード") if lang == "ja" else ("Jointhemeeting", "Addtocalendar")
    assert all(label in text for label in labels)


def test_large_print_keeps_both_codes_labelled_and_decodable(store, actors, tmp_path):
    actor = actors["clerk1_mae"]
    sid, seekers = _session(store, actor)
    for lang in ("ja", "en"):
        with store.write() as s:
            job = handouts.for_session(s, actor=actor, session_id=sid, lang=lang)
            handouts.write(s, actor=actor, job=job, out=tmp_path / f"{lang}.pdf", large_print=True, lang=lang)
        pages = _codes(tmp_path / f"{lang}.pdf", dpi=150)
        joins = [c for j, _ in pages for c in j]
        cals = [c for _, c in pages for c in c]
        assert joins == [URL] and len(cals) == 1
        page_of_cal = next(i for i, (_, c) in enumerate(pages) if c)
        text = "".join(_page_texts(tmp_path / f"{lang}.pdf")[page_of_cal].split())
        assert ("カレンダー登録用QRコード" if lang == "ja" else "Addtocalendar") in text
        _, ev = _event(cals[0])
        assert ev.decoded("DTSTART") == START and str(ev["UID"]) == ics.uid_for(sid, "maebashi")


def test_uid_is_stable_across_prints_languages_and_participants(store, actors, tmp_path):
    actor = actors["clerk1_mae"]
    sid, _ = _session(store, actor, people=2)
    uids = set()
    for lang in ("ja", "en"):
        with store.write() as s:
            job = handouts.for_session(s, actor=actor, session_id=sid, lang=lang)
            handouts.write(s, actor=actor, job=job, out=tmp_path / f"{lang}.pdf", lang=lang)
        for _, cal in _codes(tmp_path / f"{lang}.pdf"):
            uids |= {str(_event(c)[1]["UID"]) for c in cal}
    assert uids == {f"session-{sid}-maebashi@hwdesk"}


def test_long_link_calendar_code_stays_small_and_decodes_at_print_size(store, actors, tmp_path):
    """A long meeting link: the calendar code still fits (≤ 0.5 mm a module at its printed size,
    QR version ≤ 20) and decodes from a 150 dpi image of the page (a plain office printer)."""
    actor = actors["clerk1_mae"]
    url = "https://us06web.zoom.us/j/81234567890?pwd=" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7" + ".1"
    sid, _ = _session(store, actor, url=url)
    with store.write() as s:
        job = handouts.for_session(s, actor=actor, session_id=sid)
        handouts.write(s, actor=actor, job=job, out=tmp_path / "h.pdf")
    matrix = calendar_qr_matrix(job.pages[0].calendar)
    version = (len(matrix) - 8 - 17) // 4
    assert version <= 20
    join, cal = _codes(tmp_path / "h.pdf", dpi=150)[0]
    assert join == [url] and len(cal) == 1 and str(_event(cal[0])[1]["URL"]) == url


def test_cli_ics_for_a_session_and_for_a_day(db_url, tmp_path, monkeypatch, capsys):
    from conftest import _seed_staff

    from hwdesk.cli import main
    from hwdesk.db import open_store
    from hwdesk.models import Staff
    from hwdesk.services.context import Actor

    st = open_store(db_url)
    _seed_staff(st)
    with st.read() as s:
        actor = Actor.of(s.exec(select(Staff).where(Staff.login == "clerk1")).one())
    sid1, seekers = _session(st, actor, office="takamatsu", people=2)
    sid2, _ = _session(st, actor, office="takamatsu", start=START + timedelta(hours=4))
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    base = ["--db", db_url, "--as", "clerk1"]

    # one session: the file is the event of the handout's calendar code
    assert main([*base, "handout", str(sid1), "--ics", str(tmp_path / "s.ics")]) == 0
    assert "予定1件" in capsys.readouterr().out
    raw = (tmp_path / "s.ics").read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    _check_event(
        raw.decode(),
        sid=sid1,
        office="takamatsu",
        summary="オンライン職業相談（ハローワーク高松）",
        labels=("ミーティングID", "パスコード"),
        seekers=seekers,
    )
    assert (tmp_path / "s.ics").stat().st_mode & 0o077 == 0  # it carries the passcode

    # the same with the handout, in English
    assert (
        main(
            [
                *base,
                "--lang",
                "en",
                "handout",
                str(sid1),
                "--out",
                str(tmp_path / "s.pdf"),
                "--ics",
                str(tmp_path / "en.ics"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "Wrote 2 handout(s)" in out and "1 event(s)" in out
    _, ev = _event((tmp_path / "en.ics").read_text())
    assert str(ev["SUMMARY"]) == "Online job counseling (Hello Work Takamatsu)"
    assert _codes(tmp_path / "s.pdf")[0][1][0].replace("\r\n", "\n") == (tmp_path / "en.ics").read_text()

    # a day: one event per session (each once, however many participants)
    assert (
        main([*base, "handout", "--office", "takamatsu", "--date", "2027-02-02", "--ics", str(tmp_path / "d.ics")]) == 0
    )
    cal = icalendar.Calendar.from_ical((tmp_path / "d.ics").read_text())
    assert sorted(str(e["UID"]) for e in cal.walk("VEVENT")) == sorted(
        [ics.uid_for(sid1, "takamatsu"), ics.uid_for(sid2, "takamatsu")]
    )
    assert [e.decoded("DTSTART").astimezone(TOKYO).hour for e in cal.walk("VEVENT")] == [10, 14]

    # bad input: a clear message, nothing written
    assert main([*base, "handout", str(sid1), "--ics", str(tmp_path / "x.txt")]) != 0
    assert main([*base, "handout", str(sid1)]) != 0
    err = capsys.readouterr().err
    assert ".ics" in err and "--out" in err
    assert not (tmp_path / "x.txt").exists()
    st = open_store(db_url)
    with st.read() as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "handout.ics")).all()
    st.dispose()
    assert len(rows) == 3 and all(PASSCODE not in r.detail_json for r in rows)


# --- the RFC 5545 writing itself ---------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)


@settings(max_examples=150, deadline=None)
@given(summary=_TEXT, description=_TEXT)
def test_user_text_is_data_and_round_trips(summary, description):
    """Commas, semicolons, backslashes, line breaks and wide characters come back as written
    (control characters dropped); no text can add a property; lines are folded at 75 octets."""
    e = ics.Event(
        uid=ics.uid_for(7, "shibuya"),
        start=START,
        end=START + timedelta(hours=1),
        summary=summary,
        url=URL,
        description=description,
        stamp=datetime(2027, 1, 1, tzinfo=UTC),
    )
    text = ics.calendar([e])
    raw = text.encode()
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    _, ev = _event(text)

    def kept(v):  # what the event keeps of user text: line breaks as \n, tab as space, no controls
        out = []
        for ch in v.replace("\r\n", "\n"):
            if ch in "\n\r\u2028\u2029\x85":
                out.append("\n")
            elif ch == "\t":
                out.append(" ")
            elif not unicodedata.category(ch).startswith("C"):
                out.append(ch)
        return "".join(out)

    assert str(ev.get("SUMMARY", "")) == kept(summary)
    if description:
        assert str(ev.get("DESCRIPTION", "")) == kept(description)
    assert [c.name for c in ev.subcomponents] == []
    assert {k for k in ev} <= {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "LOCATION", "DESCRIPTION"}


def test_escaping_by_the_rfc():
    assert ics.escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    assert ics.escape_text("x\x1b[31my\u200bz") == "x[31myz"
    line = "DESCRIPTION:" + "あ" * 40
    folded = ics.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_naive_times_and_bad_links_are_refused():
    e = ics.Event(
        uid="u",
        start=datetime(2027, 2, 2, 10),
        end=datetime(2027, 2, 2, 11),
        summary="s",
        url=URL,
        description="",
        stamp=datetime(2027, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(ValueError):
        ics.calendar([e])
    bad = ics.Event(
        uid="u",
        start=START,
        end=START,
        summary="s",
        url="https://x.example/\r\nATTACH:evil",
        description="",
        stamp=datetime(2027, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(ValueError):
        ics.calendar([bad])
    with pytest.raises(ValueError):
        ics.calendar([])
