"""Keeping the data safe: ``check``, ``backup``, ``restore`` and the audit head kept outside.

- ``check_store`` verifies a live database: SQLite's ``PRAGMA integrity_check`` (PostgreSQL: it
  answers and has the tables), the schema at this release's head, ``PRAGMA foreign_key_check``,
  no triggers or views we did not create, and the audit chain (``audit.verify_chain``) compared
  with the head recorded in a file *outside* the database. The chain alone cannot see its tail
  cut off when ``meta``'s head is rewritten too; the outside head can.
- ``backup_sqlite`` copies a live SQLite database with SQLite's online backup API (one step, so
  one read snapshot: consistent while other terminals write, and it does not block them),
  verifies the copy, and writes ``FILE.audit-head`` beside it. Files are created ``0600``.
- ``restore_sqlite`` checks a backup first (integrity, schema revision known to this release,
  audit chain, its head file) and refuses a bad one; it refuses to overwrite a database holding
  audit rows the backup does not contain unless forced, and keeps the replaced file aside.

PostgreSQL is backed up with ``pg_dump``/``pg_restore`` (docs/operations.md); its outside head
file is named by ``--head-file`` or ``HWDESK_AUDIT_HEAD_FILE``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

from hwdesk import audit, auditkey, nameindex
from hwdesk.clock import now_utc
from hwdesk.db import BUSY_TIMEOUT_MS, Store, head_revision, store_error_from
from hwdesk.errors import HwdeskError, StoreError

HEAD_FILE_ENV = "HWDESK_AUDIT_HEAD_FILE"
HEAD_SUFFIX = ".audit-head"
MAX_LISTED = 10  # integrity / foreign-key messages shown before "… and N more"

__all__ = [
    "HEAD_FILE_ENV",
    "HEAD_SUFFIX",
    "BackupResult",
    "CheckReport",
    "Finding",
    "HeadRecord",
    "RestoreResult",
    "backup_sqlite",
    "check_store",
    "head_file_for",
    "inspect_sqlite_file",
    "known_revisions",
    "read_head_file",
    "restore_sqlite",
    "write_head_file",
]


# --- findings -----------------------------------------------------------------------------------


@dataclass
class Finding:
    """One line of a check: what was verified (``ok``) or what is wrong, in both languages."""

    ok: bool
    message_ja: str
    message_en: str
    warning: bool = False  # not a failure, but worth saying (e.g. no outside head file yet)

    def message(self, lang: str = "ja") -> str:
        """The line in ``lang``."""
        return self.message_en if lang == "en" else self.message_ja


@dataclass
class CheckReport:
    """Everything ``check`` (or the pre-restore check of a file) found."""

    findings: list[Finding] = field(default_factory=list)
    revision: str | None = None
    audit_rows: int = 0
    audit_last_id: int | None = None
    audit_head: str | None = None  # set only when the chain verified
    head_file: Path | None = None
    chain: audit.ChainReport | None = None

    @property
    def ok(self) -> bool:
        """No problem found (warnings do not count)."""
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        """The findings that are failures."""
        return [f for f in self.findings if not f.ok]

    def add(self, ok: bool, ja: str, en: str, *, warning: bool = False) -> None:
        """Record one finding."""
        self.findings.append(Finding(ok, ja, en, warning))

    def lines(self, lang: str = "ja") -> list[str]:
        """Printable lines: ``OK``/``NG``/``!!`` then the message."""
        return [
            f"{'OK' if f.ok and not f.warning else ('!!' if f.ok else 'NG')}  {f.message(lang)}" for f in self.findings
        ]

    def as_dict(self, lang: str = "ja") -> dict:
        """For ``--json``."""
        return {
            "ok": self.ok,
            "revision": self.revision,
            "audit_rows": self.audit_rows,
            "audit_head": self.audit_head,
            "head_file": str(self.head_file) if self.head_file else None,
            "findings": [{"ok": f.ok, "warning": f.warning, "message": f.message(lang)} for f in self.findings],
        }


# --- the audit head outside the database -----------------------------------------------------------


@dataclass
class HeadRecord:
    """What a head file holds: the newest audit hash, how many rows, the last row id, when."""

    head: str
    rows: int = 0
    last_id: int | None = None
    written_at: str = ""


def head_file_for(store: Store, explicit: str | os.PathLike | None = None) -> Path | None:
    """The outside head file: ``--head-file``, else ``HWDESK_AUDIT_HEAD_FILE``, else (SQLite)
    ``<db>.audit-head`` beside the database; None for PostgreSQL with neither given."""
    value = explicit or os.environ.get(HEAD_FILE_ENV)
    if value:
        return Path(value).expanduser()
    if store.is_sqlite and store.sqlite_path is not None:
        return store.sqlite_path.with_name(store.sqlite_path.name + HEAD_SUFFIX)
    return None


def read_head_file(path: Path) -> HeadRecord | None:
    """The record in ``path`` (None when there is no such file).

    Raises ``HwdeskError`` when the file exists but cannot be read or is not a head file.
    """
    try:
        raw = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise HwdeskError(
            f"監査ログ先頭ファイルを読めません: {path}（{exc.strerror}）",
            f"Cannot read the audit head file {path} ({exc.strerror})",
        ) from exc
    try:
        data = json.loads(raw) if raw.startswith("{") else {"head": raw}
        head = str(data["head"])
        if len(head) != 64 or any(c not in "0123456789abcdef" for c in head):
            raise ValueError(head)
        last_id = data.get("last_id")
        return HeadRecord(
            head,
            int(data.get("rows", 0)),
            int(last_id) if last_id is not None else None,
            str(data.get("written_at", "")),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise HwdeskError(
            f"監査ログ先頭ファイルの内容が正しくありません: {path}",
            f"The audit head file {path} is not in the expected format",
        ) from exc


def write_head_file(path: Path, record: HeadRecord) -> None:
    """Write ``record`` to ``path`` atomically (temp file, fsync, rename), readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (
        json.dumps(
            {
                "head": record.head,
                "rows": record.rows,
                "last_id": record.last_id,
                "written_at": record.written_at or now_utc().isoformat(timespec="seconds"),
            }
        )
        + "\n"
    )
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", dir=path.parent)  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once its directory is synced.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- schema revisions ----------------------------------------------------------------------------


