"""``hwdesk export``, ``terms-diff``, ``terms-add``, ``notify-list``, ``notice``, ``lawful-export``,
``report`` and ``retention``: terms revisions, records, figures and retention from the command line.

Every command that writes (or whose reading is audited: exports) signs in with ``--as`` and the
password; refusals are ``HwdeskError`` (printed, exit status 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwdesk.cli import bounded_int


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

    p = sub.add_parser("terms-diff", help="what changed between two versions of an office's terms, article by article")
    p.add_argument("office")
    p.add_argument(
        "--from-version",
        type=bounded_int("--from-version", 1, 100_000),
        help="default: the version before --to-version",
    )
    p.add_argument("--to-version", type=bounded_int("--to-version", 1, 100_000), help="default: the newest version")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_terms_diff)

    p = sub.add_parser(
        "terms-add",
        help="add a revised version of an office's terms from a JSON file (supervisor)",
        epilog=_revision_grounds_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("office")
    p.add_argument("file", type=Path)
    p.add_argument("--effective", required=True, help="the day it takes effect")
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--ground",
        help="which listed ground allows the change without consent (required at offices "
        "whose terms list grounds; see below)",
    )
    p.set_defaults(handler=cmd_terms_add)

    p = sub.add_parser(
        "notify-list", help="seekers to tell of a revision (consented to an earlier version, active, not notified)"
    )
    p.add_argument("office")
    p.add_argument(
        "--version", type=bounded_int("--version", 1, 100_000), help="the revision (default: the newest version)"
    )
    p.add_argument(
        "--months",
        type=bounded_int("--months", 1, 1200),
        default=12,
        help="active = a session in the past N months (default 12)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_notify_list)

    p = sub.add_parser("notice", help="record that a seeker was told of a revision")
    p.add_argument("seeker", help="求職番号")
    p.add_argument("--office", required=True)
    p.add_argument("--method", required=True, choices=("counter", "phone", "mail", "session_start"))
    p.add_argument(
        "--version", type=bounded_int("--version", 1, 100_000), help="the revision (default: the newest version)"
    )
    p.set_defaults(handler=cmd_notice)

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


def _date(text: str, field: str):
    from hwdesk.jtext import parse_day

    return parse_day(text, field=field)


def _office(name: str) -> None:
    from hwdesk.terms import office_profile

    office_profile(name)  # NotFound names the offices that exist


def cmd_export(ctx) -> int:
    """Write an export to --out or standard output; CP932 substitutions are reported on stderr."""
    from hwdesk.services import exports

    a = ctx.args
    _office(a.office)
    d_from, d_to = _date(a.date_from, "date_from"), _date(a.date_to, "date_to")
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


def _revision_grounds_help() -> str:
    """The --ground values per office, from the offices' own terms (for ``terms-add --help``)."""
    from hwdesk.services.offices import revision_grounds
    from hwdesk.terms import cite_text, office_profiles

    lines = ["--ground per office (changes without the users' consent only on these grounds):"]
    for office_id, prof in office_profiles().items():
        grounds = revision_grounds(office_id)
        if not grounds:
            lines.append(
                f"  {office_id}: none listed ({prof.cite('revision')} allows a change without consent; give no --ground)"
            )
            continue
        lines.append(f"  {office_id}:")
        lines += [f"    {key:<13} {cite_text(g)} {g['label']}  ({g['label_en']})" for key, g in grounds.items()]
    return "\n".join(lines)


def _write_private(path: Path, data: bytes) -> None:
    """Write an export readable by its owner only (it may hold personal data), replacing the file."""
    from hwdesk.files import write_private

    write_private(path, data)


