"""Sessions from the command line: ``queue``, ``session create|show|passcode|confirm|reschedule``,
``book``, ``cancel``, ``status``, ``closure``, ``terminate``, ``lift``, ``reminders``, ``week``.

The same services as the screens, so the rules and messages are the same; a refusal prints its
reason (each failed requirement with its article) on stderr and exits with status 2 (``main``).
The handlers of the read-only lists (``queue``, ``week``, ``reminders``) are in ``hwdesk.cli.listings``.
"""

from __future__ import annotations

import sys
from typing import Any

from hwdesk.cli import bounded_int, id_arg
from hwdesk.cli.listings import cmd_queue, cmd_reminders, cmd_week, day_arg, print_warnings, settle
from hwdesk.states import MOVE_TARGETS, SeatState
from hwdesk.texts import pick


def register(sub) -> None:
    """Add the session subcommands."""
    p = sub.add_parser("queue", help="an office's sessions on one day (the supervisor's queue)")
    p.add_argument("--office", required=True)
    p.add_argument("--date", required=True, help="YYYY-MM-DD or 和暦")
    p.add_argument("--staff", help="only this staff member's sessions (login)")
    p.add_argument("--kind")
    p.add_argument("--state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_queue)

    p = sub.add_parser("week", help="an office's (or a staff member's) sessions for the week containing --date")
    p.add_argument("--office", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--staff")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_week)

    _register_session(sub)

    p = sub.add_parser("book", help="book a seeker into a session (waitlist when a group session is full)")
    p.add_argument("session_id", type=id_arg("session_id"))
    p.add_argument("seeker_no")
    p.add_argument(
        "--override", metavar="REASON", help="supervisor only: book despite failed conditions, with a reason"
    )
    p.add_argument("--no-waitlist", action="store_true", help="refuse instead of waitlisting when full")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_book)

    p = sub.add_parser("cancel", help="cancel a session, or one seeker's booking in it")
    p.add_argument("session_id", type=id_arg("session_id"))
    p.add_argument("seeker_no", nargs="?")
    p.add_argument("--reason", required=True, help="by_seeker | by_office | connection")
    p.add_argument("--note", default="")
    p.set_defaults(handler=cmd_cancel)

    p = sub.add_parser("status", help="move a session (or one seeker's booking) to a new state")
    p.add_argument("session_id", type=id_arg("session_id"))
    p.add_argument("state", help=" | ".join(MOVE_TARGETS))
    p.add_argument("--seeker", metavar="SEEKER_NO")
    p.add_argument("--reason", default="", help="needed for cancelled: by_seeker | by_office | connection")
    p.add_argument(
        "--correct",
        metavar="REASON",
        help="supervisor only: correct a final state (completed, no_show, absent, "
        "connection_failed, stopped) to another, with the reason (the old state stays in the audit history)",
    )
    p.set_defaults(handler=cmd_status)

    p = sub.add_parser("closure", help="office closures (supervisor)")
    p.add_argument("action", choices=("add", "remove", "list"))
    p.add_argument("--office", required=True)
    p.add_argument("--date")
    p.add_argument("--reason", default="")
    p.set_defaults(handler=cmd_closure)

    p = sub.add_parser("terminate", help="stop a seeker's use on one of the office's grounds (supervisor)")
    p.add_argument("seeker_no")
    p.add_argument("--office", required=True)
    p.add_argument(
        "--ground",
        required=True,
        help="threats_abuse | recording | non_job_seeking | disturbing | infringement | "
        "unannounced_companion | other (the office's terms decide which apply)",
    )
    p.add_argument("--scope", required=True, help="session | suspended | ended")
    p.add_argument("--narrative", required=True)
    p.add_argument("--until", help="last day of a suspension")
    p.add_argument("--review-on", help="date to review the decision")
    p.add_argument("--session", type=id_arg("--session"), help="the session where it happened")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_terminate)

    p = sub.add_parser("lift", help="lift a stop of use (supervisor)")
    p.add_argument("termination_id", type=id_arg("termination_id"))
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=cmd_lift)

    p = sub.add_parser("reminders", help="the reminder calls for the next open day after --date")
    p.add_argument("--office", required=True)
    p.add_argument("--date", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_reminders)


