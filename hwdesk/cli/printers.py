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
        print(
            ctx.msg(
                "この端末のプリンター設定を消しました（CUPSの既定のプリンターを使います）。",
                "This terminal's printer choice is forgotten (CUPS's default is used).",
            )
        )
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
        print(ctx.msg(f"この端末のプリンターを「{a.use}」にしました。", f"This terminal now prints on '{a.use}'."))
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

    table = Table(title=ctx.msg("プリンター", "Printers"))
    for col in (
        ctx.msg("名前", "Name"),
        ctx.msg("使用", "Use"),
        ctx.msg("状態", "State"),
        ctx.msg("理由", "Reason"),
        ctx.msg("説明", "Description"),
    ):
        table.add_column(col)
    for d in dests:
        marks = [ctx.msg("この端末", "this terminal")] if d.name == chosen else []
        if d.is_default:
            marks.append(ctx.msg("既定", "default"))
        table.add_row(
            Text(d.name),
            Text("・".join(marks) if ctx.lang == "ja" else ", ".join(marks)),
            Text(d.state_text(ctx.lang)),
            Text(d.reason(ctx.lang)),
            Text(d.info),
        )
    Console().print(table)
    if not dests:
        print(ctx.msg("CUPSにプリンターが登録されていません。", "CUPS has no printers."))
    if chosen and not any(d.name == chosen for d in dests):
        print(
            ctx.msg(
                f"この端末で選ばれたプリンター「{chosen}」はもうありません。",
                f"This terminal's printer '{chosen}' no longer exists.",
            )
        )
    return 0
