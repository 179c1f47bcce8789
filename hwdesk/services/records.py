"""Usage records (利用の記録: 前橋 第4条, 渋谷 第4条, 高松 第7条) and the lawful-request export.

The terms let the office record when a seeker used the service and the identifiers of the device
they used, and promise never to publish those records in a form that identifies a device — except
when a public authority or investigating body requests them under a law (第4条第2項 / 第7条(2)
ただし書). So:

- recording is staff work (``add_usage_record``), but *viewing* the records is for supervisors
  only and every view is audited (``usage.view``);
- anything built from the records for others (statistics, exports) carries at most a keyed hash
  of the participant identifier (``pseudonym``), computed with a per-office random key kept in
  ``meta`` (``office_key:<office>``) — without that key the hash cannot be turned back into the
  identifier, even by trying every plausible identifier;
- ``lawful_request_export`` is the one path that writes identifiable records: supervisor only,
  the requesting authority, reference number and legal basis recorded in the audit trail, the
  file marked as such in its first line, and the export (path, row count, SHA-256) logged.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.dates import format_wareki
from hwdesk.jtext.safety import csv_safe
from hwdesk.jtext.text import clean_text
from hwdesk.models import Meta, Seeker, UsageRecord
from hwdesk.models import Session as SessionRow
from hwdesk.services.context import Actor, require, require_office, staff_id
from hwdesk.services.guard import guard
from hwdesk.terms import service_label

KEY_PREFIX = "office_key:"
PSEUDONYM_HEX = 16  # 64 bits of the HMAC: collisions are negligible at an office's scale
LAWFUL_MARK = "【法令に基づく照会への回答・識別可能な利用記録】LAWFUL-REQUEST EXPORT — IDENTIFIABLE USAGE RECORDS"


# --- the office key and pseudonyms ------------------------------------------------------------


def office_key(session: Session, *, office_id: str, create: bool = True) -> bytes:
    """The office's secret key for pseudonyms (32 random bytes, hex in ``meta``).

    Created on first use — call it inside ``Store.write()`` then, or the new key is rolled back
    with the read transaction and the next call makes another. Two terminals creating it at once
    is safe: the loser's insert fails on the primary key and it reads the winner's key.
    """
    key = KEY_PREFIX + office_id
    row = session.get(Meta, key)
    if row is None:
        if not create:
            raise NotFound(f"{office_id} の仮名化キーがまだありません。", f"{office_id} has no pseudonym key yet.")
        created = True
        try:
            with session.begin_nested():
                session.add(Meta(key=key, value=secrets.token_hex(32)))
        except IntegrityError:
            created = False  # another terminal created it first: use theirs
        row = session.exec(select(Meta).where(Meta.key == key).execution_options(populate_existing=True)).one()
        if created:  # the key's existence is audited, never its value
            audit.record(
                session, staff_id=None, action="office_key.create", entity="meta", entity_id=key, office_id=office_id
            )
    return bytes.fromhex(row.value)


def pseudonym(office_key: bytes | str, participant_id: str) -> str:
    """A keyed hash of a participant identifier: HMAC-SHA256 with the office key, truncated.

    The same identifier gives the same pseudonym within an office (so statistics can count
    distinct participants) and an unrelated one at another office; without the key it cannot be
    reversed. An empty identifier gives ''.
    """
    ident = (participant_id or "").strip()
    if not ident:
        return ""
    key = bytes.fromhex(office_key) if isinstance(office_key, str) else office_key
    return hmac.new(key, ident.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


# --- recording and viewing ----------------------------------------------------------------------


def _session_row(session: Session, session_id: int) -> SessionRow:
    row = session.get(SessionRow, session_id)
    if row is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    return row


@guard("clerk")
def add_usage_record(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    seeker_id: int | None = None,
    joined_at: datetime | None = None,
    left_at: datetime | None = None,
    device_kind: str = "",
    os: str = "",
    participant_id: str = "",
) -> UsageRecord:
    """Record one participant's use of a session: joined/left times, the device kind and OS as the
    platform reported them, and the platform's participant identifier (any staff member).

    The audit row carries the pseudonym, never the identifier: the audit log is read more widely
    than the records themselves.
    """
    require(actor, "clerk", what_ja="利用の記録の登録", what_en="Recording usage")
    row = _session_row(session, session_id)
    require_office(actor, row.office_id)
    if seeker_id is not None and session.get(Seeker, seeker_id) is None:
        raise NotFound(f"求職者 {seeker_id} はありません。", f"No seeker {seeker_id}.")
    for value, name in ((joined_at, "joined_at"), (left_at, "left_at")):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValidationFailed("日時にはタイムゾーンが必要です。", "Times must be timezone-aware.", field=name)
    if joined_at and left_at and left_at < joined_at:
        raise ValidationFailed(
            "退出時刻が入室時刻より前です。", "The time left is before the time joined.", field="left_at"
        )
    rec = UsageRecord(
        session_id=session_id,
        seeker_id=seeker_id,
        joined_at=joined_at,
        left_at=left_at,
        device_kind=clean_text(device_kind, field="device_kind", max_len=40),
        os=clean_text(os, field="os", max_len=80),
        participant_id=clean_text(participant_id, field="participant_id", max_len=200),
    )
    session.add(rec)
    session.flush()
    key = office_key(session, office_id=row.office_id)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="usage.add",
        entity="usage_record",
        entity_id=rec.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        after={
            "session": session_id,
            "device_kind": rec.device_kind,
            "os": rec.os,
            "participant": pseudonym(key, rec.participant_id),
        },
    )
    return rec


@dataclass(frozen=True)
class UsageView:
    """A usage record as a supervisor sees it (identifiable: never exported from here)."""

    id: int
    session_id: int
    session_start: datetime
    session_kind: str
    seeker_id: int | None
    seeker_no: str
    joined_at: datetime | None
    left_at: datetime | None
    device_kind: str
    os: str
    participant_id: str
    pseudonym: str

    @property
    def minutes(self) -> int | None:
        """Minutes connected (None when either time is missing)."""
        if self.joined_at is None or self.left_at is None:
            return None
        return int((self.left_at - self.joined_at).total_seconds() // 60)


@guard(
    "supervisor",
    what_ja="利用の記録の閲覧",
    what_en="Viewing usage records",
    office_in_body="a session of another office is refused; through a seeker, only the actor's office's records are listed",
)
def view_usage_records(
    session: Session, *, actor: Actor, session_id: int | None = None, seeker_id: int | None = None
) -> list[UsageView]:
    """A session's (or a seeker's) usage records — supervisors only, and the view is audited.

    Call inside ``Store.write()``: the audit row (``usage.view``: who, which session or seeker, how
    many rows) is part of the view. A seeker's records are those at the actor's office unless the
    actor may see every office.
    """
    require(actor, "supervisor", what_ja="利用の記録の閲覧", what_en="Viewing usage records")
    if (session_id is None) == (seeker_id is None):
        raise ValidationFailed(
            "セッションか求職者のどちらか一方を指定してください。",
            "Give either a session or a seeker.",
            field="session_id",
        )
    stmt = (
        select(UsageRecord, SessionRow.start_at, SessionRow.kind, SessionRow.office_id, Seeker.seeker_no)  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
        .join(SessionRow, col(SessionRow.id) == UsageRecord.session_id)
        .outerjoin(Seeker, col(Seeker.id) == UsageRecord.seeker_id)
    )
    if session_id is not None:
        office = _session_row(session, session_id).office_id
        require_office(actor, office)
        stmt = stmt.where(UsageRecord.session_id == session_id)
    else:
        if session.get(Seeker, seeker_id) is None:
            raise NotFound(f"求職者 {seeker_id} はありません。", f"No seeker {seeker_id}.")
        office = actor.office_id
        stmt = stmt.where(UsageRecord.seeker_id == seeker_id)
        if not actor.all_offices and actor.id != 0:
            stmt = stmt.where(SessionRow.office_id == actor.office_id)
    rows = session.exec(stmt.order_by(col(SessionRow.start_at), col(UsageRecord.joined_at), col(UsageRecord.id))).all()
    keys: dict[str, bytes] = {}
    out = []
    for rec, start, kind, rec_office, seeker_no in rows:
        if rec_office not in keys:
            keys[rec_office] = office_key(session, office_id=rec_office)
        out.append(
            UsageView(
                rec.id,
                rec.session_id,
                start,
                kind,
                rec.seeker_id,
                seeker_no or "",
                rec.joined_at,
                rec.left_at,
                rec.device_kind,
                rec.os,
                rec.participant_id,
                pseudonym(keys[rec_office], rec.participant_id),
            )
        )
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="usage.view",
        entity="session" if session_id is not None else "seeker",
        entity_id=session_id if session_id is not None else seeker_id,
        seeker_id=seeker_id,
        office_id=office,
        extra={"rows": len(out)},
    )
    return out


# --- the lawful request -------------------------------------------------------------------------


@dataclass(frozen=True)
class LawfulExport:
    """What a lawful-request export wrote, as logged."""

    path: Path
    rows: int
    sha256: str
    request_audit_id: int


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def _iso(dt: datetime | None) -> str:
    return dt.astimezone(JST).isoformat(timespec="seconds") if dt else ""


@guard("supervisor", what_ja="法令に基づく照会への回答（識別可能な記録の出力）", what_en="A lawful-request export")
def lawful_request_export(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    authority: str,
    reference_no: str,
    legal_basis: str,
    date_from: date,
    date_to: date,
    out_path: str | os.PathLike,
    seeker_id: int | None = None,
    participant_id: str | None = None,
) -> LawfulExport:
    """Answer a lawful request (e.g. 捜査関係事項照会, 刑事訴訟法第197条第2項) with identifiable usage
    records of sessions at ``office_id`` from ``date_from`` to ``date_to`` (JST, inclusive),
    optionally only one seeker's or one participant identifier's — disclose no more than asked.

    Supervisor only; refused before anything is read or written. The request (authority,
    reference number, legal basis, range) is an audit row ``lawful_request``; the export (path,
    rows, SHA-256) is ``lawful_request.export``. The CSV (UTF-8 with BOM) says in its first line
    that it is an identifiable lawful-request export; it is created with owner-only permissions
    and never overwrites a file. The file is written last, so an error leaves neither file nor
    audit rows (the caller's transaction rolls back).
    """
    require(
        actor,
        "supervisor",
        what_ja="法令に基づく照会への回答（識別可能な記録の出力）",
        what_en="A lawful-request export",
    )
    require_office(actor, office_id)
    authority = clean_text(authority, field="authority", max_len=200)
    reference_no = clean_text(reference_no, field="reference_no", max_len=100)
    legal_basis = clean_text(legal_basis, field="legal_basis", max_len=200)
    for value, name, ja, en in (
        (authority, "authority", "照会元（官公庁・捜査機関等）", "the requesting authority"),
        (reference_no, "reference_no", "照会の文書番号", "the request's reference number"),
        (legal_basis, "legal_basis", "法令上の根拠", "the legal basis"),
    ):
        if not value:
            raise ValidationFailed(f"{ja}を入力してください。", f"Enter {en}.", field=name)
    if date_to < date_from:
        raise ValidationFailed(
            "期間の終わりが始まりより前です。", "The end of the period is before its start.", field="date_to"
        )
    path = Path(out_path)
    if path.exists():
        raise ValidationFailed(
            f"出力先のファイルが既にあります: {path}", f"The output file already exists: {path}", field="out_path"
        )

    stmt = (
        select(UsageRecord, SessionRow.start_at, SessionRow.kind, Seeker.seeker_no, Seeker.name)  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
        .join(SessionRow, col(SessionRow.id) == UsageRecord.session_id)
        .outerjoin(Seeker, col(Seeker.id) == UsageRecord.seeker_id)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= _day_start(date_from),
            col(SessionRow.start_at) < _day_start(date_to + timedelta(days=1)),
        )
    )
    if seeker_id is not None:
        stmt = stmt.where(UsageRecord.seeker_id == seeker_id)
    if participant_id:
        stmt = stmt.where(UsageRecord.participant_id == participant_id.strip())
    rows = session.exec(stmt.order_by(col(SessionRow.start_at), col(UsageRecord.id))).all()

    scope = {
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        **({"seeker_id": seeker_id} if seeker_id is not None else {}),
        **({"participant_filter": True} if participant_id else {}),
    }
    request_id = audit.record(
        session,
        staff_id=staff_id(actor),
        action="lawful_request",
        entity="usage_record",
        office_id=office_id,
        seeker_id=seeker_id,
        extra={"authority": authority, "reference_no": reference_no, "legal_basis": legal_basis, **scope},
    )
    now = now_utc()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_safe(LAWFUL_MARK)])
    w.writerow(
        [
            csv_safe(v)
            for v in (
                f"照会元 / authority: {authority}",
                f"文書番号 / reference: {reference_no}",
                f"根拠法令 / legal basis: {legal_basis}",
                f"期間 / period: {date_from.isoformat()}〜{date_to.isoformat()}",
                f"出力者 / exported by: {actor.login}",
                f"出力日時 / exported at: {_iso(now)}",
                f"監査記録 / audit id: {request_id}",
            )
        ]
    )
    w.writerow(
        [
            csv_safe(h)
            for h in (
                "record_id",
                "session_id",
                "session_date",
                "session_date_wareki",
                "session_start",
                "service",
                "seeker_no",
                "seeker_name",
                "joined_at",
                "left_at",
                "device_kind",
                "os",
                "participant_id",
            )
        ]
    )
    for rec, start, kind, seeker_no, name in rows:
        local = start.astimezone(JST)
        w.writerow(
            [
                csv_safe(v)
                for v in (
                    rec.id,
                    rec.session_id,
                    local.date().isoformat(),
                    format_wareki(local.date()),
                    local.strftime("%H:%M"),
                    service_label(kind),
                    seeker_no or "",
                    name or "",
                    _iso(rec.joined_at),
                    _iso(rec.left_at),
                    rec.device_kind,
                    rec.os,
                    rec.participant_id,
                )
            ]
        )
    data = buf.getvalue().encode("utf-8-sig")
    digest = hashlib.sha256(data).hexdigest()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="lawful_request.export",
        entity="audit_log",
        entity_id=request_id,
        office_id=office_id,
        extra={"path": str(path.absolute()), "rows": len(rows), "sha256": digest},
    )
    _write_new_private(path, data)
    return LawfulExport(path, len(rows), digest, request_id)


def _write_new_private(path: Path, data: bytes) -> None:
    """Create ``path`` (never overwrite) readable by the owner only, and write ``data`` durably."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValidationFailed(
            f"出力先のファイルが既にあります: {path}", f"The output file already exists: {path}", field="out_path"
        ) from None
    except OSError as exc:
        raise ValidationFailed(
            f"出力先に書き込めません: {path}（{exc.strerror}）",
            f"Cannot write {path} ({exc.strerror}).",
            field="out_path",
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)  # no half-written identifiable file left behind
        raise


__all__ = [
    "office_key",
    "pseudonym",
    "add_usage_record",
    "UsageView",
    "view_usage_records",
    "LawfulExport",
    "lawful_request_export",
    "LAWFUL_MARK",
]
