"""``hwdesk export``, ``lawful-export``, ``report`` and ``retention``: records, figures and retention
from the command line (the terms revisions' commands, registered among these, are ``hwdesk.cli.revisions``).

Every command that writes (or whose reading is audited: exports) signs in with ``--as`` and the
password; refusals are ``HwdeskError`` (printed, exit status 2).
"""

from __future__ import annotations

import sys
from pathlib import Path

from hwdesk.cli import bounded_int, check_office, day_option, revisions


def register(sub) -> None:
    """Add the revision, export, report and retention subcommands."""
    p = sub.add_parser(
        "export", help="export sessions, seekers (supervisor) or the figures as CSV (Excel) or JSON (audited)"
    )
    p.add_argument("what", choices=("sessions", "seekers", "report"))
    p.add_argument("--office", required=True)
    p.add_argument("--from", dest="date_from", required=True, help="first day (YYYY-MM-DD or 和暦)")
    p.add_argument("--to", dest="date_to", required=True, help="last day (inclusive)")
    p.add_argument("--format", dest="fmt", choices=("csv", "json"), default="csv")
    p.add_argument(
        "--encoding", choices=("utf-8-sig", "cp932"), default="utf-8-sig", help="CSV encoding (default UTF-8 with BOM)"
    )
    p.add_argument(
        "--threshold",
        type=bounded_int("--threshold", 1, 1000),
        default=5,
        help="suppress counts under this (default 5)",
    )
    p.add_argument("--out", type=Path, help="file to write (default: standard output)")
    p.set_defaults(handler=cmd_export)

    revisions.register(sub)  # terms-diff, terms-add, notify-list, notice

    p = sub.add_parser(
        "lawful-export", help="identifiable usage records for a lawful request (supervisor; recorded and logged)"
    )
    p.add_argument("--office", required=True)
    p.add_argument("--authority", required=True, help="the requesting authority (e.g. ○○警察署長)")
    p.add_argument("--reference", required=True, help="the request's reference number")
    p.add_argument("--basis", required=True, help="the legal basis (e.g. 刑事訴訟法第197条第2項)")
    p.add_argument("--from", dest="date_from", required=True)
    p.add_argument("--to", dest="date_to", required=True)
    p.add_argument("--seeker", help="only this seeker's records (求職番号)")
    p.add_argument("--participant", help="only this participant identifier's records")
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(handler=cmd_lawful_export)

    p = sub.add_parser(
        "report",
        help="an office's figures for a month (or a day), small counts suppressed; "
        "with --as (a supervisor) also staff load, lead time, attendance by reminder call, offers",
    )
    p.add_argument("--office", required=True)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--month", help="YYYY-MM")
    g.add_argument("--day", help="one day")
    p.add_argument("--threshold", type=bounded_int("--threshold", 1, 1000), default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_report)

    p = sub.add_parser(
        "retention", help="seekers inactive for N months: list them, or anonymize them with --apply (supervisor)"
    )
    p.add_argument("--office", required=True)
    p.add_argument("--months", type=bounded_int("--months", 1, 1200), required=True)
    p.add_argument("--apply", action="store_true", help="anonymize (default: dry run, list only)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_retention)


def cmd_export(ctx) -> int:
    """Write an export to --out or standard output; CP932 substitutions are reported on stderr."""
    from hwdesk.services import exports

    a = ctx.args
    check_office(a.office)
    d_from, d_to = day_option(a.date_from, "date_from"), day_option(a.date_to, "date_to")
    if a.out is not None:
        _check_writable(a.out)  # before the export is audited: an unwritable path exports nothing
    actor = ctx.actor()
    fn = {"sessions": exports.export_sessions, "seekers": exports.export_seekers, "report": exports.export_report}[
        a.what
    ]
    kwargs = {} if a.what == "seekers" else {"threshold": a.threshold}
    with ctx.store.write() as s:
        data = fn(
            s, actor=actor, office_id=a.office, date_from=d_from, date_to=d_to, fmt=a.fmt, encoding=a.encoding, **kwargs
        )
    for w in data.warnings(ctx.lang):
        print(w, file=sys.stderr)
    if a.out:
        _write_private(a.out, data)
        print(ctx.msg("cli.records.exported_rows", rows=data.rows, out=a.out), file=sys.stderr)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    return 0


def _check_writable(path: Path) -> None:
    import os

    from hwdesk.errors import HwdeskError

    folder = path.absolute().parent
    if not folder.is_dir() or not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise HwdeskError(f"出力先に書き込めません: {path}", f"Cannot write {path}.")


def _write_private(path: Path, data: bytes) -> None:
    """Write an export readable by its owner only (it may hold personal data), replacing the file."""
    from hwdesk.files import write_private

    write_private(path, data)


def cmd_lawful_export(ctx) -> int:
    """Write the identifiable export for a lawful request."""
    from hwdesk.services.records import lawful_request_export
    from hwdesk.services.seekers import get_by_number

    a = ctx.args
    check_office(a.office)
    d_from, d_to = day_option(a.date_from, "date_from"), day_option(a.date_to, "date_to")
    actor = ctx.actor()
    with ctx.store.write() as s:
        seeker_id = get_by_number(s, a.seeker, actor=actor).id if a.seeker else None
        result = lawful_request_export(
            s,
            actor=actor,
            office_id=a.office,
            authority=a.authority,
            reference_no=a.reference,
            legal_basis=a.basis,
            date_from=d_from,
            date_to=d_to,
            out_path=a.out,
            seeker_id=seeker_id,
            participant_id=a.participant,
        )
    print(
        ctx.msg("cli.records.lawful_request_export_written", path=result.path, rows=result.rows, sha256=result.sha256)
    )
    return 0


def _bar(value: int | None, top: int, width: int = 20) -> str:
    if value is None:
        return "░"  # suppressed: no length to draw
    if top <= 0:
        return ""
    return "█" * max(1 if value else 0, round(value / top * width))


LABEL_CELLS = 40  # widest label column of the report (2 + 40 + figure + bar fit 80 columns)


def cmd_report(ctx) -> int:
    """Print (or dump as JSON) an office's figures."""
    from hwdesk.jtext.cells import cell_width, pad_cells
    from hwdesk.jtext.dates import format_day
    from hwdesk.services import reports
    from hwdesk.texts import pick

    check_office(ctx.args.office)
    with ctx.store.read() as s:
        if ctx.args.month:
            year, month = reports.parse_month(ctx.args.month)
            rep = reports.monthly_report(
                s, office_id=ctx.args.office, year=year, month=month, threshold=ctx.args.threshold
            )
        else:
            rep = reports.daily_report(
                s, office_id=ctx.args.office, day=day_option(ctx.args.day, "day"), threshold=ctx.args.threshold
            )
    figs = _manager_figures(ctx, rep)
    if ctx.args.json:
        data = rep.as_dict()
        if figs is not None:
            data["supervisor_figures"] = figs.as_dict()
        ctx.out_json(data)
        return 0
    lang = ctx.lang
    ctx.echo(
        ctx.msg(
            "cli.records.period",
            office=pick(rep.office_name, rep.office_id, lang),
            start=format_day(rep.date_from, lang),
            end=format_day(rep.date_to, lang),
        )
    )
    print(ctx.msg("cli.records.legend", legend=reports.legend(rep.threshold, lang)))
    for b in rep.breakdowns():
        if all(i.figure.value == 0 for i in b.items) and b.total.value == 0:
            continue
        print()
        print(ctx.msg("cli.records.breakdown_total", title=b.title(lang), text=b.total.text, unit=b.unit(lang)))
        top = max([v for v in b.values() if v is not None] or [0])
        # The label column in terminal cells (a kanji takes two), as wide as this table's labels
        # (at least 24) up to LABEL_CELLS; a longer label gets a line of its own so the figures stay aligned.
        cells = min(LABEL_CELLS, max([24, *(cell_width(i.label(lang)) for i in b.items)]))
        for i in b.items:
            label = i.label(lang)
            if cell_width(label) > cells:
                print(f"  {label}")
                label = ""
            print(f"  {pad_cells(label, cells)} {i.figure.text:>6} {_bar(i.figure.value, top)}")
    print()
    for _, ja, en, f in rep.singles():
        print(f"{en if lang == 'en' else ja}: {f.text}")
    if len(rep.daily) > 1:
        spark = "▁▂▃▄▅▆▇█"
        for name, (ja, en, uja, uen) in reports.SERIES.items():
            vals = rep.series(name)
            top = max([v for v in vals if v is not None] or [0])
            line = "".join("·" if v is None else spark[min(7, int(v / top * 7))] if top else spark[0] for v in vals)
            total = rep.series_total(name).text  # the table this series splits by day
            print(
                ctx.msg(
                    "cli.records.series_line", title=ctx.pick(ja, en), line=line, total=total, unit=ctx.pick(uja, uen)
                )
            )
    if figs is not None:
        from hwdesk.services.figures import figures_lines

        print()
        for line in figures_lines(figs, lang):
            ctx.echo(line)
    return 0


def _manager_figures(ctx, rep):
    """The supervisor's figures (staff load, lead time, attendance by reminder call, offers,
    interpreter needs) when the command is signed in (``--as``): they name staff members."""
    import os

    if not (ctx.args.as_staff or os.environ.get("HWDESK_STAFF")):
        return None
    from hwdesk.errors import PermissionDenied
    from hwdesk.services.figures import manager_figures

    actor = ctx.reader()
    try:
        with ctx.store.read() as s:
            figs = manager_figures(
                s,
                actor=actor,
                office_id=rep.office_id,
                date_from=rep.date_from,
                date_to=rep.date_to,
                threshold=rep.threshold,
                report=rep,
            )
    except PermissionDenied as exc:  # the figures are a supervisor's; the report itself is for everyone
        ctx.echo(exc.message(ctx.lang), file=sys.stderr)
        return None
    ctx.audit_read(actor, office_id=rep.office_id, rows=len(figs.staff_weeks), figures=True)
    return figs


def cmd_retention(ctx) -> int:
    """List (dry run) or anonymize inactive seekers."""
    from hwdesk.clock import JST
    from hwdesk.jtext.safety import safe_display
    from hwdesk.services import retention

    a = ctx.args
    check_office(a.office)
    if a.apply:
        actor = ctx.actor()
        with ctx.store.write() as s:
            result = retention.anonymize_inactive(s, actor=actor, office_id=a.office, inactive_months=a.months)
        if a.json:
            ctx.out_json(
                {"cutoff": result.cutoff.isoformat(), "anonymized": result.anonymized, "skipped": result.skipped}
            )
        else:
            print(
                ctx.msg(
                    "cli.records.anonymized_seekers_no_activity",
                    n_anonymized=len(result.anonymized),
                    cutoff=result.cutoff.isoformat(),
                )
            )
        return 0
    actor = ctx.reader()
    with ctx.store.read() as s:
        rows = retention.retention_candidates(s, actor=actor, office_id=a.office, inactive_months=a.months)
    ctx.audit_read(actor, office_id=a.office, rows=len(rows), months=a.months)
    if a.json:
        ctx.out_json(
            {
                "dry_run": True,
                "months": a.months,
                "seekers": [
                    {
                        "id": r.seeker_id,
                        "seeker_no": r.seeker_no,
                        "name": r.name,
                        "last_session_at": r.last_session_at.astimezone(JST).isoformat() if r.last_session_at else None,
                    }
                    for r in rows
                ],
            }
        )
        return 0
    print(ctx.msg("cli.records.seekers_inactive_months_or", months=a.months, n_rows=len(rows)))
    for r in rows:
        last = r.last_session_at.astimezone(JST).date().isoformat() if r.last_session_at else "-"
        ctx.echo(f"  {safe_display(r.seeker_no)}  {safe_display(r.name)}  {last}")
    return 0