def _register_session(sub) -> None:
    p = sub.add_parser("session", help="create and inspect sessions")
    ssub = p.add_subparsers(dest="session_command", required=True)
    c = ssub.add_parser("create", help="create a session, or a series with --repeat RRULE")
    c.add_argument("--office", required=True)
    c.add_argument("--kind", required=True)
    c.add_argument("--start", required=True, help="ISO 8601 (JST when no offset) or 和暦 date and time")
    c.add_argument("--end", required=True)
    c.add_argument("--staff", required=True, help="the staff member's login")
    c.add_argument("--capacity", type=bounded_int("--capacity", 1, 1000))
    c.add_argument("--url", default="")
    c.add_argument("--meeting-id", default="")
    c.add_argument("--passcode", default="")
    c.add_argument("--platform")
    c.add_argument("--repeat", metavar="RRULE", help="e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=8")
    c.add_argument("--title", default="")
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_session_create)

    c = ssub.add_parser("show", help="a session with its enrollments (no passcode)")
    c.add_argument("session_id", type=id_arg("session_id"))
    c.add_argument("--json", action="store_true")
    c.set_defaults(handler=cmd_session_show)

    c = ssub.add_parser("passcode", help="show the meeting passcode (audited)")
    c.add_argument("session_id", type=id_arg("session_id"))
    c.set_defaults(handler=cmd_session_passcode)

    c = ssub.add_parser("confirm", help="confirm a seat offered to a waiting seeker")
    c.add_argument("session_id", type=id_arg("session_id"))
    c.add_argument("seeker_no")
    c.set_defaults(handler=cmd_session_confirm)

    c = ssub.add_parser("reschedule", help="move a session (a new linked session takes its bookings)")
    c.add_argument("session_id", type=id_arg("session_id"))
    c.add_argument("--start", required=True)
    c.add_argument("--end", required=True)
    c.add_argument("--reason", default="by_office", help="by_seeker | by_office | connection")
    c.add_argument("--note", default="")
    c.set_defaults(handler=cmd_session_reschedule)


# --- helpers ----------------------------------------------------------------------------------


def _datetime(value: str):
    from hwdesk.clock import JST
    from hwdesk.jtext.dates import parse_day
    from hwdesk.jtext.times import parse_datetime

    dt = parse_datetime(value)
    parse_day(dt.astimezone(JST).date().isoformat())  # the same bounds as a day
    return dt


def _seeker_id(s, seeker_no: str, actor) -> int:
    from hwdesk.services.seekers import get_by_number

    return get_by_number(s, seeker_no, actor=actor).id


# --- sessions ---------------------------------------------------------------------------------


def cmd_session_create(ctx) -> int:
    """Create one session or a series; prints the created ids and the skipped dates."""
    from hwdesk.services import calendar, scheduling

    a = ctx.args
    start, end = _datetime(a.start), _datetime(a.end)
    actor = ctx.actor()
    common = dict(
        actor=actor,
        office_id=a.office,
        kind=a.kind,
        start=start,
        end=end,
        staff_login=a.staff,
        capacity=a.capacity,
        title=a.title,
        platform=a.platform,
        join_url=a.url,
        meeting_id=a.meeting_id,
        passcode=a.passcode,
    )
    with ctx.store.write() as s:
        if a.repeat:
            res = scheduling.create_series(s, rrule=a.repeat, **common)
            created, skipped, series_id, warnings = (
                [r.id for r in res.created],
                [k.as_dict() for k in res.skipped],
                res.series.id,
                res.warnings,
            )
        else:
            row = scheduling.create_session(s, **common)
            created, skipped, series_id = [row.id], [], None
            warnings = [w for w in [calendar.holiday_warning(start.year)] if w]
    if a.json:
        ctx.out_json(
            {
                "created": created,
                "series": series_id,
                "skipped": skipped,
                "warnings": [pick(*w, ctx.lang) for w in warnings],
            }
        )
    else:
        print(ctx.msg("cli.sessions.created") + ", ".join(f"#{i}" for i in created))
        for k in skipped:
            print(ctx.msg("cli.sessions.skipped", date=k["date"], reason=ctx.pick(k["reason"], k["reason_en"])))
    print_warnings(ctx, warnings)
    return 0


