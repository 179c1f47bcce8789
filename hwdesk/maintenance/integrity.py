"""Checking one database's contents in one snapshot: SQLite's integrity and foreign keys, the
schema revision (known to this release?) and its tables, the name index, objects hwdesk never
creates, and the audit chain with what only the outside can prove (the head file, anchors).

:func:`inspect_sqlite_file` checks a file not in use (a backup) read-only; the live check is
``maintenance.check.check_store``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

from hwdesk import audit, nameindex
from hwdesk.db import BUSY_TIMEOUT_MS, head_revision
from hwdesk.errors import HwdeskError
from hwdesk.maintenance.head import HEAD_SUFFIX, HeadRecord, read_head_file
from hwdesk.maintenance.report import MAX_LISTED, CheckReport

__all__ = ["AnchorsSeen", "inspect_sqlite_file", "known_revisions"]

# --- schema revisions ----------------------------------------------------------------------------


def known_revisions() -> list[str]:
    """Every migration revision this release knows, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    script = ScriptDirectory.from_config(cfg)
    return [r.revision for r in reversed(list(script.walk_revisions()))]


# --- the checks ---------------------------------------------------------------------------------


def _chain_problem(rep: audit.ChainReport, outside: HeadRecord | None, where_outside: str) -> tuple[str, str]:
    en = rep.problem
    rid = rep.bad_id
    if "link broken" in en:
        ja = f"監査ログ ID {rid}: 直前の行とのハッシュの連結が切れています（それより前の行が削除または変更されました）"
    elif "does not match its hash" in en:
        ja = f"監査ログ ID {rid}: 内容がハッシュと一致しません（この行が書き換えられました）"
    elif "audit head in meta" in en:
        ja = "meta に記録した監査ログの先頭が最後の行と一致しません（末尾の行が削除されました）"
    elif "outside the database" in en and outside is not None:
        ja = (
            f"データベースの外に保管した監査ログの先頭（{where_outside}、{outside.written_at} 時点で "
            f"{outside.rows} 行、最終 ID {outside.last_id}）がチェーンにありません。現在 {rep.rows} 行です"
            "（ログが切り詰められたか作り直されました）"
        )
        en = (
            f"the audit head kept outside the database ({where_outside}: {outside.rows} rows up to audit row "
            f"{outside.last_id} as of {outside.written_at}) is not in the chain, which now has {rep.rows} rows "
            "(the log was truncated or rebuilt)"
        )
    else:
        ja = en
    return ja, en