def cmd_terms_diff(ctx) -> int:
    """Print the article-by-article changes."""
    from hwdesk.services.terms_diff import diff_stored, render_changes

    _office(ctx.args.office)
    with ctx.store.read() as s:
        old, new, changes = diff_stored(
            s, office_id=ctx.args.office, from_version=ctx.args.from_version, to_version=ctx.args.to_version
        )
    if ctx.args.json:
        ctx.out_json(
            {
                "office": ctx.args.office,
                "from_version": old.version,
                "to_version": new.version,
                "effective_on": new.effective_on.isoformat(),
                "change_ground": new.change_ground,
                "changes": [
                    {
                        "kind": c.kind,
                        "label": c.label,
                        "part": c.part,
                        "old_number": c.old_number,
                        "new_number": c.new_number,
                        "heading": c.heading,
                        "old_text": c.old_text,
                        "new_text": c.new_text,
                        "diff": list(c.unified),
                        "segments": [list(seg) for seg in c.segments],
                    }
                    for c in changes
                ],
            }
        )
        return 0
    from hwdesk.jtext import format_wareki

    print(
        ctx.msg(
            "cli.records.version_changed",
            office=ctx.args.office,
            old=old.version,
            new=new.version,
            effective=ctx.pick(format_wareki(new.effective_on), new.effective_on.isoformat()),
        )
    )
    if new.change_ground:
        print(_ground_line(ctx, ctx.args.office, new.change_ground))
    print()
    ctx.echo(render_changes(changes, lang=ctx.lang))
    return 0


def _ground_line(ctx, office_id: str, ground: str) -> str:
    """'変更の根拠: 第13条(1) 本規約の変更が、…' for a revision's recorded ground."""
    from hwdesk.services.offices import revision_grounds
    from hwdesk.terms import cite_text, cite_text_en

    g = revision_grounds(office_id).get(ground)
    if g is None:
        return ctx.msg("cli.records.ground_change", ground=ground)
    return ctx.msg(
        "cli.records.ground_without_consent",
        cite=ctx.pick(cite_text(g), cite_text_en(g)),
        label=ctx.pick(g["label"], g["label_en"]),
    )


def cmd_terms_add(ctx) -> int:
    """Add a revision and show what it changes."""
    from hwdesk.errors import ValidationFailed
    from hwdesk.services.offices import add_terms_version, document, terms_versions
    from hwdesk.services.terms_diff import diff_versions, render_changes

    _office(ctx.args.office)
    try:
        text = ctx.args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"規約ファイルを読めません: {ctx.args.file}（{exc}）",
            f"Cannot read the terms file {ctx.args.file} ({exc}).",
        ) from None
    effective = _date(ctx.args.effective, "effective_on")
    actor = ctx.actor()
    with ctx.store.write() as s:
        tv = add_terms_version(
            s,
            actor=actor,
            office_id=ctx.args.office,
            text=text,
            effective_on=effective,
            reason=ctx.args.reason,
            ground=ctx.args.ground,
        )
        earlier = [v for v in terms_versions(s, ctx.args.office) if v.version < tv.version]
        prev = earlier[-1] if earlier else None
        changes = diff_versions(document(prev), document(tv)) if prev else []
    print(ctx.msg("cli.records.version_added_effective", version=tv.version, effective=effective.isoformat()))
    if tv.change_ground:
        print(_ground_line(ctx, ctx.args.office, tv.change_ground))
    if prev:
        print()
        ctx.echo(render_changes(changes, lang=ctx.lang))
    return 0


def _version_id(s, office: str, number: int | None) -> tuple[int, int]:
    from hwdesk.errors import NotFound
    from hwdesk.services.offices import terms_versions
    from hwdesk.services.terms_diff import version_by_number

    if number is not None:
        tv = version_by_number(s, office_id=office, version=number)
    else:
        versions = terms_versions(s, office)
        if not versions:
            raise NotFound(f"{office} の規約が登録されていません。", f"No terms are registered for {office}.")
        tv = versions[-1]
    return tv.id, tv.version


