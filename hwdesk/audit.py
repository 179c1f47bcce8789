"""The append-only audit trail, hash-chained so that an edit or deletion is detectable.

Each row's hash covers its content and the previous row's hash. The newest hash (the head) is
also kept in ``meta`` (locked on PostgreSQL so appends serialize) and, by ``hwdesk backup`` and
``hwdesk check``, in a file outside the database, so that truncating the tail is detected too.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import attributes, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, select

from hwdesk.db import Prepared, RawSql
from hwdesk.models import AuditLog, Meta

HEAD_KEY = "audit_head"
GENESIS = "0" * 64

# Prebuilt statements run on the DBAPI cursor (issue 8): an append is three small statements of
# ~10 µs each (``db.Prepared``), not an ORM flush or three SQLAlchemy executions (~50 µs each).
_META = Meta.__table__  # type: ignore[attr-defined]
_LOG = AuditLog.__table__  # type: ignore[attr-defined]
_HEAD_SELECT = Prepared(select(_META.c.value).where(_META.c.key == HEAD_KEY).with_for_update())
_HEAD_INSERT = Prepared(insert(_META).values(key=HEAD_KEY, value=GENESIS))
_HEAD_UPDATE = Prepared(update(_META).where(_META.c.key == HEAD_KEY).values(value=bindparam("head")))
_LOG_COLUMNS = ("at", "staff_id", "terminal", "action", "entity", "entity_id", "seeker_id", "office_id", "detail_json",
                "prev_hash", "hash")
_LOG_INSERT = Prepared(insert(_LOG).values({c: bindparam(c) for c in _LOG_COLUMNS}).returning(_LOG.c.id))
_LOG_INSERT_MANY = insert(_LOG)  # a whole import's rows in one executemany


def terminal_name() -> str:
    """Which terminal acts: ``HWDESK_TERMINAL``, else user@host and the tty."""
    return _terminal(os.environ.get("HWDESK_TERMINAL"), os.environ.get("USER", ""))


@lru_cache(maxsize=8)
def _terminal(env: str | None, user: str) -> str:
    # Cached: the host and tty of a process do not change, and every audit row asks.
    if env:
        return env[:80]
    try:
        tty = os.ttyname(0)
    except OSError:
        tty = ""
    return f"{user}@{socket.gethostname()}{(':' + tty) if tty else ''}"[:80]


def _digest(prev: str, row: AuditLog) -> str:
    return _digest_values(prev, row.at, row.staff_id, row.terminal, row.action, row.entity, row.entity_id,
                          row.seeker_id, row.office_id, row.detail_json)


def _digest_values(prev, at, staff_id, terminal, action, entity, entity_id, seeker_id, office_id, detail_json) -> str:
    payload = json.dumps(
        [prev, at.astimezone(UTC).isoformat(timespec="microseconds"), staff_id, terminal, action, entity,
         entity_id, seeker_id, office_id, detail_json],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    staff_id: int | None,
    action: str,
    entity: str = "",
    entity_id: object = "",
    seeker_id: int | None = None,
    office_id: str = "",
    before: dict | None = None,
    after: dict | None = None,
    extra: dict | None = None,
) -> int:
    """Append one audit row in the caller's (write) transaction; returns its id."""
    detail = {}
    if before is not None:
        detail["before"] = before
    if after is not None:
        detail["after"] = after
    if extra:
        detail.update(extra)
    values = {
        "staff_id": staff_id, "terminal": terminal_name(), "action": action, "entity": entity,
        "entity_id": str(entity_id), "seeker_id": seeker_id, "office_id": office_id,
        "detail_json": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
    }
    # Pending ORM changes go first, as before (the head lock stays the last lock a writer takes).
    session.flush()
    with RawSql(session) as db:
        prev = _lock_head_value(db)
        values["at"], values["prev_hash"] = datetime.now(UTC), prev  # stamped once the chain is ours
        values["hash"] = _digest_values(prev, values["at"], staff_id, values["terminal"], action, entity, values["entity_id"],
                                        seeker_id, office_id, values["detail_json"])
        row_id = db.one(_LOG_INSERT, values).id
        _move_head(session, db, values["hash"])
    return row_id


