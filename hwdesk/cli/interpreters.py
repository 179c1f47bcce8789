"""``hwdesk interpreter add|list|remove|load``: the office's interpreter roster (issue 20 item 1).

Supervisors add and end lines (``remove`` is a soft end with a reason: the line stays in the
history); any staff member of the office lists them, and a list is an audited view. ``load`` is
the supervisor's week. Dates are ISO (``2027-02-02``) or 和暦; times HH:MM in JST.
"""

from __future__ import annotations

import argparse

from hwdesk.cli import id_arg
from hwdesk.clock import today_jst


def register(sub) -> None:
    """Add ``interpreter``."""
    p = sub.add_parser(
        "interpreter",
        help="the interpreter roster: add / list / remove (supervisor) and the week's load",
        description="Who interprets which language on which weekdays and hours (通訳者, and the remote "
        "interpretation service 遠隔通訳サービス as the fallback).",
    )
    verbs = p.add_subparsers(dest="interpreter_command", required=True)
    a = verbs.add_parser(
        "add",
        help="add a roster line (supervisor)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Weekdays: 月-金, 月水金, mon-fri, 1-5 (1 = Monday). A correction: --replaces ID --reason R "
        "ends the earlier line and keeps it in the history.",
    )
    a.add_argument("--office", required=True)
    a.add_argument("--mode", choices=("in_person", "remote"), default="in_person")
    a.add_argument("--name", required=True, help="the interpreter's name (the service's name for remote)")
    a.add_argument("--language", required=True, help="e.g. 英語, ベトナム語, English")
    a.add_argument("--weekdays", required=True)
    a.add_argument("--start", required=True, help="HH:MM (JST)")
    a.add_argument("--end", required=True, help="HH:MM (JST)")
    a.add_argument("--from", dest="valid_from", default=None, help="first day covered (default today)")
    a.add_argument("--until", default=None, help="last day covered (default open-ended)")
    a.add_argument("--note", default="")
    a.add_argument("--replaces", type=id_arg("--replaces"), default=None, help="the line this one corrects")
    a.add_argument("--reason", default="", help="why the line is corrected (with --replaces)")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_add)

    ls = verbs.add_parser("list", help="the office's roster (the view is audited)")
    ls.add_argument("--office", required=True)
    ls.add_argument("--on", default=None, help="lines in force on this day or later (default today)")
    ls.add_argument("--history", action="store_true", help="every line, ended ones and corrections too")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_list)

    rm = verbs.add_parser("remove", help="end a roster line with a reason (supervisor; kept in the history)")
    rm.add_argument("interpreter_id", type=id_arg("interpreter_id"))
    rm.add_argument("--reason", required=True)
    rm.add_argument("--last-day", default=None, help="the last day it covers (default yesterday)")
    rm.add_argument("--json", action="store_true")
    rm.set_defaults(handler=cmd_remove)

    ld = verbs.add_parser("load", help="the week's interpreter load (supervisor)")
    ld.add_argument("--office", required=True)
    ld.add_argument("--week", default=None, help="any day of the week (default this week)")
    ld.add_argument("--json", action="store_true")
    ld.set_defaults(handler=cmd_load)


def _day(value: str | None, field: str):
    from hwdesk.jtext.dates import parse_day

    return parse_day(value, field=field) if value else None


def _line_text(ctx, ln) -> str:
    from hwdesk.jtext.safety import safe_display

    lang = ctx.lang
    dates = f"{ln.valid_from.isoformat()}–{ln.until.isoformat() if ln.until else ''}"
    ended = ""
    if ln.ended_at is not None:
        ended = " " + ctx.msg("cli.interpreter.ended", reason=safe_display(ln.end_reason))
    fix = " " + ctx.msg("cli.interpreter.corrects", id=ln.replaces_id) if ln.replaces_id else ""
    return (
        f"#{ln.id} {safe_display(ln.language)} {ln.mode_label(lang)} {safe_display(ln.name)} "
        f"{ln.hours_text(lang)} {dates}{fix}{ended}"
    )


