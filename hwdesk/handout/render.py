"""Rendering handouts: an A4 PDF (one or more pages per seeker) or a PNG of one seeker's sheet."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from hwdesk.handout.fonts import _FONT, _clean, _ensure_fonts
from hwdesk.handout.layout import _draw_footer, _layout
from hwdesk.handout.model import FIXED_TEXT, HandoutError, HandoutPage, _check_lang, _check_page
from hwdesk.handout.style import _LARGE, _NORMAL

# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _pdf_bytes(pages: Sequence[HandoutPage], *, large_print: bool, lang: str) -> bytes:
    _check_lang(lang)
    if isinstance(pages, HandoutPage):
        pages = [pages]
    pages = list(pages)
    if not pages:
        raise HandoutError("印刷する案内票がありません。", "No handout pages to render.")
    for p in pages:
        _check_page(p)
    _ensure_fonts()
    st = _LARGE if large_print else _NORMAL
    t = FIXED_TEXT[lang]

    buf = io.BytesIO()
    c = Canvas(
        buf,
        pagesize=A4,
        invariant=1,
        pageCompression=1,
        lang=lang,
        initialFontName=_FONT,
        initialFontSize=10,
    )
    first = pages[0]
    c.setTitle(f"{_clean(first.office_name)} {t['doc_title']}")
    c.setAuthor(_clean(first.office_name))
    c.setSubject(t["doc_title"])
    c.setCreator("hwdesk")
    for p in pages:
        laid = _layout(p, st, lang)
        for n, ops in enumerate(laid, start=1):
            for y, draw in ops:
                draw(c, y)
            _draw_footer(c, p, t, st, n, len(laid))
            c.showPage()
    c.save()
    return buf.getvalue()


def render_pdf(
    pages: Sequence[HandoutPage], out: Path | BinaryIO, *, large_print: bool = False, lang: str = "ja"
) -> None:
    """Render handouts to an A4 PDF: one or more pages per HandoutPage, in order.

    ``out`` is a path (written only once everything rendered) or a binary file object.
    Raises HandoutError for invalid input (non-https URL, naive datetimes, unknown
    platform or language, empty batch)."""
    data = _pdf_bytes(pages, large_print=large_print, lang=lang)
    if isinstance(out, (str, Path)):
        path = Path(out)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    else:
        out.write(data)


def render_png(page: HandoutPage, out: Path, *, large_print: bool = False, lang: str = "ja", dpi: int = 150) -> None:
    """Render one seeker's handout to a PNG (via the PDF, rasterized with pypdfium2).

    If the handout runs to more than one page, the pages are stacked vertically in one
    image, separated by a grey band."""
    import pypdfium2 as pdfium  # runtime dependency of this function only
    from PIL import Image

    if not (36 <= dpi <= 1200):
        raise HandoutError("解像度は36〜1200dpiで指定してください。", "dpi must be between 36 and 1200.")
    data = _pdf_bytes([page], large_print=large_print, lang=lang)
    pdf = pdfium.PdfDocument(data)
    try:
        images = []
        for i in range(len(pdf)):
            bitmap = pdf[i].render(scale=dpi / 72)
            images.append(bitmap.to_pil().convert("RGB"))
    finally:
        pdf.close()
    if len(images) == 1:
        img = images[0]
    else:
        sep = max(4, dpi // 10)
        w = max(im.width for im in images)
        img = Image.new("RGB", (w, sum(im.height for im in images) + sep * (len(images) - 1)), (128, 128, 128))
        y = 0
        for im in images:
            img.paste(im, (0, y))
            y += im.height + sep
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    img.save(tmp, format="PNG", optimize=True, dpi=(dpi, dpi))
    tmp.replace(path)
