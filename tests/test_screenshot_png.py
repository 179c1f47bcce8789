"""The README's PNGs: Textual's (Rich's) SVG set in a monospace CJK font on terminal cells."""

from __future__ import annotations

import io
import re
import shutil

import pytest

from screens import svg_to_png


def _font() -> str | None:
    try:
        return svg_to_png.cjk_font()
    except (svg_to_png.ConversionError, OSError, ValueError):
        return None


pytestmark = pytest.mark.skipif(
    _font() is None, reason="no monospace CJK font (Debian fonts-noto-cjk or fonts-ipafont-gothic)"
)


def _svg(*lines: str) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=60, file=io.StringIO(), color_system="truecolor")
    for line in lines:
        console.print(Text(line, style="bold white on black"))
    return console.export_svg(title="t")


def test_wide_text_is_one_run_on_its_cells_and_misfits_are_scaled():
    out = svg_to_png.place_cells(_svg("求職番号 AB│x"))
    texts = re.findall(r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+"[^>]*>([^<]*)</text>', out)
    runs = dict((t, float(x)) for x, t in texts)
    assert runs["AB"] - runs["求職番号"] == pytest.approx(9 * 12.2, abs=0.01)  # 4 wide characters and a space
    assert "textLength" not in out  # the font's own advances are the cells
    assert "font-size: 24.40px" in out  # twice the cell: a half-width glyph is one cell
    assert re.search(r'transform="translate\([\d.]+ [\d.]+\) scale\(0\.\d+ 1\)">│</text>', out)  # one cell, not two
    assert "font-variant-east-asian" not in out


@pytest.mark.skipif(not shutil.which("rsvg-convert"), reason="rsvg-convert (Debian librsvg2-bin) is not installed")
def test_a_qr_drawn_with_half_blocks_reads_back_from_the_png(tmp_path):
    import zxingcpp
    from PIL import Image

    from hwdesk.handout import qr_halfblocks

    url = "https://us06web.zoom.us/j/81234567890"
    svg = tmp_path / "qr.svg"
    svg.write_text(_svg("案内書のQRコード", *qr_halfblocks(url)), encoding="utf-8")
    png = svg_to_png.to_png(svg, tmp_path / "qr.png")
    assert [b.text for b in zxingcpp.read_barcodes(Image.open(png))] == [url]
