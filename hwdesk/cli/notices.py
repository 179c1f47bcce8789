"""``hwdesk notices send|list|channel``: notices to seekers (issue 20) — the send run staff start,
the outbox (pending / sent / failed with the reason / skipped), and an office's channel (admin).

The same services as the app's outbox screen (``services.notices``, ``services.outbox``).
"""

from __future__ import annotations

import sys

from hwdesk.cli import bounded_int
from hwdesk.errors import HwdeskError

STATES = ("pending", "sent", "failed", "skipped")


def register(sub) -> None:
    """Add ``notices``."""
    p = sub.add_parser("notices", help="notices to seekers: send the due ones, list the outbox, set the channel")
    verbs = p.add_subparsers(dest="notices_command", required=True)
    s = verbs.add_parser("send", help="send every notice due (pending, or failed before); built as things stand now")
    s.add_argument("--dry-run", action="store_true", help="show what would be sent or skipped; write and send nothing")
    s.add_argument("--office", default=None, help="office id (default: your office)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(handler=cmd_send)
    ls = verbs.add_parser("list", help="the outbox: notices with their state and delivery result (audited view)")
    ls.add_argument("--office", default=None, help="office id (default: your office)")
    ls.add_argument("--seeker", default="", help="only this seeker's notices (求職番号)")
    ls.add_argument("--state", choices=STATES, action="append", help="only notices in this state (repeatable)")
    ls.add_argument("--limit", type=bounded_int("--limit", 1, 5000), default=200)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_list)
    ch = verbs.add_parser("channel", help="show or set an office's notice channel (setting it: administrators)")
    ch.add_argument("office", help="office id")
    how = ch.add_mutually_exclusive_group()
    how.add_argument("--print", dest="kind", action="store_const", const="print", help="the handout is the notice")
    how.add_argument("--none", dest="kind", action="store_const", const="none", help="no notices are sent")
    how.add_argument("--mail", metavar="HOST[:PORT]", default=None, help="send by SMTP (STARTTLS when offered)")
    ch.add_argument("--from", dest="sender", default="", help="sender address (with --mail)")
    ch.add_argument("--user", default="", help="SMTP login (with --mail); the password is read when sending")
    pw = ch.add_mutually_exclusive_group()
    pw.add_argument(
        "--password-env", default="", help="environment variable holding the password (HWDESK_SMTP_PASSWORD)"
    )
    pw.add_argument("--password-file", default="", help="file holding the password")
    ch.add_argument("--ca-file", default="", help="CA certificate to trust for STARTTLS (an office's own relay)")
    ch.add_argument("--json", action="store_true")
    ch.set_defaults(handler=cmd_channel)


def _office(ctx, actor) -> str:
    return ctx.args.office or actor.office_id


def cmd_send(ctx) -> int:
    """Send the due notices; exit 1 when any failed (they stay queued for the next run)."""
    from hwdesk.services.outbox import send_due

    actor = ctx.actor()
    report = send_due(ctx.store, actor=actor, office_id=_office(ctx, actor), dry_run=ctx.args.dry_run)
    if ctx.args.json:
        ctx.out_json(
            {
                "dry_run": report.dry_run,
                "notices": [
                    {
                        "id": o.notice_id,
                        "kind": o.kind,
                        "seeker_no": o.seeker_no,
                        "session": o.session_id,
                        "state": o.state,
                        "result": o.result,
                        "subject": o.subject,
                    }
                    for o in report.outcomes
                ],  # fmt: skip
            }
        )
    else:
        for o in report.outcomes:
            where = f" S-{o.session_id:06d}" if o.session_id else ""
            ctx.echo(
                f"#{o.notice_id} {o.kind} {o.seeker_no}{where}: {o.state_label(ctx.lang)}"
                + (f" ({o.result})" if o.result else "")
            )
        counts = {k: report.count(k) for k in ("sent", "would send", "failed", "skipped", "waiting")}
        if report.dry_run:
            print(
                ctx.msg(
                    "cli.notices.dry_run_summary",
                    send=counts["would send"],
                    skipped=counts["skipped"],
                    failed=counts["failed"],
                )
            )
        else:
            print(
                ctx.msg(
                    "cli.notices.send_summary", sent=counts["sent"], skipped=counts["skipped"], failed=counts["failed"]
                )
            )
    return 1 if report.count("failed") and not report.dry_run else 0


