"""Textual's SVG screenshots as PNGs that show Japanese as a terminal does:
``python -m screens.svg_to_png IN.svg [OUT.png]``.

Textual writes each run of text at its first cell in Fira Code with ``textLength`` set to the
run's cells; a renderer without ``textLength`` (librsvg) lays full-width characters out at the
fallback font's own widths, and one with it squeezes or letter-spaces them. Here every run is set
in a monospace CJK font — **Noto Sans Mono CJK JP** (Debian ``fonts-noto-cjk``), else
**IPAGothic** (``fonts-ipafont-gothic``) — at twice the cell width, where its half-width glyphs
take exactly one cell and its full-width glyphs exactly two (``rich.cells.cell_len``), so no
``textLength`` is needed. A character whose glyph does not fit its cells (box drawing and block
elements are full-width in CJK fonts but one cell in a terminal; a symbol the font lacks comes
from a fallback font) is drawn on its own, scaled to its cells. The CJK em box is the terminal's
line; block elements (▀▄█▌▐: the QR code in the handout preview) are drawn as rectangles of their
cells, as terminals draw them, so they join without gaps.
The PNG is rendered by ``rsvg-convert`` (Debian ``librsvg2-bin``).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

FONTS = ("Noto Sans Mono CJK JP", "IPAGothic")

TEXT_RE = re.compile(r'<text class="([^"]*)" x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"([^>]*)>([^<]*)</text>')
CLIP_RE = re.compile(r'<clipPath id="[^"]*-line-(\d+)">\s*<rect x="[\d.]+" y="([\d.]+)"')
FILL_RE = re.compile(r"\.([\w-]+) \{ fill: (#[0-9a-fA-F]+)")
# Block elements as a terminal draws them: rectangles of the cell (x0, y0, x1, y1 as fractions).
BLOCKS = {"█": (0, 0, 1, 1), "▀": (0, 0, 1, 0.5), "▄": (0, 0.5, 1, 1), "▌": (0, 0, 0.5, 1), "▐": (0.5, 0, 1, 1)}
LINE_RE = re.compile(r'clip-path="url\(#[^)]*-line-(\d+)\)"')


class ConversionError(RuntimeError):
    """A tool or font the conversion needs is missing."""


@lru_cache(maxsize=64)
def _match(pattern: str) -> tuple[str, str, int]:
    """fontconfig's answer for ``pattern``: (family, file, index in the collection)."""
    if not shutil.which("fc-match"):
        raise ConversionError("fc-match (fontconfig) is needed")
    out = subprocess.run(
        ["fc-match", "-f", "%{family[0]}\t%{file}\t%{index}", pattern], capture_output=True, text=True, check=True
    ).stdout
    family, file, index = out.split("\t")
    return family, file, int(index or 0)


def cjk_font() -> str:
    """The first installed font of :data:`FONTS` (ConversionError when none is)."""
    for name in FONTS:
        if _match(name)[0] == name:
            return name
    raise ConversionError(f"none of these fonts is installed: {', '.join(FONTS)} (Debian: fonts-noto-cjk)")


@lru_cache(maxsize=16)
def _face(family: str, size: float):
    from PIL import ImageFont

    _family, file, index = _match(family)
    return ImageFont.truetype(file, size=size, index=index)


@lru_cache(maxsize=4096)
def _has(family: str, ch: str) -> bool:
    """Whether ``family`` has a glyph for ``ch`` (its drawing differs from the missing glyph's)."""
    face = _face(family, 40)
    missing = face.getmask("\U0010fffd")
    mask = face.getmask(ch)
    return not (mask.size == missing.size and bytes(mask) == bytes(missing))


@lru_cache(maxsize=4096)
def _font_for(primary: str, ch: str) -> str:
    if ch.isspace() or _has(primary, ch):
        return primary
    family = _match(f"monospace:charset={ord(ch):x}")[0]
    return family if _has(family, ch) else primary


def _advance(family: str, ch: str, size: float) -> float:
    return _face(family, size * 10).getlength(ch) / 10


