"""Printing through a real CUPS spooler: a private ``cupsd`` with a cups-pdf queue per test.

Each xdist worker starts its own ``cupsd`` (its own socket, spool and configuration in a
temporary directory, reached through ``CUPS_SERVER``) so that the tests may stop printers and
run without a default destination without touching the machine's printers or each other
(``make test`` runs ``-n 2``). Each test adds a fresh cups-pdf queue whose output goes to the
test's directory; the printed PDF is read back, its QR codes decoded and its text compared with
the handout. cups-pdf re-renders the PDF through PostScript and Ghostscript, which keeps the
Latin text (URL, meeting ID, passcode, dates) extractable but not the Japanese glyphs' Unicode,
so the comparison is of the Latin text; the QR code and the page count are compared exactly.

Needs root and Debian's ``cups``, ``cups-client`` and ``printer-driver-cups-pdf`` (``.ci/run``
installs them); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlmodel import col, func, select

from hwdesk import ipp, printing
from hwdesk.cli import main
from hwdesk.clock import JST
from hwdesk.models import AuditLog, Enrollment
from hwdesk.models import Session as SessionRow

BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
PW = "hwdesk-demo"


def _why_not() -> str | None:
    if not (shutil.which("cupsd") and shutil.which("lpadmin") and shutil.which("cupsdisable")):
        return "CUPS is not installed (Debian packages cups and cups-client; .ci/run installs them as root)"
    if not (BACKEND.exists() and PPD.exists()):
        return "cups-pdf is not installed (Debian package printer-driver-cups-pdf; .ci/run installs it as root)"
    if os.geteuid() != 0:
        return "the cups-pdf backend runs only under a cupsd started as root (.ci/run runs as root)"
    if not os.access("/etc/cups", os.W_OK):
        return "cups-pdf reads its per-queue settings from /etc/cups, which is not writable here"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


class Spooler:
    """A private cupsd: its socket, and the queues the tests add (cleaned up afterwards)."""

    def __init__(self, root: Path):
        self.root = root
        self.sock = str(root / "cups.sock")
        self.confs: list[Path] = []
        for d in ("spool", "cache", "state", "log", "ppd"):
            (root / d).mkdir()
        (root / "tmp").mkdir(mode=0o1777)
        (root / "tmp").chmod(0o1777)  # filters run as lp
        (root / "cupsd.conf").write_text(
            f"Listen {self.sock}\nLogLevel warn\nBrowsing No\nWebInterface No\nDefaultAuthType None\n"
            "PreserveJobFiles No\nPreserveJobHistory Yes\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        )
        (root / "cups-files.conf").write_text(
            f"ServerRoot {root}\nRequestRoot {root}/spool\nCacheDir {root}/cache\nStateDir {root}/state\n"
            f"TempDir {root}/tmp\nAccessLog {root}/log/access_log\nErrorLog {root}/log/error_log\n"
            f"PageLog {root}/log/page_log\nUser lp\nGroup lp\nSystemGroup root\n"
        )
        self.proc = subprocess.Popen(
            ["cupsd", "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with _server(self.sock):
                    ipp.request(ipp.CUPS_GET_PRINTERS, "/", [])
                break
            except ipp.IppError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    pytest.skip("cupsd did not start (see its error_log)")
                time.sleep(0.1)

    def add_queue(self, out: Path) -> str:
        """A cups-pdf queue writing into ``out`` (job id in the file name)."""
        name = f"hw-{uuid.uuid4().hex[:10]}"
        out.mkdir(parents=True, exist_ok=True)
        conf = Path(f"/etc/cups/cups-pdf-{name}.conf")
        conf.write_text(f"Out {out}\nAnonDirName {out}\nLabel 1\n")
        self.confs.append(conf)
        self.run("lpadmin", "-p", name, "-v", f"cups-pdf:/{name}", "-P", str(PPD), "-E", "-D", "counter printer")
        return name

    def run(self, *cmd: str) -> str:
        """Run a CUPS admin command against this server."""
        done = subprocess.run(
            cmd, env={**os.environ, "CUPS_SERVER": self.sock}, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def jobs(self, queue: str, which: str = "all") -> list[str]:
        """The job ids of ``queue`` (``all``, ``completed`` or ``not-completed``)."""
        return re.findall(rf"^({re.escape(queue)}-\d+)\s", self.run("lpstat", "-W", which, "-o", queue), re.M)

    def stop(self) -> None:
        """Stop cupsd (this process only) and remove the queues' cups-pdf settings."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for conf in self.confs:
            conf.unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)


