"""The audit trail's hooks in the store's life: keying an older log when a database opens
(``start_keyed``), anchoring the head a committed write left (``after_commit``), and anchoring
the present head as it stands (``anchor_current``, for tests' copied databases).

The chain itself (appending, verifying) is ``hwdesk.audit``; the anchors' file is ``hwdesk.auditkey``.
"""

from __future__ import annotations

from sqlmodel import Session, select

from hwdesk import auditkey
from hwdesk.audit import HEAD_KEY, KEY_ID_KEY, identify, record, remember_identity
from hwdesk.models import AuditLog, Meta
from hwdesk.rawsql import RawSql

__all__ = ["after_commit", "anchor_current", "start_keyed"]


def start_keyed(store) -> bool:
    """On opening a database whose log no key has written yet (an older release's, or one whose
    meta lost the key's name) but which holds rows: append ``audit.keyed`` (naming the head it
    continues), so keyed rows and this terminal's anchor start now. Returns whether it did."""
    with store.read() as s:
        conn = s.connection()
        if conn.execute(select(Meta.value).where(Meta.key == KEY_ID_KEY)).first() is not None:
            return False
        if conn.execute(select(AuditLog.id).limit(1)).first() is None:
            return False
    from hwdesk.errors import StoreError

    try:
        with store.write() as s:
            if s.exec(select(Meta.value).where(Meta.key == KEY_ID_KEY)).first() is not None:
                return False  # another terminal did it meanwhile
            head = s.exec(select(Meta.value).where(Meta.key == HEAD_KEY)).first()
            record(s, staff_id=None, action="audit.keyed", entity="audit_log", entity_id="", extra={"continues": head})
    except StoreError:
        return False  # a read-only copy still opens for reading; the first write keys it
    return True


def anchor_current(session: Session) -> bool:
    """Anchor the log's present head as it stands, unverified (tests' copied databases; ``check``
    anchors only after verifying). Returns False for an empty log."""
    with RawSql(session) as db:
        last = db.rows("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", ())
        if not last:
            return False
        key = auditkey.load_key()
        cache, ident, _ = identify(db, key)
    auditkey.advance(
        auditkey.Anchor(ident.db_id, last[0][1], last[0][0], ident.key_id, ident.location, ident.keyed_from), key
    )
    return True


def after_commit(session: Session) -> None:
    """Anchor the head a committed unit of work left (``db.Store.write`` calls this)."""
    noted = session.info.pop("audit_anchor", None)
    seen = session.info.pop("audit_anchor_seen", None)
    if noted is None:
        return
    cache, ident, row_id, digest = noted
    key = auditkey.load_key()
    remember_identity(cache, ident)  # known good once committed (a rolled-back claim is re-made)
    if seen is False:
        return  # the log no longer reaches the anchor: leave it for check to report

    def reaches(old: auditkey.Anchor) -> bool:
        # The anchor this unit of work found in the chain, or a later one another process verified.
        return seen is None or (old.last_id, old.head) == seen or old.last_id > seen[0]

    try:
        auditkey.advance(
            auditkey.Anchor(ident.db_id, digest, row_id, ident.key_id, ident.location, ident.keyed_from),
            key,
            reaches=reaches,
        )
    except OSError:
        # The data is committed; a missing anchor only weakens what ``check`` can prove, and
        # ``check`` says so. Never fail a clerk's save over it.
        pass