def cmd_session_show(ctx) -> int:
    """Print a session and its enrollments (overrides shown, passcode never)."""
    from hwdesk.services import scheduling

    actor = ctx.reader()
    settle(ctx)
    with ctx.store.read() as s:
        d = scheduling.session_detail(s, actor=actor, session_id=ctx.args.session_id)
    ctx.audit_read(actor, office_id=d.office_id, rows=len(d.enrollments), session_id=d.id)
    data = {
        "id": d.id,
        "office": d.office_id,
        "kind": d.kind,
        "title": d.title,
        "start": d.start.isoformat(),
        "end": d.end.isoformat(),
        "state": d.state,
        "staff": d.staff_login,
        "capacity": d.capacity,
        "platform": d.platform,
        "join_url": d.join_url,
        "meeting_id": d.meeting_id,
        "has_passcode": d.has_passcode,
        "seats_taken": d.seats_taken,
        "waiting": d.waiting,
        "rescheduled_from": d.rescheduled_from_id,
        "rescheduled_to": d.rescheduled_to_id,
        "series": d.series_id,
        "cancel_reason": d.cancel_reason,
        "enrollments": [
            {
                "seeker_no": e.seeker_no,
                "name": e.name,
                "state": e.state,
                "waitlist_rank": e.waitlist_rank,
                "override_reason": e.override_reason,
                "override_by": e.override_by,
                "cancel_reason": e.cancel_reason,
            }
            for e in d.enrollments
        ],
    }
    if ctx.args.json:
        ctx.out_json(data)
        return 0
    lang = ctx.lang
    ctx.echo(
        f"#{d.id} {d.kind} {d.start:%Y-%m-%d %H:%M}-{d.end:%H:%M} {scheduling.state_label(d.state, lang)} {d.staff_login} "
        f"{d.seats_taken}/{d.capacity}",
        d.title,
    )
    for e in d.enrollments:
        extra = f"  override: {e.override_reason} ({e.override_by})" if e.override_reason else ""
        ctx.echo(f"  {e.seeker_no} {e.name} {scheduling.state_label(e.state, lang)}{extra}")
    return 0


def cmd_session_passcode(ctx) -> int:
    """Print the passcode (the view is audited)."""
    from hwdesk.services import scheduling

    actor = ctx.actor()
    with ctx.store.write() as s:
        ctx.echo(scheduling.session_passcode(s, actor=actor, session_id=ctx.args.session_id))
    return 0


def cmd_session_confirm(ctx) -> int:
    """Confirm an offered seat."""
    from hwdesk.services import scheduling

    actor = ctx.actor()
    with ctx.store.write() as s:
        scheduling.confirm_offer(
            s, actor=actor, session_id=ctx.args.session_id, seeker_id=_seeker_id(s, ctx.args.seeker_no, actor)
        )
    print(ctx.msg("cli.sessions.seat_confirmed"))
    return 0


def cmd_session_reschedule(ctx) -> int:
    """Move a session; prints the new session's id."""
    from hwdesk.services import scheduling

    a = ctx.args
    start, end = _datetime(a.start), _datetime(a.end)
    actor = ctx.actor()
    with ctx.store.write() as s:
        new = scheduling.reschedule(
            s, actor=actor, session_id=a.session_id, new_start=start, new_end=end, reason=a.reason, note=a.note
        )
    print(ctx.msg("cli.sessions.session_moved", session_id=a.session_id, id=new.id))
    return 0


# --- booking and status -----------------------------------------------------------------------


def cmd_book(ctx) -> int:
    """Book a seeker (or waitlist them); a refusal lists each failed requirement. Warns (stderr) when
    the seeker's interpreter notice asks for a language nobody covers then, with the nearest covered times."""
    from hwdesk.services import interpreting, scheduling

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:
        e = scheduling.book(
            s,
            actor=actor,
            session_id=a.session_id,
            seeker_id=_seeker_id(s, a.seeker_no, actor),
            override_reason=a.override,
            waitlist=not a.no_waitlist,
        )
        state, pos = e.state, e.waitlist_pos
        interp = interpreting.booking_check(s, actor=actor, session_id=a.session_id, seeker_id=e.seeker_id)
    if interp.warn:  # a warning, not a condition of use: the booking stands
        ctx.echo(interp.message(ctx.lang), file=sys.stderr)
    if a.json:
        ctx.out_json(
            {
                "session": a.session_id,
                "seeker_no": a.seeker_no,
                "state": state,
                "waitlist_pos": pos,
                "interpreter": interp.as_json(),
            }
        )
    elif state == SeatState.WAITLISTED:
        print(ctx.msg("cli.sessions.session_full_waitlisted_position", pos=pos))
    else:
        print(ctx.msg("cli.sessions.booked"))
    return 0


