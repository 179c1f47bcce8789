"""``hwdesk terms-diff``, ``terms-add``, ``notify-list`` and ``notice``: an office's terms revisions
from the command line (what changed, adding a version, who must be told, recording that they were).

Registered with the records commands (``hwdesk.cli.records``), in the same place of the help.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hwdesk.cli import bounded_int, check_office, day_option


def register(sub) -> None:
    """Add the terms revision subcommands."""
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


def cmd_terms_diff(ctx) -> int:
    """Print the article-by-article changes."""
    from hwdesk.services.terms_diff import diff_stored, render_changes

    check_office(ctx.args.office)
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
    from hwdesk.jtext.dates import format_wareki

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

    check_office(ctx.args.office)
    try:
        text = ctx.args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            f"規約ファイルを読めません: {ctx.args.file}（{exc}）",
            f"Cannot read the terms file {ctx.args.file} ({exc}).",
        ) from None
    effective = day_option(ctx.args.effective, "effective_on")
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
    from hwdesk.clock import JST
    from hwdesk.jtext.numbers import format_phone
    from hwdesk.jtext.safety import safe_display
    from hwdesk.services.revisions import notify_list
    from hwdesk.terms import service_label

    check_office(ctx.args.office)
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

    check_office(ctx.args.office)
    actor = ctx.actor()
    with ctx.store.write() as s:
        seeker = get_by_number(s, ctx.args.seeker, actor=actor)
        vid, number = _version_id(s, ctx.args.office, ctx.args.version)
        record_terms_notice(s, actor=actor, seeker_id=seeker.id, terms_version_id=vid, method=ctx.args.method)
    print(ctx.msg("cli.records.recorded_that_was_told", seeker_no=seeker.seeker_no, number=number))
    return 0
