"""Notices that leave a record: queued when their event happens, sent by staff, kept on the seeker.

Each office has a notice channel (``channel``/``set_channel``): ``print`` (the handout is the
notice: the default), ``mail`` (SMTP: host, port, sender; STARTTLS whenever the server offers it;
a login whose password comes from an environment variable or a file at sending time, never from
the database or the audit log), or ``none``. The channel is this installation's setting, not a
reading of the terms, so it lives in ``meta`` (``notices.channel.<office>``), not in the office
profile that ``offices.sync_offices`` rewrites from ``data/``.

The events queue a ``Notice`` row each (small hooks in the services where they happen):
a booking (confirmation, and a reminder due the day before), a cancelled booking or session
(cancellation; a closure is named when the office is closed that day), a moved session
(reschedule: the pending confirmations of the old one give way to it, reminders and offers
follow the booking), a seat offered from the waitlist (offer) and a revision of the terms (the
告知, to each seeker ``revisions.notify_list`` names).

Nothing of the mail is stored when it is queued: ``send_due`` builds each notice from the booking
as it stands when it is sent — the session it was moved to, its current link and passcode, the
offer's deadline — and skips one whose booking was cancelled meanwhile (recorded as skipped, with
why). A send that fails stays queued as ``failed`` with the reason and is tried again by the next
run; a notice is never dropped. Mail goes out after the read and before its result is written, so
a crash in between sends it again on the next run rather than losing it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import HwdeskError, ValidationFailed
from hwdesk.jtext.addresses import parse_email
from hwdesk.jtext.base import ParseError
from hwdesk.models import NOTICE_CHANNELS, Closure, Consent, Enrollment, Meta, Notice, Seeker, TermsNotice, TermsVersion
from hwdesk.models import Session as SessionRow
from hwdesk.notice_text import Composed, NoticeFacts, compose, one_line
from hwdesk.rawsql import Prepared, RawSql
from hwdesk.services.context import Actor, require
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.offices import document, profile, terms_in_force, terms_versions
from hwdesk.states import CancelReason, SeatState, SessionState
from hwdesk.texts import tr

REMINDER_BEFORE = timedelta(days=1)
OPEN_STATES = ("pending", "failed")  # still to send: the next run tries them
SMTP_TIMEOUT = 15.0
DEFAULT_PASSWORD_ENV = "HWDESK_SMTP_PASSWORD"
RULE_KEYS = {"recording", "private_room"}  # the handout rows a booking notice quotes


# --- the office's channel ---------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """An office's notice channel. ``password_env``/``password_file`` name where the password is read
    at sending time; the password itself is never stored."""

    kind: str = "print"
    host: str = ""
    port: int = 25
    sender: str = ""
    user: str = ""
    password_env: str = ""
    password_file: str = ""
    ca_file: str = ""  # a CA certificate to trust for STARTTLS (an office's own mail relay); '' = the system's

    def password(self) -> str:
        """The SMTP password, read now from the file or the environment ('' for none)."""
        if self.password_file:
            try:
                return Path(self.password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise HwdeskError(
                    f"SMTPのパスワードファイルを読めません: {exc.strerror}",
                    f"Cannot read the SMTP password file: {exc.strerror}",
                ) from None
        return os.environ.get(self.password_env or DEFAULT_PASSWORD_ENV, "")

    def describe(self, lang: str = "ja") -> str:
        """One line for staff: the channel and, for mail, the server."""
        if self.kind == "mail":
            return f"mail smtp://{self.host}:{self.port} from {self.sender}" + (
                f" (user {self.user})" if self.user else ""
            )
        return tr({"print": "notices.via_print", "none": "notices.via_none"}[self.kind], lang)


def _key(office_id: str) -> str:
    return f"notices.channel.{office_id}"


def channel(session: Session, office_id: str) -> Channel:
    """The office's notice channel (print when none was set)."""
    row = session.get(Meta, _key(office_id))
    if row is None:
        return Channel()
    return Channel(**json.loads(row.value))


