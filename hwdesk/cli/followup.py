"""``hwdesk followup``: the follow-up list (seekers not checked in after the start, connection
failures that suggest a new environment check, last week's no-shows with their reminder calls),
and ``followup call`` / ``followup correct`` to record a call's result or correct one (supervisor,
with a reason). The list shows personal data: it needs ``--as`` and the view is audited.
"""

from __future__ import annotations

from hwdesk.cli import id_arg
from hwdesk.texts import pick


def register(sub) -> None:
    """Add ``followup``."""
    p = sub.add_parser(
        "followup",
        help="the follow-up list: seekers to phone now, environment-check suggestions, last week's no-shows",
    )
    p.add_argument("--office", default=None, help="office id (default: your own)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)
    verbs = p.add_subparsers(dest="followup_command")
    c = verbs.add_parser("call", help="record a follow-up call's result (reached / no_answer)")
    c.add_argument("session_id", type=id_arg("session_id"))
    c.add_argument("seeker_no", help="求職番号")
    c.add_argument("--result", required=True, choices=("reached", "no_answer"))
    c.add_argument("--note", default="")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_call)
    k = verbs.add_parser("correct", help="correct a recorded call's result (supervisor, with a reason)")
    k.add_argument("session_id", type=id_arg("session_id"))
    k.add_argument("call_id", type=id_arg("call_id"))
    k.add_argument("--result", required=True, choices=("reached", "no_answer"))
    k.add_argument("--reason", required=True)
    k.add_argument("--json", action="store_true")
    k.set_defaults(handler=cmd_correct)


# --- plain data ---------------------------------------------------------------------------------


def _call_json(c) -> dict:
    return {
        "id": c.id,
        "outcome": c.outcome,
        "at": c.at.isoformat(),
        "by": c.by,
        "note": c.note,
        "corrects": c.corrects,
        "reason": c.reason,
    }


def view_json(view) -> dict:
    """The follow-up list (``followup.followup_view``) as plain data for ``hwdesk followup --json``
    (ISO times, +09:00)."""
    from hwdesk.cli.listings import seat_json
    from hwdesk.clock import JST

    return {
        "office": view.office_id,
        "now": view.now.astimezone(JST).isoformat(),
        "minutes": view.minutes,
        "late": [
            {
                "session": r.session_id,
                "kind": r.kind,
                "start": r.start.isoformat(),
                "end": r.end.isoformat(),
                "seeker_no": r.seeker_no,
                "name": r.name,
                "phone": r.phone,
                "minutes_late": r.minutes_late,
                "env_check_suggested": r.env_suggested,
                "calls": [_call_json(c) for c in r.calls],
                "history": {str(c.id): [_call_json(o) for o in view.history.get(c.id, [])] for c in r.calls},
            }
            for r in view.late
        ],
        "env_check_suggestions": [
            {
                "seeker_no": e.seeker_no,
                "name": e.name,
                "phone": e.phone,
                "failures": e.failures,
                "last_failure": e.last_failure.isoformat(),
                "last_env_check": e.last_check.isoformat() if e.last_check else None,
                "suggestion": e.text(view.env_cite, "en"),
                "suggestion_ja": e.text(view.env_cite, "ja"),
            }
            for e in view.suggestions
        ],
        "no_shows": [
            {
                **seat_json(r),
                "state": r.state,
                "reminder_call": r.reminded,
                "reminder_outcome": r.reminder,
                "calls": [_call_json(c) for c in r.calls],
            }
            for r in view.no_shows
        ],
    }


def _label(outcome: str | None, lang: str, table: dict[str, tuple[str, str]]) -> str:
    if outcome is None:
        return "—"
    return pick(*table.get(outcome, (outcome, outcome)), lang)


