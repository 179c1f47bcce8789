"""The append-only audit trail, hash-chained with a key so that an edit or deletion is detectable.

Each row's hash is an HMAC-SHA256, under a key kept outside the database (``auditkey``), of its
content and the previous row's hash: without the key no one can write rows that verify. The
newest hash (the head) is kept in ``meta`` (locked on PostgreSQL so appends serialize) and,
after every write that appended rows, in an anchor outside the database (``auditkey.advance``),
so that cutting the tail or swapping in an older copy is detected too (``maintenance.check_store``).
The store's hooks (keying an older log on opening, anchoring after a commit) are ``hwdesk.audit_hooks``.

A log begun by an older release (plain SHA-256) keeps its rows: ``meta`` names the first keyed
row (``audit_keyed_from``), rows before it are verified unkeyed, and anchors record that id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import attributes
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, col, select

from hwdesk import auditkey
from hwdesk.clock import now_utc
from hwdesk.errors import HwdeskError
from hwdesk.models import AuditLog, Meta
from hwdesk.rawsql import Prepared, RawSql

HEAD_KEY = "audit_head"
KEY_ID_KEY = "audit_key_id"  # meta: the id of the key the log is written with
KEYED_FROM_KEY = "audit_keyed_from"  # meta: the first keyed row of a log begun unkeyed
GENESIS = "0" * 64

# Prebuilt statements run on the DBAPI cursor: an append is three small statements of
# ~10 µs each (``rawsql.Prepared``), not an ORM flush or three SQLAlchemy executions (~50 µs each).
_META = Meta.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
_LOG = AuditLog.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
_HEAD_SELECT = Prepared(select(_META.c.value).where(_META.c.key == HEAD_KEY).with_for_update())
# The head, locked, and the hash of the row the anchor names: one round trip (``_lock_head_and_identify``).
_HEAD_SELECT_WITH_ROW = Prepared(
    select(
        _META.c.value,
        select(_LOG.c.hash).where(_LOG.c.id == bindparam("anchored")).scalar_subquery().label("anchored_hash"),
    )
    .where(_META.c.key == HEAD_KEY)
    .with_for_update(of=_META)
)
_HEAD_INSERT = Prepared(insert(_META).values(key=HEAD_KEY, value=GENESIS))
_HEAD_UPDATE = Prepared(update(_META).where(_META.c.key == HEAD_KEY).values(value=bindparam("head")))
_LOG_COLUMNS = (
    "at",
    "staff_id",
    "terminal",
    "action",
    "entity",
    "entity_id",
    "seeker_id",
    "office_id",
    "detail_json",
    "prev_hash",
    "hash",
)
_LOG_INSERT = Prepared(insert(_LOG).values({c: bindparam(c) for c in _LOG_COLUMNS}).returning(_LOG.c.id))


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


def _digest(key: bytes | None, prev: str, row: AuditLog) -> str:
    return _digest_values(
        key,
        prev,
        row.at,
        row.staff_id,
        row.terminal,
        row.action,
        row.entity,
        row.entity_id,
        row.seeker_id,
        row.office_id,
        row.detail_json,
    )


def _digest_values(
    key: bytes | None, prev, at, staff_id, terminal, action, entity, entity_id, seeker_id, office_id, detail_json
) -> str:
    """HMAC-SHA256 of a row under ``key`` (None: the plain SHA-256 of rows from older releases)."""
    payload = json.dumps(
        [
            prev,
            at.astimezone(UTC).isoformat(timespec="microseconds"),
            staff_id,
            terminal,
            action,
            entity,
            entity_id,
            seeker_id,
            office_id,
            detail_json,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


# --- which log, which key (checked once per database and process) --------------------------------


@dataclass
class Identity:
    """What the anchors of one database need: its log's id, the key's id, where it lives."""

    db_id: str
    key_id: str
    location: str
    keyed_from: int | None


_IDENTITIES: dict[tuple[str, str], Identity] = {}


class KeyMismatch(HwdeskError):
    """This terminal's audit key is not the one the database's log is written with."""


def location_of(url) -> str:
    """Where a database lives, for anchors: the SQLite file's absolute path, or the PostgreSQL URL
    without its password."""
    if url.get_backend_name() == "sqlite":
        return os.path.realpath(url.database or "")
    return url.render_as_string(hide_password=True)


def _url_key(engine) -> str:
    # str(URL) costs ~5 µs; an engine's URL never changes, so it is rendered once per engine.
    try:
        return engine.__dict__["_hwdesk_url_key"]
    except KeyError:
        engine.__dict__["_hwdesk_url_key"] = key = str(engine.url)
        return key


def forget_identities() -> None:
    """Drop the per-process cache (after ``restore`` put another file in place)."""
    _IDENTITIES.clear()


def remember_identity(cache: tuple[str, str], ident: Identity) -> None:
    """Keep a log's identity for this process (once a unit of work that wrote to it committed)."""
    _IDENTITIES[cache] = ident