@guard("admin", what_ja="通知の送り方の設定", what_en="Setting the notice channel")
def set_channel(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    kind: str,
    host: str = "",
    port: int = 25,
    sender: str = "",
    user: str = "",
    password_env: str = "",
    password_file: str = "",
    ca_file: str = "",
) -> Channel:
    """An administrator sets how the office's notices go out (audited, without any password)."""
    require(actor, "admin", what_ja="通知の送り方の設定", what_en="Setting the notice channel")
    profile(session, office_id)
    if kind not in NOTICE_CHANNELS:
        raise ValidationFailed(
            f"送り方は {', '.join(NOTICE_CHANNELS)} のいずれかです。",
            f"The channel is one of {', '.join(NOTICE_CHANNELS)}.",
            field="kind",
        )
    ch = Channel(kind)
    if kind == "mail":
        host = one_line(host, max_len=253)
        if not host or any(c in host for c in " /@"):
            raise ValidationFailed(
                "SMTPサーバー名を指定してください。", "Give the SMTP server's host name.", field="host"
            )
        if not 1 <= int(port) <= 65535:
            raise ValidationFailed("ポートは1〜65535です。", "The port is 1 to 65535.", field="port")
        try:
            sender = parse_email(sender)
        except ParseError as exc:
            raise ValidationFailed(exc.message_ja, exc.message_en, field="sender") from None
        if not sender:
            raise ValidationFailed("送信元アドレスを指定してください。", "Give the sender address.", field="sender")
        ch = Channel(
            kind, host, int(port), sender, one_line(user, max_len=120), one_line(password_env, max_len=80),
            one_line(password_file, max_len=500), one_line(ca_file, max_len=500),
        )  # fmt: skip
    before = channel(session, office_id)
    session.merge(Meta(key=_key(office_id), value=json.dumps(asdict(ch), ensure_ascii=False)))
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="notices.channel",
        entity="office",
        entity_id=office_id,
        office_id=office_id,
        before=asdict(before),
        after=asdict(ch),  # names where the password is read, never the password
    )
    return ch


# --- queueing (hooks in the services where the events happen) ---------------------------------


def _queue(session: Session, actor: Actor, *, kind: str, seeker_id: int, office_id: str, **kw) -> Notice:
    n = Notice(kind=kind, seeker_id=seeker_id, office_id=office_id, queued_by=_sid(actor), **kw)
    session.add(n)
    return n


def on_booked(session: Session, *, actor: Actor, row: SessionRow, enrollment: Enrollment) -> None:
    """A seat booked: a confirmation now, and a reminder the day before (when that is still ahead)."""
    if enrollment.state != SeatState.BOOKED:
        return  # a waitlist place is confirmed at the counter; an offer sends its own notice
    now = now_utc()
    remind = row.start_at - REMINDER_BEFORE > now
    params = {"seeker_id": enrollment.seeker_id, "office_id": row.office_id, "session_id": row.id, "now": now,
              "by": _sid(actor), "remind_at": row.start_at - REMINDER_BEFORE}  # fmt: skip
    # One prepared statement on the booking's cursor: booking is a hot path (docs/design.md, "Speed").
    # A booking made again after a cancellation leaves its first notices queued; the newer ones
    # supersede them when they are sent (build_notice).
    with RawSql(session) as db:
        if remind:
            params.update({f"{k}2": params[k] for k in ("seeker_id", "office_id", "session_id", "now", "by")})
        else:
            del params["remind_at"]
        db.run(_booked_insert(remind), params)


_BOOKED_INSERT: dict[bool, Prepared] = {}


def _booked_insert(remind: bool) -> Prepared:
    """INSERT of a booking's confirmation (and reminder) in one statement."""
    stmt = _BOOKED_INSERT.get(remind)
    if stmt is None:
        rows = []
        for n, (kind, due) in enumerate((("confirmation", "now"), ("reminder", "remind_at"))[: 2 if remind else 1]):
            rows.append(
                {"seeker_id": bindparam("seeker_id" if n == 0 else "seeker_id2"),
                 "office_id": bindparam("office_id" if n == 0 else "office_id2"),
                 "session_id": bindparam("session_id" if n == 0 else "session_id2"),
                 "kind": kind, "state": "pending", "due_at": bindparam(due),
                 "queued_at": bindparam("now" if n == 0 else "now2"), "queued_by": bindparam("by" if n == 0 else "by2"),
                 "attempts": 0, "channel": "", "subject": "", "result": ""}
            )  # fmt: skip
        stmt = _BOOKED_INSERT[remind] = Prepared(insert(Notice.__table__).values(rows))  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    return stmt


def on_offered(session: Session, *, actor: Actor, row: SessionRow, enrollments: list[Enrollment]) -> None:
    """Seats offered from the waitlist: an offer notice to each seeker."""
    for e in enrollments:
        _queue(session, actor, kind="offer", seeker_id=e.seeker_id, office_id=row.office_id, session_id=row.id)


def on_cancelled(session: Session, *, actor: Actor, row: SessionRow, enrollments: list[Enrollment]) -> None:
    """Bookings the office cancelled (one, or a whole session's): a cancellation notice to each seeker.
    A seeker's own cancellation (or an offer left unanswered) was their doing: nothing to tell."""
    for e in enrollments:
        if e.cancel_reason == CancelReason.BY_SEEKER:
            continue
        _queue(session, actor, kind="cancellation", seeker_id=e.seeker_id, office_id=row.office_id, session_id=row.id)


