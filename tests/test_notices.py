"""Notices that leave a record (issue 20, item 2), against a real SMTP server (aiosmtpd) started
here on a free port: what arrives is read back and parsed with the ``email`` package. Both backends.

Covered: a confirmation arrives with the current link, passcode and the terms' own words; a server
that is down leaves the notice failed with the reason, and the next run sends it; a booking
cancelled before the run sends nothing; a moved session's notice carries the new time and the
current link and passcode; a closure names itself; stored text cannot add a header; a revision's
告知 goes to the seekers who must be told and is recorded as their notice; a dry run writes nothing.
"""

from __future__ import annotations

import copy
import email
import json
import socket
from datetime import date, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk.cli import main
from hwdesk.clock import JST
from hwdesk.models import AuditLog, Notice, Seeker, TermsNotice
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, consent, notices, outbox, scheduling
from hwdesk.services.offices import add_terms_version
from hwdesk.terms import TermsDocument, shipped_terms

DAY = date(2027, 2, 2)  # a Tuesday, ahead of the clock
URL = "https://zoom.us/j/9876543210"


class Inbox:
    """An aiosmtpd handler keeping every message that arrives."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.mails.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server on a free port; yields (inbox, port)."""
    inbox, port = Inbox(), free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, port
    finally:
        ctl.stop()


def at(hm: str, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.strptime(hm, "%H:%M").time(), JST)


def mail_channel(store, actors, port: int, office: str = "takamatsu") -> None:
    admin = {"takamatsu": "admin1", "shibuya": "admin1_shi"}[office]
    with store.write() as s:
        notices.set_channel(
            s, actor=actors[admin], office_id=office, kind="mail", host="127.0.0.1", port=port,
            sender="desk@hellowork.example.jp",
        )  # fmt: skip


def seeker_with_mail(store, actors, address="taro@example.jp", **kw):
    sk = new_seeker(store, actors["clerk1"], **kw)
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="seminar")
    with store.write() as s:
        row = s.get(Seeker, sk.id)
        row.email = address  # as stored (a test of what is sent, not of the form)
        s.add(row)
    return sk


def seminar(store, actors, start="13:00", end="14:00", day=DAY, **kw) -> int:
    with store.write() as s:
        return scheduling.create_session(
            s, actor=actors["clerk1"], office_id="takamatsu", kind="seminar", start=at(start, day),
            end=at(end, day), staff_login="clerk1", capacity=kw.pop("capacity", 5), join_url=URL,
            meeting_id="987 654 3210", passcode="pass-1", title=kw.pop("title", "応募書類の書き方"),
        ).id  # fmt: skip


def book(store, actor, sid, seeker_id):
    with store.write() as s:
        return scheduling.book(s, actor=actor, session_id=sid, seeker_id=seeker_id).state


def send(store, actor, **kw) -> outbox.SendReport:
    return outbox.send_due(store, actor=actor, office_id="takamatsu", **kw)


def rows(store, **kw) -> list[outbox.OutboxRow]:
    with store.read() as s:
        return outbox.outbox(s, actor=notices_actor(store), office_id="takamatsu", **kw)


def notices_actor(store):
    from hwdesk.services.context import SYSTEM

    return SYSTEM


