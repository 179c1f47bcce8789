"""The notices outbox: what is pending, sent, failed (with why) or skipped, and the send run.

``send_due`` is what ``hwdesk --as ID notices send`` and the app's outbox screen run: every notice
still to send (pending, or failed on an earlier run) whose time has come is built from the booking
as it stands (``notices.build_notice``) and then mailed, or recorded as skipped with the reason (its
booking was cancelled meanwhile; the office's channel is print or none). A failure (server down,
refused recipient, no address) is written on the notice, which stays in the outbox for the next
run. Each outcome is an audit row naming the notice, never the mail's text or address.

The mail is a plain-text ``EmailMessage`` (UTF-8): the headers are built by the ``email`` package
from the office's sender and the seeker's address, each checked, and a subject of fixed wording,
so no stored text can add a header (a name or title with CR/LF stays in the body, on one line).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import now_utc
from hwdesk.errors import HwdeskError
from hwdesk.jtext.addresses import parse_email
from hwdesk.jtext.base import ParseError
from hwdesk.models import Meta, Notice, Seeker, Staff, TermsVersion
from hwdesk.notice_text import KIND_LABELS, one_line
from hwdesk.services.context import Actor, require
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.notices import OPEN_STATES, SMTP_TIMEOUT, Built, Channel, Skip, build_notice, channel
from hwdesk.services.offices import profile
from hwdesk.texts import pick

LEASE = timedelta(minutes=10)  # longer than a run that mails a day's notices
STATE_LABELS = {
    "pending": ("送信待ち", "Pending"),
    "sent": ("送信済み", "Sent"),
    "failed": ("送信失敗（次回再送）", "Failed (retried next run)"),
    "skipped": ("送らず", "Skipped"),
}


@dataclass(frozen=True)
class OutboxRow:
    """One notice as staff see it in the outbox or on the seeker's record."""

    id: int
    kind: str
    state: str
    seeker_id: int
    seeker_no: str
    seeker_name: str
    session_id: int | None
    due_at: datetime
    queued_at: datetime
    queued_by: str
    attempts: int
    channel: str
    attempted_at: datetime | None
    sent_at: datetime | None
    sent_by: str
    terms_version: int | None
    subject: str
    result: str

    def kind_label(self, lang: str = "ja") -> str:
        """The kind in words."""
        return pick(*KIND_LABELS[self.kind], lang)

    def state_label(self, lang: str = "ja") -> str:
        """The state in words."""
        return pick(*STATE_LABELS[self.state], lang)


@guard("clerk")
def outbox(
    session: Session,
    *,
    actor: Actor,
    office_id: str | None = None,
    seeker_id: int | None = None,
    states: tuple[str, ...] = (),
    limit: int = 200,
) -> list[OutboxRow]:
    """Notices of an office (or of one seeker), newest first; ``states`` narrows them."""
    require(actor, "clerk", what_ja="通知の一覧", what_en="The notices outbox")
    stmt = (
        select(Notice, Seeker.seeker_no, Seeker.name, TermsVersion.version)
        .join(Seeker, col(Seeker.id) == Notice.seeker_id)
        .join(TermsVersion, col(TermsVersion.id) == Notice.terms_version_id, isouter=True)
    )
    if office_id:
        stmt = stmt.where(Notice.office_id == office_id)
    if seeker_id is not None:
        stmt = stmt.where(Notice.seeker_id == seeker_id)
    if states:
        stmt = stmt.where(col(Notice.state).in_(states))
    rows = session.exec(stmt.order_by(col(Notice.id).desc()).limit(max(1, min(limit, 5000)))).all()
    logins = dict(session.exec(select(Staff.id, Staff.login)).all())
    return [
        OutboxRow(
            n.id or 0,
            n.kind,
            n.state,
            n.seeker_id,
            no,
            name,
            n.session_id,
            n.due_at,
            n.queued_at,
            logins.get(n.queued_by, "") if n.queued_by else "",
            n.attempts,
            n.channel,
            n.attempted_at,
            n.sent_at,
            logins.get(n.sent_by, "") if n.sent_by else "",
            version,
            n.subject,
            n.result,
        )  # fmt: skip
        for n, no, name, version in rows
    ]


# --- the mail ---------------------------------------------------------------------------------