def session_cancelled(session: Session, *, actor: Actor, result):
    """A whole session cancelled (``scheduling.SessionCancelled``): a cancellation notice to each
    seeker whose booking went with it; returns ``result``."""
    on_cancelled(session, actor=actor, row=result.session, enrollments=result.enrollments)
    return result


def on_rescheduled(session: Session, *, actor: Actor, old: SessionRow, new: SessionRow) -> None:
    """A session moved: each seeker gets a reschedule notice; the old session's pending confirmations
    give way to it, and its reminders and offers follow the booking to the new session."""
    moved = session.exec(select(Enrollment).where(Enrollment.session_id == new.id)).all()
    seekers = {e.seeker_id for e in moved}
    for n in session.exec(select(Notice).where(Notice.session_id == old.id, col(Notice.state).in_(OPEN_STATES))).all():
        if n.seeker_id not in seekers:
            continue
        if n.kind in ("confirmation", "cancellation"):
            n.state, n.result = "skipped", f"superseded: session #{old.id} moved to #{new.id}"
        elif n.kind == "reminder" and new.start_at - REMINDER_BEFORE <= now_utc():
            n.state, n.result = "skipped", "superseded: the reschedule notice comes within a day of the session"
        elif n.kind == "reminder":
            n.session_id, n.due_at = new.id, new.start_at - REMINDER_BEFORE
        else:
            n.session_id = new.id
        session.add(n)
    for e in moved:
        _queue(session, actor, kind="reschedule", seeker_id=e.seeker_id, office_id=new.office_id, session_id=new.id)


def on_revision(session: Session, *, actor: Actor, version: TermsVersion) -> int:
    """A revision registered: the 告知 to each seeker who must be told (``revisions.notify_list``)."""
    from hwdesk.services.revisions import notify_list

    entries = notify_list(session, actor=actor, office_id=version.office_id, version_id=version.id)
    for e in entries:
        _queue(session, actor, kind="terms_revision", seeker_id=e.seeker_id, office_id=version.office_id,
               announced_version_id=version.id)  # fmt: skip
    return len(entries)


# --- building a notice from the state at sending time ------------------------------------------


@dataclass(frozen=True)
class Built:
    """A notice ready to go: its words, the recipient (mail) and the terms version it quotes."""

    notice_id: int
    composed: Composed
    to: str
    terms_version_id: int | None


@dataclass(frozen=True)
class Skip:
    """Why a notice is not sent (it is recorded as skipped, or, with ``later``, left for later)."""

    notice_id: int
    reason: str
    later: datetime | None = None


def _current(session: Session, row: SessionRow) -> SessionRow:
    """The session a booking is in now: a moved session's successor, followed to the last move."""
    seen = {row.id}
    while row.state == SessionState.CANCELLED:
        nxt = session.exec(select(SessionRow).where(SessionRow.rescheduled_from_id == row.id)).first()
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        row = nxt
    return row


def _enrollment(session: Session, session_id: int, seeker_id: int) -> Enrollment | None:
    return session.exec(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.seeker_id == seeker_id)
    ).first()


def _name(prof, seeker: Seeker) -> str | None:
    form = prof.raw.get("handout_name_form", "none")
    if form == "none":
        return None
    from hwdesk.jtext.text import surname

    return seeker.name if form == "full" else surname(seeker.name)


def _stored_id(notice: Notice) -> int:
    """The id of a notice read from the outbox (SQLModel types every primary key ``int | None``)."""
    return notice.id  # type: ignore[return-value]  # a stored row's primary key is never None


