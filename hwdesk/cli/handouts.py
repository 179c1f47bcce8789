"""``hwdesk handout``: print the seeker's sheet for a session, or a whole day's sheets."""

from __future__ import annotations

import sys
from pathlib import Path

from hwdesk.cli import id_arg
from hwdesk.errors import HwdeskError


def register(sub) -> None:
    """Add ``handout``."""
    p = sub.add_parser("handout", help="QR handout(s) as PDF/PNG: one session (all participants or one), or a day")
    p.add_argument("session_id", nargs="?", type=id_arg("session_id"))
    p.add_argument("--seeker", help="求職番号: only this participant's page")
    p.add_argument("--office", help="with --date: every session of that day")
    p.add_argument("--date", help="YYYY-MM-DD or 和暦")
    p.add_argument("--staff", help="with --date: only this clerk's sessions (staff ID)")
    p.add_argument("--out", type=Path, help="FILE.pdf or FILE.png")
    p.add_argument(
        "--ics",
        type=Path,
        metavar="FILE.ics",
        help="also (or only) write the session(s) as a calendar file: the event of the handout's calendar QR; "
        "with --date one event per session",
    )
    p.add_argument("--large", action="store_true", help="large print (bigger type and QR)")
    p.add_argument(
        "--print",
        dest="to_printer",
        action="store_true",
        help="also print it (CUPS): this terminal's printer (hwdesk printers), else CUPS's default",
    )
    p.add_argument("--printer", help="with --print: this CUPS printer for this job (implies --print)")
    p.set_defaults(handler=cmd_handout)


def cmd_handout(ctx) -> int:
    """Render (and optionally print) handouts; audited as the acting staff member."""
    from hwdesk.jtext.dates import parse_day
    from hwdesk.services import handouts
    from hwdesk.services.auth import get_staff
    from hwdesk.services.seekers import get_by_number

    a = ctx.args
    if (a.session_id is None) == (a.date is None):
        raise HwdeskError(
            "SESSION_ID か --office/--date のどちらかを指定してください。",
            "Give either SESSION_ID or --office and --date.",
        )
    if a.out is None and a.ics is None:
        raise HwdeskError(
            "--out（案内書）か --ics（カレンダー）を指定してください。",
            "Give --out (the handout) or --ics (the calendar file), or both.",
        )
    if a.out is None and (a.to_printer or a.printer):
        raise HwdeskError("印刷には --out が必要です。", "--print needs --out.")
    if a.ics is not None and a.ics.suffix.lower() != ".ics":
        raise HwdeskError("カレンダーファイルは .ics です。", "The calendar file must end in .ics.")
    actor = ctx.actor()
    with ctx.store.write() as s:
        if a.session_id is not None:
            seeker_id = get_by_number(s, a.seeker, actor=actor).id if a.seeker else None
            job = handouts.for_session(s, actor=actor, session_id=a.session_id, seeker_id=seeker_id, lang=ctx.lang)
        else:
            if not a.office:
                raise HwdeskError("--date には --office が必要です。", "--date needs --office.")
            staff = get_staff(s, a.staff).id if a.staff else None
            job = handouts.for_day(
                s, actor=actor, office_id=a.office, day=parse_day(a.date), staff_id_=staff, lang=ctx.lang
            )
        out = handouts.write(s, actor=actor, job=job, out=a.out, large_print=a.large, lang=ctx.lang) if a.out else None
        ics_out = handouts.write_ics(s, actor=actor, job=job, out=a.ics) if a.ics else None
    if out is not None:
        # one handout (部) per participant; a handout runs to as many pages as the office's terms need
        print(ctx.msg("cli.handouts.wrote_handout", n_pages=len(job.pages), out=out))
    if ics_out is not None:
        n = len(job.events)
        print(ctx.msg("cli.handouts.wrote_calendar_file_event", n=n, ics_out=ics_out))
    for sess_id, no, name in job.stopped:
        ctx.echo(
            ctx.msg("cli.handouts.not_printed_use_stopped", sess_id=sess_id, no=no, name=name),
            file=sys.stderr,
        )
    if (a.to_printer or a.printer) and out is not None:  # printing needs --out (checked above)
        return _print(ctx, actor, job, out)
    return 0


def _print(ctx, actor, job, out: Path) -> int:
    """Send the written file to CUPS as one job, say what became of it, and audit the job."""
    import sys

    from hwdesk.services import handouts

    result = handouts.send_to_printer(out, job=job, printer=ctx.args.printer)  # PrintError: nothing sent
    with ctx.store.write() as s:
        handouts.record_sent(s, actor=actor, job=job, result=result)
    failed = result.state == "failed"
    print(result.text(ctx.lang), file=sys.stderr if failed else sys.stdout)
    return 2 if failed else 0
