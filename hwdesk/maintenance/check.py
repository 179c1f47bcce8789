"""``check`` of a live database (:func:`check_store`), which moves the outside head and this
terminal's anchor forward when all is well, and :func:`reanchor` after a deliberate roll-back."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from hwdesk import audit, auditkey, nameindex
from hwdesk.db import Store, store_error_from
from hwdesk.errors import HwdeskError, StoreError
from hwdesk.maintenance.head import HEAD_FILE_ENV, HeadRecord, head_file_for, read_head_file, write_head_file
from hwdesk.maintenance.integrity import AnchorsSeen, _inspect, _readonly_engine
from hwdesk.maintenance.report import CheckReport

__all__ = ["check_store", "reanchor"]


def check_store(
    store: Store, *, head_file: str | os.PathLike | None = None, update_head: bool = True, compare_head: bool = True
) -> CheckReport:
    """Check a live database (see the module doc) and, when all is well, move its outside head forward.

    The head file is only ever advanced (never to an older or foreign head), so running ``check``
    cannot hide an earlier truncation. ``compare_head=False`` ignores the file (used right after a
    restore, when it still describes the replaced history). Database faults raise ``StoreError``.
    """
    path = head_file_for(store, head_file)
    outside = read_head_file(path) if path is not None and compare_head else None
    anchors = _anchors_of(store) if compare_head else None
    try:
        with store.read() as s:
            if not store.is_sqlite:
                # One snapshot for the rows and meta's head, or a concurrent append looks like a cut.
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            rep = _inspect(
                s,
                is_sqlite=store.is_sqlite,
                outside=outside,
                where_outside=str(path),
                accept_older=False,
                anchors=anchors,
            )
    except OperationalError as exc:
        raise store_error_from(exc) from exc
    except DBAPIError as exc:  # a damaged file fails past integrity_check too ("malformed")
        rep = CheckReport()
        msg = str(exc.orig)
        rep.add(False, f"データベースが破損しています: {msg}", f"The database is damaged: {msg}")
    if rep.ok and store.is_sqlite:
        # Apart from the read snapshot: FTS5's check takes the write lock (briefly, writing nothing).
        try:
            with store.write() as s:
                problem = nameindex.structure_problem(s.connection())
        except StoreError as exc:  # a read-only copy, or a writer holding the lock past the timeout
            problem = None
            rep.add(
                True,
                f"氏名の検索索引の内部検査はできませんでした: {exc.message_ja}",
                f"The name search index's own check could not run: {exc.message_en}",
                warning=True,
            )
        if problem:
            rep.add(
                False,
                f"氏名の検索索引が壊れています: {problem}（hwdesk reindex で作り直せます）",
                f"The name search index is damaged: {problem} (hwdesk reindex rebuilds it)",
            )
    rep.head_file = path
    if rep.ok and update_head:
        _anchor_checked(store, rep)
    if path is None:
        if not (anchors and anchors.found):
            rep.add(
                True,
                f"監査ログの先頭を外部に保管していません。--head-file または {HEAD_FILE_ENV} で保管先を指定すると、末尾の削除を検出できます",
                f"No audit head is kept outside the database: give --head-file or {HEAD_FILE_ENV} so that a cut tail is detected",
                warning=True,
            )
    elif rep.ok and rep.audit_head is not None and update_head:
        if outside is None:
            rep.add(True, f"監査ログの先頭を保管しました: {path}", f"Audit head recorded in {path}")
        if outside is None or rep.audit_rows >= outside.rows:
            try:
                write_head_file(path, HeadRecord(rep.audit_head, rep.audit_rows, rep.audit_last_id))
            except OSError as exc:  # e.g. checking a read-only copy: the check itself still counts
                rep.add(
                    True,
                    f"監査ログ先頭ファイルを書けませんでした: {path}（{exc.strerror}）",
                    f"Could not write the audit head file {path} ({exc.strerror})",
                    warning=True,
                )
    return rep


def reanchor(store: Store, *, actor, reason: str) -> tuple[int, list]:
    """Accept the database's present history after a deliberate roll-back done outside hwdesk
    (``pg_restore`` in place): an admin records it (``audit.reanchor``, naming every anchor it
    discards and the reason), then this account's anchors for the location restart at the new
    head. Refused unless the chain itself verifies. Returns (new head row id, discarded anchors)."""
    from hwdesk.errors import ValidationFailed
    from hwdesk.services.context import require

    require(actor, "admin", what_ja="監査ログのアンカーの付け直し", what_en="Re-anchoring the audit log")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("理由を入力してください。", "Give a reason.", field="reason")
    with store.read() as s:
        chain = audit.verify_chain(s)
    if not chain.ok:
        raise HwdeskError(
            f"監査ログのチェーンが検証できないため、付け直しません: {chain.problem}",
            f"The audit chain does not verify, so it is not re-anchored: {chain.problem}",
        )
    seen = _anchors_of(store)
    discarded = [
        {"file": str(path), "log": a.db_id, "last_id": a.last_id, "head": a.head, "written_at": a.written_at}
        for path, a in seen.found
    ]
    with store.write() as s:
        audit.record(
            s,
            staff_id=actor.id,
            action="audit.reanchor",
            entity="audit_log",
            entity_id="anchor",
            extra={
                "reason": reason,
                "discarded_anchors": discarded,
                "chain_head": chain.head,
                "chain_last_id": chain.last_id,
            },
        )
    with store.read() as s:
        chain = audit.verify_chain(s)
    assert chain.last_id is not None  # the audit.reanchor row written above
    key = auditkey.load_key()
    auditkey.replace(
        auditkey.Anchor(chain.db_id, chain.head, chain.last_id, chain.key_id, seen.location, chain.keyed_from), key
    )
    auditkey.forget(seen.location, key, keep=chain.db_id)
    return chain.last_id, discarded


def _anchors_of(store: Store) -> AnchorsSeen:
    location = audit.location_of(store.engine.url)
    try:
        found, bad = auditkey.anchors_at(location, auditkey.load_key())
    except HwdeskError:
        found, bad = [], []  # no key: the chain check says so
    return AnchorsSeen(location, found, bad)


def _anchor_checked(store: Store, rep: CheckReport, copy: Path | None = None) -> None:
    """After a clean check (of the live database, or of its backup ``copy``): anchor the verified
    head (durably) outside the database, if that chain still reaches the anchor it replaces."""
    chain = rep.chain
    if chain is None or not chain.ok or chain.rows == 0 or chain.legacy or chain.last_id is None:
        return
    anchor = auditkey.Anchor(
        chain.db_id, chain.head, chain.last_id, chain.key_id, audit.location_of(store.engine.url), chain.keyed_from
    )

    def reaches(old: auditkey.Anchor) -> bool:
        if copy is not None:
            engine = _readonly_engine(copy)
            try:
                with engine.connect() as conn:
                    got = conn.execute(text("SELECT hash FROM audit_log WHERE id = :i"), {"i": old.last_id}).scalar()
            finally:
                engine.dispose()
        else:
            with store.read() as s:
                got = audit.hash_at(s, old.last_id)
        return got == old.head

    try:
        auditkey.advance(anchor, auditkey.load_key(), durable=True, reaches=reaches)
    except OSError as exc:
        rep.add(
            True,
            f"アンカーを書けませんでした: {auditkey.anchor_dir()}（{exc.strerror}）",
            f"Could not write the anchor in {auditkey.anchor_dir()} ({exc.strerror})",
            warning=True,
        )