def build_notice(session: Session, notice: Notice, *, now: datetime | None = None) -> Built | Skip:
    """The notice as it would be sent now, or why it is not sent (never for a cancelled booking)."""
    from hwdesk.handout_text import handout_lines

    now = now or now_utc()
    nid = _stored_id(notice)
    seeker = session.get(Seeker, notice.seeker_id)
    if seeker is None or seeker.anonymized_at is not None:
        return Skip(nid, "seeker anonymized")
    prof = profile(session, notice.office_id)
    base = {"kind": notice.kind, "office_name": prof.name, "office_phone": prof.raw.get("contact_phone", "")}
    if notice.kind == "terms_revision":
        return _build_revision(session, notice, seeker, base)
    row0 = session.get(SessionRow, notice.session_id)
    if row0 is None:
        return Skip(nid, "no such session")
    if (
        notice.kind in ("confirmation", "reminder")
        and session.exec(
            select(Notice.id).where(
                Notice.seeker_id == notice.seeker_id,
                Notice.session_id == notice.session_id,
                Notice.kind == notice.kind,
                col(Notice.id) > notice.id,
            )
        ).first()
    ):
        return Skip(nid, "superseded: booked again")
    row = row0 if notice.kind == "cancellation" else _current(session, row0)
    e = _enrollment(session, row.id, seeker.id)
    state = e.state if e else SeatState.CANCELLED
    if notice.kind == "cancellation":
        if state != SeatState.CANCELLED:
            return Skip(nid, f"booking is {state} again")
        if row.state == SessionState.CANCELLED and _current(session, row) is not row:
            return Skip(nid, "session moved: the reschedule notice tells it")
    else:
        wanted = {
            "offer": (SeatState.OFFERED,),
            "reschedule": (SeatState.BOOKED, SeatState.WAITLISTED, SeatState.OFFERED),
        }.get(notice.kind, (SeatState.BOOKED,))
        if row.state != SessionState.SCHEDULED or state == SeatState.CANCELLED:
            return Skip(nid, "booking cancelled")
        if state not in wanted:
            return Skip(nid, f"booking is {state}")
        if row.start_at <= now:
            return Skip(nid, "session has started")
        if notice.kind == "offer" and e is not None and e.offered_until is not None and e.offered_until <= now:
            return Skip(nid, "offer deadline passed")
        if notice.kind == "reminder" and row.start_at - REMINDER_BEFORE > now:
            return Skip(nid, "not yet due", later=row.start_at - REMINDER_BEFORE)
    tv = terms_in_force(session, notice.office_id, row.start_at.astimezone(JST).date())
    closure = ""
    if notice.kind == "cancellation":
        day = row.start_at.astimezone(JST).date()
        c = session.exec(select(Closure).where(Closure.office_id == row.office_id, Closure.day == day)).first()
        closure = c.reason if c else ""
    rules = () if notice.kind in ("cancellation", "offer") else handout_lines(prof.id, document(tv), keys=RULE_KEYS)
    moved_from = None
    if notice.kind == "reschedule" and row.rescheduled_from_id:
        moved_from = session.get(SessionRow, row.rescheduled_from_id).start_at  # type: ignore[union-attr]  # a moved session is cancelled, never deleted
    facts = NoticeFacts(
        **base,
        service=row.kind,
        title=row.title,
        start=row.start_at,
        end=row.end_at,
        platform=row.platform,
        join_url="" if notice.kind == "cancellation" else row.join_url,
        meeting_id="" if notice.kind == "cancellation" else row.meeting_id,
        passcode="" if notice.kind == "cancellation" else row.passcode,
        session_ref=f"S-{row.id:06d}",
        seeker_name=_name(prof, seeker),
        state=state,
        moved_from=moved_from,
        offered_until=e.offered_until if e is not None else None,
        closure_reason=closure,
        by_office=bool(e and e.cancel_reason == CancelReason.BY_OFFICE) or row.cancel_reason == CancelReason.BY_OFFICE,
        rules=rules,
    )
    return Built(nid, compose(facts), seeker.email, tv.id)


def _build_revision(session: Session, notice: Notice, seeker: Seeker, base: dict) -> Built | Skip:
    from hwdesk.services.terms_diff import diff_versions

    nid = _stored_id(notice)

    tv = session.get(TermsVersion, notice.announced_version_id)
    if tv is None:
        return Skip(nid, "no such terms version")
    newer = select(TermsVersion.id).where(TermsVersion.office_id == tv.office_id, TermsVersion.version >= tv.version)
    if session.exec(
        select(Consent.id).where(Consent.seeker_id == seeker.id, col(Consent.terms_version_id).in_(newer))
    ).first():
        return Skip(nid, "seeker has consented to this or a later version")
    if session.exec(
        select(TermsNotice.id).where(TermsNotice.seeker_id == seeker.id, col(TermsNotice.terms_version_id).in_(newer))
    ).first():
        return Skip(nid, "seeker was already told of this version")
    prof = profile(session, tv.office_id)
    versions = terms_versions(session, tv.office_id)
    older = [v for v in versions if v.version < tv.version]
    changes = [c.summary() for c in diff_versions(document(older[-1]), document(tv))] if older else []
    art = prof.article("revision")
    try:
        article = document(tv).article_text(art["article"]) if art else ""
    except HwdeskError:  # the revision renumbered the article: the notice names no rule then
        article = ""
    from hwdesk.jtext.dates import format_wareki

    facts = NoticeFacts(
        **base,
        seeker_name=_name(prof, seeker),
        revision={
            "title": tv.title,
            "version": tv.version,
            "effective": format_wareki(tv.effective_on),
            "changes": changes[:30],
            "article": article,
            "cite": prof.cite("revision"),
        },
    )
    return Built(nid, compose(facts), seeker.email, tv.id)