def place_cells(svg: str, font: str | None = None) -> str:
    """The SVG with every text run set in ``font`` on its terminal cells (see the module docstring)."""
    from rich.cells import cell_len

    font = font or cjk_font()
    runs = TEXT_RE.findall(svg)
    cw = next(
        (
            float(length) / len(html.unescape(t))
            for *_, length, _r, t in runs
            if html.unescape(t).isascii() and html.unescape(t)
        ),
        12.2,
    )
    size = 2 * cw  # the CJK font's half-width advance is 0.5 em: one cell
    tops = {int(n): float(y) for n, y in CLIP_RE.findall(svg)}
    lh = tops[1] - tops[0] if 0 in tops and 1 in tops else size

    def line_top(n: int) -> float:  # Rich defines no clip path for the last line
        return tops.get(n, tops.get(0, 1.5) + n * lh)

    fills = dict(FILL_RE.findall(svg))
    top = -0.88 * size  # the CJK em box (ascent 0.88 em) on the terminal's line

    def split(m: re.Match) -> str:
        cls, x, y, _length, rest, content = m.groups()
        line = LINE_RE.search(rest)
        base = line_top(int(line.group(1))) - top if line else float(y)
        out: list[str] = []
        run: list[str] = []
        run_x = pos = float(x)

        def flush() -> None:
            if run:
                out.append(
                    f'<text class="{cls}" x="{run_x:.2f}" y="{base:.2f}"{rest}>{html.escape("".join(run))}</text>'
                )
                run.clear()

        for ch in html.unescape(content):
            w = cell_len(ch)
            if w == 0:
                continue
            slot = w * cw
            family = _font_for(font, ch)
            adv = _advance(family, ch, size)
            if ch in (" ", "\u00a0"):
                flush()
            elif ch in BLOCKS and line:
                flush()
                x0, y0, x1, y1 = BLOCKS[ch]
                t0 = line_top(int(line.group(1)))
                out.append(
                    f'<rect fill="{fills.get(cls, "#c5c8c6")}" x="{pos + x0 * slot:.2f}" y="{t0 + y0 * lh:.2f}" '
                    f'width="{(x1 - x0) * slot:.2f}" height="{(y1 - y0) * lh + 0.25:.2f}" shape-rendering="crispEdges"/>'
                )
            elif family == font and abs(adv - slot) < 0.05:
                if not run:
                    run_x = pos
                run.append(ch)
            else:
                flush()
                scale = slot / adv if adv > 0 else 1.0
                face = "" if family == font else f' style="font-family: {html.escape(family)}"'
                out.append(
                    f'<g{rest}><text class="{cls}"{face} transform="translate({pos:.2f} {base:.2f}) scale({scale:.4f} 1)">'
                    f"{html.escape(ch)}</text></g>"
                )
            pos += slot
        flush()
        return "".join(out)

    svg = TEXT_RE.sub(split, svg)
    svg = svg.replace("font-variant-east-asian: full-width;", "")
    svg = re.sub(
        r"font-family: Fira Code, monospace;\s*font-size: 20px;",
        f"font-family: {font}, monospace;\n        font-size: {size:.2f}px;",
        svg,
    )
    return svg


def to_png(svg_path: Path, png_path: Path, *, font: str | None = None) -> Path:
    """Render ``svg_path`` to ``png_path`` with ``rsvg-convert`` after :func:`place_cells`."""
    if not shutil.which("rsvg-convert"):
        raise ConversionError("rsvg-convert is needed (Debian: librsvg2-bin)")
    tmp = png_path.with_suffix(".cells.svg")
    tmp.write_text(place_cells(svg_path.read_text(encoding="utf-8"), font), encoding="utf-8")
    try:
        subprocess.run(["rsvg-convert", str(tmp), "-o", str(png_path)], check=True)
    finally:
        tmp.unlink(missing_ok=True)
    return png_path


def main(argv: list[str] | None = None) -> int:
    """``python -m screens.svg_to_png IN.svg [OUT.png]``."""
    args = sys.argv[1:] if argv is None else argv
    if not args or len(args) > 2:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    src = Path(args[0])
    dst = Path(args[1]) if len(args) == 2 else src.with_suffix(".png")
    try:
        print(to_png(src, dst))
    except ConversionError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
