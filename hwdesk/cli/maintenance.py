"""``hwdesk check``, ``hwdesk backup FILE``, ``hwdesk restore FILE [--force]``, ``hwdesk reindex``.

Exit status: 0 all well; 1 ``check`` (or the check of a fresh backup) found a problem, each
named on its own line; 2 refused (a bad backup, a target with newer data, PostgreSQL asked to do
what pg_dump does, the database unreachable …), with the reason on stderr.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hwdesk.errors import HwdeskError

EXIT_PROBLEMS = 1


def register(sub) -> None:
    """Add the maintenance subcommands."""
    head_help = (
        "file outside the database holding the audit head (default: HWDESK_AUDIT_HEAD_FILE, "
        "else <db>.audit-head beside an SQLite database)"
    )
    p = sub.add_parser(
        "check", help="verify the database: integrity, schema, foreign keys, audit chain against the head kept outside"
    )
    p.add_argument("--head-file", default=None, help=head_help)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser(
        "backup", help="consistent copy of a live SQLite database (online backup API); PostgreSQL: use pg_dump"
    )
    p.add_argument("file", type=Path)
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument("--head-file", default=None, help=head_help)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="check a backup, then restore it into the database (SQLite; admin: --as ADMIN); PostgreSQL: use pg_restore",
    )
    p.add_argument("file", type=Path)
    p.add_argument(
        "--force", action="store_true", help="replace a database that holds records the backup lacks (it is kept aside)"
    )
    p.add_argument("--head-file", default=None, help=head_help)
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser(
        "reanchor",
        help="admin: accept the present audit history after a deliberate roll-back outside "
        "hwdesk (pg_restore in place); recorded with the anchors it discards",
    )
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_reanchor)

    p = sub.add_parser("reindex", help="rebuild the name search index from the seekers (after check found it wrong)")
    p.set_defaults(handler=cmd_reindex)


def _open(ctx, *, must_exist: bool = True):
    """The store without migrating or writing anything: a check must see the database as it is."""
    from sqlalchemy.engine import make_url

    from hwdesk.db import open_store, resolve_url

    url = resolve_url(ctx.args.db)
    if must_exist and url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        if not path.is_file():
            raise HwdeskError(f"データベースがありません: {path}", f"No database at {path}")
    ctx._store = open_store(ctx.args.db, migrate=False)  # main() disposes it
    return ctx._store


def cmd_check(ctx) -> int:
    """Run every check; print one line per finding; exit 1 on any problem."""
    from hwdesk.maintenance.check import check_store

    report = check_store(_open(ctx), head_file=ctx.args.head_file)
    if ctx.args.json:
        ctx.out_json(report.as_dict(ctx.lang))
    else:
        for line in report.lines(ctx.lang):
            print(line)
        print(
            ctx.msg("cli.maintenance.no_problem")
            if report.ok
            else ctx.msg("cli.maintenance.problems", n=len(report.problems))
        )
    return 0 if report.ok else EXIT_PROBLEMS


def cmd_reanchor(ctx) -> int:
    """Record and accept the present history as an admin; say which anchors were discarded."""
    from hwdesk.maintenance.check import reanchor

    actor = ctx.actor()
    last_id, discarded = reanchor(ctx.store, actor=actor, reason=ctx.args.reason)
    for d in discarded:
        print(
            ctx.msg(
                "cli.maintenance.discarded_anchor_audit_row",
                file=d["file"],
                last_id=d["last_id"],
                written_at=d["written_at"],
            )
        )
    print(ctx.msg("cli.maintenance.re_anchored_audit_row", last_id=last_id))
    return 0


def cmd_reindex(ctx) -> int:
    """Rebuild the name search index in one write transaction, audited; print how many seekers."""
    from hwdesk import audit, nameindex

    store = _open(ctx)
    with store.write() as s:
        n = nameindex.rebuild(s.connection())
        audit.record(
            s, staff_id=None, action="maintenance.reindex", entity="index", entity_id="name", extra={"seekers": n}
        )
    print(ctx.msg("cli.maintenance.name_search_index_rebuilt", n=n))
    return 0


def cmd_backup(ctx) -> int:
    """Back up to FILE and say where the head file went; exit 1 if the copy's check found a problem."""
    from hwdesk.maintenance.backup import backup_sqlite

    result = backup_sqlite(_open(ctx), ctx.args.file, force=ctx.args.force, head_file=ctx.args.head_file)
    rep = result.report
    size = os.path.getsize(result.path)
    print(ctx.msg("cli.maintenance.backup_written_bytes_audit", path=result.path, size=size, audit_rows=rep.audit_rows))
    if result.head_file:
        print(ctx.msg("cli.maintenance.audit_head", head_file=result.head_file))
    bad = rep.problems + [n for n in result.notes if not n.ok]
    for f in bad:
        print("NG  " + f.message(ctx.lang), file=sys.stderr)
    for f in result.notes:
        if f.ok and f.warning:
            print("!!  " + f.message(ctx.lang), file=sys.stderr)
    return EXIT_PROBLEMS if bad else 0


def cmd_restore(ctx) -> int:
    """Check FILE, then restore it; say what was kept aside."""
    from hwdesk.maintenance.restore import restore_sqlite

    store = _open(ctx, must_exist=False)
    created = store.sqlite_path if store.is_sqlite and store.sqlite_path.stat().st_size == 0 else None
    try:
        login, password = ctx.credentials()
        result = restore_sqlite(
            store, ctx.args.file, login=login, password=password, force=ctx.args.force, head_file=ctx.args.head_file
        )
    except BaseException:
        # Opening the store made an empty file for the target; a refused restore leaves no trace.
        if created is not None and created.exists() and created.stat().st_size == 0:
            store.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(str(created) + suffix).unlink(missing_ok=True)
        raise
    for f in result.source_report.findings:
        if f.warning:
            print("!!  " + f.message(ctx.lang), file=sys.stderr)
    if result.kept_aside:
        print(ctx.msg("cli.maintenance.replaced_database_was_kept", kept_aside=result.kept_aside))
    after = result.after
    print(
        ctx.msg(
            "cli.maintenance.restored",
            file=ctx.args.file,
            target=result.target,
            rows=after.audit_rows if after else "?",
        )
    )
    if after is not None and not after.ok:
        for f in after.problems:
            print("NG  " + f.message(ctx.lang), file=sys.stderr)
        return EXIT_PROBLEMS
    return 0
