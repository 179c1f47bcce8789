"""The supervisor's view of the audit trail: filter by staff, seeker, action prefix and JST dates.

Supervisors and above only (refused in the service, not just hidden in the UI); every view is
itself audited as ``audit.view`` with the filters used. Newest first, one page of ``PAGE`` rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST
from hwdesk.errors import ValidationFailed
from hwdesk.jtext.dates import parse_date
from hwdesk.jtext.numbers import parse_seeker_no
from hwdesk.jtext.times import from_db
from hwdesk.models import AuditLog, Seeker, Staff
from hwdesk.services.context import Actor, require, staff_id
from hwdesk.services.guard import guard

PAGE = 200


@dataclass(frozen=True)
class AuditFilter:
    """What to show; empty fields match everything. Dates are JST days, inclusive."""

    staff_login: str = ""
    seeker_no: str = ""
    action: str = ""  # a prefix: "seeker." matches seeker.create, seeker.update …
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def parse(
        cls, *, staff_login: str = "", seeker_no: str = "", action: str = "", date_from: str = "", date_to: str = ""
    ) -> AuditFilter:
        """From the screen's text fields (dates in ISO or 和暦; a bad value raises with its field)."""
        d_from = parse_date(date_from, field="date_from") if date_from.strip() else None
        d_to = parse_date(date_to, field="date_to") if date_to.strip() else None
        if d_from and d_to and d_to < d_from:
            raise ValidationFailed(
                "期間の終わりが始まりより前です。", "The end of the period is before its start.", field="date_to"
            )
        no = parse_seeker_no(seeker_no) if seeker_no.strip() else ""
        return cls(staff_login.strip(), no, action.strip(), d_from, d_to)


@dataclass(frozen=True)
class AuditEntry:
    """One audit row as shown (times in JST; text as stored, the screen shows it literally)."""

    id: int
    at: datetime
    staff_login: str
    terminal: str
    action: str
    entity: str
    entity_id: str
    seeker_no: str
    office_id: str
    detail: str


def _detail(detail_json: str) -> dict:
    try:
        data = json.loads(detail_json or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _summary(detail_json: str, limit: int = 160) -> str:
    try:
        data = json.loads(detail_json or "{}")
    except ValueError:
        return (detail_json or "")[:limit]
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@guard("supervisor", what_ja="監査ログの閲覧", what_en="Viewing the audit log")
def query(session: Session, *, actor: Actor, flt: AuditFilter | None = None, limit: int = PAGE) -> list[AuditEntry]:
    """Audit rows matching ``flt``, newest first (at most ``limit``). Supervisors only; audited.

    A staff login or 求職番号 that does not exist matches nothing (it is not an error: the
    person may have been removed).
    """
    require(actor, "supervisor", what_ja="監査ログの閲覧", what_en="Viewing the audit log")
    flt = flt or AuditFilter()
    limit = max(1, min(limit, PAGE))
    stmt = select(AuditLog)
    empty = False
    if flt.staff_login:
        sid = session.exec(select(Staff.id).where(Staff.login == flt.staff_login)).first()
        empty |= sid is None
        stmt = stmt.where(AuditLog.staff_id == sid)
    skid = None
    if flt.seeker_no:
        skid = session.exec(select(Seeker.id).where(Seeker.seeker_no == flt.seeker_no)).first()
        empty |= skid is None
    if flt.action:
        esc = flt.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(col(AuditLog.action).like(esc + "%", escape="\\"))
    if flt.date_from:
        stmt = stmt.where(AuditLog.at >= datetime.combine(flt.date_from, time(0), tzinfo=JST))
    if flt.date_to:
        stmt = stmt.where(AuditLog.at < datetime.combine(flt.date_to + timedelta(days=1), time(0), tzinfo=JST))
    newest = col(AuditLog.id).desc()
    if empty:
        rows = []
    elif skid is None:
        rows = list(session.exec(stmt.order_by(newest).limit(limit)))
    else:
        # The seeker's own rows, and the CSV import that created them: an import writes one
        # row per file listing the ids it added (importer.imported_ids), not one per seeker.
        from hwdesk.services.importer import imported_ids

        rows = list(session.exec(stmt.where(AuditLog.seeker_id == skid).order_by(newest).limit(limit)))
        imports = session.exec(stmt.where(AuditLog.action == "import.seekers").order_by(newest)).all()
        rows += [r for r in imports if skid in imported_ids(_detail(r.detail_json))]
        rows = sorted(rows, key=lambda r: r.id or 0, reverse=True)[:limit]
    logins = {
        s.id: s.login
        for s in session.exec(select(Staff).where(col(Staff.id).in_({r.staff_id for r in rows if r.staff_id})))
    }
    seeker_ids = {r.seeker_id for r in rows if r.seeker_id}
    numbers = (
        {s.id: s.seeker_no for s in session.exec(select(Seeker).where(col(Seeker.id).in_(seeker_ids)))}
        if seeker_ids
        else {}
    )
    out = [
        AuditEntry(
            r.id or 0,
            from_db(r.at),
            logins.get(r.staff_id, f"#{r.staff_id}") if r.staff_id is not None else "",
            r.terminal,
            r.action,
            r.entity,
            r.entity_id,
            numbers.get(r.seeker_id, f"#{r.seeker_id}") if r.seeker_id is not None else "",
            r.office_id,
            _summary(r.detail_json),
        )
        for r in rows
    ]
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="audit.view",
        entity="audit_log",
        office_id=actor.office_id,
        extra={
            "filter": {
                "staff": flt.staff_login,
                "seeker_no": flt.seeker_no,
                "action": flt.action,
                "date_from": flt.date_from.isoformat() if flt.date_from else "",
                "date_to": flt.date_to.isoformat() if flt.date_to else "",
            },
            "rows": len(out),
        },
    )
    return out


@guard("supervisor", what_ja="監査ログの検証", what_en="Verifying the audit log")
def chain_status(session: Session, *, actor: Actor) -> audit.ChainReport:
    """Whether the audit hash chain verifies (supervisors only)."""
    require(actor, "supervisor", what_ja="監査ログの検証", what_en="Verifying the audit log")
    return audit.verify_chain(session)
