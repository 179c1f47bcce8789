"""The office's day lists from the command line: the handlers of ``queue``, ``week`` and ``reminders``.

Their arguments are registered with the other session commands (``hwdesk.cli.sessions``); each
read settles expired seat offers first, then prints a table (or JSON) and audits the rows shown.
The helpers here (a day argument, a staff login, warnings, a table) serve the other session and
follow-up commands too.
"""

from __future__ import annotations

import sys

from hwdesk.texts import pick

# --- helpers ----------------------------------------------------------------------------------


def day_arg(value: str):
    """A day given on the command line (ISO or 和暦), within the bounds every day input has."""
    from hwdesk.jtext.dates import parse_day

    return parse_day(value)


def staff_id(s, login: str | None) -> int | None:
    """The id of the staff member with ``login``, or None when no login was given."""
    if not login:
        return None
    from hwdesk.services.auth import get_staff

    return get_staff(s, login).id


def print_warnings(ctx, warnings) -> None:
    """Print each (ja, en) warning on stderr in the command's language."""
    for ja, en in warnings:
        print(ctx.msg("cli.sessions.warning", text=ctx.pick(ja, en)), file=sys.stderr)


def settle(ctx) -> None:
    """Offers past their reply deadline go to the next in line before a read shows them (no cron)."""
    from hwdesk.services import offers

    offers.settle(ctx.store)


def seat_json(r) -> dict:
    """A listed seeker's session and contact as JSON (a row with session_id, kind, start, seeker_no, name, phone)."""
    return {
        "session": r.session_id,
        "kind": r.kind,
        "start": r.start.isoformat(),
        "seeker_no": r.seeker_no,
        "name": r.name,
        "phone": r.phone,
    }


def print_table(ctx, headers: list[str], rows: list[list[object]]) -> None:
    """Print ``rows`` under ``headers`` as a Rich table, each cell made safe to display."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hwdesk.jtext.safety import safe_display

    table = Table()
    for h in headers:
        table.add_column(h)
    for r in rows:
        table.add_row(*(Text(safe_display(str(v))) for v in r))
    Console().print(table)


# --- the lists ---------------------------------------------------------------------------------


def cmd_queue(ctx) -> int:
    """Print the day's queue (a table, or JSON with ISO times and 求職番号)."""
    from hwdesk.services import queue

    a = ctx.args
    day = day_arg(a.date)
    actor = ctx.reader()
    settle(ctx)
    with ctx.store.read() as s:
        staff = staff_id(s, a.staff)
        if a.json:
            data = queue.queue_json(
                s, actor=actor, office_id=a.office, day=day, staff_id=staff, kind=a.kind, state=a.state
            )
        else:
            view = queue.daily_queue(
                s, actor=actor, office_id=a.office, day=day, staff_id=staff, kind=a.kind, state=a.state
            )
    if a.json:
        ctx.audit_read(actor, office_id=a.office, rows=len(data["sessions"]), day=day.isoformat())
        ctx.out_json(data)
        return 0
    ctx.audit_read(actor, office_id=a.office, rows=len(view.rows), day=day.isoformat())
    lang = ctx.lang
    if view.closed:
        print(ctx.msg("cli.sessions.closed", reason=ctx.pick(*view.closed)), file=sys.stderr)
    if view.holiday_warning:
        print_warnings(ctx, [view.holiday_warning])
    counts = "  ".join(f"{queue.state_label(k, lang)} {v}" for k, v in view.counts.items() if k != "total" and v)
    print(f"{a.office} {day.isoformat()}  {ctx.msg('cli.sessions.total')} {view.counts['total']}  {counts}")
    print_table(
        ctx,
        [
            ctx.msg(key)
            for key in (
                "cli.sessions.col.id",
                "cli.sessions.col.time",
                "cli.sessions.col.kind",
                "cli.sessions.col.state",
                "cli.sessions.col.staff",
                "cli.sessions.col.seeker_seats",
                "cli.sessions.col.companions",
                "cli.sessions.col.warnings",
            )
        ],
        [
            [
                r.id,
                f"{r.start:%H:%M}-{r.end:%H:%M}",
                r.kind_label(lang),
                r.state_label(lang),
                r.staff_login,
                r.who(lang),
                ", ".join(c.label(lang) for c in r.companions),
                ", ".join(w.text(lang) for w in r.warnings),
            ]
            for r in view.rows
        ],
    )
    return 0