def mail_message(built: Built, ch: Channel, *, office_name: str) -> EmailMessage:
    """The notice as a mail; the recipient is checked (``parse_email``) and refused with a reason."""
    try:
        to = parse_email(built.to)
    except ParseError:
        to = ""
    if not to:
        raise HwdeskError("メールアドレスが登録されていません。", "No valid e-mail address is recorded.")
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = one_line(built.composed.subject, max_len=200)
    msg["From"] = Address(display_name=one_line(office_name, max_len=60), addr_spec=ch.sender)
    msg["To"] = Address(addr_spec=to)
    msg["Date"] = format_datetime(now_utc())
    msg["Message-ID"] = make_msgid(domain=ch.sender.rsplit("@", 1)[-1])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(built.composed.body, charset="utf-8")
    return msg


class Mailer:
    """SMTP connections of one send run, one per server, opened when first needed (STARTTLS when
    the server offers it; a login when the channel names a user)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, int, str], smtplib.SMTP] = {}

    def send(self, ch: Channel, msg: EmailMessage) -> str:
        """Send one mail; returns the delivery result, raises on failure (the connection is dropped)."""
        key = (ch.host, ch.port, ch.user)
        conn = self._open.get(key)
        try:
            if conn is None:
                conn = self._open[key] = self._connect(ch)
            refused = conn.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop(key)
            raise HwdeskError(f"送信できませんでした: {_why(exc)}", f"Not sent: {_why(exc)}") from None
        if refused:
            raise HwdeskError(f"受信を拒否されました: {_why(refused)}", f"Refused: {_why(refused)}")
        return f"250 accepted by {ch.host}:{ch.port}"

    @staticmethod
    def _connect(ch: Channel) -> smtplib.SMTP:
        conn = smtplib.SMTP(ch.host, ch.port, timeout=SMTP_TIMEOUT)
        conn.ehlo()
        if conn.has_extn("starttls"):
            conn.starttls(context=ssl.create_default_context(cafile=ch.ca_file or None))
            conn.ehlo()
        if ch.user:
            conn.login(ch.user, ch.password())
        return conn

    def _drop(self, key) -> None:
        conn = self._open.pop(key, None)
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        """Say goodbye to every server."""
        for key, conn in list(self._open.items()):
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._open.pop(key, None)


def _why(exc: object) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return one_line(f"{exc.smtp_code} {text}", max_len=200)
    if isinstance(exc, dict):  # recipients refused: {addr: (code, text)} — the code, not the address
        return one_line(" ".join(str(v[0]) for v in exc.values()), max_len=200)
    return one_line(f"{type(exc).__name__}: {exc}", max_len=200)


# --- the send run -----------------------------------------------------------------------------


OUTCOME_LABELS = {
    **STATE_LABELS,
    "waiting": ("送信時刻前", "Not yet due"),
    "would send": ("送信予定", "Would send"),
}


@dataclass(frozen=True)
class Outcome:
    """What the run did with one notice (``state`` is what was recorded, or would be on a dry run)."""

    notice_id: int
    kind: str
    seeker_no: str
    session_id: int | None
    state: str  # sent / failed / skipped / waiting (not yet due: left pending)
    result: str
    subject: str = ""

    def state_label(self, lang: str = "ja") -> str:
        """The outcome in words."""
        return pick(*OUTCOME_LABELS[self.state], lang)


@dataclass
class SendReport:
    """A send run: each notice's outcome, and the counts."""

    dry_run: bool
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, state: str) -> int:
        """How many notices ended in ``state``."""
        return sum(1 for o in self.outcomes if o.state == state)


def _due_ids(session: Session, office_id: str | None, now: datetime, limit: int) -> list[int]:
    stmt = select(Notice.id).where(col(Notice.state).in_(OPEN_STATES), col(Notice.due_at) <= now)
    if office_id:
        stmt = stmt.where(Notice.office_id == office_id)
    return [i for i in session.exec(stmt.order_by(col(Notice.id)).limit(limit)) if i is not None]


@guard("clerk", what_ja="通知の送信", what_en="Sending notices")
def send_due(
    store,
    *,
    actor: Actor,
    office_id: str | None,
    dry_run: bool = False,
    now: datetime | None = None,
    limit: int = 1000,
) -> SendReport:
    """Send every notice due (pending, or failed before) of the office; each in its own transaction.

    ``dry_run`` builds each notice as it would go and reports it, writing nothing."""
    require(actor, "clerk", what_ja="通知の送信", what_en="Sending notices")
    now = now or now_utc()
    report = SendReport(dry_run)
    if not dry_run:
        _lease(store, office_id, take=True)
    mailer = Mailer()
    try:
        with store.read() as s:
            ids = _due_ids(s, office_id, now, limit)
        for nid in ids:
            report.outcomes.append(_one(store, actor, nid, now=now, dry_run=dry_run, mailer=mailer))
    finally:
        mailer.close()
        if not dry_run:
            _lease(store, office_id, take=False)
    return report