def cmd_cancel(ctx) -> int:
    """Cancel a session, or one seeker's booking (a freed seat is offered to the first waiting)."""
    from hwdesk.services import scheduling

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:
        if a.seeker_no:
            res = scheduling.cancel_enrollment(
                s,
                actor=actor,
                session_id=a.session_id,
                seeker_id=_seeker_id(s, a.seeker_no, actor),
                reason=a.reason,
                note=a.note,
            )
            offered = len(res.offered)
            print(
                ctx.msg("cli.sessions.booking_cancelled")
                + (ctx.msg("cli.sessions.seat_offered_waiting_seeker", offered=offered) if offered else "")
            )
        else:
            res2 = scheduling.cancel_session(s, actor=actor, session_id=a.session_id, reason=a.reason, note=a.note)
            print(ctx.msg("cli.sessions.session_cancelled_seeker_notify", n_enrollments=len(res2.enrollments)))
    return 0


def cmd_status(ctx) -> int:
    """Move a session or one seeker's booking along an allowed path."""
    from hwdesk.services import scheduling

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:
        seeker = _seeker_id(s, a.seeker, actor) if a.seeker else None
        if a.correct is not None:
            from hwdesk.services import corrections

            state = corrections.correct_state(
                s, actor=actor, session_id=a.session_id, state=a.state, seeker_id=seeker, reason=a.correct
            ).session_after
        else:
            state = scheduling.set_state(
                s, actor=actor, session_id=a.session_id, state=a.state, seeker_id=seeker, reason=a.reason
            ).state
    print(ctx.msg("cli.sessions.state_set", session_id=a.session_id, state=scheduling.state_label(state, ctx.lang)))
    return 0


# --- closures and terminations ----------------------------------------------------------


def cmd_closure(ctx) -> int:
    """Add, remove or list office closures."""
    from hwdesk.services import calendar

    a = ctx.args
    if a.action == "list":
        with ctx.store.read() as s:
            for c in calendar.list_closures(s, office_id=a.office):
                ctx.echo(f"{c.day.isoformat()}  {c.reason}")
        return 0
    if not a.date:
        from hwdesk.errors import ValidationFailed

        raise ValidationFailed("--date を指定してください。", "Give --date.", field="date")
    day = day_arg(a.date)
    actor = ctx.actor()
    with ctx.store.write() as s:
        if a.action == "add":
            res = calendar.add_closure(s, actor=actor, office_id=a.office, day=day, reason=a.reason)
            print(ctx.msg("cli.sessions.now_closed", day=day.isoformat()))
            if res.session_ids:
                ids = ", ".join(f"#{i}" for i in res.session_ids)
                print(
                    ctx.msg("cli.sessions.warning_cancel_notify_sessions", ids=ids),
                    file=sys.stderr,
                )
        else:
            calendar.remove_closure(s, actor=actor, office_id=a.office, day=day, reason=a.reason)
            print(ctx.msg("cli.sessions.closure_removed", day=day.isoformat()))
    return 0


def cmd_terminate(ctx) -> int:
    """Stop a seeker's use; lists the future bookings to cancel with notice."""
    from hwdesk.services import terminations

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:
        res = terminations.terminate(
            s,
            actor=actor,
            seeker_id=_seeker_id(s, a.seeker_no, actor),
            office_id=a.office,
            ground=a.ground,
            narrative=a.narrative,
            scope=a.scope,
            until=day_arg(a.until) if a.until else None,
            review_on=day_arg(a.review_on) if a.review_on else None,
            session_id=a.session,
        )
        t = res.termination
        data: dict[str, Any] = {
            "id": t.id,
            "cite": t.cite,
            "scope": t.scope,
            "agreement_ended": res.agreement_ended,
            "future_bookings": [
                {"session": b.session_id, "start": b.start.isoformat(), "kind": b.kind} for b in res.future_bookings
            ],
        }
    if a.json:
        ctx.out_json(data)
        return 0
    print(ctx.msg("cli.sessions.use_stopped", id=data["id"], cite=data["cite"]))
    if data["agreement_ended"]:
        print(ctx.msg("cli.sessions.agreement_cancelled_new_application"))
    for b in data["future_bookings"]:
        print(ctx.msg("cli.sessions.cancel_with_notice", session=b["session"], start=b["start"]))
    return 0


def cmd_lift(ctx) -> int:
    """Lift a stop of use."""
    from hwdesk.services import terminations

    actor = ctx.actor()
    with ctx.store.write() as s:
        terminations.lift(s, actor=actor, termination_id=ctx.args.termination_id, reason=ctx.args.reason)
    print(ctx.msg("cli.sessions.stop_use_lifted"))
    return 0
