"""A handout page's blocks (header, name, date, QR, join details, notes, footer) and their pagination."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from hwdesk.handout.dates import _span_en, _span_ja, _western
from hwdesk.handout.fonts import _FONT, _FONT_LATIN_BOLD, _clean, _w, _wrap
from hwdesk.handout.model import FIXED_TEXT, PLATFORM_NAMES, HandoutPage
from hwdesk.handout.qr import _calendar_modules, qr_matrix
from hwdesk.handout.style import (
    _CONTENT_W,
    _GREY,
    _INK,
    _MARGIN_BOTTOM,
    _MARGIN_TOP,
    _MARGIN_X,
    _NAVY,
    _PAGE_H,
    _PAGE_W,
    _RULE,
    _TINT,
    _Draw,
    _Item,
    _lead,
    _set_fill,
    _Style,
    _text,
    _text_lines_items,
)


def _heading_item(label: str, st: _Style, space_before: float) -> _Item:
    size = st.heading
    h = size * 1.9

    def draw(c: Canvas, top: float) -> None:
        bar_h = size * 1.45
        _set_fill(c, _TINT)
        c.rect(_MARGIN_X, top - bar_h, _CONTENT_W, bar_h, stroke=0, fill=1)
        _set_fill(c, _NAVY)
        c.rect(_MARGIN_X, top - bar_h, 1.6 * mm, bar_h, stroke=0, fill=1)
        _text(c, _MARGIN_X + 4 * mm, top - bar_h / 2 - size * 0.36, label, size, _NAVY, bold=True)

    return _Item(h, draw, space_before, keep_with_next=True)


def _fit_size(s: str, font: str, size: float, width: float, minimum: float) -> float:
    w = _w(s, size, font)
    if w <= width:
        return size
    return max(minimum, size * width / w)


def _value_font(s: str) -> str:
    return _FONT_LATIN_BOLD if s.isascii() and s.isprintable() else _FONT


def _header_items(page: HandoutPage, t: dict[str, str], st: _Style) -> list[_Item]:
    office = _clean(page.office_name)
    service = _clean(page.service_label)
    title = _clean(page.title)
    tag = t["doc_title"]
    tag_w = _w(tag, st.tag) + 6 * mm
    left_w = _CONTENT_W - tag_w - 4 * mm
    office_lines = _wrap(office, st.office, left_w)
    service_lines = _wrap(service, st.service, left_w)
    title_lines = _wrap(title, st.title, _CONTENT_W)
    h = (
        len(office_lines) * _lead(st.office, 1.35)
        + len(service_lines) * _lead(st.service, 1.3)
        + len(title_lines) * _lead(st.title, 1.4)
        + 3.5 * mm
    )

    def draw(c: Canvas, top: float) -> None:
        # document tag, top right
        tag_h = st.tag * 1.9
        _set_fill(c, _NAVY)
        c.roundRect(_PAGE_W - _MARGIN_X - tag_w, top - tag_h, tag_w, tag_h, 1.2 * mm, stroke=0, fill=1)
        _text(
            c, _PAGE_W - _MARGIN_X - tag_w / 2, top - tag_h / 2 - st.tag * 0.36, tag, st.tag, (1, 1, 1), align="center"
        )
        y = top
        for line in office_lines:
            y -= _lead(st.office, 1.35)
            _text(c, _MARGIN_X, y + st.office * 0.3, line, st.office, _NAVY)
        for line in service_lines:
            y -= _lead(st.service, 1.3)
            _text(c, _MARGIN_X, y + st.service * 0.25, line, st.service, _INK, bold=True)
        for line in title_lines:
            y -= _lead(st.title, 1.4)
            _text(c, _MARGIN_X, y + st.title * 0.32, line, st.title, _INK)
        c.setStrokeColorRGB(*_NAVY)
        c.setLineWidth(2)
        c.line(_MARGIN_X, top - h + 1, _PAGE_W - _MARGIN_X, top - h + 1)
        c.setLineWidth(1)

    return [_Item(h, draw)]


def _continuation_header(page: HandoutPage, t: dict[str, str], st: _Style) -> _Item:
    text = f"{_clean(page.office_name)}　{_clean(page.service_label)}{t['continued']}"
    name = _name_text(page, t)
    size = st.body
    name_w = min(_w(name, size), _CONTENT_W * 0.36) if name else 0.0
    lines = _wrap(text, size, _CONTENT_W - name_w - (6 * mm if name else 0.0))
    h = max(len(lines), 1) * _lead(size) + 3 * mm

    def draw(c: Canvas, top: float) -> None:
        y = top
        for line in lines:
            y -= _lead(size)
            _text(c, _MARGIN_X, y + size * 0.3, line, size, _NAVY)
        if name:
            nsize = _fit_size(name, _FONT, size, _CONTENT_W * 0.36, 8)
            _text(c, _PAGE_W - _MARGIN_X, top - _lead(size) + size * 0.3, name, nsize, _INK, align="right")
        c.setStrokeColorRGB(*_NAVY)
        c.setLineWidth(1.2)
        c.line(_MARGIN_X, top - h + 1, _PAGE_W - _MARGIN_X, top - h + 1)
        c.setLineWidth(1)

    return _Item(h, draw)


def _name_text(page: HandoutPage, t: dict[str, str]) -> str:
    name = _clean(page.seeker_name)
    if not name:
        return ""
    return t["name_line"].format(name=name)  # the name is a value: its braces are not read


def _name_items(page: HandoutPage, t: dict[str, str], st: _Style) -> list[_Item]:
    text = _name_text(page, t)
    if not text:
        return []
    size = st.name
    lines = _wrap(text, size, _CONTENT_W * 0.8)
    lead = _lead(size, 1.35)
    h = len(lines) * lead + 1.5 * mm

    def draw(c: Canvas, top: float) -> None:
        y = top
        width = 0.0
        for line in lines:
            y -= lead
            _text(c, _MARGIN_X + 1 * mm, y + size * 0.3, line, size, _INK)
            width = max(width, _w(line, size))
        c.setStrokeColorRGB(*_GREY)
        c.setLineWidth(0.6)
        c.line(_MARGIN_X, top - h + 1, _MARGIN_X + max(width + 8 * mm, 70 * mm), top - h + 1)
        c.setLineWidth(1)

    return [_Item(h, draw, space_before=st.gap * 0.8)]


def _date_items(page: HandoutPage, t: dict[str, str], st: _Style, lang: str) -> list[_Item]:
    items = [_heading_item(t["date"], st, st.gap)]
    indent = _MARGIN_X + 4 * mm
    width = _CONTENT_W - 4 * mm
    if lang == "ja":
        main = _span_ja(page.start, page.end)
        sub = f"{t['western']} {_western(page.start, page.end)}"
    else:
        main = _span_en(page.start, page.end)
        sub = f"{_span_ja(page.start, page.end)}　{_western(page.start, page.end)}"
    items += _text_lines_items(
        _wrap(main, st.date, width), st.date, _INK, x=indent, bold=True, factor=1.35, space_before=1 * mm
    )
    items += _text_lines_items(_wrap(sub, st.sub, width), st.sub, _GREY, x=indent, factor=1.4)
    return items


def _draw_qr(c: Canvas, matrix: Sequence[Sequence[bool]], x0: float, top: float, width: float) -> None:
    """One filled path of horizontal runs of dark modules (no seams between modules), framed."""
    n = len(matrix)
    module = width / n
    _set_fill(c, (0, 0, 0))
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(x0 + start * module, top - (r + 1) * module, (col - start) * module, module)
            else:
                col += 1
    c.drawPath(path, stroke=0, fill=1)
    # thin frame marking the outer edge of the quiet zone
    c.setStrokeColorRGB(*_RULE)
    c.setLineWidth(0.5)
    c.rect(x0, top - width, width, width, stroke=1, fill=0)
    c.setLineWidth(1)


def _qr_width(matrix: Sequence[Sequence[bool]], wanted: float) -> float:
    # at least the wanted width; larger when the code is dense (≥ 0.5 mm per module)
    return min(max(wanted, len(matrix) * 0.5 * mm), 110 * mm)


def _caption(label: str, st: _Style, width: float) -> tuple[list[str], float]:
    """A QR code's label (what it is for), wrapped to the code's width, and its height."""
    lines = _wrap(label, st.value_label, width)
    return lines, 1.8 * mm + len(lines) * _lead(st.value_label, 1.3)


def _draw_caption(c: Canvas, lines: list[str], st: _Style, x: float, top: float, width: float) -> None:
    y = top - 1.8 * mm
    for line in lines:
        y -= _lead(st.value_label, 1.3)
        _text(c, x + width / 2, y + st.value_label * 0.3, line, st.value_label, _NAVY, bold=True, align="center")


def _calendar_beside(page: HandoutPage, st: _Style) -> bool:
    """The calendar code stands beside the join code when the column between them keeps ≥ 60 mm
    and the meeting ID and passcode each still fit on one line there (A4 normal print); otherwise
    (large print, a dense code, a long passcode) it gets a row of its own."""
    if not page.calendar:
        return False
    join_w = _qr_width(qr_matrix(page.join_url), st.qr_beside)
    cal_w = _qr_width(_calendar_modules(page.calendar), st.cal_qr)
    col_w = _CONTENT_W - join_w - cal_w - 13 * mm
    if col_w < 60 * mm:
        return False
    values = [_clean(v) for v in (page.meeting_id, page.passcode)]
    return all(_w(v, st.value * 0.6, _value_font(v)) <= col_w for v in values if v)


def _qr_item(page: HandoutPage, t: dict[str, str], st: _Style, lang: str) -> _Item:
    matrix = qr_matrix(page.join_url)
    beside = _calendar_beside(page, st)
    qr_w = _qr_width(matrix, st.qr_beside if beside else st.qr)
    gap = 7 * mm
    col_x = _MARGIN_X + qr_w + gap
    col_w = _PAGE_W - _MARGIN_X - col_x
    cal_matrix: Sequence[Sequence[bool]] = []
    cal_w = 0.0
    if beside:
        cal_matrix = _calendar_modules(page.calendar or "")
        cal_w = _qr_width(cal_matrix, st.cal_qr)
        col_w -= cal_w + 6 * mm
    cal_x = _PAGE_W - _MARGIN_X - cal_w
    join_caption, join_caption_h = _caption(t["qr_join"], st, qr_w) if page.calendar else ([], 0.0)
    cal_caption, cal_caption_h = _caption(t["qr_calendar"], st, cal_w) if beside else ([], 0.0)

    # middle column: app, hint, meeting ID, passcode
    blocks: list[tuple[str, str]] = []  # (kind, text)
    app = PLATFORM_NAMES[page.platform][lang]
    blocks.append(("label", t["app"]))
    blocks.append(("app", app))
    for label, value in ((t["meeting_id"], page.meeting_id), (t["passcode"], page.passcode)):
        v = _clean(value)
        if v:
            blocks.append(("label", label))
            blocks.append(("value", v))
    hint_lines = _wrap(t["qr_hint_both"] if page.calendar else t["qr_hint"], st.sub, col_w)
    if beside:
        hint_lines += _wrap(t["calendar_hint"], st.sub, col_w)

    def value_layout(v: str) -> tuple[str, float, list[str]]:
        font = _value_font(v)
        # fitted a hair inside the column: the wrap sums glyph widths, which may round just past it
        size = _fit_size(v, font, st.value, col_w * 0.995, st.value * 0.6)
        lines = _wrap(v, size, col_w, font=font, anywhere=True)
        return font, size, lines

    label_gap = 3.5 * mm
    col_h = 0.0
    for kind, payload in blocks:
        if kind == "label":
            col_h += _lead(st.value_label, 1.3) + 1.5 * mm + (label_gap if col_h else 0.0)
        elif kind == "app":
            col_h += len(_wrap(payload, st.value * 0.8, col_w)) * _lead(st.value * 0.8, 1.25)
        else:
            _, size, lines = value_layout(payload)
            col_h += len(lines) * _lead(size, 1.2) + 1 * mm
    col_h += 3 * mm + len(hint_lines) * _lead(st.sub, 1.4)
    h = max(qr_w + join_caption_h, col_h, cal_w + cal_caption_h)

    def draw(c: Canvas, top: float) -> None:
        _draw_qr(c, matrix, _MARGIN_X, top, qr_w)
        _draw_caption(c, join_caption, st, _MARGIN_X, top - qr_w, qr_w)
        if beside:
            _draw_qr(c, cal_matrix, cal_x, top, cal_w)
            _draw_caption(c, cal_caption, st, cal_x, top - cal_w, cal_w)

        y = top
        for kind, payload in blocks:
            if kind == "label":
                if y < top:
                    y -= label_gap
                y -= _lead(st.value_label, 1.3)
                _text(c, col_x, y + st.value_label * 0.3, payload, st.value_label, _GREY)
                y -= 1.5 * mm
            elif kind == "app":
                size = st.value * 0.8
                for line in _wrap(payload, size, col_w):
                    y -= _lead(size, 1.25)
                    _text(c, col_x, y + size * 0.22, line, size, _INK, bold=True)
            else:
                font, size, lines = value_layout(payload)
                for line in lines:
                    y -= _lead(size, 1.2)
                    _text(c, col_x, y + size * 0.2, line, size, _INK, font=font)
                y -= 1 * mm
        y -= 3 * mm
        for line in hint_lines:
            y -= _lead(st.sub, 1.4)
            _text(c, col_x, y + st.sub * 0.35, line, st.sub, _GREY)

    return _Item(h, draw, space_before=2.5 * mm)


def _calendar_row_item(page: HandoutPage, t: dict[str, str], st: _Style) -> _Item:
    """The calendar code in a row of its own (large print): the code, its label and the hint beside it."""
    matrix = _calendar_modules(page.calendar or "")
    cal_w = _qr_width(matrix, st.cal_qr)
    gap = 7 * mm
    col_x = _MARGIN_X + cal_w + gap
    col_w = _PAGE_W - _MARGIN_X - col_x
    size = st.value * 0.8
    label_lines = _wrap(t["qr_calendar"], size, col_w)
    hint_lines = _wrap(t["calendar_hint"], st.sub, col_w)
    col_h = len(label_lines) * _lead(size, 1.25) + 2 * mm + len(hint_lines) * _lead(st.sub, 1.4)
    h = max(cal_w, col_h)

    def draw(c: Canvas, top: float) -> None:
        _draw_qr(c, matrix, _MARGIN_X, top, cal_w)
        y = top
        for line in label_lines:
            y -= _lead(size, 1.25)
            _text(c, col_x, y + size * 0.22, line, size, _NAVY, bold=True)
        y -= 2 * mm
        for line in hint_lines:
            y -= _lead(st.sub, 1.4)
            _text(c, col_x, y + st.sub * 0.35, line, st.sub, _GREY)

    return _Item(h, draw, space_before=5 * mm)


def _join_items(page: HandoutPage, t: dict[str, str], st: _Style, lang: str) -> list[_Item]:
    items = [_heading_item(t["join"], st, st.gap)]
    items.append(_qr_item(page, t, st, lang))
    width = _CONTENT_W - 4 * mm
    indent = _MARGIN_X + 4 * mm
    items += _text_lines_items(_wrap(t["url_hint"], st.sub, width), st.sub, _GREY, x=indent, space_before=3 * mm)
    items += _text_lines_items(_wrap(page.join_url, st.url, width, anywhere=True), st.url, _INK, x=indent, factor=1.35)
    if page.calendar and not _calendar_beside(page, st):
        items.append(_calendar_row_item(page, t, st))
    return items


def _note_items(
    page: HandoutPage, t: dict[str, str], st: _Style, squeeze: float, memo: dict | None = None
) -> list[_Item]:
    """``squeeze`` 0 = normal spacing … 1 = tightest (used only to avoid a second page).
    ``memo`` keeps the wrapped lines between attempts: squeezing changes spacing, not widths."""
    memo = {} if memo is None else memo

    def wrap(text: str, size: float, width: float) -> list[str]:
        key = (text, size, width)
        if key not in memo:
            memo[key] = _wrap(text, size, width)
        return memo[key]

    if not page.instructions:
        return []
    items = [_heading_item(t["notes"], st, st.gap)]
    size = st.note
    lead = _lead(size, 1.5 - 0.1 * squeeze)
    bullet = t["bullet"]
    bullet_w = _w("・", size) * 1.1 if bullet == "・" else _w("• ", size)
    x_text = _MARGIN_X + 4 * mm + bullet_w
    width = _PAGE_W - _MARGIN_X - x_text
    gap = st.note_gap + (st.note_gap_tight - st.note_gap) * squeeze
    items += _text_lines_items(
        _wrap(t["notes_hint"], st.sub, _CONTENT_W - 4 * mm), st.sub, _GREY, x=_MARGIN_X + 4 * mm, space_before=0.5 * mm
    )
    for item in items:
        item.keep_with_next = True
    for k, ins in enumerate(page.instructions):
        sub = 5 * mm if ins.sub else 0.0
        x_bullet, x_line, width_line = _MARGIN_X + 4 * mm + sub, x_text + sub, width - sub
        body = _clean(ins.text)
        cite = _clean(ins.cite)
        cite_text = f"{t['cite_open']}{cite}{t['cite_close']}" if cite else ""
        # the citation stays in one piece: on the last line if it fits, else on its own line
        runs: list[tuple[str, str]] = [(line, "") for line in wrap(body, size, width_line)]
        if cite_text:
            cite_w = _w(cite_text, size * 0.92)
            if runs and _w(runs[-1][0], size) + cite_w <= width_line:
                runs[-1] = (runs[-1][0], cite_text)
            elif cite_w <= width_line:
                runs.append(("", cite_text.strip()))
            else:
                runs += [("", piece) for piece in wrap(cite_text.strip(), size * 0.92, width_line)]
        for i, (main_part, cite_part) in enumerate(runs):

            def draw(
                c: Canvas,
                top: float,
                first=(i == 0),
                main_part=main_part,
                cite_part=cite_part,
                x_bullet=x_bullet,
                x_line=x_line,
            ) -> None:
                base = top - size * 0.88 - (lead - size) / 2
                if first:
                    _text(c, x_bullet, base, bullet, size, _NAVY)
                _text(c, x_line, base, main_part, size, _INK)
                if cite_part:
                    _text(c, x_line + _w(main_part, size), base, cite_part, size * 0.92, _GREY)

            if i == 0:
                space = (gap * 0.5 if ins.sub else gap) if k > 0 else 1.5 * mm
            else:
                space = 0.0
            # keep an instruction's lines together (and the hint with the first one)
            items.append(_Item(lead, draw, space_before=space, keep_with_next=i < len(runs) - 1))
    return items


def _footer_height(st: _Style) -> float:
    return _lead(st.footer, 1.5) * 2 + _lead(st.footer_small, 1.4) + 4 * mm


def _draw_footer(c: Canvas, page: HandoutPage, t: dict[str, str], st: _Style, n: int, total: int) -> None:
    h = _footer_height(st)
    top = _MARGIN_BOTTOM + h
    c.setStrokeColorRGB(*_NAVY)
    c.setLineWidth(1.2)
    c.line(_MARGIN_X, top, _PAGE_W - _MARGIN_X, top)
    c.setLineWidth(1)
    y = top - 2.5 * mm
    # recording ban
    size = st.footer
    y -= _lead(size, 1.5)
    rec = t["recording"]
    if page.footer_note is not None:  # an empty note: the terms in force no longer say it, print nothing
        note = page.footer_note
        rec = f"{_clean(note.text)}{t['cite_open']}{_clean(note.cite)}{t['cite_close']}" if note.text else ""
    rec = rec if _w(rec, size) <= _CONTENT_W else _wrap(rec, size, _CONTENT_W)[0]
    _text(c, _MARGIN_X, y + size * 0.3, rec, size, (0.62, 0.05, 0.05), bold=True)
    # contact
    y -= _lead(size, 1.5)
    contact = f"{t['contact']}：{_clean(page.office_name)}　{_clean(page.office_contact)}"
    if t is FIXED_TEXT["en"]:
        contact = f"{t['contact']}: {_clean(page.office_name)}  {_clean(page.office_contact)}"
    csize = _fit_size(contact, _FONT, size, _CONTENT_W, size * 0.7)
    _text(c, _MARGIN_X, y + size * 0.3, contact, csize, _INK)
    # session reference and page number
    y -= _lead(st.footer_small, 1.4)
    ref = _clean(page.session_ref)
    if ref:
        _text(c, _MARGIN_X, y + st.footer_small * 0.3, f"{t['ref']} {ref}", st.footer_small, _GREY)
    if total > 1:
        _text(
            c,
            _PAGE_W - _MARGIN_X,
            y + st.footer_small * 0.3,
            t["page"].format(n=n, total=total),
            st.footer_small,
            _GREY,
            align="right",
        )


def _paginate(first: list[_Item], cont: _Item, st: _Style) -> list[list[tuple[float, _Draw]]]:
    """Place items top-down; start a new page (with the continuation header) when the next
    item (plus the item it must stay with) does not fit above the footer."""
    top = _PAGE_H - _MARGIN_TOP
    bottom = _MARGIN_BOTTOM + _footer_height(st) + 3 * mm
    pages: list[list[tuple[float, _Draw]]] = [[]]
    capacity = top - bottom - cont.height - 2 * mm
    y = top
    fresh = True
    i = 0
    while i < len(first):
        item = first[i]
        need = item.height + (0 if fresh else item.space_before)
        j = i
        while first[j].keep_with_next and j + 1 < len(first):
            j += 1
            need += first[j].space_before + first[j].height
        if need > capacity:  # a chain longer than a page is split where it must be
            need = item.height + (0 if fresh else item.space_before)
        if y - need < bottom and not fresh:
            pages.append([])
            y = top
            pages[-1].append((y, cont.draw))
            y -= cont.height + 2 * mm
            fresh = True
            continue
        if not fresh:
            y -= item.space_before
        pages[-1].append((y, item.draw))
        y -= item.height
        fresh = False
        i += 1
    return pages


def _layout(page: HandoutPage, st: _Style, lang: str) -> list[list[tuple[float, _Draw]]]:
    t = FIXED_TEXT[lang]
    head = (
        _header_items(page, t, st)
        + _name_items(page, t, st)
        + _date_items(page, t, st, lang)
        + _join_items(page, t, st, lang)
    )
    cont = _continuation_header(page, t, st)
    memo: dict = {}
    pages = _paginate(head + _note_items(page, t, st, 0.0, memo), cont, st)
    if len(pages) > 1:  # shrink the spacing between instructions step by step to stay on one page
        tightest = _paginate(head + _note_items(page, t, st, 1.0, memo), cont, st)
        if len(tightest) > 1:
            return pages  # even the tightest spacing runs on: keep the normal spacing (no third attempt)
        half = _paginate(head + _note_items(page, t, st, 0.5, memo), cont, st)
        return half if len(half) == 1 else tightest
    return pages