def known_revisions() -> list[str]:
    """Every migration revision this release knows, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
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


# --- backup -------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    """A finished backup: where, its check, and the head file written beside it."""

    path: Path
    report: CheckReport
    head_file: Path | None
    live_head_file: Path | None = None
    notes: list[Finding] = field(default_factory=list)


_PG_TOOLS = {
    "pg_dump": 'pg_dump --format=custom --file=hwdesk-$(date +%F).dump "$PGURL"',
    "pg_restore": 'pg_restore --no-owner --dbname="$PGURL" hwdesk-YYYY-MM-DD.dump',
}


def _require_sqlite(store: Store, what_ja: str, what_en: str, tool: str) -> Path:
    """The SQLite file of ``store``; on PostgreSQL a refusal naming the server's own tool."""
    if not store.is_sqlite:
        raise HwdeskError(
            f"PostgreSQL の{what_ja}には {tool} を使ってください（手順は docs/operations.md）。例: {_PG_TOOLS[tool]}",
            f"For PostgreSQL, {what_en} with {tool} (docs/operations.md has the commands), e.g. {_PG_TOOLS[tool]}",
        )
    assert store.sqlite_path is not None
    return store.sqlite_path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


TMP_SUFFIX = ".backup-tmp"  # ``.<dest>.<pid>.<random>.backup-tmp``: a backup's copy in progress


def _new_private_file(directory: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=directory)  # 0600
    os.close(fd)
    return Path(tmp)


def _remove_tmp(tmp: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)