def loaded(session: Session, model, values: dict, *, attach: bool = True):
    """An ORM object for a row read or inserted with a Core statement, as if loaded: persistent in
    ``session`` (or, ``attach=False``, detached with its identity) with ``values`` (every column) as
    its committed state, without SQL (~15 µs against ~100 µs for the model's constructor and a
    unit-of-work flush). An object of that identity the session already holds (flushed: no
    pending changes) is refreshed with ``values`` instead."""
    mapper = model.__mapper__
    if not mapper.configured:  # identity keys need configured mappers
        configure_mappers()
    key = (model, tuple(values[c.key] for c in mapper.primary_key), None)  # as identity_key(model, …), without its checks
    held = session.identity_map.get(key)
    if held is not None:
        for k, v in values.items():
            attributes.set_committed_value(held, k, v)
        return held
    obj = model._sa_class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    if attach:
        session.add(obj)
    return obj


def record_many(session: Session, entries: list[dict]) -> None:
    """Append many audit rows at once (bulk import), chained like ``record``."""
    if not entries:
        return
    session.flush()
    db = RawSql(session)
    prev = _lock_head_value(db)
    terminal = terminal_name()
    now = datetime.now(UTC)
    values = []
    for e in entries:
        detail = {k: e[k] for k in ("before", "after") if e.get(k) is not None}
        v = {
            "at": now, "staff_id": e.get("staff_id"), "terminal": terminal, "action": e["action"],
            "entity": e.get("entity", ""), "entity_id": str(e.get("entity_id", "")), "seeker_id": e.get("seeker_id"),
            "office_id": e.get("office_id", ""),
            "detail_json": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True), "prev_hash": prev,
        }
        v["hash"] = prev = _digest_values(prev, now, v["staff_id"], terminal, v["action"], v["entity"], v["entity_id"],
                                          v["seeker_id"], v["office_id"], v["detail_json"])
        values.append(v)
    try:
        session.connection().execute(_LOG_INSERT_MANY, values)
        _move_head(session, db, prev)
    finally:
        db.close()


def _lock_head_value(db: RawSql) -> str:
    """The chain head, locked (FOR UPDATE on PostgreSQL) until the transaction ends; a fresh
    database gets its genesis head row."""
    head = db.one(_HEAD_SELECT)
    if head is None:
        db.run(_HEAD_INSERT)
        return GENESIS
    return head.value


def _move_head(session: Session, db: RawSql, digest: str) -> None:
    db.run(_HEAD_UPDATE, {"head": digest})
    # A Meta head object loaded earlier in this session must not hold (or later write back) a stale head.
    cached = session.identity_map.get(identity_key(Meta, HEAD_KEY))
    if cached is not None:
        attributes.set_committed_value(cached, "value", digest)


@dataclass
class ChainReport:
    """The result of verifying the audit chain."""

    ok: bool
    rows: int
    head: str
    problem: str = ""
    bad_id: int | None = None


def verify_chain(session: Session, *, expected_head: str | None = None) -> ChainReport:
    """Walk the chain from the first row; report the first break exactly."""
    prev = GENESIS
    n = 0
    for row in session.exec(select(AuditLog).order_by(AuditLog.id)):  # type: ignore[arg-type]
        n += 1
        if row.prev_hash != prev:
            return ChainReport(False, n, prev, f"audit row {row.id}: previous-hash link broken (a row before it was deleted or changed)", row.id)
        if _digest(prev, row) != row.hash:
            return ChainReport(False, n, prev, f"audit row {row.id}: content does not match its hash (the row was edited)", row.id)
        prev = row.hash
    stored = session.exec(select(Meta).where(Meta.key == HEAD_KEY)).first()
    if stored is not None and stored.value != prev:
        return ChainReport(False, n, prev, "audit head in meta does not match the last row (rows were removed from the end)")
    if expected_head and expected_head != GENESIS and expected_head != prev and not _chain_contains(session, expected_head):
        return ChainReport(False, n, prev, "the audit head kept outside the database is not in the chain (the log was truncated or rebuilt)")
    return ChainReport(True, n, prev)


def _chain_contains(session: Session, digest: str) -> bool:
    return session.exec(select(AuditLog.id).where(AuditLog.hash == digest)).first() is not None