def cmd_add(ctx) -> int:
    """Add a roster line (or correct one with --replaces)."""
    from hwdesk.services import interpreters

    a = ctx.args
    valid_from, until = _day(a.valid_from, "valid_from"), _day(a.until, "until")
    actor = ctx.actor()
    with ctx.store.write() as s:
        line = interpreters.add(
            s,
            actor=actor,
            office_id=a.office,
            mode=a.mode,
            name=a.name,
            language=a.language,
            weekdays=a.weekdays,
            start=a.start,
            end=a.end,
            valid_from=valid_from,
            until=until,
            note=a.note,
            replaces_id=a.replaces,
            reason=a.reason,
        )
    if a.json:
        ctx.out_json(line.as_json())
    else:
        ctx.echo(ctx.msg("cli.interpreter.added", line=_line_text(ctx, line)))
    return 0


def cmd_list(ctx) -> int:
    """Print the office's roster (an audited view)."""
    from hwdesk.services import interpreters

    a = ctx.args
    on = _day(a.on, "on")
    actor = ctx.reader()
    with ctx.store.read() as s:
        lines = interpreters.roster(s, actor=actor, office_id=a.office, on=on, history=a.history)
    ctx.audit_read(actor, office_id=a.office, rows=len(lines), history=a.history)
    if a.json:
        ctx.out_json([ln.as_json() for ln in lines])
        return 0
    if not lines:
        print(ctx.msg("cli.interpreter.empty"))
    for ln in lines:
        ctx.echo(_line_text(ctx, ln))
    return 0


def cmd_remove(ctx) -> int:
    """End a roster line with a reason (a soft end: the line stays in the history)."""
    from hwdesk.services import interpreters

    a = ctx.args
    last = _day(a.last_day, "last_day")
    actor = ctx.actor()
    with ctx.store.write() as s:
        line = interpreters.remove(s, actor=actor, interpreter_id=a.interpreter_id, reason=a.reason, last_day=last)
    if a.json:
        ctx.out_json(line.as_json())
    else:
        ctx.echo(ctx.msg("cli.interpreter.removed", line=_line_text(ctx, line)))
    return 0


def cmd_load(ctx) -> int:
    """Print the week's interpreter load (supervisor)."""

    from hwdesk.jtext.safety import safe_display
    from hwdesk.services import interpreting

    a = ctx.args
    week = _day(a.week, "week") or today_jst()
    actor = ctx.reader()
    with ctx.store.read() as s:
        load = interpreting.week_load(s, actor=actor, office_id=a.office, week_start=week)
    ctx.audit_read(actor, office_id=a.office, rows=len(load.lines), week=load.start.isoformat())
    if a.json:
        ctx.out_json(
            {
                "office": load.office_id,
                "week": load.start.isoformat(),
                "lines": [
                    {
                        **x.line.as_json(),
                        "roster_minutes": x.roster_minutes,
                        "sessions": list(x.sessions),
                        "minutes": x.minutes,
                    }
                    for x in load.lines
                ],
                "languages": [
                    {
                        "language": g.language,
                        "sessions": g.sessions,
                        "in_person": g.in_person,
                        "remote": g.remote,
                        "uncovered": list(g.uncovered),
                    }
                    for g in load.languages
                ],
            }
        )
        return 0
    print(ctx.msg("cli.interpreter.week", week=load.start.isoformat()))
    for x in load.lines:
        ctx.echo(
            f"#{x.line.id} {safe_display(x.line.language)} {safe_display(x.line.name)}: "
            + ctx.msg("cli.interpreter.line_load", sessions=len(x.sessions), minutes=x.minutes, roster=x.roster_minutes)
        )
    for g in load.languages:
        missing = ", ".join(f"#{i}" for i in g.uncovered)
        ctx.echo(
            ctx.msg(
                "cli.interpreter.language_load",
                language=safe_display(g.language),
                sessions=g.sessions,
                in_person=g.in_person,
                remote=g.remote,
                uncovered=len(g.uncovered),
                missing=" " + missing if missing else "",
            )
        )
    return 0