def clean_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the temporary copies (and their journals) of backups into ``directory`` whose process
    is gone (killed with SIGKILL, or the machine stopped); returns what was removed."""
    removed = []
    for path in directory.glob(f".*{TMP_SUFFIX}*"):
        pid = next((int(p) for p in path.name.split(".") if p.isdigit()), None)
        if pid is not None and (pid == os.getpid() or _alive(pid)):
            continue  # a backup still running
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Interrupted(BaseException):
    """SIGTERM or SIGHUP during a backup: unwinds like Ctrl+C so the temporary copy is removed."""


class _CleanOnSignals:
    """While a backup runs, SIGTERM and SIGHUP raise (main thread only) instead of killing the
    process outright, so ``finally`` removes the temporary copy; the old handlers come back after."""

    SIGNALS = ("SIGTERM", "SIGHUP")

    def __enter__(self) -> _CleanOnSignals:
        import signal
        import threading

        self.saved = {}
        if threading.current_thread() is not threading.main_thread():
            return self

        def raise_(signum, _frame):
            raise _Interrupted(signum)

        for name in self.SIGNALS:
            sig = getattr(signal, name, None)
            if sig is not None:
                self.saved[sig] = signal.signal(sig, raise_)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_with_backup_api(src_path: Path, dst_path: Path, *, src_uri_ro: bool = False) -> None:
    """Copy a whole SQLite database with the online backup API, in one step.

    One step (pages=-1) copies inside one read transaction of the source, so the copy is one
    consistent snapshot even while other processes commit; in WAL mode it does not block them.
    """
    if src_uri_ro:
        src = sqlite3.connect(
            f"file:{quote(str(src_path.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    else:
        src = sqlite3.connect(str(src_path), timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(str(dst_path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def backup_sqlite(
    store: Store, dest: str | os.PathLike, *, force: bool = False, head_file: str | os.PathLike | None = None
) -> BackupResult:
    """Back up the live SQLite database to ``dest`` (0600) and write ``dest.audit-head`` beside it.

    The copy is made in a temporary file beside ``dest``, turned into a single self-contained
    file (rollback journal, no -wal), fsynced, checked, and only then renamed into place, so a
    failed backup never replaces a good older one. Refuses to overwrite an existing ``dest``
    unless ``force``. The live database's outside head file is moved forward when the backup's
    chain contains it (and reported, not overwritten, when it does not).
    """
    src = _require_sqlite(store, "バックアップ", "take backups", "pg_dump")
    dest = Path(dest).expanduser().absolute()
    if not src.exists():
        raise HwdeskError(f"データベースがありません: {src}", f"No database at {src}")
    if dest == src.absolute() or _same_file(dest, src):
        raise HwdeskError(
            "バックアップ先が使用中のデータベースそのものです。別のファイル名を指定してください。",
            "The backup target is the live database itself; name another file.",
        )
    if dest.exists() and not force:
        raise HwdeskError(
            f"{dest} は既にあります。上書きするには --force を付けてください。",
            f"{dest} already exists; add --force to replace it.",
        )
    if not dest.parent.is_dir():
        raise HwdeskError(f"フォルダがありません: {dest.parent}", f"No such folder: {dest.parent}")
    clean_stale_temporaries(dest.parent)
    with _CleanOnSignals():
        try:
            tmp = _new_private_file(dest.parent, dest.name)
            report = _copy_check_and_place(src, tmp, dest)
        except _Interrupted as exc:
            raise HwdeskError(
                "バックアップを中断しました（途中のファイルは削除しました）。",
                "Backup interrupted (its temporary file was removed).",
            ) from exc
        except OSError as exc:  # no space for the copy, a folder that refuses writes …
            raise store_error_from(exc, dest) from exc
    result = BackupResult(dest, report, None)
    if report.ok:
        _anchor_checked(store, report, copy=dest)  # the backup's head, anchored for the live database
    if report.audit_head is not None:
        record = HeadRecord(report.audit_head, report.audit_rows, report.audit_last_id)
        result.head_file = dest.with_name(dest.name + HEAD_SUFFIX)
        write_head_file(result.head_file, record)
        live = head_file_for(store, head_file)
        result.live_head_file = live
        if live is not None:
            _advance_live_head(live, record, src, result)
    return result


def _copy_check_and_place(src: Path, tmp: Path, dest: Path) -> CheckReport:
    """Copy ``src`` into ``tmp``, make it one self-contained file, fsync, check, rename to ``dest``;
    ``tmp`` (and any journal of it) is removed on every way out but success."""
    try:
        try:
            _copy_with_backup_api(src, tmp)
            conn = sqlite3.connect(str(tmp))
            try:
                # A backup is one file: rollback-journal mode, so no -wal/-shm travel with it.
                conn.execute("PRAGMA journal_mode=DELETE").fetchall()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise store_error_from(exc, tmp) from exc
        _fsync_file(tmp)
        report = inspect_sqlite_file(tmp, head_file=tmp.with_name(tmp.name + ".none"))
        # The warning about the (deliberately absent) head file of the temp copy is not news.
        report.findings = [f for f in report.findings if not f.warning]
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        _remove_tmp(tmp)
        raise
    return report


def _advance_live_head(live: Path, record: HeadRecord, db: Path, result: BackupResult) -> None:
    try:
        old = read_head_file(live)
    except HwdeskError as exc:
        result.notes.append(Finding(False, exc.message_ja, exc.message_en))
        return
    if old is not None and old.head != audit.GENESIS and old.head != record.head:
        engine = _readonly_engine(result.path)
        try:
            with engine.connect() as conn:
                found = conn.execute(text("SELECT 1 FROM audit_log WHERE hash = :h"), {"h": old.head}).first()
        finally:
            engine.dispose()
        if found is None:
            result.notes.append(
                Finding(
                    False,
                    f"{live} に記録した監査ログの先頭（{old.rows} 行）がデータベースのチェーンにありません（切り詰めの疑い）。hwdesk check で確認してください",
                    f"The audit head recorded in {live} ({old.rows} rows) is not in the database's chain (possible truncation); run hwdesk check",
                )
            )
            return
        if old.rows > record.rows:
            return  # never move the live head backwards
    try:
        write_head_file(live, record)
    except OSError as exc:
        result.notes.append(
            Finding(
                True,
                f"監査ログ先頭ファイルを書けませんでした: {live}（{exc.strerror}）",
                f"Could not write the audit head file {live} ({exc.strerror})",
                warning=True,
            )
        )


# --- restore ------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    """A finished restore: the target, the file kept aside (if any), and the check after."""

    target: Path
    source_report: CheckReport
    kept_aside: Path | None
    after: CheckReport | None = None


def _sqlite_error(exc: sqlite3.Error) -> StoreError:
    """A plain sqlite3 error (backup API, raw connections) in the words ``db.store_error_from`` uses."""
    return store_error_from(exc)  # it reads ``exc.orig`` when there is one, else ``str(exc)``


def _target_state(target: Path) -> tuple[str | None, str | None, int | None]:
    """(last audit hash, problem, last audit id) of the database about to be replaced; Nones when empty."""
    if not target.exists() or target.stat().st_size == 0:
        return None, None, None
    try:
        conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='audit_log'").fetchone()
            if not has:
                return None, None, None
            row = conn.execute("SELECT hash, id FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            return (row[0] if row else None), None, (row[1] if row else None)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return None, str(exc), None


def restore_sqlite(
    store: Store,
    source: str | os.PathLike,
    *,
    login: str,
    password: str,
    force: bool = False,
    head_file: str | os.PathLike | None = None,
) -> RestoreResult:
    """Restore the SQLite database of ``store`` from the backup ``source`` after checking it.

    Needs an admin: ``login``/``password`` sign in to the database being replaced (audited
    there), or, when it holds no staff or cannot be read, are checked against the backup's
    staff. Refuses (``HwdeskError``, nothing changed) when the backup fails its check, or when
    the target holds audit rows the backup does not contain (newer or different data) unless
    ``force``. The replaced database is first copied aside (``<db>.pre-restore-<time>``, 0600).
    Afterwards the schema is upgraded to this release's head, an audit row
    ``maintenance.restore`` names the head that was discarded, the copy kept aside and the
    admin, and this terminal's anchor and the outside head file are reset to the new head (so
    ``check`` is clean after a recorded restore, and fails after a file merely copied back).
    Stop every terminal before restoring.
    """
    target = _require_sqlite(store, "復元", "restore", "pg_restore")
    source = Path(source).expanduser().absolute()
    if _same_file(source, target):
        raise HwdeskError("復元元と復元先が同じファイルです。", "The backup and the target are the same file.")
    rep = inspect_sqlite_file(source, accept_older=True)
    if not rep.ok:
        lines = "\n".join("  " + f.message_ja for f in rep.problems)
        lines_en = "\n".join("  " + f.message_en for f in rep.problems)
        raise HwdeskError(
            f"このバックアップは復元できません（何も変更していません）: {source}\n{lines}",
            f"This backup cannot be restored (nothing was changed): {source}\n{lines_en}",
        )
    problem = _target_state(target)[1]
    admin = _restore_admin(store, target, source, login=login, password=password, readable=problem is None)
    last, problem, discarded_id = _target_state(target)  # after the sign-in: its row is replaced too
    if not force:
        if problem is not None:
            raise HwdeskError(
                f"復元先のデータベースを読めません（{problem}）。置き換えてよければ --force を付けてください（元のファイルは別名で残します）。",
                f"The target database cannot be read ({problem}). Add --force to replace it (the old file is kept aside).",
            )
        if last is not None and _would_lose(target, source):
            raise HwdeskError(
                "復元先のデータベースには、このバックアップにない新しい記録があります。復元すると失われます。"
                "それでも置き換える場合は --force を付けてください（元のファイルは別名で残します）。",
                "The target database holds records this backup does not have; restoring would lose them. "
                "Add --force to replace it anyway (the old file is kept aside).",
            )
    store.dispose()
    kept = _keep_aside(target) if target.exists() and target.stat().st_size > 0 else None
    if problem is not None:
        # Forced over a file SQLite cannot read: the backup API cannot write into it, so start
        # from an empty file (its bytes are in the copy kept aside).
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
    if not target.exists():
        from hwdesk.db import open_store

        open_store(str(target), migrate=False).dispose()  # creates it 0600, refuses network filesystems
    try:
        _copy_with_backup_api(source, target, src_uri_ro=True)
        conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchall()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _sqlite_error(exc) from exc
    from hwdesk.db import open_store, upgrade

    restored = open_store(store.url, migrate=False)
    audit.forget_identities()  # another file is at this URL now
    try:
        try:
            upgrade(restored)
        except OperationalError as exc:
            raise store_error_from(exc) from exc
        discarded = {
            "discarded_head": last,
            "discarded_last_id": discarded_id,
            "kept_aside": str(kept) if kept else None,
            "source": str(source),
            "source_head": rep.audit_head,
            "source_last_id": rep.audit_last_id,
            "forced": force,
            "by": admin,
        }
        _record_restore(restored, admin, discarded)
        live = head_file_for(restored, head_file)
        after = check_store(restored, head_file=live, update_head=False, compare_head=False)
        if after.ok and after.audit_head is not None and after.chain is not None:
            # This terminal's anchor and the outside head now describe the restored history and its
            # restore row (the old history is in the copy kept aside, and named by that row).
            chain = after.chain
            assert chain.last_id is not None  # the restore row written above
            key = auditkey.load_key()
            location = audit.location_of(restored.engine.url)
            auditkey.replace(
                auditkey.Anchor(chain.db_id, chain.head, chain.last_id, chain.key_id, location, chain.keyed_from), key
            )
            auditkey.forget(location, key, keep=chain.db_id)
            if live is not None:
                write_head_file(live, HeadRecord(after.audit_head, after.audit_rows, after.audit_last_id))
                after.head_file = live
    finally:
        restored.dispose()
    return RestoreResult(target, rep, kept, after)


def _restore_admin(store: Store, target: Path, source: Path, *, login: str, password: str, readable: bool) -> str:
    """Check that ``login`` is an admin who knows ``password``; returns the login.

    Signed in to the database being replaced when it has staff (so the attempt is in its log);
    otherwise (an empty or unreadable target) checked against the backup's own staff.
    """
    from hwdesk.errors import AuthError, PermissionDenied
    from hwdesk.security import verify_password
    from hwdesk.services import auth

    refused = PermissionDenied(
        "復元は管理者だけができます（--as 管理者ID）。", "Only an admin can restore (--as ADMIN)."
    )
    if readable and target.exists() and _has_staff(target):
        actor = auth.sign_in(store, login=login, password=password)
        if actor.role != "admin":
            raise refused
        return actor.login
    engine = _readonly_engine(source)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT password_hash, role, active FROM staff WHERE login = :l"), {"l": login}
            ).first()
    finally:
        engine.dispose()
    ok, _ = verify_password(row[0] if row else auth._dummy_hash(), password)
    if row is None or not ok or not row[2]:
        raise AuthError(auth.BAD_SIGN_IN.message_ja, auth.BAD_SIGN_IN.message_en)
    if row[1] != "admin":
        raise refused
    return login


def _has_staff(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            return conn.execute("SELECT 1 FROM staff LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _record_restore(restored: Store, admin: str, detail: dict) -> None:
    """The restored database's own record of the restore (the history it replaced, by whom)."""
    from sqlmodel import select as sm_select

    from hwdesk.models import Staff

    with restored.write() as s:
        staff = s.exec(sm_select(Staff.id).where(Staff.login == admin)).first()
        audit.record(
            s, staff_id=staff, action="maintenance.restore", entity="database", entity_id="restore", extra=detail
        )


