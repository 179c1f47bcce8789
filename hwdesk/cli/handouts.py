"""``hwdesk handout``: print the seeker's sheet for a session, or a whole day's sheets."""

from __future__ import annotations

import sys
from pathlib import Path

from hwdesk.errors import HwdeskError


def register(sub) -> None:
    """Add ``handout``."""
    p = sub.add_parser("handout", help="QR handout(s) as PDF/PNG: one session (all participants or one), or a day")
    p.add_argument("session_id", nargs="?", type=int)
    p.add_argument("--seeker", help="求職番号: only this participant's page")
    p.add_argument("--office", help="with --date: every session of that day")
    p.add_argument("--date", help="YYYY-MM-DD or 和暦")
    p.add_argument("--staff", help="with --date: only this clerk's sessions (staff ID)")
    p.add_argument("--out", required=True, type=Path, help="FILE.pdf or FILE.png")
    p.add_argument("--large", action="store_true", help="large print (bigger type and QR)")
    p.add_argument("--print", dest="to_printer", action="store_true", help="also send to the printer with lp (CUPS)")
    p.set_defaults(handler=cmd_handout)


def cmd_handout(ctx) -> int:
    """Render (and optionally print) handouts; audited as the acting staff member."""
    from hwdesk.jtext import parse_date
    from hwdesk.services import handouts
    from hwdesk.services.auth import get_staff
    from hwdesk.services.seekers import get_by_number

    a = ctx.args
    if (a.session_id is None) == (a.date is None):
        raise HwdeskError("SESSION_ID か --office/--date のどちらかを指定してください。", "Give either SESSION_ID or --office and --date.")
    actor = ctx.actor()
    with ctx.store.write() as s:
        if a.session_id is not None:
            seeker_id = get_by_number(s, a.seeker).id if a.seeker else None
            job = handouts.for_session(s, actor=actor, session_id=a.session_id, seeker_id=seeker_id, lang=ctx.lang)
        else:
            if not a.office:
                raise HwdeskError("--date には --office が必要です。", "--date needs --office.")
            staff = get_staff(s, a.staff).id if a.staff else None
            job = handouts.for_day(s, actor=actor, office_id=a.office, day=parse_date(a.date), staff_id_=staff, lang=ctx.lang)
        out = handouts.write(s, actor=actor, job=job, out=a.out, large_print=a.large, lang=ctx.lang)
    print(ctx.msg(f"{len(job.pages)}ページを書き出しました: {out}", f"Wrote {len(job.pages)} page(s): {out}"))
    for sess_id, no, name in job.stopped:
        print(ctx.msg(f"印刷しませんでした（利用中止中・予約取消しを伝えてください）: #{sess_id} {no} {name}",
                      f"Not printed (use stopped; tell them the booking is cancelled): #{sess_id} {no} {name}"), file=sys.stderr)
    if a.to_printer:
        line = handouts.send_to_printer(out)
        print(line or ctx.msg("プリンター（CUPS）がないため、印刷せずに保存しました。", "No printer (CUPS) here: saved, not printed."))
    return 0