def test_a_confirmation_arrives_with_the_current_link_passcode_and_the_terms_words(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    sid = seminar(store, actors)
    book(store, clerk, sid, sk.id)
    pending = rows(store, states=("pending",))
    assert sorted(r.kind for r in pending) == ["confirmation", "reminder"]
    report = send(store, clerk)
    assert [(o.kind, o.state) for o in report.outcomes] == [("confirmation", "sent")]  # the reminder is not due yet
    assert len(inbox.mails) == 1
    rcpt, msg = inbox.mails[0]
    assert rcpt == ["taro@example.jp"] and msg["To"].addresses[0].addr_spec == "taro@example.jp"
    assert msg["From"].addresses[0].addr_spec == "desk@hellowork.example.jp"
    assert (
        msg["Subject"] == "【ハローワーク高松】オンラインセミナーのご予約を承りました"
        or "ご予約を承りました" in msg["Subject"]
    )
    body = msg.get_content()
    assert URL in body and "パスコード: pass-1" in body and "987 654 3210" in body
    assert "令和9年2月2日(火) 13:00〜14:00" in body and "応募書類の書き方" in body
    assert "利用規約から" in body and "（第" in body  # the handout's rows, each with its article
    assert "山田" not in body  # the office prints no name on handouts: none in the mail either
    with store.read() as s:
        n = s.exec(select(Notice).where(Notice.kind == "confirmation")).one()
        assert n.state == "sent" and n.attempts == 1 and n.sent_by == clerk.id and n.channel == "mail"
        assert n.terms_version_id is not None and n.subject == msg["Subject"]
        assert s.exec(select(AuditLog).where(AuditLog.action == "notice.sent")).first().seeker_id == sk.id
    seen = {r.kind: r for r in rows(store)}
    assert seen["confirmation"].state_label() == "送信済み" and seen["reminder"].state == "pending"
    assert send(store, clerk).outcomes == [] and len(inbox.mails) == 1  # nothing twice
    # the reminder goes the day before
    later = send(store, clerk, now=at("14:00", DAY - timedelta(days=1)))
    assert [(o.kind, o.state) for o in later.outcomes] == [("reminder", "sent")]
    assert "近づきました" in inbox.mails[1][1].get_content()


def test_server_down_fails_with_the_reason_and_the_next_run_sends_it(store, actors):
    clerk = actors["clerk1"]
    port = free_port()  # nothing listens here yet
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    book(store, clerk, seminar(store, actors), sk.id)
    first = send(store, clerk)
    assert [o.state for o in first.outcomes] == ["failed"]
    failed = rows(store, states=("failed",))
    assert len(failed) == 1 and "Not sent" in failed[0].result and failed[0].attempts == 1
    assert failed[0].state_label("en") == "Failed (retried next run)"
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        second = send(store, clerk)
    finally:
        ctl.stop()
    assert [o.state for o in second.outcomes] == ["sent"] and len(inbox.mails) == 1
    done = [r for r in rows(store) if r.kind == "confirmation"][0]
    assert done.state == "sent" and done.attempts == 2 and done.result.startswith("250")


def test_a_booking_cancelled_before_the_run_sends_nothing(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    sid = seminar(store, actors)
    book(store, clerk, sid, sk.id)
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=clerk, session_id=sid, seeker_id=sk.id, reason="by_seeker")
    report = send(store, clerk)
    assert [(o.kind, o.state, o.result) for o in report.outcomes] == [("confirmation", "skipped", "booking cancelled")]
    assert inbox.mails == []
    # and the reminder, when its day comes
    later = send(store, clerk, now=at("14:00", DAY - timedelta(days=1)))
    assert [(o.kind, o.state) for o in later.outcomes] == [("reminder", "skipped")] and inbox.mails == []
    assert {r.state for r in rows(store)} == {"skipped"}


def test_a_moved_session_is_told_with_the_new_time_and_the_current_link_and_passcode(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    sid = seminar(store, actors)
    book(store, clerk, sid, sk.id)
    with store.write() as s:
        new = scheduling.reschedule(s, actor=clerk, session_id=sid, new_start=at("15:00"), new_end=at("16:00"))
        new_id = new.id
    with store.write() as s:  # the link and passcode changed after the move (as stored now)
        row = s.get(SessionRow, new_id)
        row.join_url, row.passcode = "https://zoom.us/j/1112223334", "pass-2"
        s.add(row)
    report = send(store, clerk)
    by_kind = {o.kind: o for o in report.outcomes}
    assert by_kind["reschedule"].state == "sent"
    assert by_kind.get("confirmation") is None  # superseded when the session moved, not sent twice
    assert len(inbox.mails) == 1
    body = inbox.mails[0][1].get_content()
    assert "15:00〜16:00" in body and "変更前: 令和9年2月2日(火) 13:00" in body
    assert "https://zoom.us/j/1112223334" in body and "パスコード: pass-2" in body
    assert URL not in body and "pass-1" not in body
    reminder = [r for r in rows(store) if r.kind == "reminder"][0]
    assert reminder.session_id == new_id and reminder.due_at == at("15:00") - timedelta(days=1)


def test_a_closure_cancellation_names_the_closure_and_carries_no_link(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    sid = seminar(store, actors)
    book(store, clerk, sid, sk.id)
    send(store, clerk)
    with store.write() as s:
        res = calendar.add_closure(
            s, actor=actors["super1"], office_id="takamatsu", day=DAY, reason="庁舎の電気設備点検"
        )
        for session_id in res.session_ids:
            scheduling.cancel_session(s, actor=clerk, session_id=session_id, reason="by_office")
    report = send(store, clerk)
    assert [(o.kind, o.state) for o in report.outcomes] == [("cancellation", "sent")]
    msg = inbox.mails[-1][1]
    body = msg.get_content()
    assert "取り消されました" in msg["Subject"]
    assert "当所の休業（庁舎の電気設備点検）のため" in body and URL not in body and "パスコード" not in body


def test_stored_text_cannot_add_a_header(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    bad = seeker_with_mail(store, actors, address="x@example.jp\r\nBcc: thief@evil.example")
    good = seeker_with_mail(store, actors, address="hanako@example.jp", name="佐藤 花子", kana="サトウ ハナコ")
    sid = seminar(store, actors)
    with store.write() as s:  # a title with line breaks and a header in it, as stored
        row = s.get(SessionRow, sid)
        row.title = "説明会\r\nBcc: thief@evil.example\r\n\r\n本文"
        s.add(row)
    book(store, clerk, sid, bad.id)
    book(store, clerk, sid, good.id)
    report = send(store, clerk)
    assert sorted(o.state for o in report.outcomes) == ["failed", "sent"]
    assert [r for r in rows(store, states=("failed",))][0].result == "No valid e-mail address is recorded."
    assert len(inbox.mails) == 1
    rcpt, msg = inbox.mails[0]
    assert rcpt == ["hanako@example.jp"] and msg["Bcc"] is None
    assert set(msg.keys()) == {"Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted", "Content-Type",
                               "Content-Transfer-Encoding", "MIME-Version"} | ({"X-Peer", "X-MailFrom", "X-RcptTo"} & set(msg.keys()))  # fmt: skip
    assert "内容: 説明会 Bcc: thief@evil.example 本文" in msg.get_content()


def test_a_dry_run_writes_nothing_and_sends_nothing(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    book(store, clerk, seminar(store, actors), sk.id)
    report = send(store, clerk, dry_run=True)
    assert [(o.kind, o.state) for o in report.outcomes] == [("confirmation", "would send")]
    assert "ご予約を承りました" in report.outcomes[0].subject
    assert inbox.mails == [] and {r.state for r in rows(store)} == {"pending"}


def test_print_channel_records_the_notice_as_told_with_the_handout(store, actors, smtp):
    inbox, _ = smtp
    clerk = actors["clerk1"]
    sk = seeker_with_mail(store, actors)
    book(store, clerk, seminar(store, actors), sk.id)
    report = send(store, clerk)
    assert [(o.state, o.result) for o in report.outcomes] == [
        ("skipped", "print channel: told with the handout at the counter")
    ]
    assert inbox.mails == []


def test_a_waitlist_offer_is_mailed_with_its_deadline(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    first = seeker_with_mail(store, actors, address="first@example.jp")
    waiting = seeker_with_mail(store, actors, address="wait@example.jp", name="待機 次郎", kana="タイキ ジロウ")
    sid = seminar(store, actors, capacity=1)
    book(store, clerk, sid, first.id)
    assert book(store, clerk, sid, waiting.id) == "waitlisted"
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=clerk, session_id=sid, seeker_id=first.id, reason="by_seeker")
    report = send(store, clerk)
    sent = [(o.kind, o.state) for o in report.outcomes if o.state == "sent"]
    assert sent == [("offer", "sent")]
    rcpt, msg = inbox.mails[0]
    assert rcpt == ["wait@example.jp"] and "空席" in msg["Subject"] and "まで" in msg.get_content()


def test_a_revision_notice_goes_to_those_who_must_be_told_and_is_recorded(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    with store.write() as s:
        consent.record_consent(s, actor=clerk, seeker_id=sk.id, office_id="takamatsu", on=date(2026, 6, 1))
    book(store, clerk, seminar(store, actors), sk.id)  # booked under the revised text: one to tell
    raw = copy.deepcopy(shipped_terms()["takamatsu"][-1].raw)
    raw["version"] = 3
    raw["articles"][6]["paragraphs"][0]["items"][1]["text"] += "（改）"
    with store.write() as s:
        tv = add_terms_version(
            s, actor=actors["super1"], office_id="takamatsu", text=json.dumps(TermsDocument(raw).raw, ensure_ascii=False),
            effective_on=date(2027, 1, 15), reason="条文の整理", ground="reasonable",
        )  # fmt: skip
        tv_id = tv.id
    report = send(store, clerk)
    assert ("terms_revision", "sent") in [(o.kind, o.state) for o in report.outcomes]
    msg = next(m for _, m in inbox.mails if "改訂" in m["Subject"])
    body = msg.get_content()
    assert "令和9年1月15日から" in body and "第3版" in body and "第7条" in body
    assert "規約の変更についての定め（第13条）" in body
    with store.read() as s:
        told = s.exec(select(TermsNotice).where(TermsNotice.seeker_id == sk.id)).all()
        assert [(t.terms_version_id, t.method) for t in told] == [(tv_id, "mail")]


def test_the_cli_sends_and_shows_the_outbox(store, actors, smtp, db_url, monkeypatch, capsys):
    inbox, port = smtp
    monkeypatch.setenv("HWDESK_PASSWORD", "hwdesk-demo")
    assert main(["--db", db_url, "--as", "admin1", "notices", "channel", "takamatsu", "--mail", f"127.0.0.1:{port}",
                 "--from", "desk@hellowork.example.jp"]) == 0  # fmt: skip
    sk = seeker_with_mail(store, actors)
    book(store, actors["clerk1"], seminar(store, actors), sk.id)
    capsys.readouterr()
    assert main(["--db", db_url, "--as", "clerk1", "notices", "send", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send" in out or "送信予定" in out
    assert inbox.mails == []
    assert main(["--db", db_url, "--as", "clerk1", "notices", "send"]) == 0
    assert len(inbox.mails) == 1
    capsys.readouterr()
    assert main(["--db", db_url, "--as", "clerk1", "notices", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(n["kind"], n["state"]) for n in data["notices"]} == {("confirmation", "sent"), ("reminder", "pending")}


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1 (the openssl command), as (cert, key)."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the STARTTLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_starttls_and_a_login_whose_password_is_never_stored(store, actors, tls_files, monkeypatch):
    import ssl

    from aiosmtpd.smtp import AuthResult

    cert, key = tls_files
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(str(cert), str(key))
    logins: list[tuple[bytes, bytes, bool]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=auth_data.password == b"s3cret-pw")

    inbox, port = Inbox(), free_port()
    ctl = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    ctl.start()
    clerk = actors["clerk1"]
    monkeypatch.setenv("HWDESK_TEST_SMTP_PW", "s3cret-pw")
    try:
        with store.write() as s:
            notices.set_channel(
                s, actor=actors["admin1"], office_id="takamatsu", kind="mail", host="127.0.0.1", port=port,
                sender="desk@hellowork.example.jp", user="desk", password_env="HWDESK_TEST_SMTP_PW", ca_file=str(cert),
            )  # fmt: skip
        sk = seeker_with_mail(store, actors)
        book(store, clerk, seminar(store, actors), sk.id)
        report = send(store, clerk)
    finally:
        ctl.stop()
    assert [o.state for o in report.outcomes] == ["sent"], report.outcomes
    assert logins == [(b"desk", b"s3cret-pw", True)]  # after STARTTLS, with the password from the environment
    assert len(inbox.mails) == 1
    with store.read() as s:
        stored = json.dumps([a.detail_json for a in s.exec(select(AuditLog))]) + json.dumps(
            [n.result for n in s.exec(select(Notice))]
        )
        from hwdesk.models import Meta

        stored += "".join(m.value for m in s.exec(select(Meta)))
    assert "s3cret-pw" not in stored and "HWDESK_TEST_SMTP_PW" in stored


def test_one_send_run_at_a_time(store, actors, smtp):
    from hwdesk import clock
    from hwdesk.errors import HwdeskError
    from hwdesk.models import Meta

    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    book(store, clerk, seminar(store, actors), sk.id)
    with store.write() as s:  # another terminal's run, in progress
        s.add(Meta(key="notices.sending.takamatsu", value=clock.now_utc().isoformat()))
    with pytest.raises(HwdeskError) as refused:
        send(store, clerk)
    assert "Another terminal" in refused.value.message("en") and inbox.mails == []
    assert [o.state for o in send(store, clerk, dry_run=True).outcomes] == ["would send"]  # a dry run reads only
    with store.write() as s:  # that run crashed long ago: its lease has lapsed
        s.get(Meta, "notices.sending.takamatsu").value = (clock.now_utc() - timedelta(hours=1)).isoformat()
    assert [o.state for o in send(store, clerk).outcomes] == ["sent"]
    with store.read() as s:
        assert s.get(Meta, "notices.sending.takamatsu") is None  # given back


def test_a_booking_made_again_and_a_confirmed_offer_send_one_confirmation_each(store, actors, smtp):
    inbox, port = smtp
    clerk = actors["clerk1"]
    mail_channel(store, actors, port)
    sk = seeker_with_mail(store, actors)
    other = seeker_with_mail(store, actors, address="jiro@example.jp", name="次 郎", kana="ツギ ジロウ")
    sid = seminar(store, actors, capacity=1)
    book(store, clerk, sid, sk.id)
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=clerk, session_id=sid, seeker_id=sk.id, reason="by_seeker")
    book(store, clerk, sid, sk.id)  # booked again: the first booking's notices give way
    assert book(store, clerk, sid, other.id) == "waitlisted"
    with store.write() as s:
        scheduling.cancel_enrollment(s, actor=clerk, session_id=sid, seeker_id=sk.id, reason="by_seeker")
    with store.write() as s:
        scheduling.confirm_offer(s, actor=clerk, session_id=sid, seeker_id=other.id)
    report = send(store, clerk)
    outcomes = sorted(
        (o.kind, o.seeker_no, o.state, "250…" if o.state == "sent" else o.result) for o in report.outcomes
    )
    assert outcomes == sorted(
        [
            ("confirmation", sk.seeker_no, "skipped", "booking cancelled"),  # the second booking's, cancelled since
            ("confirmation", sk.seeker_no, "skipped", "superseded: booked again"),  # the first booking's
            ("confirmation", other.seeker_no, "sent", "250…"),
            (
                "offer",
                other.seeker_no,
                "skipped",
                "booking is booked",
            ),  # answered before the run: the confirmation tells it
        ]
    )
    assert [m["To"].addresses[0].addr_spec for _, m in inbox.mails] == ["jiro@example.jp"]
    later = send(store, clerk, now=at("14:00", DAY - timedelta(days=1)))
    assert sorted((o.kind, o.seeker_no, o.state) for o in later.outcomes) == [
        ("reminder", sk.seeker_no, "skipped"),
        ("reminder", sk.seeker_no, "skipped"),
        ("reminder", other.seeker_no, "sent"),
    ]
