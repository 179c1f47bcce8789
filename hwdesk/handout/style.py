"""Page geometry, the normal and large-print styles, and the drawing primitives the layout uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hwdesk.handout.fonts import _FONT, _w

# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------

_PAGE_W, _PAGE_H = A4
_MARGIN_X = 17 * mm
_MARGIN_TOP = 15 * mm
_MARGIN_BOTTOM = 13 * mm
_CONTENT_W = _PAGE_W - 2 * _MARGIN_X

_NAVY = (0.106, 0.231, 0.416)
_INK = (0.08, 0.08, 0.08)
_GREY = (0.36, 0.36, 0.36)
_RULE = (0.72, 0.75, 0.80)
_TINT = (0.925, 0.945, 0.97)


@dataclass(frozen=True)
class _Style:
    office: float
    service: float
    title: float
    tag: float
    name: float
    heading: float
    date: float
    sub: float  # secondary lines (western date, hints)
    body: float
    value_label: float
    value: float
    url: float
    note: float
    footer: float
    footer_small: float
    qr: float  # QR width in points (incl. quiet zone)
    qr_beside: float  # the join QR's width when the calendar QR stands beside it
    cal_qr: float  # calendar QR width (at least 0.5 mm per module)
    gap: float  # space between sections
    note_gap: float  # space between instructions (normal)
    note_gap_tight: float


_NORMAL = _Style(
    office=13,
    service=21,
    title=14,
    tag=10,
    name=16,
    heading=12,
    date=19,
    sub=10.5,
    body=11,
    value_label=10,
    value=22,
    url=9,
    note=11,
    footer=10,
    footer_small=8,
    qr=62 * mm,
    qr_beside=50 * mm,
    cal_qr=44 * mm,
    gap=6 * mm,
    note_gap=2.2 * mm,
    note_gap_tight=0.8 * mm,
)
_LARGE = _Style(
    office=16,
    service=25,
    title=18,
    tag=13,
    name=20,
    heading=17,
    date=24,
    sub=16,
    body=16,
    value_label=15,
    value=28,
    url=16,
    note=16,
    footer=16,
    footer_small=12,
    qr=85 * mm,
    qr_beside=85 * mm,
    cal_qr=60 * mm,
    gap=6 * mm,
    note_gap=2.4 * mm,
    note_gap_tight=0.6 * mm,
)

_Draw = Callable[[Canvas, float], None]  # draws with its top edge at the given y


@dataclass
class _Item:
    height: float
    draw: _Draw
    space_before: float = 0.0  # dropped at the top of a page
    keep_with_next: bool = False


def _set_fill(c: Canvas, rgb: tuple[float, float, float]) -> None:
    c.setFillColorRGB(*rgb)


def _text(
    c: Canvas,
    x: float,
    baseline: float,
    s: str,
    size: float,
    rgb=_INK,
    *,
    font: str = _FONT,
    bold: bool = False,
    align: str = "left",
) -> None:
    if not s:
        return
    c.setFont(font, size)
    _set_fill(c, rgb)
    if align == "right":
        x -= _w(s, size, font)
    elif align == "center":
        x -= _w(s, size, font) / 2
    if bold:  # IPAexGothic has no bold face: fill + thin stroke of the outline
        c.setStrokeColorRGB(*rgb)
        c.setLineWidth(size * 0.045)
        c.drawString(x, baseline, s, mode=2)
        c.setLineWidth(1)
    else:
        c.drawString(x, baseline, s)


def _lead(size: float, factor: float = 1.45) -> float:
    return size * factor


def _text_lines_items(
    lines: list[str],
    size: float,
    rgb,
    *,
    x: float = _MARGIN_X,
    bold: bool = False,
    font: str = _FONT,
    factor: float = 1.45,
    space_before: float = 0.0,
) -> list[_Item]:
    """One splittable item per line."""
    items = []
    lead = _lead(size, factor)
    for i, line in enumerate(lines):

        def draw(c: Canvas, top: float, line=line) -> None:
            _text(c, x, top - size * 0.88 - (lead - size) / 2, line, size, rgb, bold=bold, font=font)

        items.append(_Item(lead, draw, space_before if i == 0 else 0.0))
    return items