def _lease(store, office_id: str | None, *, take: bool) -> None:
    """One send run at a time per office: two clerks pressing "send" together would mail each notice
    twice (a run reads, sends, then writes). A lease in ``meta``, given back at the end; one left by a
    run that crashed lapses after ``LEASE``."""
    key = f"notices.sending.{office_id or '*'}"
    clock = now_utc()
    try:
        with store.write() as s:
            row = s.exec(select(Meta).where(Meta.key == key).with_for_update()).first()
            if not take:
                if row is not None:
                    s.delete(row)
                return
            if row is not None and datetime.fromisoformat(row.value) > clock - LEASE:
                raise HwdeskError(
                    "別の端末で通知を送信中です。終わってからもう一度送信してください。",
                    "Another terminal is sending notices; send again when it has finished.",
                )
            s.merge(Meta(key=key, value=clock.isoformat()))
    except IntegrityError:  # the other run inserted its lease first (PostgreSQL)
        raise HwdeskError(
            "別の端末で通知を送信中です。終わってからもう一度送信してください。",
            "Another terminal is sending notices; send again when it has finished.",
        ) from None


def _one(store, actor: Actor, nid: int, *, now: datetime, dry_run: bool, mailer: Mailer) -> Outcome:
    with store.read() as s:
        n = s.get(Notice, nid)
        assert n is not None
        ch = channel(s, n.office_id)
        got = build_notice(s, n, now=now)
        seeker_no = s.get(Seeker, n.seeker_id).seeker_no
        msg, error = None, ""
        if isinstance(got, Built) and ch.kind == "mail":
            try:
                msg = mail_message(got, ch, office_name=profile(s, n.office_id).name)
            except HwdeskError as exc:
                error = exc.message("en")
    kind, sid = n.kind, n.session_id
    subject = got.composed.subject if isinstance(got, Built) else ""
    if isinstance(got, Skip) and got.later is not None:
        return Outcome(nid, kind, seeker_no, sid, "waiting", f"due {got.later.isoformat()}")
    if isinstance(got, Skip):
        state, result = "skipped", got.reason
    elif ch.kind != "mail":
        state = "skipped"
        result = (
            "print channel: told with the handout at the counter" if ch.kind == "print" else "office sends no notices"
        )
    elif error:
        state, result = "failed", error
    else:
        state, result = "sent", ""
    if dry_run:
        return Outcome(nid, kind, seeker_no, sid, "would send" if state == "sent" else state, result, subject)
    if state == "sent":
        assert msg is not None
        try:
            result = mailer.send(ch, msg)
        except HwdeskError as exc:
            state, result = "failed", exc.message("en")
    version = got.terms_version_id if isinstance(got, Built) else None
    _record(store, actor, nid, state=state, result=result, channel=ch.kind, subject=subject, version=version, now=now)
    return Outcome(nid, kind, seeker_no, sid, state, result, subject)


def _record(store, actor: Actor, nid: int, *, state, result, channel, subject, version, now) -> None:
    with store.write() as s:
        n = s.exec(select(Notice).where(Notice.id == nid).execution_options(populate_existing=True)).one()
        if n.state not in OPEN_STATES:
            return  # another run recorded it first
        n.state, n.result, n.channel, n.attempted_at = state, one_line(result, max_len=300), channel, now
        n.subject = one_line(subject, max_len=200)
        if channel == "mail" and state in ("sent", "failed"):
            n.attempts += 1
        if state == "sent":
            n.sent_at, n.sent_by, n.terms_version_id = now, _sid(actor), version
        s.add(n)
        s.flush()
        audit.record(
            s,
            staff_id=_sid(actor),
            action=f"notice.{state}",
            entity="notice",
            entity_id=n.id,
            seeker_id=n.seeker_id,
            office_id=n.office_id,
            after={"kind": n.kind, "state": state, "channel": channel, "attempts": n.attempts},
            extra={"result": n.result, "session": n.session_id, "terms_version_id": version},
        )
        if state == "sent" and n.kind == "terms_revision" and n.announced_version_id:
            from hwdesk.services.consent import record_terms_notice

            # the 告知 is on record the way a counter or phone notice is (revisions.notify_list reads it)
            record_terms_notice(
                s, actor=actor, seeker_id=n.seeker_id, terms_version_id=n.announced_version_id, method="mail"
            )
