"""``hwdesk`` (the app), ``init``, ``demo``, ``offices``, ``terms``, ``check``."""

from __future__ import annotations

import sys
from typing import Any

from hwdesk.cli import bounded_int
from hwdesk.clock import today_jst
from hwdesk.errors import HwdeskError
from hwdesk.texts import pick

APP_FPS = 240  # Textual frame-rate cap the app runs at (TEXTUAL_FPS overrides it)


def register(sub) -> None:
    """Add the administration subcommands."""
    p = sub.add_parser("app", help="open the terminal app (the default)")
    p.set_defaults(handler=run_app)
    p = sub.add_parser("init", help="create or upgrade the database (migrations)")
    p.set_defaults(handler=cmd_init)
    p = sub.add_parser("demo", help="create a demo database (three offices, staff, seekers, a month of sessions)")
    p.add_argument(
        "--seekers", type=bounded_int("--seekers", 0, 1_000_000), default=120, help="seekers per office (default 120)"
    )
    p.add_argument("--seed", type=bounded_int("--seed", 0, 2**32 - 1), default=7)
    p.add_argument("--open", action="store_true", help="open the app on it afterwards")
    p.set_defaults(handler=cmd_demo)
    p = sub.add_parser("offices", help="list the offices and their profiles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_offices)
    p = sub.add_parser("terms", help="show an office's terms of use (all, or one article)")
    p.add_argument("office")
    p.add_argument("--article", type=bounded_int("--article", 1, 999))
    p.add_argument(
        "--version",
        type=bounded_int("--version", 1, 100_000),
        help="a version number (default: the one in force today)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_terms)


def run_app(ctx) -> int:
    """Open the TUI. On a first run with no database, make a demo one and say so on screen."""
    import os

    from hwdesk.paths import default_db_path

    db = ctx.args.db or os.environ.get("HWDESK_DB")
    notice = None
    if not db and not default_db_path().exists():
        notice = ctx.msg("cli.admin.first_run_demo", path=default_db_path())
        _make_demo(ctx, seekers_per_office=120, seed=7, quiet=False)
    # The cap on repaints; screens/textual_private.py paints as soon as the last frame is 1/fps old, so a
    # higher cap shortens what an input waits behind the previous frame (bench/README.md).
    # Must be set before Textual is imported.
    os.environ.setdefault("TEXTUAL_FPS", str(APP_FPS))
    from screens.app import run_app as run

    run(db, ctx.lang, demo_notice=notice)
    return 0


def cmd_init(ctx) -> int:
    """Create or upgrade the schema and load the shipped offices and terms."""
    from hwdesk.db import current_revision, head_revision

    store = ctx.store
    print(ctx.msg("cli.admin.up_to_date", current=current_revision(store), head=head_revision(), url=store.url))
    return 0


def _make_demo(ctx, *, seekers_per_office: int, seed: int, quiet: bool) -> dict:
    from hwdesk.services.demo import build_demo, has_data

    with ctx.store.read() as s:
        if has_data(s):
            raise HwdeskError(
                "このデータベースには既にデータがあります。デモは空のデータベースにだけ作成できます（--db で別のファイルを指定）。",
                "This database already holds data; a demo is only made in an empty one (name another file with --db).",
            )
    progress = None
    bar = None
    if not quiet and sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        task = bar.add_task(ctx.msg("cli.admin.building_demo_data"), total=None)
        bar.start()

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"{stage}", completed=done, total=total)

    try:
        with ctx.store.write() as s:
            counts = build_demo(s, seekers_per_office=seekers_per_office, seed=seed, progress=progress)
    finally:
        if bar is not None:
            bar.stop()
    return counts


def cmd_demo(ctx) -> int:
    """Make a demo database."""
    counts = _make_demo(ctx, seekers_per_office=ctx.args.seekers, seed=ctx.args.seed, quiet=False)
    print(
        ctx.msg(
            "cli.admin.demo_created",
            staff=counts["staff"],
            seekers=counts["seekers"],
            sessions=counts["sessions"],
            url=ctx.store.url,
        )
    )
    if ctx.args.open:
        from screens.app import run_app as run

        run(ctx.args.db, ctx.lang, demo_notice=None)
    return 0


def cmd_offices(ctx) -> int:
    """List offices with what they offer and how consent is given."""
    from hwdesk.services.offices import list_offices, profile, terms_versions
    from hwdesk.terms import service_label

    with ctx.store.read() as s:
        rows: list[dict[str, Any]] = []
        for o in list_offices(s):
            prof = profile(s, o.id)
            versions = terms_versions(s, o.id)
            rows.append(
                {
                    "id": o.id,
                    "name": o.name,
                    "name_en": o.name_en,
                    "bureau": o.bureau,
                    "services": prof.services,
                    "platforms": prof.platforms,
                    "consent_method": prof.consent_method,
                    "hours": {"open": f"{prof.opening[0]:%H:%M}", "close": f"{prof.opening[1]:%H:%M}"},
                    "contact_phone": prof.data.contact_phone,
                    "unverified": prof.data.unverified,  # facts not in the office's terms, to confirm
                    "terms_versions": [
                        {"version": v.version, "effective_on": v.effective_on.isoformat(), "title": v.title}
                        for v in versions
                    ],
                }
            )
    if ctx.args.json:
        ctx.out_json(rows)
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from hwdesk.jtext.safety import safe_display

    table = Table(title=ctx.msg("cli.admin.offices"))
    for col in (
        ctx.msg("cli.admin.col.id"),
        ctx.msg("cli.admin.col.name"),
        ctx.msg("cli.admin.col.services"),
        ctx.msg("cli.admin.col.consent"),
        ctx.msg("cli.admin.col.terms"),
    ):
        table.add_column(col)
    for r in rows:
        table.add_row(
            Text(safe_display(r["id"])),
            Text(safe_display(pick(r["name"], r["name_en"], ctx.lang))),
            Text(", ".join(service_label(k, ctx.lang) for k in r["services"])),
            Text(r["consent_method"]),
            Text(", ".join(f"v{v['version']} ({v['effective_on']})" for v in r["terms_versions"])),
        )
    Console().print(table)
    for r in rows:
        if r["unverified"]:
            print(ctx.msg("cli.admin.unverified_values", id=r["id"], values=", ".join(r["unverified"])))
    return 0


def cmd_terms(ctx) -> int:
    """Print an office's terms (the version in force today unless --version)."""

    from hwdesk.errors import NotFound
    from hwdesk.services.offices import document, terms_in_force, terms_versions
    from hwdesk.terms import article_as_text, office_profile

    office_profile(ctx.args.office)  # NotFound names the offices
    with ctx.store.read() as s:
        if ctx.args.version:
            match = [v for v in terms_versions(s, ctx.args.office) if v.version == ctx.args.version]
            if not match:
                raise NotFound(
                    f"{ctx.args.office} の規約 第{ctx.args.version}版 はありません。",
                    f"No version {ctx.args.version} of {ctx.args.office}'s terms.",
                )
            tv = match[0]
        else:
            tv = terms_in_force(s, ctx.args.office, today_jst())
        doc = document(tv)
    if ctx.args.article:
        art = doc.article(ctx.args.article)
        if ctx.args.json:
            ctx.out_json({"office": doc.office, "version": doc.version, "article": art})
        else:
            ctx.echo(article_as_text(art))
        return 0
    if ctx.args.json:
        ctx.out_json(doc.raw)
        return 0
    ctx.echo(doc.title)
    print()
    for p in doc.raw.get("preamble", []):
        ctx.echo(p)
    for art in doc.articles:
        print()
        ctx.echo(article_as_text(art))
    for p in doc.raw.get("supplementary", []):
        print()
        ctx.echo(p)
    print()
    for line in doc.date_lines():  # as the text writes them: 策定/改訂/施行 or a bare date
        ctx.echo(line)
    ctx.echo(doc.issuer)
    return 0
