"""Counter actions as commands: ``consent``, ``env-check``, ``companion``, ``approval``
and ``registration renew`` — the same services the app's screens call, so role rules, audit rows
and refusals (with the office's article) are the app's."""

from __future__ import annotations

import sys

from hwdesk.clock import today_jst
from hwdesk.errors import ValidationFailed

OFFICES = ("maebashi", "shibuya", "takamatsu")


def _items(office_id: str) -> list[tuple[str, str, str]]:
    """The yes/no items of ``env-check`` at an office: (key, label, article) — the 利用環境 items,
    the private room and, where the terms ask for it, the webcam device."""
    from hwdesk.conditions import condition
    from hwdesk.terms import cite_text, office_profile

    prof = office_profile(office_id)
    req = prof.requirements
    out = [(i["key"], i["label_en"], cite_text(i["cite"])) for i in (req.get("environment") or {}).get("items", [])]
    room = condition(prof, "private_room")
    if room:
        out.append(("private_room", room.label_en, room.cite_text))
    cam = condition(prof, "webcam")
    if cam:
        out.append(("webcam", cam.label_en, cam.cite_text))
    return out


def _env_help(text: str) -> str:
    lines = [text, "items per office (answer yes unless listed in --no):"]
    for office in OFFICES:
        lines.append(f"  {office}:")
        lines += [f"    {key:<16} {label} ({cite})" for key, label, cite in _items(office)]
    return "\n".join(lines) + "\n"


def register(sub) -> None:
    """Add the counter subcommands."""
    p = sub.add_parser("consent", help="record consent to the office's terms in force (its own method)")
    p.add_argument("seeker", help="求職番号")
    p.add_argument("--office", required=True, choices=OFFICES)
    p.set_defaults(handler=cmd_consent)

    p = sub.add_parser("env-check", help="record the seeker's environment self-check (every item yes unless --no)")
    p.add_argument("seeker", help="求職番号")
    p.add_argument("--office", required=True, choices=OFFICES)
    p.add_argument("--no", default="", metavar="ITEM,...", help="items answered no (see the list below)")
    p.add_argument("--date", help="the day the seeker declared it (default today; YYYY-MM-DD or 和暦)")
    # The list is built only when help is asked for (it reads the office profiles).
    p.format_help = lambda fmt=p.format_help: _env_help(fmt())
    p.set_defaults(handler=cmd_env_check)

    p = sub.add_parser("companion", help="record an interpreter or caregiver announced in advance")
    p.add_argument("seeker", help="求職番号")
    p.add_argument("--office", required=True, choices=OFFICES)
    p.add_argument("--kind", required=True, choices=("interpreter", "caregiver"))
    p.add_argument("--language", default="", help="the interpreter's language (required for an interpreter)")
    p.add_argument("--name", default="")
    p.add_argument("--session", type=int, help="for one session only (default: standing)")
    p.set_defaults(handler=cmd_companion)

    p = sub.add_parser(
        "approval", help="渋谷 第1条(4): record the office's recognition of need (and the seeker's wish)"
    )
    p.add_argument("seeker", help="求職番号")
    p.add_argument("--office", required=True, choices=OFFICES)
    p.add_argument(
        "--service", required=True, choices=("counseling", "referral", "seminar", "interview", "tour", "selection")
    )
    p.add_argument("--note", required=True)
    p.add_argument(
        "--wishes-continuing",
        action="store_true",
        help="the seeker wishes continuing counseling by the individual support staff (第1条(4) asks it)",
    )
    p.add_argument(
        "--recognized-by", metavar="STAFF_ID", help="who recognized the need (default: the acting staff member)"
    )
    p.set_defaults(handler=cmd_approval)

    p = sub.add_parser("registration", help="the 求職登録's validity: show it, or record a renewal done elsewhere")
    rsub = p.add_subparsers(dest="registration_command", required=True)
    r = rsub.add_parser("renew", help="record a renewal done elsewhere (another office, 求職者マイページ), audited")
    r.add_argument("seeker", help="求職番号")
    r.add_argument("--on", required=True, help="the day it was renewed (YYYY-MM-DD or 和暦)")
    r.add_argument("--note", required=True, help="where it was renewed")
    r.set_defaults(handler=cmd_renew)
    r = rsub.add_parser("show", help="the registration date and the end of its validity (in principle)")
    r.add_argument("seeker", help="求職番号")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=cmd_registration_show)


def _seeker(s, number: str, actor):
    from hwdesk.services.seekers import get_by_number

    return get_by_number(s, number, actor=actor)


def _done(ctx, key: str, **values: object) -> int:
    print(ctx.msg(key, **values))
    return 0


def cmd_consent(ctx) -> int:
    """Record consent (application at 渋谷・高松; at 前橋 using the service is the consent, 第1条)."""
    from hwdesk.services.consent import record_consent
    from hwdesk.services.offices import profile
    from hwdesk.terms import cite_text

    actor = ctx.actor()
    with ctx.store.write() as s:
        sk = _seeker(s, ctx.args.seeker, actor)
        prof = profile(s, ctx.args.office)
        if prof.consent_method == "deemed_by_use":
            cite = cite_text(prof.requirements["consent"]["cite"])
            raise ValidationFailed(
                f"{prof.name}では本サービスの利用をもって同意したものとみなされます（{cite}）。受付時に記録されます。",
                f"At {prof.display_name('en')} using the service counts as consent ({cite}); it is recorded at check-in.",
                field="office",
            )
        c = record_consent(s, actor=actor, seeker_id=sk.id, office_id=ctx.args.office)
        version = c.terms_version_id
        no = sk.seeker_no
    return _done(ctx, "cli.counter.consent_recorded_terms", no=no, version=version)


