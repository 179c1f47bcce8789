"""Hostile input: property tests of the service entry points, markup/terminal injection, CSV
formula injection, and a passcode canary.

- Property tests (hypothesis, SQLite): any text given to a service raises only a documented error
  (``HwdeskError`` subclasses or ``jtext.base.ParseError``) and a refusal writes nothing (every table's
  row count is unchanged).
- Text that reached the database another way (an import, a database edit) with markup, escapes,
  C1 controls, DEL, RLO or 5000 characters: the CLI, the handout PDF, the CSV export and the app
  all show it literally with its controls neutralized.
- A meeting passcode used as a canary is never written to the audit log or to log output.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import SQLModel, select

from hwdesk.clock import JST
from hwdesk.errors import HwdeskError
from hwdesk.jtext.addresses import parse_join_url
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.safety import safe_display
from hwdesk.models import AuditLog, CompanionNotice, Seeker
from hwdesk.nameindex import expected_tables
from hwdesk.services import consent, exports, handouts, importer, scheduling, seekers
from hwdesk.services.context import Actor
from hwdesk.terms import parse_terms_document

DOCUMENTED = (HwdeskError, ParseError)
PROPS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

# Pieces of hostile text the strategies mix into random text.
SNIPPETS = [
    "[bold]",
    "[/]",
    "[/",
    "[link=https://x]",
    "[@click=app.quit]",
    "[",
    "C:\\[tmp]",
    "\x1b]2;title\x1b\\",
    "\x1b[31m",
    "\x85",
    "\x9b",
    "\x7f",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\x00",
    "\t",
    "\r\n",
    "=cmd|' /C calc'!A0",
    "+1",
    "-1",
    "@SUM(A1)",
    "'; DROP TABLE seeker; --",
    "' OR '1'='1",
    "%",
    "_",
    "\\",
    "山田",
    "ヤマダ",
    "やまだ",
    "ｶﾀｶﾅ",
    "令和7年4月1日",
    "R7.4.1",
    "S60.4.1",
    "1985-04-01",
    "090-1234-5678",
    "37010-12345",
    "３７０１０－１２３",
]
hostile_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=5)), max_size=6).map("".join),
    st.text(alphabet="0123456789-ー－ 　/.年月日令和平成昭RHSｶﾀカナやまだ山田[]=@+", max_size=30),
)


def table_counts(store) -> dict[str, int]:
    """Rows in every table (to show that a refusal wrote nothing)."""
    with store.read() as s:
        tables = expected_tables(SQLModel.metadata.tables, sqlite=store.is_sqlite)
        return {t: s.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in sorted(tables)}


@pytest.fixture
def sq(tmp_path):
    """A fresh SQLite store with the offices and staff (one per test function) and its actors."""
    from conftest import _seed_staff

    from hwdesk.db import open_store
    from hwdesk.models import Staff

    store = open_store(f"sqlite:///{tmp_path / 'hostile.sqlite3'}")
    _seed_staff(store)
    with store.read() as s:
        actors = {st_.login: Actor.of(st_) for st_ in s.exec(select(Staff))}
    yield store, actors
    store.dispose()


# --- property tests: documented errors only, nothing half-written --------------------------------


@PROPS
@given(
    no=st.one_of(hostile_text, st.from_regex(r"\A[0-9]{5}-[0-9]{1,8}\Z")),
    name=hostile_text,
    kana=st.one_of(hostile_text, st.sampled_from(["ヤマダ タロウ", "やまだ", "ｶﾀｶﾅ"])),
    birth=st.one_of(hostile_text, st.dates(date(1900, 1, 1), date(2030, 1, 1)).map(str)),
    phone=hostile_text,
    email=hostile_text,
    kind=st.one_of(st.sampled_from(["窓口", "online", "", "office "]), hostile_text),
    registered=hostile_text,
    office=st.one_of(st.sampled_from(["takamatsu", "shibuya", "", "nowhere"]), hostile_text),
    webcam=st.booleans(),
    same=st.booleans(),
)
def test_create_seeker_raises_only_documented_errors_and_writes_nothing_on_refusal(
    sq, no, name, kana, birth, phone, email, kind, registered, office, webcam, same
):
    store, actors = sq
    form = seekers.SeekerForm(
        seeker_no=no,
        name=name,
        name_kana=kana,
        birth_date=birth,
        phone=phone,
        email=email,
        registration_kind=kind,
        registered_on=registered,
        office_id=office,
        webcam_confirmed=webcam,
    )
    before = table_counts(store)
    try:
        with store.write() as s:
            created = seekers.create_seeker(s, actor=actors["clerk1"], form=form, allow_same_person=same)
            sid = created.id
    except DOCUMENTED:
        assert table_counts(store) == before
        return
    after = table_counts(store)
    assert after["seeker"] == before["seeker"] + 1 and after["auditlog"] == before["auditlog"] + 1
    with store.read() as s:
        stored = s.get(Seeker, sid)
    assert stored.name == unicodedata.normalize("NFKC", stored.name)
    assert not any(safe_display(v) != v for v in (stored.name, stored.name_kana, stored.email))  # no control stored


def _csv_bytes(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue().encode(encoding, errors="replace")


csv_files = st.one_of(
    st.binary(max_size=400),
    st.builds(
        _csv_bytes,
        st.one_of(
            st.just(importer.HEADER_JA),
            st.just(importer.HEADER_EN),
            st.permutations(importer.HEADER_JA).map(list),
            st.lists(hostile_text, max_size=9),
        ),
        st.lists(
            st.lists(
                st.one_of(
                    hostile_text,
                    st.from_regex(r"\A[0-9]{5}-[0-9]{1,4}\Z"),
                    st.sampled_from(["山田 太郎", "ヤマダ タロウ", "1985-04-01", "S60.4.1", "窓口"]),
                ),
                max_size=10,
            ),
            max_size=6,
        ),
        st.sampled_from(["utf-8", "utf-8-sig", "cp932"]),
    ),
)


@PROPS
@given(data=csv_files, dry_run=st.booleans(), office=st.sampled_from(["takamatsu", "shibuya", "nowhere"]))
@example(
    data=('求職番号,氏名,フリガナ,生年月日\r\n37010-1,"' + "x" * 200_000 + '",ヤマダ,1985-04-01\r\n').encode(),
    dry_run=False,
    office="takamatsu",
)  # a field over the csv module's limit
@example(data=b'\xef\xbb\xbf\x00\x00,"', dry_run=False, office="takamatsu")
def test_import_raises_only_documented_errors_and_writes_all_good_rows_or_nothing(sq, data, dry_run, office):
    store, actors = sq
    before = table_counts(store)
    try:
        with store.write() as s:
            result = importer.import_seekers(s, actor=actors["clerk1"], data=data, office_id=office, dry_run=dry_run)
    except DOCUMENTED:
        assert table_counts(store) == before
        return
    after = table_counts(store)
    assert after["seeker"] - before["seeker"] == (0 if dry_run else result.added)
    if dry_run or not result.added:
        assert after == before
    assert all(e.line >= 2 for e in result.errors)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)
terms_like = st.fixed_dictionaries(
    {
        "title": st.one_of(hostile_text, json_values),
        "version": st.one_of(st.integers(0, 9), json_values),
        "effective_on": st.one_of(st.sampled_from(["2030-04-01", "2030-02-30", "R12.4.1"]), json_values),
        "articles": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "number": st.integers(0, 3) | json_values,
                        "paragraphs": st.lists(hostile_text, max_size=2) | json_values,
                    }
                ),
                max_size=3,
            ),
            json_values,
        ),
    },
    optional={"office": st.sampled_from(["takamatsu", "shibuya"]) | json_values},
).map(lambda d: json.dumps(d, ensure_ascii=False))


@PROPS
@given(text=st.one_of(hostile_text, json_values.map(json.dumps), terms_like))
@example(text="[" * 100_000)  # nesting deeper than the JSON decoder's recursion limit
@example(text="1" * 5000)  # an integer longer than Python's int/str conversion limit
@example(text='{"title": "t", "articles": [], "version": true, "effective_on": "2030-04-01"}')
def test_terms_parser_and_revision_raise_only_documented_errors(sq, text):
    store, actors = sq
    try:
        doc = parse_terms_document(text, office_id="takamatsu")
    except DOCUMENTED:
        pass
    else:
        assert type(doc.version) is int and isinstance(doc.title, str) and isinstance(doc.raw["articles"], list)
    from hwdesk.services.offices import add_terms_version

    before = table_counts(store)
    try:
        with store.write() as s:
            add_terms_version(
                s,
                actor=actors["super1"],
                office_id="takamatsu",
                text=text,
                effective_on=date(2030, 4, 1),
                reason="改訂",
                ground="user_benefit",
            )
    except DOCUMENTED:
        assert table_counts(store) == before


@settings(max_examples=300, deadline=None)
@given(
    url=st.one_of(
        hostile_text,
        st.text(max_size=40).map(lambda t: "https://" + t),
        st.sampled_from(
            [
                "https://us06web.zoom.us/j/1?pwd=a",
                "https://evil.example@zoom.us/j/1",
                "https://zoom.us:99999/j",
                "https://[::1/",
                "https://zoom.us\u202e/j",
            ]
        ),
    ),
    platform=st.one_of(st.sampled_from(["zoom", "teams", "webex", "other", ""]), hostile_text),
)
def test_parse_join_url_raises_only_parse_error(url, platform):
    try:
        out = parse_join_url(url, platform)
    except ParseError:
        return
    assert out.startswith("https://") and safe_display(out) == out and " " not in out


@PROPS
@given(
    name=hostile_text,
    language=hostile_text,
    kind=st.one_of(st.sampled_from(["interpreter", "caregiver", "other"]), hostile_text),
    office=st.sampled_from(["takamatsu", "shibuya"]),
    unannounced=st.booleans(),
)
def test_record_companion_raises_only_documented_errors_and_writes_nothing_on_refusal(
    sq, name, language, kind, office, unannounced
):
    store, actors = sq
    with store.read() as s:
        sk = s.exec(select(Seeker)).first()
    sid = sk.id if sk else new_seeker(store, actors["clerk1"]).id
    before = table_counts(store)
    try:
        with store.write() as s:
            notice = consent.record_companion(
                s,
                actor=actors["clerk1"],
                seeker_id=sid,
                office_id=office,
                kind=kind,
                name=name,
                language=language,
                unannounced=unannounced,
            )
            stored_name = notice.name
    except DOCUMENTED:
        assert table_counts(store) == before
        return
    assert office == "takamatsu" and safe_display(stored_name) == stored_name
    assert table_counts(store)[CompanionNotice.__tablename__] == before[CompanionNotice.__tablename__] + 1


# --- markup and terminal injection in stored data -------------------------------------------------

HOSTILE_NAMES = [
    "[bold]山田[/] 太郎",
    "山田 [/",
    "[link=https://x]山田[/link] 花子",
    "[@click=app.quit]山田[/] 一郎",
    "山田 [unclosed",
    "C:\\[tmp] 山田",
    "\x1b]2;title\x1b\\山田 題",
    "山田\x85\x9b31m 次郎",
    "山田\x7f 三郎",
    "\u202e山田 四郎",
    "山" * 5000,
]
# Characters that must never reach a terminal raw: ESC and the other C0 controls, DEL, C1, bidi.
RAW_BAD = (
    {chr(c) for c in range(0x20) if c not in (0x0A, 0x0D)}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"}
)


def _drawn(name: str) -> str:
    """What a printout should show: the text with control and format characters removed."""
    return "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))


def _plant(store, actor, names: list[str], *, office: str = "takamatsu") -> list[str]:
    """Seekers registered through the form, then renamed directly in the database (as an import or a
    database edit would), bypassing the input validation. Returns the names stored: PostgreSQL's
    ``varchar(60)`` itself refuses the 5000-character one."""
    if not store.is_sqlite:
        names = [n for n in names if len(n) <= 60]
    ids = [
        new_seeker(store, actor, office_id=office, kana="ヤマダ", birth=f"19{50 + i}-01-01").id
        for i in range(len(names))
    ]
    with store.write() as s:
        for sid, name in zip(ids, names):
            s.get(Seeker, sid).name = name
    return names


def test_cli_find_neutralizes_stored_controls_and_markup(store, actors, db_url, monkeypatch, capsys):
    from hwdesk.cli import main

    planted = _plant(store, actors["clerk1"], HOSTILE_NAMES)
    monkeypatch.setenv("COLUMNS", "12000")  # no wrapping: each name on one line
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    assert main(["--db", db_url, "--as", "clerk1", "seeker", "find", "やまだ", "--limit", "50"]) == 0
    out = capsys.readouterr().out
    assert not RAW_BAD & set(out), sorted(f"U+{ord(c):04X}" for c in RAW_BAD & set(out))
    for name in HOSTILE_NAMES[:-1]:
        assert safe_display(name) in out, name
    assert "[@click=app.quit]山田[/] 一郎" in out and "␛]2;title␛\\山田 題" in out and "<U+202E>山田 四郎" in out
    assert main(["--db", db_url, "--as", "clerk1", "seeker", "find", "やまだ", "--json"]) == 0
    out = capsys.readouterr().out
    assert not RAW_BAD & set(out), sorted(f"U+{ord(c):04X}" for c in RAW_BAD & set(out))
    assert sorted(r["name"] for r in json.loads(out)) == sorted(planted)  # JSON keeps the stored text exactly


def test_handout_prints_stored_text_literally_without_controls(tmp_path):
    import pypdfium2 as pdfium

    from hwdesk.handout import HandoutPage, Instruction, render_pdf

    start = datetime(2027, 2, 2, 10, 0, tzinfo=JST)
    pages = [
        HandoutPage(
            office_name="ハローワーク高松",
            office_contact="087-869-8609",
            service_label="オンライン職業相談",
            start=start,
            end=start + timedelta(hours=1),
            platform="webex",
            join_url="https://hellowork.webex.com/meet/x",
            meeting_id="123",
            passcode="p",
            seeker_name=name,
            instructions=(Instruction(f"注意 {name}", "第1条"),),
            session_ref="S-000001",
            title=name,
        )
        for name in HOSTILE_NAMES[:-1] + ["山" * 300]
    ]
    out = tmp_path / "h.pdf"
    render_pdf(pages, out)
    pdf = pdfium.PdfDocument(str(out))
    text = "\n".join(p.get_textpage().get_text_range() for p in pdf)
    compact = "".join(text.split())
    assert not RAW_BAD & set(text)
    for name in HOSTILE_NAMES[:-1]:
        assert "".join(_drawn(name).split()) in compact, name
    assert "[@click=app.quit]山田[/]一郎" in compact and "]2;title\\山田題" in compact


def test_exports_neutralize_formula_cells(store, actors):
    formulas = ['=HYPERLINK("https://x","y")', "+1+1 山田", "-2+3 山田", "@SUM(A1) 山田", "＝1+1 山田"]
    _plant(store, actors["clerk1"], formulas + HOSTILE_NAMES[:3])
    with store.write() as s:
        data = exports.export_seekers(
            s,
            actor=actors["super1"],
            office_id="takamatsu",
            date_from=date(2000, 1, 1),
            date_to=date(2099, 12, 31),
            encoding="utf-8-sig",
        )
    rows = list(csv.reader(io.StringIO(bytes(data).decode("utf-8-sig"))))
    cells = [c for r in rows[1:] for c in r]
    assert all(not c.startswith(("=", "+", "-", "@", "＝", "＋", "－", "＠")) for c in cells), [
        c for c in cells if c[:1] in "=+-@"
    ]
    names = {r[1] for r in rows[1:]}
    for f in formulas:
        assert "'" + f in names
    assert "[bold]山田[/] 太郎" in names


def test_passcode_canary_never_reaches_the_audit_log_or_logs(store, actors, tmp_path, caplog, capsys):
    canary = "CANARY-PASS-8841"
    caplog.set_level(logging.DEBUG)
    clerk = actors["clerk1"]
    with store.write() as s:
        row = scheduling.create_session(
            s,
            actor=clerk,
            office_id="takamatsu",
            kind="counseling",
            start=datetime(2027, 2, 2, 10, 0, tzinfo=JST),
            end=datetime(2027, 2, 2, 10, 45, tzinfo=JST),
            staff_login="clerk1",
            platform="webex",
            join_url="https://hellowork.webex.com/meet/c1",
            meeting_id="999 888 777",
            passcode=canary,
        )
    sk = new_seeker(store, clerk)
    make_ready(store, clerk, sk.id, "takamatsu", service="counseling", approve_by=actors["super1"])
    with store.write() as s:
        scheduling.book(s, actor=clerk, session_id=row.id, seeker_id=sk.id)
    with store.write() as s:
        assert scheduling.session_passcode(s, actor=clerk, session_id=row.id) == canary  # viewed
    with store.write() as s:
        job = handouts.for_session(s, actor=clerk, session_id=row.id)
        pdf = handouts.write(s, actor=clerk, job=job, out=tmp_path / "c.pdf")  # printed
    import pypdfium2 as pdfium

    assert canary in "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(str(pdf)))
    with store.read() as s:
        rows = s.exec(select(AuditLog)).all()
    assert {"session.passcode_view", "handout.print", "enrollment.book"} <= {r.action for r in rows}
    assert not [r.id for r in rows if canary in json.dumps(r.model_dump(), default=str, ensure_ascii=False)]
    assert canary not in caplog.text
    captured = capsys.readouterr()
    assert canary not in captured.out and canary not in captured.err


# --- the app shows stored hostile text literally (Pilot) -----------------------------------------


def _painted(widget) -> str:
    """The characters a widget paints on the screen."""
    from textual.geometry import Region

    strips = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return "\n".join("".join(seg.text for seg in strip) for strip in strips)


async def test_app_search_and_detail_show_stored_hostile_text_literally(tmp_path):
    from helpers.ui import SIZE, _build, add_seeker, make_app, plain, search_signed_in, settle

    from hwdesk.db import open_store

    db = _build(tmp_path / "ui.sqlite3")
    ids = [
        add_seeker(db, no=f"37010-60{i:02d}", name=f"山田 {i}", kana="ヤマダ", birth=f"19{50 + i}-01-01")
        for i in range(len(HOSTILE_NAMES))
    ]
    store = open_store(db, migrate=False)
    with store.write() as s:
        for sid, name in zip(ids, HOSTILE_NAMES):
            s.get(Seeker, sid).name = name
        s.add(
            CompanionNotice(
                seeker_id=ids[3],
                office_id="takamatsu",
                kind="interpreter",
                name="[@click=app.quit]通訳[/]",
                language="\x1b]2;pwned\x07英語\u202e",
                notified_at=datetime(2027, 1, 1, tzinfo=JST),
            )
        )
    store.dispose()

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        table = await search_signed_in(pilot, "やまだ")
        shown = {row[1] for row in table.rows}
        assert shown == {safe_display(n) for n in HOSTILE_NAMES}
        painted = _painted(table)
        assert not RAW_BAD & set(painted)
        for visible in ("[bold]山田[/] 太郎", "[@click=app.quit]山田[/] 一郎", "C:\\[tmp] 山田", "山田 [unclosed"):
            assert visible in painted or visible in "".join(str(c) for r in table.rows for c in r), visible
        await pilot.click("#search-results", offset=(20, 2))
        await pilot.click("#search-results", offset=(20, 3))
        await pilot.pause()
        assert app.is_running and app.return_code is None

        for sid, name in zip(ids, HOSTILE_NAMES):
            app.open_seeker(sid)
            await settle(pilot)
            body = app.screen.query_one("#b-profile")
            assert safe_display(name) in plain(body), name
            assert not RAW_BAD & set(_painted(body))
            for span in body.visual.spans:
                assert "@click" not in str(span.style) and "link" not in str(span.style)
            if sid == ids[3]:
                text = "\n".join(plain(w) for w in app.screen.query("Static"))
                assert "[@click=app.quit]通訳[/]" in text and "␛]2;pwned␇英語<U+202E>" in text
            await pilot.click("#b-profile", offset=(16, 1))
            await pilot.pause()
            assert app.is_running and type(app.screen).__name__ == "SeekerDetailScreen"
            await pilot.press("escape")
            await settle(pilot)
        assert app.is_running and app.return_code is None and app._exception is None