def identify(db: RawSql, key: bytes) -> tuple[tuple[str, str], Identity, bool]:
    """The database's identity, checking once per process that its log uses this key.

    Returns (cache key, identity, pending): ``pending`` when meta must still name the key (the
    first keyed write); the identity's ``db_id`` is empty while the log is. A database written
    with another key raises ``KeyMismatch`` (nothing is written).
    """
    url = db.conn.engine.url
    kid = auditkey.key_id(key)
    cache = (_url_key(db.conn.engine), kid)
    cached = _IDENTITIES.get(cache)
    if cached is not None:
        return cache, cached, False
    meta = dict(db.rows("SELECT key, value FROM meta WHERE key IN (?, ?)", (KEY_ID_KEY, KEYED_FROM_KEY)))
    stored = meta.get(KEY_ID_KEY)
    if stored is not None and stored != kid:
        raise KeyMismatch(
            f"この端末の監査ログの鍵（{kid}）はデータベースの鍵（{stored}）と違います。"
            f"事業所の鍵ファイルをこの端末に置いてください（{auditkey.key_path()}、docs/security.md）。何も保存していません。",
            f"This terminal's audit key ({kid}) is not the database's ({stored}). Install the office's key file "
            f"on this terminal ({auditkey.key_path()}; docs/security.md). Nothing was saved.",
        )
    first = db.rows("SELECT hash FROM audit_log ORDER BY id LIMIT 1", ())
    keyed_from = int(meta[KEYED_FROM_KEY]) if KEYED_FROM_KEY in meta else None
    ident = Identity(first[0][0][:32] if first else "", kid, location_of(url), keyed_from)
    if stored is not None and first:
        _IDENTITIES[cache] = ident  # nothing of it can be rolled back; a claim waits for its commit
    return cache, ident, stored is None


def _claim_key(session: Session, db: RawSql, ident: Identity, head: str, row_id: int) -> None:
    """First keyed write: meta names the key; a log begun unkeyed (an older release) records
    where keyed rows begin."""
    if head != GENESIS and ident.keyed_from is None:
        last = db.rows(
            "SELECT at, staff_id, terminal, action, entity, entity_id, seeker_id, office_id, detail_json, "
            "prev_hash, hash FROM audit_log WHERE hash = ? ORDER BY id DESC LIMIT 1",
            (head,),
        )
        if last and _plain_digest_matches(last[0]):
            ident.keyed_from = row_id
            session.add(Meta(key=KEYED_FROM_KEY, value=str(row_id)))
    session.add(Meta(key=KEY_ID_KEY, value=ident.key_id))
    session.flush()


def _plain_digest_matches(row) -> bool:
    at, staff_id, terminal, action, entity, entity_id, seeker_id, office_id, detail_json, prev, digest = row
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (
        _digest_values(None, prev, at, staff_id, terminal, action, entity, entity_id, seeker_id, office_id, detail_json)
        == digest
    )


