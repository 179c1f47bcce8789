"""``hwdesk seeker find``, ``hwdesk import seekers``, ``hwdesk eligibility``."""

from __future__ import annotations

import sys
from pathlib import Path

from hwdesk.cli import bounded_int
from hwdesk.clock import today_jst

FIND_LIMIT_MAX = 1000


def register(sub) -> None:
    """Add the seeker subcommands."""
    p = sub.add_parser("seeker", help="find seekers")
    ssub = p.add_subparsers(dest="seeker_command", required=True)
    f = ssub.add_parser(
        "find", help="by 求職番号, reading (hiragana/katakana/half-width), any part of the name, or phone"
    )
    f.add_argument("text")
    f.add_argument("--office", help="default: your own office (every office needs the all-offices grant)")
    f.add_argument(
        "--limit",
        type=bounded_int("--limit", 1, FIND_LIMIT_MAX),
        default=50,
        help=f"at most {FIND_LIMIT_MAX} (default 50)",
    )
    f.add_argument("--json", action="store_true")
    f.set_defaults(handler=cmd_find)

    p = sub.add_parser("import", help="bulk imports")
    isub = p.add_subparsers(dest="import_command", required=True)
    i = isub.add_parser("seekers", help="import seekers from a CSV file (UTF-8 with/without BOM, or CP932)")
    i.add_argument("file", type=Path)
    i.add_argument("--office", help="office the seekers register at (default: the acting staff member's)")
    i.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    i.add_argument("--json", action="store_true")
    i.set_defaults(handler=cmd_import)

    p = sub.add_parser("eligibility", help="the checklist of an office's conditions for a seeker and service")
    p.add_argument("seeker", help="求職番号")
    p.add_argument("--office", required=True)
    p.add_argument(
        "--service", required=True, choices=("counseling", "referral", "seminar", "interview", "tour", "selection")
    )
    p.add_argument("--date", help="YYYY-MM-DD or 和暦 (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_eligibility)


def cmd_find(ctx) -> int:
    """Print matching seekers (signed in; the view is audited)."""
    from hwdesk.jtext.numbers import format_phone
    from hwdesk.jtext.safety import safe_display
    from hwdesk.services.seeker_search import search

    actor = ctx.reader()
    office = ctx.args.office or (None if actor.all_offices else actor.office_id)
    with ctx.store.read() as s:
        rows = search(s, ctx.args.text, actor=actor, limit=ctx.args.limit, office_id=office)
    ctx.audit_read(actor, office_id=office or "", rows=len(rows))
    if ctx.args.json:
        ctx.out_json(
            [
                {
                    "id": r.id,
                    "seeker_no": r.seeker_no,
                    "name": r.name,
                    "kana": r.name_kana,
                    "birth_date": r.birth_date.isoformat(),
                    "phone": r.phone,
                    "office": r.office_id,
                }
                for r in rows
            ]
        )
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table()
    for c in (
        ctx.msg("cli.seekers.col.no"),
        ctx.msg("cli.seekers.col.name"),
        ctx.msg("cli.seekers.col.reading"),
        ctx.msg("cli.seekers.col.born"),
        ctx.msg("cli.seekers.col.phone"),
        ctx.msg("cli.seekers.col.office"),
    ):
        table.add_column(c)
    for r in rows:
        table.add_row(
            *(
                Text(safe_display(v))
                for v in (
                    r.seeker_no,
                    r.name,
                    r.name_kana,
                    r.birth_date.isoformat(),
                    format_phone(r.phone),
                    r.office_id,
                )
            )
        )
    Console().print(table)
    if not rows:
        print(ctx.msg("cli.seekers.no_seekers_found"), file=sys.stderr)
    return 0


def cmd_import(ctx) -> int:
    """Import seekers; every bad row is reported by line; non-zero exit when any was refused."""
    from hwdesk.services.importer import import_file

    actor = ctx.actor()
    office = ctx.args.office or actor.office_id
    progress = None
    bar = None
    if sys.stderr.isatty() and not ctx.args.json:
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task(ctx.msg("cli.seekers.importing"), total=None)
        bar.start()

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

    try:
        with ctx.store.write() as s:
            result = import_file(
                s, actor=actor, path=ctx.args.file, office_id=office, dry_run=ctx.args.dry_run, progress=progress
            )
    finally:
        if bar is not None:
            bar.stop()
    if ctx.args.json:
        ctx.out_json(
            {
                "added": result.added,
                "skipped": result.skipped,
                "dry_run": result.dry_run,
                "encoding": result.encoding,
                "errors": [{"line": e.line, "field": e.field, "message": e.message(ctx.lang)} for e in result.errors],
            }
        )
    else:
        for e in result.errors:
            print(e.message(ctx.lang), file=sys.stderr)
        verb = ctx.msg("cli.seekers.would_import" if result.dry_run else "cli.seekers.imported")
        print(
            ctx.msg(
                "cli.seekers.already_registered_skipped_refused",
                verb=verb,
                added=result.added,
                skipped=result.skipped,
                n_errors=len(result.errors),
            )
        )
    return 0 if result.ok else 2


def cmd_eligibility(ctx) -> int:
    """Print the checklist; exit status 1 when any requirement fails (2 for errors)."""
    from hwdesk.jtext.dates import parse_day
    from hwdesk.services.eligibility import check
    from hwdesk.services.offices import profile
    from hwdesk.services.seekers import get_by_number

    on = parse_day(ctx.args.date) if ctx.args.date else today_jst()
    actor = ctx.reader()
    with ctx.store.read() as s:
        seeker = get_by_number(s, ctx.args.seeker, actor=actor)
        reqs = check(s, seeker_id=seeker.id, office_id=ctx.args.office, service=ctx.args.service, on=on)
        name = profile(s, ctx.args.office).display_name(ctx.lang)
    ctx.audit_read(actor, office_id=seeker.office_id, rows=1, seeker_id=seeker.id)
    ok = all(r.ok for r in reqs)
    if ctx.args.json:
        ctx.out_json(
            {
                "seeker_no": seeker.seeker_no,
                "office": ctx.args.office,
                "service": ctx.args.service,
                "date": on.isoformat(),
                "eligible": ok,
                "requirements": [r.as_dict() for r in reqs],
            }
        )
    else:
        for r in reqs:
            ctx.echo(r.line(name, ctx.lang))
    return 0 if ok else 1