def cmd_list(ctx) -> int:
    """The outbox, newest first (an audited view: it names seekers)."""
    from hwdesk.clock import JST
    from hwdesk.services.outbox import outbox
    from hwdesk.services.seekers import get_by_number

    a = ctx.args
    actor = ctx.reader()
    with ctx.store.read() as s:
        seeker_id = get_by_number(s, a.seeker, actor=actor).id if a.seeker else None
        office = None if seeker_id and not a.office else _office(ctx, actor)
        rows = outbox(s, actor=actor, office_id=office, seeker_id=seeker_id, states=tuple(a.state or ()), limit=a.limit)
    ctx.audit_read(actor, office_id=office or "", rows=len(rows))

    def iso(dt):
        return dt.astimezone(JST).isoformat(timespec="minutes") if dt else None

    data = [
        {"id": r.id, "kind": r.kind, "state": r.state, "seeker_no": r.seeker_no, "session": r.session_id,
         "due_at": iso(r.due_at), "queued_at": iso(r.queued_at), "queued_by": r.queued_by, "attempts": r.attempts,
         "channel": r.channel, "sent_at": iso(r.sent_at), "sent_by": r.sent_by, "terms_version": r.terms_version,
         "subject": r.subject, "result": r.result}
        for r in rows
    ]  # fmt: skip
    if a.json:
        ctx.out_json({"notices": data})
        return 0
    for r in rows:
        when = iso(r.sent_at or r.attempted_at or r.due_at)
        ctx.echo(f"#{r.id} {when} {r.kind_label(ctx.lang)} {r.seeker_no} {r.state_label(ctx.lang)}"
                 + (f" — {r.result}" if r.result else ""))  # fmt: skip
    if not rows:
        print(ctx.msg("cli.notices.none"))
    return 0


def cmd_channel(ctx) -> int:
    """Show the office's channel, or set it (administrators; audited, without any password)."""
    from dataclasses import asdict

    from hwdesk.services.notices import channel, set_channel

    a = ctx.args
    if a.kind is None and a.mail is None:
        with ctx.store.read() as s:
            ch = channel(s, a.office)
        ctx.out_json(asdict(ch)) if a.json else ctx.echo(ch.describe(ctx.lang))
        return 0
    kw: dict = {"kind": a.kind or "mail"}
    if a.mail is not None:
        host, _, port = a.mail.rpartition(":") if ":" in a.mail else (a.mail, "", "25")
        if not port.isdigit():
            raise HwdeskError("--mail は ホスト名:ポート で指定してください。", "Give --mail as HOST:PORT.")
        kw.update(host=host, port=int(port), sender=a.sender, user=a.user, password_env=a.password_env,
                  password_file=a.password_file, ca_file=a.ca_file)  # fmt: skip
    actor = ctx.actor()
    with ctx.store.write() as s:
        ch = set_channel(s, actor=actor, office_id=a.office, **kw)
    if a.json:
        ctx.out_json(asdict(ch))
    else:
        ctx.echo(ctx.msg("cli.notices.channel", office=a.office, channel=ch.describe(ctx.lang)))
    if ch.kind == "mail" and ch.user and not ch.password_file:
        import os

        from hwdesk.services.notices import DEFAULT_PASSWORD_ENV

        if not os.environ.get(ch.password_env or DEFAULT_PASSWORD_ENV):
            print(ctx.msg("cli.notices.set_password", env=ch.password_env or DEFAULT_PASSWORD_ENV), file=sys.stderr)
    return 0