def _settle(
    session: Session,
    db: RawSql,
    head: str,
    cache,
    ident: Identity,
    pending: bool,
    first_row: int,
    first_digest: str,
    last_row: int,
    digest: str,
) -> None:
    """After appending: claim the key on the first keyed write, and note the head to anchor."""
    if pending:
        _claim_key(session, db, ident, head, first_row)
    if not ident.db_id:
        ident.db_id = first_digest[:32]
    if "audit_anchor_seen" not in session.info:
        session.info["audit_anchor_seen"] = _anchor_still_reached(db, ident)
    # Read by ``audit_hooks.after_commit``: the head this unit of work leaves, anchored once it is committed.
    session.info["audit_anchor"] = (cache, ident, last_row, digest)


def _anchor_still_reached(db: RawSql, ident: Identity):
    """Whether the anchor kept for this log still names a row of it (one lookup by id, once per
    unit of work, under the head lock): (last_id, head) when it does, None when there is none,
    False when the row is gone or different — the log was cut back since, and the anchor must
    stay where it is for ``check`` to see it."""
    try:
        old = auditkey.current(ident.db_id, auditkey.load_key())
    except (auditkey.AnchorError, OSError):
        return False
    if old is None:
        return None
    row = db.rows("SELECT hash FROM audit_log WHERE id = ?", (old.last_id,))
    return (old.last_id, old.head) if row and row[0][0] == old.head else False


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
    values: dict[str, Any] = {
        "staff_id": staff_id,
        "terminal": terminal_name(),
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "seeker_id": seeker_id,
        "office_id": office_id,
        "detail_json": json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
    }
    # Pending ORM changes go first (the head lock stays the last lock a writer takes).
    session.flush()
    with RawSql(session) as db:
        key = auditkey.load_key()
        prev, cache, ident, pending = _lock_head_and_identify(session, db, key)
        values["at"], values["prev_hash"] = now_utc(), prev  # stamped once the chain is ours
        values["hash"] = digest = _digest_values(
            key,
            prev,
            values["at"],
            staff_id,
            values["terminal"],
            action,
            entity,
            values["entity_id"],
            seeker_id,
            office_id,
            values["detail_json"],
        )
        row_id = db.one(_LOG_INSERT, values).id
        _move_head(session, db, digest)
        _settle(session, db, prev, cache, ident, pending, row_id, digest, row_id, digest)
    return row_id


def _lock_head_and_identify(session: Session, db: RawSql, key: bytes) -> tuple[str, tuple, Identity, bool]:
    """Lock the chain head and know the log: (head, cache key, identity, key claim pending).

    A log this process knows already: the head's locking read also looks up the row the anchor
    names (one statement), for ``audit_hooks.after_commit`` to know the log still reaches it.
    Otherwise the head is locked first and the log identified under the lock (``identify``;
    ``_settle`` checks the anchor)."""
    cache = (_url_key(db.conn.engine), auditkey.key_id(key))
    ident = _IDENTITIES.get(cache)
    if ident is not None and ident.db_id and "audit_anchor_seen" not in session.info:
        try:
            anchored = auditkey.current(ident.db_id, key)
        except (auditkey.AnchorError, OSError):
            anchored, session.info["audit_anchor_seen"] = None, False
        if anchored is not None:
            row = db.one(_HEAD_SELECT_WITH_ROW, {"anchored": anchored.last_id})
            if row is not None:
                ok = row.anchored_hash == anchored.head
                session.info["audit_anchor_seen"] = (anchored.last_id, anchored.head) if ok else False
                return row.value, cache, ident, False
    head = _lock_head_value(db)
    if ident is not None:
        return head, cache, ident, False
    cache, ident, pending = identify(db, key)
    return head, cache, ident, pending


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
    first_hash: str = ""  # the log's id is its first 32 characters (anchors name it)
    last_id: int | None = None
    keyed_from: int | None = None  # rows before this id were written unkeyed by an older release
    unkeyed_rows: int = 0
    key_id: str = ""
    legacy: bool = False  # every row from an older release (plain SHA-256), none keyed yet

    @property
    def db_id(self) -> str:
        """The log's id (as ``Identity.db_id``); empty for an empty log."""
        return self.first_hash[:32]