def cmd_notify_list(ctx) -> int:
    """Print who is to be told of the revision, with their next session."""
    from hwdesk.jtext import JST, format_phone, safe_display
    from hwdesk.services.revisions import notify_list
    from hwdesk.terms import service_label

    _office(ctx.args.office)
    actor = ctx.reader()
    with ctx.store.read() as s:
        vid, number = _version_id(s, ctx.args.office, ctx.args.version)
        rows = notify_list(s, actor=actor, office_id=ctx.args.office, version_id=vid, active_months=ctx.args.months)
    ctx.audit_read(actor, office_id=ctx.args.office, rows=len(rows), version=number)
    if ctx.args.json:
        ctx.out_json(
            {
                "office": ctx.args.office,
                "version": number,
                "seekers": [
                    {
                        "seeker_no": r.seeker_no,
                        "name": r.name,
                        "phone": r.phone,
                        "email": r.email,
                        "consented_version": r.consented_version,
                        "last_session_at": r.last_session_at.astimezone(JST).isoformat() if r.last_session_at else None,
                        "next_session": (
                            {
                                "id": r.next_session_id,
                                "start": r.next_session_start.astimezone(JST).isoformat(),
                                "kind": r.next_session_kind,
                            }
                            if r.next_session_start
                            else None
                        ),
                    }
                    for r in rows
                ],
            }
        )
        return 0
    print(ctx.msg("cli.records.notify_version", office=ctx.args.office, number=number, n_rows=len(rows)))
    for r in rows:
        nxt = ""
        if r.next_session_start:
            nxt = f"{r.next_session_start.astimezone(JST):%Y-%m-%d %H:%M} {service_label(r.next_session_kind or '', ctx.lang)}"
        ctx.echo(
            "  ".join(
                safe_display(v) for v in (r.seeker_no, r.name, format_phone(r.phone), f"v{r.consented_version}", nxt)
            )
        )
    return 0


def cmd_notice(ctx) -> int:
    """Record a revision notice for a seeker."""
    from hwdesk.services.consent import record_terms_notice
    from hwdesk.services.seekers import get_by_number

    _office(ctx.args.office)
    actor = ctx.actor()
    with ctx.store.write() as s:
        seeker = get_by_number(s, ctx.args.seeker, actor=actor)
        vid, number = _version_id(s, ctx.args.office, ctx.args.version)
        record_terms_notice(s, actor=actor, seeker_id=seeker.id, terms_version_id=vid, method=ctx.args.method)
    print(ctx.msg("cli.records.recorded_that_was_told", seeker_no=seeker.seeker_no, number=number))
    return 0


def cmd_lawful_export(ctx) -> int:
    """Write the identifiable export for a lawful request."""
    from hwdesk.services.records import lawful_request_export
    from hwdesk.services.seekers import get_by_number

    a = ctx.args
    _office(a.office)
    d_from, d_to = _date(a.date_from, "date_from"), _date(a.date_to, "date_to")
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
    from hwdesk.jtext import cell_width, format_wareki, pad_cells
    from hwdesk.services import reports

    _office(ctx.args.office)
    with ctx.store.read() as s:
        if ctx.args.month:
            year, month = reports.parse_month(ctx.args.month)
            rep = reports.monthly_report(
                s, office_id=ctx.args.office, year=year, month=month, threshold=ctx.args.threshold
            )
        else:
            rep = reports.daily_report(
                s, office_id=ctx.args.office, day=_date(ctx.args.day, "day"), threshold=ctx.args.threshold
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
        f"{rep.office_name}  {format_wareki(rep.date_from)}〜{format_wareki(rep.date_to)}"
        if lang != "en"
        else f"{rep.office_id}  {rep.date_from.isoformat()} to {rep.date_to.isoformat()}"
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
    except PermissionDenied as exc:  # the report itself is for everyone, as before
        ctx.echo(exc.message(ctx.lang), file=sys.stderr)
        return None
    ctx.audit_read(actor, office_id=rep.office_id, rows=len(figs.staff_weeks), figures=True)
    return figs


def cmd_retention(ctx) -> int:
    """List (dry run) or anonymize inactive seekers."""
    from hwdesk.jtext import JST, safe_display
    from hwdesk.services import retention

    a = ctx.args
    _office(a.office)
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