# Rows about the restoring itself (signing in to do it, an earlier restore): a target whose only
# rows missing from the backup are these loses nothing of the office's work.
_BOOKKEEPING = ("auth.sign_in", "auth.fail", "auth.refused_locked", "auth.lockout", "maintenance.restore")


def _would_lose(target: Path, source: Path) -> bool:
    """Whether ``target`` holds audit rows, other than bookkeeping, after the last one ``source`` has."""
    conn = sqlite3.connect(f"file:{quote(str(target.absolute()))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        for digest, action in conn.execute("SELECT hash, action FROM audit_log ORDER BY id DESC"):
            if _source_has_hash(source, digest):
                return False
            if action not in _BOOKKEEPING:
                return True
        return False
    finally:
        conn.close()


def _source_has_hash(source: Path, digest: str) -> bool:
    engine = _readonly_engine(source)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM audit_log WHERE hash = :h"), {"h": digest}).first() is not None
    finally:
        engine.dispose()


def _keep_aside(target: Path) -> Path:
    """Copy the database about to be replaced to ``<db>.pre-restore-<UTC time>`` (0600)."""
    stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.pre-restore-{stamp}")
    fd = os.open(aside, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        _copy_with_backup_api(target, aside)
    except sqlite3.Error:
        # A damaged database may not copy page by page; keep its bytes (and its WAL) instead.
        import shutil

        shutil.copyfile(target, aside)
        wal = target.with_name(target.name + "-wal")
        if wal.exists():
            fd = os.open(str(aside) + "-wal", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            os.close(fd)
            shutil.copyfile(wal, str(aside) + "-wal")
    _fsync_file(aside)
    return aside