class _server:
    """``CUPS_SERVER`` pointed at a socket for the duration of a block."""

    def __init__(self, sock: str):
        self.sock, self.old = sock, None

    def __enter__(self):
        self.old = os.environ.get("CUPS_SERVER")
        os.environ["CUPS_SERVER"] = self.sock

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("CUPS_SERVER", None)
        else:
            os.environ["CUPS_SERVER"] = self.old


@pytest.fixture(scope="module")
def spooler():
    """One private cupsd per module and worker (a short path: a socket path is at most 107 bytes)."""
    sp = Spooler(Path(tempfile.mkdtemp(prefix="hwcups-")))
    yield sp
    sp.stop()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> bytes:
    """A small demo database (SQLite file), built once and copied per test."""
    from hwdesk.db import open_store
    from hwdesk.services import demo

    path = tmp_path_factory.mktemp("printdemo") / "demo.sqlite3"
    store = open_store(str(path))
    with store.write() as s:
        demo.build_demo(s, seekers_per_office=6, seed=3)
    store.dispose()
    return path.read_bytes()


@pytest.fixture
def env(spooler, demo_template, tmp_path, monkeypatch, capsys):
    """The CLI against a copy of the demo database, this worker's cupsd, a fresh queue, and a
    config directory of its own (this terminal's printer choice)."""
    db = tmp_path / "demo.sqlite3"
    db.write_bytes(demo_template)
    monkeypatch.setenv("CUPS_SERVER", spooler.sock)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("HWDESK_PASSWORD", PW)
    queue = spooler.add_queue(tmp_path / "printed")

    class Env:
        pass

    e = Env()
    e.db, e.queue, e.out, e.spooler = db, queue, tmp_path / "printed", spooler

    def cli(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--db", str(db), *args])
        o = capsys.readouterr()
        return code, o.out, o.err

    e.cli = cli
    yield e
    # A queue another test could see as a default is removed with the test.
    subprocess.run(["lpadmin", "-x", queue], env={**os.environ, "CUPS_SERVER": spooler.sock}, capture_output=True)


def _a_session(db: Path, office: str = "takamatsu") -> tuple[int, datetime, int]:
    """A scheduled session with a join link and participants: (id, start, participants)."""
    from hwdesk.db import open_store

    store = open_store(str(db))
    try:
        with store.read() as s:
            n = func.count(Enrollment.id)
            row = s.exec(
                select(SessionRow.id, SessionRow.start_at, n)
                .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
                .where(
                    SessionRow.office_id == office,
                    SessionRow.state == "scheduled",
                    SessionRow.join_url != "",
                    col(Enrollment.state).in_(("booked", "offered", "checked_in")),
                )
                .group_by(SessionRow.id, SessionRow.start_at)
                .order_by(n.desc(), SessionRow.start_at)
            ).first()
            assert row is not None
            return row[0], row[1], row[2]
    finally:
        store.dispose()


def _audit(db: Path, action: str) -> list[dict]:
    from hwdesk.db import open_store

    store = open_store(str(db))
    try:
        with store.read() as s:
            return [
                json.loads(r.detail_json)
                for r in s.exec(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
            ]
    finally:
        store.dispose()


def _printed(e, job_id: int, timeout: float = 90) -> Path:
    """Wait for cups-pdf's output of ``job_id`` (complete: the job is done and the file written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = f"{e.queue}-{job_id}" in e.spooler.jobs(e.queue, "completed")
        found = list(e.out.glob(f"*job_{job_id}.pdf"))
        if done and found and found[0].stat().st_size > 0:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no output for job {job_id}: {list(e.out.iterdir())}")


def _pages(pdf: Path) -> list[tuple[list[str], str, float]]:
    """Each page's QR texts, its extracted text (pypdf) and the QR's width in pixels at 150 dpi."""
    doc = pdfium.PdfDocument(str(pdf))
    reader = PdfReader(str(pdf))
    out = []
    try:
        for i in range(len(doc)):
            img = doc[i].render(scale=150 / 72).to_pil().convert("L")
            codes = [
                b
                for b in zxingcpp.read_barcodes(img)
                if b.format == zxingcpp.BarcodeFormat.QRCode and not b.text.startswith("BEGIN:VCALENDAR")
            ]  # the join codes (the calendar's: tests/test_ics.py)
            width = max((b.position.top_right.x - b.position.top_left.x for b in codes), default=0)
            out.append(([b.text for b in codes], reader.pages[i].extract_text(), float(width)))
    finally:
        doc.close()
    return out


def _facts(text: str) -> set[str]:
    """The handout's facts in Latin script: the join URL, meeting ID, passcode, ISO date, the
    office's phone and the session reference (what survives cups-pdf's re-rendering)."""
    words = re.findall(r"https?://\S+|[A-Za-z0-9][A-Za-z0-9:/.\-]*", text)
    return {w for w in words if w.startswith("https://") or (len(w) >= 6 and any(c.isdigit() for c in w))}


def _job_attrs(e, job_id: int) -> dict:
    with _server(e.spooler.sock):
        resp = ipp.request(
            ipp.GET_JOB_ATTRIBUTES,
            "/",
            [
                (ipp.URI, "printer-uri", ipp.printer_uri(e.queue)),
                (ipp.INTEGER, "job-id", job_id),
                (ipp.NAME, "requesting-user-name", ipp.user()),
            ],
        )
    return resp.first(ipp.JOB)


def test_a_handout_prints_on_the_chosen_printer_and_reads_back_the_same(env, tmp_path):
    sid, _start, people = _a_session(env.db)
    code, out, err = env.cli("printers", "--use", env.queue)
    assert code == 0 and env.queue in out
    code, out, err = env.cli("printers")
    assert code == 0 and env.queue in out and "この端末" in out and "待機中" in out
    original = tmp_path / "handout.pdf"
    code, out, err = env.cli("--as", "clerk1", "handout", str(sid), "--out", str(original), "--print")
    assert code == 0, err
    sheets = len(PdfReader(str(original)).pages)  # a handout runs to as many pages as its terms need
    assert sheets >= people
    assert re.search(rf"{env.queue} で {sheets} ページ印刷しました|{env.queue} に {sheets} ページ送りました", out), out
    [row] = _audit(env.db, "handout.sent")
    assert row["printer"] == env.queue and row["pages"] == sheets and row["state"] in ("printed", "queued")
    printed = _printed(env, row["job_id"])

    before, after = _pages(original), _pages(printed)
    assert len(after) == len(before) == sheets  # no banner pages, one job
    assert sum(1 for qr, _, _ in before if qr) == people  # each seeker's first page carries the join QR
    for (qr0, text0, _), (qr1, text1, _) in zip(before, after):
        assert qr1 == qr0
        if qr0:
            assert qr0[0].startswith("https://") and qr0[0] in text1
            assert len(_facts(text0)) >= 5 and _facts(text0) <= _facts(text1)
    box = PdfReader(str(printed)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    attrs = _job_attrs(env, row["job_id"])
    assert attrs["sides"] == ["one-sided"] and attrs["job-sheets"] == ["none", "none"] and attrs["number-up"] == [1]
    assert attrs["job-cancel-after"] == [600]
    assert attrs["job-name"][0].startswith("hwdesk S-") and attrs["job-state"] == [9]


def test_a_days_handouts_go_as_one_job_with_their_page_count(env, tmp_path):
    _sid, start, _people = _a_session(env.db)
    day = start.astimezone(JST).date().isoformat()
    original = tmp_path / "day.pdf"
    code, out, err = env.cli(
        "--lang",
        "en",
        "--as",
        "clerk1",
        "handout",
        "--office",
        "takamatsu",
        "--date",
        day,
        "--out",
        str(original),
        "--printer",
        env.queue,
    )
    assert code == 0, err
    pages = len(PdfReader(str(original)).pages)
    assert pages > 1 and re.search(rf"(Printed|Sent) {pages} page\(s\) (on|to) {env.queue}", out), out
    [row] = _audit(env.db, "handout.sent")
    assert row["pages"] == pages
    printed = _printed(env, row["job_id"])
    assert env.spooler.jobs(env.queue) == [f"{env.queue}-{row['job_id']}"]  # one job for the day
    before, after = _pages(original), _pages(printed)
    assert [qr for qr, _, _ in after] == [qr for qr, _, _ in before]
    for (qr0, text0, _), (_, text1, _) in zip(before, after):
        if qr0:  # a seeker's first page: the facts beside the join QR
            assert len(_facts(text0)) >= 5 and _facts(text0) <= _facts(text1)


def test_large_print_stays_large_on_paper(env, tmp_path):
    sid, _start, _people = _a_session(env.db)
    widths = []
    for large in ((), ("--large",)):
        out = tmp_path / f"h{len(large)}.pdf"
        code, _o, err = env.cli(
            "--as", "clerk1", "handout", str(sid), "--out", str(out), "--printer", env.queue, *large
        )
        assert code == 0, err
        job = _audit(env.db, "handout.sent")[-1]["job_id"]
        widths.append(_pages(_printed(env, job))[0][2])
    assert widths[1] > widths[0] * 1.3  # the large-print QR (85 mm) is not scaled down to fit


def test_no_printer_chosen_and_no_default_is_said_plainly(env, tmp_path):
    sid, _start, _people = _a_session(env.db)
    out_pdf = tmp_path / "h.pdf"
    code, out, err = env.cli("--as", "clerk1", "handout", str(sid), "--out", str(out_pdf), "--print")
    assert code == 2
    assert "使うプリンターが決まっていません" in err and "hwdesk printers --use" in err and str(out_pdf) in err
    assert "No default destination" not in err + out and "lp:" not in err
    assert out_pdf.exists() and env.spooler.jobs(env.queue) == []
    code, out, err = env.cli("--lang", "en", "--as", "clerk1", "handout", str(sid), "--out", str(out_pdf), "--print")
    assert code == 2 and "No printer is set" in err and "CUPS has no default" in err
    assert _audit(env.db, "handout.sent") == []


def test_a_stopped_printer_is_refused_before_anything_is_queued(env, tmp_path):
    sid, _start, _people = _a_session(env.db)
    env.spooler.run("cupsdisable", "-r", "Paper jam in tray 2", env.queue)
    code, out, _ = env.cli("printers", "--json")
    [row] = [r for r in json.loads(out)["printers"] if r["name"] == env.queue]
    assert row["state"] == "stopped" and row["reason"] == "Paper jam in tray 2"
    out_pdf = tmp_path / "h.pdf"
    code, out, err = env.cli("--as", "clerk1", "handout", str(sid), "--out", str(out_pdf), "--printer", env.queue)
    assert code == 2
    assert (
        f"プリンター「{env.queue}」は停止中です" in err and "Paper jam in tray 2" in err and "何も送っていません" in err
    )
    assert str(out_pdf) in err and out_pdf.exists()
    assert env.spooler.jobs(env.queue) == []  # the passcode page is not left waiting in the queue
    code, out, err = env.cli(
        "--lang", "en", "--as", "clerk1", "handout", str(sid), "--out", str(out_pdf), "--printer", env.queue
    )
    assert code == 2 and "is stopped (Paper jam in tray 2)" in err and "nothing was sent" in err


def test_an_unknown_printer_name_lists_the_printers_there_are(env, tmp_path):
    sid, _start, _people = _a_session(env.db)
    out_pdf = tmp_path / "h.pdf"
    code, out, err = env.cli(
        "--as", "clerk1", "handout", str(sid), "--out", str(out_pdf), "--printer", "no-such-printer"
    )
    assert code == 2 and "プリンター「no-such-printer」はありません" in err and env.queue in err
    code, out, err = env.cli("printers", "--use", "no-such-printer")
    assert code == 2 and "no-such-printer" in err
    assert printing.chosen_printer() is None
    # A remembered printer that was since removed is named as this terminal's choice.
    printing.choose_printer("gone-printer")
    code, out, err = env.cli("--lang", "en", "--as", "clerk1", "handout", str(sid), "--out", str(out_pdf), "--print")
    assert code == 2 and "There is no printer chosen for this terminal called 'gone-printer'" in err


def test_the_default_printer_is_used_and_shown(env, tmp_path):
    env.spooler.run("lpadmin", "-d", env.queue)
    code, out, _ = env.cli("printers")
    assert "既定" in out
    code, out, _ = env.cli("--lang", "en", "printers", "--json")
    rows = json.loads(out)["printers"]
    assert {r["name"]: r["default"] for r in rows}[env.queue] is True
    sid, _start, _people = _a_session(env.db)
    code, out, err = env.cli("--as", "clerk1", "handout", str(sid), "--out", str(tmp_path / "h.pdf"), "--print")
    assert code == 0, err
    assert _audit(env.db, "handout.sent")[0]["printer"] == env.queue


def test_no_print_service_at_all(env, tmp_path, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "nothing.sock"))
    sid, _start, _people = _a_session(env.db)
    code, out, err = env.cli("--as", "clerk1", "handout", str(sid), "--out", str(tmp_path / "h.pdf"), "--print")
    assert code == 2 and "印刷サービス（CUPS）に接続できません" in err
    code, out, err = env.cli("--lang", "en", "printers")
    assert code == 2 and "No print service (CUPS)" in err


async def test_the_preview_shows_the_printer_lets_the_clerk_change_it_and_says_what_happened(
    env, tmp_path, monkeypatch
):
    from helpers.ui import make_app, plain, settle, sign_in

    import screens.handout_preview as hp
    from screens.handout_preview import HandoutPreview

    monkeypatch.setattr(hp, "downloads_dir", lambda: tmp_path / "Downloads")
    other = env.spooler.add_queue(tmp_path / "other")
    env.spooler.run("lpadmin", "-d", other)
    sid, _start, people = _a_session(env.db)
    app = make_app(str(env.db))
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot)
            app.push_screen(HandoutPreview(sid))
            await settle(pilot)
            p = app.screen
            assert plain(p.query_one("#hp-printer")) == f"プリンター: {other}（CUPSの既定）待機中"
            await pilot.press("r")
            await settle(pilot)
            lst = p.query_one("#hp-printers")
            assert lst.display and {lst.get_option_at_index(i).id for i in range(lst.option_count)} >= {
                env.queue,
                other,
            }
            lst.highlighted = next(i for i in range(lst.option_count) if lst.get_option_at_index(i).id == env.queue)
            await pilot.press("enter")
            await settle(pilot)
            assert printing.chosen_printer() == env.queue and not lst.display
            assert plain(p.query_one("#hp-printer")) == f"プリンター: {env.queue}（この端末の設定）待機中"
            await pilot.press("p")
            await settle(pilot)
            status = plain(p.query_one("#hp-status"))
            sent = re.search(rf"{env.queue} (で|に) (\d+) ページ(印刷しました|送りました)", status)
            assert sent and int(sent.group(2)) >= people, status  # a handout may run to two pages
            [row] = _audit(env.db, "handout.sent")
            assert row["printer"] == env.queue
            _printed(env, row["job_id"])
            # The printer stops: the preview says so, and printing sends nothing.
            env.spooler.run("cupsdisable", "-r", "Out of paper", env.queue)
            await pilot.press("p")
            await settle(pilot)
            status = plain(p.query_one("#hp-status"))
            assert "停止中" in status and "Out of paper" in status and "何も送っていません" in status
            assert "Out of paper" in plain(p.query_one("#hp-printer"))
            assert len(_audit(env.db, "handout.sent")) == 1
    finally:
        env.spooler.run("lpadmin", "-x", other)


def _submit_raw(e, pdf: Path, *extra: str) -> int:
    """A job submitted with lp, past hwdesk's own checks (to follow what CUPS does with it)."""
    out = e.spooler.run("lp", "-d", e.queue, *extra, str(pdf))
    return int(re.search(r"-(\d+) ", out).group(1))


def test_a_job_the_printer_stops_on_is_taken_out_of_the_queue_and_reported_failed(env, tmp_path):
    sid, _start, _people = _a_session(env.db)
    pdf = tmp_path / "h.pdf"
    assert env.cli("--as", "clerk1", "handout", str(sid), "--out", str(pdf))[0] == 0
    env.spooler.run("cupsdisable", "-r", "Paper jam in tray 2", env.queue)  # accepting, but stopped
    job = _submit_raw(env, pdf)
    with _server(env.spooler.sock):
        dest = next(d for d in printing.destinations() if d.name == env.queue)
        result = printing._follow(dest, job, pages=1, path=pdf, seconds=0.5)
    assert result.state == "failed" and env.spooler.jobs(env.queue, "not-completed") == []
    assert "Paper jam in tray 2" in result.text("ja") and "取り消されました" in result.text("ja")
    assert "PDFは保存してあります" in result.text("ja")


def test_a_held_job_is_reported_held(env, tmp_path):
    sid, _start, _people = _a_session(env.db)
    pdf = tmp_path / "h.pdf"
    assert env.cli("--as", "clerk1", "handout", str(sid), "--out", str(pdf))[0] == 0
    job = _submit_raw(env, pdf, "-H", "indefinite")
    with _server(env.spooler.sock):
        dest = next(d for d in printing.destinations() if d.name == env.queue)
        result = printing._follow(dest, job, pages=1, path=pdf, seconds=0.5)
    assert result.state == "held" and "held until released" in result.text("en")
    env.spooler.run("cancel", f"{env.queue}-{job}")