def cmd_env_check(ctx) -> int:
    """Record every item of the office's self-check (yes unless named in --no) and, where the terms
    ask for it, the webcam device; unknown items are refused with the office's list."""
    from hwdesk.jtext.dates import parse_date
    from hwdesk.services.consent import record_env_check
    from hwdesk.services.seekers import set_webcam

    office = ctx.args.office
    items = _items(office)
    keys = [k for k, _, _ in items]
    no = {x.strip() for x in ctx.args.no.split(",") if x.strip()}
    unknown = sorted(no - set(keys))
    if unknown:
        raise ValidationFailed(
            f"{office} の項目ではありません: {', '.join(unknown)}（項目: {', '.join(keys)}）",
            f"Not an item at {office}: {', '.join(unknown)} (items: {', '.join(keys)})",
            field="no",
        )
    on = parse_date(ctx.args.date, field="date") if ctx.args.date else today_jst()
    actor = ctx.actor()
    with ctx.store.write() as s:
        sk = _seeker(s, ctx.args.seeker, actor)
        answers = {k: k not in no for k in keys if k != "webcam"}
        record_env_check(s, actor=actor, seeker_id=sk.id, office_id=office, answers=answers, declared_on=on)
        if "webcam" in keys:
            set_webcam(s, actor=actor, seeker_id=sk.id, confirmed="webcam" not in no)
        number = sk.seeker_no
    failed = [f"{k} ({c})" for k, _, c in items if k in no]
    if failed:
        return _done(ctx, "cli.counter.env_check_failed", number=number, failed=", ".join(failed))
    return _done(ctx, "cli.counter.env_check_all_met", number=number)


def cmd_companion(ctx) -> int:
    """Record an interpreter (with the language) or a caregiver announced in advance."""
    from hwdesk.services.consent import record_companion

    actor = ctx.actor()
    with ctx.store.write() as s:
        sk = _seeker(s, ctx.args.seeker, actor)
        record_companion(
            s,
            actor=actor,
            seeker_id=sk.id,
            office_id=ctx.args.office,
            kind=ctx.args.kind,
            language=ctx.args.language,
            name=ctx.args.name,
            session_id=ctx.args.session,
        )
        number = sk.seeker_no
    return _done(ctx, "cli.counter.companion_notice_recorded", number=number)


def cmd_approval(ctx) -> int:
    """Record the office's recognition of need (only where the terms ask for one) with the wish."""
    from sqlmodel import select

    from hwdesk.errors import NotFound
    from hwdesk.models import Staff
    from hwdesk.services.consent import record_approval

    actor = ctx.actor()
    with ctx.store.write() as s:
        sk = _seeker(s, ctx.args.seeker, actor)
        by = None
        if ctx.args.recognized_by:
            staff = s.exec(select(Staff).where(Staff.login == ctx.args.recognized_by)).first()
            if staff is None:
                raise NotFound(
                    f"職員 {ctx.args.recognized_by} はいません。", f"No staff member {ctx.args.recognized_by}."
                )
            by = staff.id
        record_approval(
            s,
            actor=actor,
            seeker_id=sk.id,
            office_id=ctx.args.office,
            service=ctx.args.service,
            note=ctx.args.note,
            recognized_by=by,
            wishes_continuing=ctx.args.wishes_continuing,
        )
        number = sk.seeker_no
    if not ctx.args.wishes_continuing:
        print(
            ctx.msg("cli.counter.note_no_wish_continuing"),
            file=sys.stderr,
        )
    return _done(ctx, "cli.counter.recognition_need_recorded", number=number)


def cmd_renew(ctx) -> int:
    """Record a renewal of the 求職登録 done elsewhere and print the new end date."""
    from hwdesk.jtext.dates import format_wareki, parse_date
    from hwdesk.services import registration

    on = parse_date(ctx.args.on, field="on")
    actor = ctx.actor()
    with ctx.store.write() as s:
        sk = _seeker(s, ctx.args.seeker, actor)
        registration.renew(s, actor=actor, seeker_id=sk.id, renewed_on=on, note=ctx.args.note)
        until = registration.end_of(s, seeker_id=sk.id, registered_on=sk.registered_on)
        number = sk.seeker_no
    assert until is not None
    return _done(
        ctx, "cli.counter.renewal_recorded", number=number, until=ctx.pick(format_wareki(until), until.isoformat())
    )


def cmd_registration_show(ctx) -> int:
    """The registration date, kind and end of validity (computed: docs/rules.md (p))."""
    from hwdesk.jtext.dates import format_wareki
    from hwdesk.services import registration

    actor = ctx.reader()  # personal data: signed in, and the view audited
    with ctx.store.read() as s:
        sk = _seeker(s, ctx.args.seeker, actor)
        until = registration.end_of(s, seeker_id=sk.id, registered_on=sk.registered_on)
        renewals = [(r.renewed_on, r.note) for r in registration.renewals_of(s, sk.id)]
        data = {
            "seeker_no": sk.seeker_no,
            "kind": sk.registration_kind,
            "registered_on": sk.registered_on.isoformat() if sk.registered_on else None,
            "valid_until": until.isoformat() if until else None,
            "valid_today": bool(until and until >= today_jst()),
            "renewals": [{"on": d.isoformat(), "note": n} for d, n in renewals],
        }
    ctx.audit_read(actor, office_id=sk.office_id, rows=1)
    if ctx.args.json:
        ctx.out_json(data)
        return 0
    if until is None:
        return _done(ctx, "cli.counter.no_registration_date", seeker_no=data["seeker_no"])
    return _done(
        ctx,
        "cli.counter.valid_until",
        seeker_no=data["seeker_no"],
        until=ctx.pick(format_wareki(until), until.isoformat()),
    )
