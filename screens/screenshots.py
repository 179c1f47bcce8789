"""Make the README's screenshots: ``python -m screens.screenshots OUT_DIR [--size 120x40]``.

Builds a small demo database in a temporary directory, drives the app with Textual's Pilot and
saves SVGs (sign-in, search, seeker detail with readiness, terms viewer). With ``--png`` and
``rsvg-convert`` on the PATH each SVG is also rendered to ``screen-*.png``; every character is
placed on its terminal cell first (Textual's SVG squeezes full-width text: its ``textLength`` is
``len(text)`` cells), in a monospace CJK font (IPAGothic, Debian ``fonts-ipafont-gothic``).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

TEXT_RE = re.compile(r'<text class="([^"]*)" x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"([^>]*)>([^<]*)</text>')


def place_cells(svg: str, font: str = "IPAGothic") -> str:
    """One <text> per character at its terminal cell (see the module docstring)."""
    from rich.cells import cell_len

    cw = 12.2
    for _cls, _x, _y, length, _rest, content in TEXT_RE.findall(svg):
        t = html.unescape(content)
        if t and t.isascii():
            cw = float(length) / len(t)
            break

    def split(m: re.Match) -> str:
        cls, x, y, _length, rest, content = m.groups()
        out, pos = [], float(x)
        for ch in html.unescape(content):
            w = cell_len(ch)
            if ch not in (" ", "\u00a0"):
                out.append(f'<text class="{cls}" x="{pos:.1f}" y="{y}" textLength="{w * cw:.1f}" '
                           f'lengthAdjust="spacingAndGlyphs"{rest}>{html.escape(ch)}</text>')
            pos += w * cw
        return "".join(out)

    return TEXT_RE.sub(split, svg).replace("font-family: Fira Code, monospace", f"font-family: {font}, monospace")


def to_png(svg_path: Path, png_path: Path) -> None:
    tmp = png_path.with_suffix(".tmp.svg")
    tmp.write_text(place_cells(svg_path.read_text(encoding="utf-8")), encoding="utf-8")
    try:
        subprocess.run(["rsvg-convert", str(tmp), "-o", str(png_path)], check=True)
    finally:
        tmp.unlink(missing_ok=True)


def build_db(folder: Path) -> str:
    """A demo database (the same builder as ``hwdesk demo``)."""
    from hwdesk.db import open_store
    from hwdesk.services.demo import build_demo

    path = folder / "shots.sqlite3"
    store = open_store(path)
    with store.write() as s:
        build_demo(s, seekers_per_office=40, seed=3)
    store.dispose()
    return str(path)


async def shoot(db: str, out: Path, size: tuple[int, int], suffix: str, lang: str) -> list[Path]:
    from screens.app import HwdeskApp

    app = HwdeskApp(db, lang=lang)
    saved: list[Path] = []

    async with app.run_test(size=size) as pilot:
        async def settle() -> None:
            import asyncio

            for _ in range(3):
                workers, _lanes = app.db_work()
                if workers:
                    await app.workers.wait_for_complete(workers)
                while app.db_work()[1]:  # a search lane's job (the lane itself never completes)
                    await asyncio.sleep(0.01)
                await pilot.pause()

        def save(name: str) -> None:
            path = out / f"screen-{name}{suffix}.svg"
            app.save_screenshot(str(path))
            saved.append(path)

        await settle()
        app.screen.query_one("#login").value = "clerk1"
        app.screen.query_one("#password").focus()
        save("signin")
        app.screen.query_one("#password").value = "hwdesk-demo"
        await pilot.press("enter")
        await settle()
        await pilot.press(*"やま")
        await settle()
        save("search")
        # The detail of a seeker who is not ready yet (so failed items show).
        from screens.data import readiness

        target = None
        with app.store.read() as s:
            from hwdesk.services.context import SYSTEM
            from hwdesk.services.seekers import search

            for row in search(s, "ア", actor=SYSTEM, limit=50, office_id="takamatsu") + search(s, "ヤ", actor=SYSTEM, limit=50, office_id="takamatsu"):
                _, reqs = readiness(s, row.id, "takamatsu", "counseling")
                if 1 <= sum(not r.ok for r in reqs) <= 3:
                    target = row.id
                    break
        app.open_seeker(target or 1)
        await settle()
        save("detail")
        await pilot.press("t")
        await settle()
        await pilot.press("7")
        await pilot.pause()
        save("terms")
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--lang", default="ja")
    parser.add_argument("--png", action="store_true", help="also render PNGs with rsvg-convert")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.split("x"))
    suffix = "" if (w, h) == (120, 40) else f"-{w}x{h}"
    if args.lang != "ja":
        suffix += f"-{args.lang}"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = build_db(Path(tmp))
        saved = asyncio.run(shoot(db, args.out, (w, h), suffix, args.lang))
    for svg in saved:
        if args.png and shutil.which("rsvg-convert"):
            to_png(svg, svg.with_suffix(".png"))
        print(svg)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