def cmd_list(ctx) -> int:
    """Print the follow-up list (or dump it as JSON)."""
    from hwdesk.cli.listings import print_table, settle
    from hwdesk.services import followup

    actor = ctx.reader()
    office = ctx.args.office or actor.office_id
    settle(ctx)
    with ctx.store.read() as s:
        view = followup.followup_view(s, actor=actor, office_id=office)
    ctx.audit_read(
        actor, office_id=office, rows=len(view.late) + len(view.suggestions) + len(view.no_shows), followup=True
    )
    if ctx.args.json:
        ctx.out_json(view_json(view))
        return 0
    lang = ctx.lang
    calls = followup.OUTCOME_LABELS
    print(ctx.msg("cli.followup.late", minutes=view.minutes, n=len(view.late)))
    if view.late:
        print_table(
            ctx,
            [
                ctx.msg(key)
                for key in (
                    "cli.followup.col.start",
                    "cli.sessions.col.id",
                    "cli.sessions.col.seeker_no",
                    "cli.sessions.col.name",
                    "cli.sessions.col.phone",
                    "cli.followup.col.late",
                    "cli.followup.col.call",
                )
            ],
            [
                [
                    f"{r.start:%H:%M}",
                    str(r.session_id),
                    r.seeker_no,
                    r.name,
                    r.phone,
                    ctx.msg("cli.followup.minutes_late", n=r.minutes_late),
                    f"{_label(r.last.outcome if r.last else None, lang, calls)}" + (f" #{r.last.id}" if r.last else ""),
                ]
                for r in view.late
            ],
        )
    print(ctx.msg("cli.followup.env_suggested", n=len(view.suggestions)))
    for e in view.suggestions:
        ctx.echo(f"  {e.seeker_no} {e.name} {e.phone}: {e.text(view.env_cite, lang)}")
    print(ctx.msg("cli.followup.no_shows", n=len(view.no_shows)))
    if view.no_shows:
        from hwdesk.services.scheduling import state_label

        print_table(
            ctx,
            [
                ctx.msg(key)
                for key in (
                    "cli.followup.col.when",
                    "cli.sessions.col.id",
                    "cli.sessions.col.seeker_no",
                    "cli.sessions.col.name",
                    "cli.sessions.col.state",
                    "cli.followup.col.reminder",
                )
            ],
            [
                [
                    f"{r.start:%m-%d %H:%M}",
                    str(r.session_id),
                    r.seeker_no,
                    r.name,
                    state_label(r.state, lang),
                    _label(r.reminder, lang, followup.REMINDER_LABELS) if r.reminded else ctx.msg("common.none"),
                ]
                for r in view.no_shows
            ],
        )
    return 0


def _print_call(ctx, call, session_id: int) -> None:
    from hwdesk.services.followup import OUTCOME_LABELS

    if ctx.args.json:
        ctx.out_json(
            {
                "id": call.id,
                "session": session_id,
                "outcome": call.outcome,
                "corrects": call.corrects,
                "reason": call.reason,
            }
        )
        return
    label = _label(call.outcome, ctx.lang, OUTCOME_LABELS)
    if call.corrects:
        print(ctx.msg("cli.followup.call_corrected", corrects=call.corrects, label=label, id=call.id))
    else:
        print(ctx.msg("cli.followup.call_recorded", label=label, id=call.id))


def cmd_call(ctx) -> int:
    """Record a follow-up call's result."""
    from hwdesk.services import followup, seekers

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:
        sk = seekers.get_by_number(s, a.seeker_no, actor=actor)
        call = followup.record_call(
            s, actor=actor, session_id=a.session_id, seeker_id=sk.id or 0, outcome=a.result, note=a.note
        )
    _print_call(ctx, call, a.session_id)
    return 0


def cmd_correct(ctx) -> int:
    """Correct a recorded call's result (supervisor, with a reason)."""
    from hwdesk.services import followup

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:
        call = followup.correct_call(
            s, actor=actor, session_id=a.session_id, call_id=a.call_id, outcome=a.result, reason=a.reason
        )
    _print_call(ctx, call, a.session_id)
    return 0