def _inspect(
    session: Session,
    *,
    is_sqlite: bool,
    outside: HeadRecord | None,
    where_outside: str,
    accept_older: bool,
    anchors: AnchorsSeen | None = None,
) -> CheckReport:
    """Run every check in one transaction of ``session`` (one snapshot of the data).

    ``anchors`` (a live check): this terminal's anchors for the database, each of which the chain
    must still reach."""
    rep = CheckReport()
    conn = session.connection()
    if is_sqlite:
        try:
            msgs = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        except DBAPIError as exc:
            msg = str(exc.orig)
            rep.add(
                False,
                f"SQLite データベースとして読めないか、破損しています: {msg}",
                f"Not a readable SQLite database, or damaged: {msg}",
            )
            return rep
        if msgs == ["ok"]:
            rep.add(True, "整合性検査（PRAGMA integrity_check）: ok", "Integrity (PRAGMA integrity_check): ok")
        else:
            shown = "; ".join(msgs[:MAX_LISTED]) + (
                f" …ほか {len(msgs) - MAX_LISTED} 件" if len(msgs) > MAX_LISTED else ""
            )
            shown_en = "; ".join(msgs[:MAX_LISTED]) + (
                f" … and {len(msgs) - MAX_LISTED} more" if len(msgs) > MAX_LISTED else ""
            )
            rep.add(False, f"整合性検査で破損が見つかりました: {shown}", f"Integrity check found damage: {shown_en}")
    else:
        conn.execute(text("SELECT 1"))
        rep.add(True, "データベースサーバーに接続できました", "The database server answers")

    # Schema: the revision, known to this release, and the tables it should have.
    tables = set(inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in tables:
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        revision = row[0] if row else None
    rep.revision = revision
    head = head_revision()
    known = known_revisions()
    if revision is None:
        rep.add(
            False,
            "hwdesk のスキーマがありません（空のデータベース。hwdesk init で作成します）",
            "No hwdesk schema here (an empty database; hwdesk init creates it)",
        )
        return rep
    if revision not in known:
        rep.add(
            False,
            f"スキーマ {revision} はこのリリースが知らない版です（新しいリリースで作成されたデータベースです）",
            f"Schema revision {revision} is unknown to this release (the database was made by a newer release)",
        )
        return rep
    if revision != head:
        if accept_older:
            rep.add(
                True,
                f"スキーマ {revision}（復元後に {head} へ更新します）",
                f"Schema {revision} (will be upgraded to {head} after restoring)",
            )
        else:
            rep.add(
                False,
                f"スキーマが古いままです（{revision}、このリリースは {head}）。hwdesk init で更新してください",
                f"Schema is behind ({revision}; this release is at {head}). Run hwdesk init to upgrade",
            )
    else:
        missing = sorted(
            t for t in nameindex.expected_tables(SQLModel.metadata.tables, sqlite=is_sqlite) if t not in tables
        )
        if missing:
            rep.add(
                False,
                f"スキーマ {revision} にあるはずの表がありません: {', '.join(missing)}",
                f"Tables missing from schema {revision}: {', '.join(missing)}",
            )
        else:
            rep.add(True, f"スキーマ: {revision}（最新）", f"Schema: {revision} (current)")

    index_name = nameindex.FTS if is_sqlite else nameindex.GRAM_TABLE
    if index_name in tables:  # PostgreSQL's name_gram has no foreign key since 0009: compared here too
        count, wrong = nameindex.problems(conn, MAX_LISTED)
        if not count:
            rep.add(True, f"氏名の検索索引（{index_name}）: ok", f"Name search index ({index_name}): ok")
        else:
            more = count - len(wrong)
            listed = "; ".join(wrong)
            rep.add(
                False,
                f"氏名の検索索引に誤りが {count} 件あります: {listed}"
                + (f" …ほか {more} 件" if more else "")
                + "（hwdesk reindex で作り直せます）",
                f"The name search index is wrong for {count} rows: {listed}"
                + (f" … and {more} more" if more else "")
                + " (hwdesk reindex rebuilds it)",
            )
    if is_sqlite:
        fk = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if not fk:
            rep.add(True, "外部キー（PRAGMA foreign_key_check）: ok", "Foreign keys (PRAGMA foreign_key_check): ok")
        else:
            items = [f"{t} rowid {rid} → {parent}" for t, rid, parent, _ in fk[:MAX_LISTED]]
            more = len(fk) - len(items)
            rep.add(
                False,
                f"参照先のない行が {len(fk)} 件あります: {'; '.join(items)}" + (f" …ほか {more} 件" if more else ""),
                f"{len(fk)} rows refer to missing rows: {'; '.join(items)}" + (f" … and {more} more" if more else ""),
            )
        # hwdesk creates no triggers or views; one found here was added from outside (and would
        # run on our writes), so it is reported rather than trusted.
        extra = conn.exec_driver_sql(
            "SELECT type, name FROM sqlite_master WHERE type IN ('trigger', 'view')"
        ).fetchall()
        if extra:
            names = ", ".join(f"{t} {n}" for t, n in extra)
            rep.add(
                False,
                f"hwdesk が作らないオブジェクトがあります: {names}",
                f"Objects hwdesk never creates are present: {names}",
            )

    if "audit_log" not in tables or "meta" not in tables:
        return rep
    expected = outside.head if outside is not None and outside.head != audit.GENESIS else None
    try:
        chain = audit.verify_chain(session, expected_head=expected)
    except HwdeskError as exc:  # no key here (an unreadable key file)
        rep.add(False, exc.message_ja, exc.message_en)
        return rep
    rep.audit_rows = chain.rows
    rep.chain = chain
    if chain.ok:
        rep.audit_head = chain.head
        rep.audit_last_id = chain.last_id
        rep.add(
            True,
            f"監査ログのハッシュチェーン: {chain.rows} 行、すべて鍵（{chain.key_id}）で検証済み（先頭 {chain.head[:12]}…）"
            + (f"。うち {chain.unkeyed_rows} 行は鍵の導入前の旧形式です" if chain.unkeyed_rows else ""),
            f"Audit chain: {chain.rows} rows, all verified under the audit key {chain.key_id} (head {chain.head[:12]}…)"
            + (
                f"; {chain.unkeyed_rows} of them from before the key, in the older unkeyed form"
                if chain.unkeyed_rows
                else ""
            ),
        )
        if chain.legacy:
            rep.add(
                True,
                f"監査ログ {chain.rows} 行はすべて鍵の導入前の旧形式です。次の書き込みから鍵で記録します",
                f"All {chain.rows} audit rows predate the audit key (older release); rows are keyed from the next write",
                warning=True,
            )
        if outside is not None:
            rep.add(
                True,
                f"外部に保管した監査ログの先頭（{where_outside}、{outside.rows} 行）はチェーンに含まれています",
                f"The audit head kept outside ({where_outside}, {outside.rows} rows) is in the chain",
            )
    else:
        ja, en = _chain_problem(chain, outside, where_outside)
        rep.add(False, ja, en)
    _history_findings(session, rep, chain, outside, anchors)
    return rep


@dataclass
class AnchorsSeen:
    """This terminal's anchors for one database location (``auditkey.anchors_at``)."""

    location: str
    found: list = field(default_factory=list)  # (path, Anchor)
    bad: list = field(default_factory=list)  # (path, AnchorError)


def _has_business_rows(session: Session) -> bool:
    conn = session.connection()
    return any(
        conn.execute(text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None for t in ("staff", "seeker", "session")
    )


def _history_findings(
    session: Session,
    rep: CheckReport,
    chain: audit.ChainReport,
    outside: HeadRecord | None,
    anchors: AnchorsSeen | None,
) -> None:
    """What only the outside can prove: the log was not emptied, cut back, or swapped for an older one."""
    if chain.rows == 0 and _has_business_rows(session):
        rep.add(
            False,
            "監査ログが空ですが、データベースには職員・求職者・セッションがあります（監査ログが消去されました）",
            "The audit log is empty but the database holds staff, seekers or sessions (the log was erased)",
        )
    if anchors is None:
        return
    for _path, exc in anchors.bad:
        rep.add(False, exc.message_ja, exc.message_en)
    for path, anchor in anchors.found:
        where = f"{path}（{anchor.written_at}、監査ログ ID {anchor.last_id}）"
        where_en = f"{path} (audit row {anchor.last_id} as of {anchor.written_at})"
        if chain.rows == 0:
            rep.add(
                False,
                f"監査ログが空ですが、この端末はその行をアンカーに記録しています: {where}（監査ログが消去されました）",
                f"The audit log is empty, but this terminal anchored a row of it: {where_en} (the log was erased)",
            )
        elif anchor.db_id != chain.db_id:
            rep.add(
                False,
                f"この場所のデータベースについて保管したアンカー {where} は、別の監査ログのものです"
                "（監査ログが消去されて作り直されたか、別のデータベースに置き換えられました。意図した置き換えなら hwdesk restore が記録します）",
                f"The anchor {where_en} kept for the database at this location belongs to another audit log (the log was "
                "erased and begun again, or another database was put here; hwdesk restore records a deliberate replacement)",
            )
        elif chain.legacy:
            rep.add(
                False,
                f"アンカー {where} は鍵付きの記録を示していますが、監査ログは鍵のない旧形式です（鍵なしで作り直されました）",
                f"The anchor {where_en} shows a keyed log, but the log is now unkeyed (it was rebuilt without the key)",
            )
        elif chain.last_id is None or anchor.last_id > chain.last_id:
            rep.add(
                False,
                f"アンカー {where} より監査ログが短くなっています（最後の ID {chain.last_id}）。末尾が削除されたか、古いコピーに置き換えられました",
                f"The audit log ends at row {chain.last_id}, before the anchor {where_en}: its tail was cut, or an "
                "older copy was put in place",
            )
        elif chain.ok and audit.hash_at(session, anchor.last_id) != anchor.head:
            rep.add(
                False,
                f"アンカー {where} の先頭がチェーンにありません（監査ログが作り直されました）",
                f"The head anchored in {where_en} is not in the chain (the log was rebuilt)",
            )
        elif chain.ok:
            rep.add(
                True,
                f"データベースの外のアンカー（{where}）はチェーンに含まれています",
                f"The anchor outside the database ({where_en}) is in the chain",
            )
    has_history = chain.rows > 0 or _has_business_rows(session)
    if has_history and not anchors.found and not anchors.bad and outside is None:
        rep.add(
            False,
            "監査ログの先頭がデータベースの外に保管されていません（アンカーも先頭ファイルもありません）。"
            "消去や切り詰めを確認できません。この端末で一度も書き込んでいなければ、書き込む端末で check を実行してください。"
            "書き込んだことがあるなら、アンカーが削除されています",
            "No audit head is kept outside the database (no anchor, no head file), so erasing or cutting the log "
            "cannot be ruled out. If this terminal has never written, run check where the writing terminals "
            "are; if it has, its anchor was deleted",
        )


def _readonly_engine(path: Path) -> Engine:
    """An engine on an SQLite file that can never write to it or run its schema's functions."""

    def connect():
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA trusted_schema=OFF")  # a file from elsewhere may carry hostile schema
        conn.execute("PRAGMA query_only=ON")
        return conn

    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


def inspect_sqlite_file(path: Path, *, head_file: Path | None = None, accept_older: bool = True) -> CheckReport:
    """Check an SQLite file that is not in use (a backup): opened read-only, never changed.

    ``head_file`` (default ``FILE.audit-head``) is compared when present; its absence is a warning.
    """
    rep_head = head_file if head_file is not None else path.with_name(path.name + HEAD_SUFFIX)
    outside = read_head_file(rep_head)
    if not path.is_file():
        rep = CheckReport()
        rep.add(False, f"ファイルがありません: {path}", f"No such file: {path}")
        return rep
    engine = _readonly_engine(path)
    try:
        with Session(engine) as s:
            rep = _inspect(s, is_sqlite=True, outside=outside, where_outside=str(rep_head), accept_older=accept_older)
    except DBAPIError as exc:
        rep = CheckReport()
        msg = str(exc.orig)
        rep.add(
            False,
            f"SQLite データベースとして読めないか、破損しています: {msg}",
            f"Not a readable SQLite database, or damaged: {msg}",
        )
    finally:
        engine.dispose()
    rep.head_file = rep_head
    if outside is None:
        rep.add(
            True,
            f"監査ログ先頭ファイル（{rep_head}）がないため、末尾の削除は確認できません",
            f"No audit head file ({rep_head}): a cut tail cannot be ruled out",
            warning=True,
        )
    return rep