def verify_chain(session: Session, *, expected_head: str | None = None, key: bytes | None = None) -> ChainReport:
    """Walk the chain from the first row under the audit key; report the first break exactly.

    Rows before ``meta``'s ``audit_keyed_from`` (a log begun by an older release) are verified as
    plain SHA-256; every other row must verify under the key, so rows written without it (or
    with another key) are reported where they begin.
    """
    key = key if key is not None else auditkey.load_key()
    kid = auditkey.key_id(key)
    meta = dict(
        session.exec(
            select(Meta.key, Meta.value).where(col(Meta.key).in_([HEAD_KEY, KEY_ID_KEY, KEYED_FROM_KEY]))
        ).all()
    )
    try:
        keyed_from = int(meta[KEYED_FROM_KEY]) if KEYED_FROM_KEY in meta else None
    except ValueError:
        return ChainReport(False, 0, GENESIS, f"meta {KEYED_FROM_KEY} is not a row id (meta was edited)")
    stored_kid = meta.get(KEY_ID_KEY)
    if stored_kid is not None and stored_kid != kid:
        return ChainReport(
            False,
            0,
            GENESIS,
            f"the log is written with another audit key (id {stored_kid}; this terminal's key is {kid})",
            key_id=kid,
        )
    # A log nobody has written since an older release: no key named, no keyed rows yet; its rows
    # verify as plain SHA-256 (``legacy``), which check accepts only where no anchor says otherwise.
    legacy = stored_kid is None and keyed_from is None
    if legacy:
        keyed_from = 2**62
    prev = GENESIS
    n = unkeyed = 0
    first = ""
    last_id = None

    def broken(row: AuditLog, problem: str) -> ChainReport:
        """The report of the walk so far, stopped at ``row``."""
        return ChainReport(
            False, n, prev, f"audit row {row.id}: {problem}", row.id, first, last_id, keyed_from, unkeyed, kid
        )

    for row in session.exec(select(AuditLog).order_by(col(AuditLog.id))):
        n += 1
        if not first:
            first = row.hash
        if row.prev_hash != prev:
            return broken(row, "previous-hash link broken (a row before it was deleted or changed)")
        plain = keyed_from is not None and row.id < keyed_from
        if _digest(None if plain else key, prev, row) != row.hash:
            return broken(
                row,
                "content does not match its hash under the audit key (the row was edited, or written without the key)",
            )
        unkeyed += plain
        prev = row.hash
        last_id = row.id
    report = ChainReport(True, n, prev, "", None, first, last_id, None if legacy else keyed_from, unkeyed, kid)
    report.legacy = legacy and n > 0
    stored = meta.get(HEAD_KEY)
    if stored is not None and stored != prev:
        report.ok, report.problem = (
            False,
            "audit head in meta does not match the last row (rows were removed from the end)",
        )
        return report
    if (
        expected_head
        and expected_head != GENESIS
        and expected_head != prev
        and not _chain_contains(session, expected_head)
    ):
        report.ok = False
        report.problem = (
            "the audit head kept outside the database is not in the chain (the log was truncated or rebuilt)"
        )
    return report


def _chain_contains(session: Session, digest: str) -> bool:
    return session.exec(select(AuditLog.id).where(AuditLog.hash == digest)).first() is not None


def hash_at(session: Session, row_id: int) -> str | None:
    """The hash of audit row ``row_id`` (None when there is no such row)."""
    return session.exec(select(AuditLog.hash).where(AuditLog.id == row_id)).first()