def cmd_week(ctx) -> int:
    """Print the week view."""
    from hwdesk.services import queue

    a = ctx.args
    week_start = day_arg(a.date)
    actor = ctx.reader()
    settle(ctx)
    with ctx.store.read() as s:
        view = queue.week_view(s, actor=actor, office_id=a.office, week_start=week_start, staff_id=staff_id(s, a.staff))
    ctx.audit_read(actor, office_id=a.office, rows=sum(len(d.rows) for d in view.days), week=view.start.isoformat())
    if a.json:
        ctx.out_json(
            {
                "office": a.office,
                "week_start": view.start.isoformat(),
                "counts": view.counts,
                "days": [
                    {
                        "date": d.day.isoformat(),
                        "closed": d.closed[0] if d.closed else None,
                        "sessions": [queue.row_json(r) for r in d.rows],
                    }
                    for d in view.days
                ],
            }
        )
        return 0
    lang = ctx.lang
    rows: list[list[object]] = []
    for d in view.days:
        if d.closed and not d.rows:
            rows.append([d.day.isoformat(), "", pick(*d.closed, lang), "", ""])
        for r in d.rows:
            rows.append(
                [
                    d.day.isoformat(),
                    f"{r.start:%H:%M}-{r.end:%H:%M}",
                    f"#{r.id} {r.kind_label(lang)}",
                    r.staff_login,
                    r.who(lang),
                ]
            )
    print_table(
        ctx,
        [
            ctx.msg("cli.sessions.col.date"),
            ctx.msg("cli.sessions.col.time"),
            ctx.msg("cli.sessions.col.session"),
            ctx.msg("cli.sessions.col.staff"),
            ctx.msg("cli.sessions.col.seeker_seats"),
        ],
        rows,
    )
    return 0


def cmd_reminders(ctx) -> int:
    """Print the reminder calls for the next open day."""
    from hwdesk.services import queue

    a = ctx.args
    day = day_arg(a.date)
    actor = ctx.reader()
    settle(ctx)
    with ctx.store.read() as s:
        rl = queue.reminder_list(s, actor=actor, office_id=a.office, day=day)
    ctx.audit_read(actor, office_id=a.office, rows=len(rl.rows), day=rl.target_day.isoformat())
    lang = ctx.lang
    if a.json:
        ctx.out_json(
            {
                "office": a.office,
                "date": rl.target_day.isoformat(),
                "calls": [
                    {
                        **seat_json(r),
                        "companions": [c.label(lang) for c in r.companions],
                        "missing": list(r.missing),
                        "last_outcome": r.last_outcome,
                        "call": queue.reminder_call(r),
                        "offered_until": r.offered_until.isoformat() if r.offered_until else None,
                    }
                    for r in rl.rows
                ],
            }
        )
        return 0
    print(ctx.msg("cli.sessions.reminders", target_day=rl.target_day.isoformat(), n_rows=len(rl.rows)))
    print_table(
        ctx,
        [
            ctx.msg(key)
            for key in (
                "cli.sessions.col.time",
                "cli.sessions.col.id",
                "cli.sessions.col.seeker_no",
                "cli.sessions.col.name",
                "cli.sessions.col.phone",
                "cli.sessions.col.companions",
                "cli.sessions.col.missing",
                "cli.sessions.col.last_call",
            )
        ],
        [
            [
                f"{r.start:%H:%M}",
                r.session_id,
                r.seeker_no,
                r.name,
                r.phone,
                ", ".join(c.label(lang) for c in r.companions),
                queue.reminder_call_text(r, lang) or r.missing_text(lang),
                pick(*queue.OUTCOME_LABELS.get(r.last_outcome or "", ("", "")), lang),
            ]
            for r in rl.rows
        ],
    )
    return 0
