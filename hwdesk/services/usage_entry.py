"""Usage records (利用の記録: 前橋 第4条, 渋谷 第4条, 高松 第7条) as staff type them, in the app and the CLI.

The rules stay in ``services.records``: any staff member of the office records, only a supervisor
views (and every view is audited). This module turns typed text into a record: the session by
number, the seeker by 求職番号 (who must be a participant of that session), joined/left as a time
on the session's day (``10:05``) or a full date and time, the device kind, OS and the platform's
participant identifier as reported. Bad input is refused with the field it concerns, in JA and EN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from hwdesk.clock import JST
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.times import parse_datetime, parse_time
from hwdesk.models import Enrollment, UsageRecord
from hwdesk.models import Session as SessionRow
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.records import UsageView, add_usage_record, view_usage_records
from hwdesk.services.seekers import find_by_number
from hwdesk.states import SeatState

__all__ = ["UsageEntry", "add_entry", "parse_moment", "list_for", "usage_article"]


@dataclass(frozen=True)
class UsageEntry:
    """A usage record as typed: every field text (empty = not given)."""

    session_id: str
    seeker_no: str = ""
    joined: str = ""
    left: str = ""
    device_kind: str = ""
    os: str = ""
    participant_id: str = ""


def parse_moment(text: str, on_day: datetime, *, field: str) -> datetime | None:
    """``10:05`` (on the session's day, JST) or a full date and time; '' → None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if any(ch.isdigit() for ch in text) and (" " in text or "T" in text or "日" in text or text.count("-") >= 2):
            return parse_datetime(text)
        t = parse_time(text)
    except ParseError as exc:
        raise ValidationFailed(exc.message_ja, exc.message_en, field=field) from None
    return datetime.combine(on_day.astimezone(JST).date(), t, tzinfo=JST)


def _session_id(text: str) -> int:
    raw = (text or "").strip().lstrip("#")
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationFailed(
            "セッション番号を数字で入力してください。", "Enter the session number (digits).", field="session_id"
        )
    return int(raw)


@guard("clerk")
def add_entry(session: Session, *, actor: Actor, entry: UsageEntry) -> UsageRecord:
    """Record one participant's use of a session from typed text (any staff member of the office)."""
    sid = _session_id(entry.session_id)
    row = session.get(SessionRow, sid)
    if row is None:
        raise NotFound(f"セッション {sid} はありません。", f"No session {sid}.")
    seeker_id = None
    if entry.seeker_no.strip():
        seeker = find_by_number(session, entry.seeker_no.strip())
        enrolled = session.exec(
            select(Enrollment.id).where(
                Enrollment.session_id == sid,
                Enrollment.seeker_id == seeker.id,
                col(Enrollment.state) != SeatState.CANCELLED,
            )
        ).first()
        if enrolled is None:
            raise ValidationFailed(
                f"{seeker.seeker_no} はセッション {sid} の参加者ではありません。",
                f"{seeker.seeker_no} is not a participant of session {sid}.",
                field="seeker_no",
            )
        seeker_id = seeker.id
    joined = parse_moment(entry.joined, row.start_at, field="joined_at")
    left = parse_moment(entry.left, row.start_at, field="left_at")
    return add_usage_record(
        session,
        actor=actor,
        session_id=sid,
        seeker_id=seeker_id,
        joined_at=joined,
        left_at=left,
        device_kind=entry.device_kind,
        os=entry.os,
        participant_id=entry.participant_id,
    )


@guard(
    "supervisor",
    what_ja="利用の記録の閲覧",
    what_en="Viewing usage records",
    office_in_body="the guarded records.view_usage_records checks the office (a session's, or the actor's own)",
)
def list_for(session: Session, *, actor: Actor, session_id: str | int = "", seeker_no: str = "") -> list[UsageView]:
    """A session's or a seeker's records (supervisors only; the view is audited — call in a write)."""
    session_id, seeker_no = str(session_id or ""), str(seeker_no or "")  # typed text, or a number
    if bool(session_id.strip()) == bool(seeker_no.strip()):
        raise ValidationFailed(
            "セッション番号か求職番号のどちらか一方を指定してください。",
            "Give either a session number or a seeker number.",
            field="session_id",
        )
    if session_id.strip():
        return view_usage_records(session, actor=actor, session_id=_session_id(session_id))
    return view_usage_records(session, actor=actor, seeker_id=find_by_number(session, seeker_no.strip()).id)


def usage_article(office_id: str) -> str:
    """The office's article on usage records (前橋 第4条 …), as cited on screen."""
    from hwdesk.terms import office_profile

    return office_profile(office_id).cite("usage_records")
