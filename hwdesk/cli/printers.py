"""``hwdesk printers``: the CUPS printers this terminal can use, their state, and this terminal's choice."""

from __future__ import annotations

from hwdesk.errors import HwdeskError


def register(sub) -> None:
    """Add ``printers``."""
    p = sub.add_parser("printers", help="the printers (CUPS) and their state; choose this terminal's printer")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--use", metavar="NAME", help="remember NAME as this terminal's printer for handouts")
    g.add_argument("--forget", action="store_true", help="forget this terminal's choice (use CUPS's default)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_printers)


def cmd_printers(ctx) -> int:
    """List the destinations (default and this terminal's choice marked), or change the choice."""
    from hwdesk import printing

    a = ctx.args
    if a.forget:
        printing.choose_printer(None)
        print(ctx.msg("cli.printers.this_terminal_printer_choice"))
        return 0
    dests = printing.destinations()
    if a.use:
        if not any(d.name == a.use for d in dests):
            known = ", ".join(d.name for d in dests) or "-"
            raise HwdeskError(
                f"プリンター「{a.use}」はありません（使えるプリンター: {known}）。",
                f"There is no printer called '{a.use}' (printers here: {known}).",
            )
        printing.choose_printer(a.use)
        print(ctx.msg("cli.printers.this_terminal_now_prints", use=a.use))
        return 0
    chosen = printing.chosen_printer()
    rows = [
        {
            "name": d.name,
            "default": d.is_default,
            "this_terminal": d.name == chosen,
            "state": d.state,
            "accepting": d.accepting,
            "reason": d.reason(ctx.lang),
            "info": d.info,
            "location": d.location,
        }
        for d in dests
    ]
    if a.json:
        ctx.out_json({"printers": rows, "this_terminal": chosen, "config": str(printing.config_path())})
        return 0
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=ctx.msg("cli.printers.printers"))
    for col in (
        ctx.msg("cli.printers.col.name"),
        ctx.msg("cli.printers.col.use"),
        ctx.msg("cli.printers.col.state"),
        ctx.msg("cli.printers.col.reason"),
        ctx.msg("cli.printers.col.description"),
    ):
        table.add_column(col)
    for d in dests:
        marks = [ctx.msg("cli.printers.this_terminal")] if d.name == chosen else []
        if d.is_default:
            marks.append(ctx.msg("cli.printers.default"))
        table.add_row(
            Text(d.name),
            Text(ctx.msg("common.sep_items").join(marks)),
            Text(d.state_text(ctx.lang)),
            Text(d.reason(ctx.lang)),
            Text(d.info),
        )
    Console().print(table)
    if not dests:
        print(ctx.msg("cli.printers.cups_has_no_printers"))
    if chosen and not any(d.name == chosen for d in dests):
        print(ctx.msg("cli.printers.this_terminal_printer_no", chosen=chosen))
    return 0
