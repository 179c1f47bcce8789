"""``hwdesk usage-record add|list``: usage records (利用の記録: 前橋 第4条, 渋谷 第4条, 高松 第7条).

``add`` is for any staff member of the session's office; ``list`` for supervisors, and every list
is an audited view (``usage.view``) — the same rules as the app (``services.records``).
"""

from __future__ import annotations

import argparse


def register(sub) -> None:
    """Add ``usage-record``."""
    p = sub.add_parser("usage-record", help="usage records (利用の記録): add (staff) or list (supervisor, audited)")
    verbs = p.add_subparsers(dest="verb", required=True)
    a = verbs.add_parser(
        "add",
        help="record one participant's use of a session",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Times: 10:05 (on the session's day, JST) or a full date and time (2027-02-02 10:05).",
    )
    a.add_argument("session_id", help="the session number")
    a.add_argument("--seeker", default="", help="求職番号 of the participant (must be enrolled in the session)")
    a.add_argument("--joined", default="", help="when the participant joined")
    a.add_argument("--left", default="", help="when the participant left")
    a.add_argument("--device", default="", help="device kind as the platform reported it (e.g. PC, iPhone)")
    a.add_argument("--os", default="", help="OS as the platform reported it (e.g. Windows 11)")
    a.add_argument("--participant", default="", help="the platform's participant identifier")
    a.add_argument("--json", action="store_true")
    a.set_defaults(handler=cmd_add)
    ls = verbs.add_parser("list", help="a session's or a seeker's records (supervisor; the view is audited)")
    who = ls.add_mutually_exclusive_group(required=True)
    who.add_argument("--session", default="", help="the session number")
    who.add_argument("--seeker", default="", help="求職番号")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_list)


def cmd_add(ctx) -> int:
    """Record a participant's use of a session."""
    from hwdesk.services.usage_entry import UsageEntry, add_entry

    a = ctx.args
    actor = ctx.actor()
    entry = UsageEntry(a.session_id, a.seeker, a.joined, a.left, a.device, a.os, a.participant)
    with ctx.store.write() as s:
        rec = add_entry(s, actor=actor, entry=entry)
        rec_id, sid = rec.id, rec.session_id
    if a.json:
        ctx.out_json({"id": rec_id, "session": sid})
    else:
        print(ctx.msg("cli.usage.usage_record_added_session", rec_id=rec_id, sid=sid))
    return 0


def _when(dt) -> str:
    from hwdesk.clock import JST

    return dt.astimezone(JST).strftime("%Y-%m-%d %H:%M") if dt else ""


def cmd_list(ctx) -> int:
    """Print a session's or a seeker's usage records (an audited view)."""
    from hwdesk.clock import JST
    from hwdesk.jtext.safety import safe_display
    from hwdesk.services.usage_entry import list_for

    a = ctx.args
    actor = ctx.actor()
    with ctx.store.write() as s:  # the view's audit row is written with it
        rows = list_for(s, actor=actor, session_id=a.session, seeker_no=a.seeker)
    if a.json:

        def iso(dt):
            return dt.astimezone(JST).isoformat() if dt else None

        ctx.out_json(
            [
                {
                    "id": r.id,
                    "session": r.session_id,
                    "session_start": iso(r.session_start),
                    "kind": r.session_kind,
                    "seeker_no": r.seeker_no,
                    "joined_at": iso(r.joined_at),
                    "left_at": iso(r.left_at),
                    "minutes": r.minutes,
                    "device_kind": r.device_kind,
                    "os": r.os,
                    "participant_id": r.participant_id,
                }
                for r in rows
            ]
        )
        return 0
    print(ctx.msg("cli.usage.usage_record_this_view", n_rows=len(rows)))
    for r in rows:
        mins = "" if r.minutes is None else ctx.msg("cli.usage.min", minutes=r.minutes)
        print(
            f"#{r.id} S{r.session_id} {_when(r.session_start)} {safe_display(r.seeker_no) or '-'} "
            f"{_when(r.joined_at)}–{_when(r.left_at)}{mins} {safe_display(r.device_kind)} {safe_display(r.os)} "
            f"{safe_display(r.participant_id)}"
        )
    return 0
