"""Printed handouts for online sessions (A4 PDF and PNG).

The handout is the sheet a job seeker takes home after a clerk books an online session:
office and service, the date and time (和暦 and western), the meeting platform, a large QR
code of the join URL with the meeting ID and passcode beside it, the URL as text, the
seeker's name (only if the office prints names), the instructions taken from the office's
terms of use with their citations, and a footer with the office's phone number, the session
reference and a note that recording is prohibited.

Design notes
------------
* Text is drawn with IPAexGothic (``data/fonts/ipaexg.ttf``, IPA Font License v1.0), which
  reportlab embeds as a subset, so the PDF prints the same on a machine without Japanese
  fonts. Meeting IDs and passcodes made of ASCII characters are drawn with Bitstream Vera
  Sans Bold, which ships inside reportlab. No standard-14 (non-embedded) font is used.
* Everything supplied by callers (names, titles, URLs, IDs) is drawn with
  ``Canvas.drawString``, which does not interpret markup: ``[bold]`` or ``<b>`` is printed
  literally. Control and format characters are dropped defensively, characters the font
  lacks are printed as 〓 (the customary placeholder) instead of an empty box.
* Times are shown in Japan time (UTC+9, no DST) whatever time zone the datetimes carry.
* Large print uses ≥16 pt body text and an 85 mm QR code; when the page is full the text
  continues on another page for the same seeker (never off the page).
* :func:`render_png` rasterizes the PDF with ``pypdfium2`` (imported only there, so it is a
  runtime dependency of that function only).
* This module never imports textual.
"""

from __future__ import annotations

import functools
import io
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from hwdesk.errors import HwdeskError
from hwdesk.paths import data_dir

__all__ = [
    "FIXED_TEXT",
    "PLATFORM_NAMES",
    "HandoutError",
    "HandoutPage",
    "Instruction",
    "calendar_qr_matrix",
    "qr_halfblocks",
    "qr_matrix",
    "render_pdf",
    "render_png",
]


# ---------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------


class HandoutError(HwdeskError):
    """Invalid handout input, with its Japanese and English message (``str(err)`` is the Japanese)."""


@dataclass(frozen=True)
class Instruction:
    """One thing the seeker must do, taken from the office's terms (see hwdesk.handout_text)."""

    text: str
    cite: str  # e.g. "第4条第4項"
    sub: bool = False  # an item of the list the line before introduces: printed indented


@dataclass(frozen=True)
class HandoutPage:
    office_name: str  # "ハローワーク高松"
    office_contact: str  # phone, e.g. "087-869-8609"
    service_label: str  # "オンライン職業相談" / "Online job counseling"
    start: datetime  # aware (any tz; shown in Asia/Tokyo)
    end: datetime
    platform: str  # "zoom" | "teams" | "webex" | "other"
    join_url: str
    meeting_id: str | None
    passcode: str | None
    seeker_name: str | None  # already in the office's chosen form; None = not printed
    instructions: tuple[Instruction, ...]
    session_ref: str  # e.g. "S-000123", printed small in the footer
    title: str | None = None  # seminar title, optional
    footer_note: Instruction | None = None  # the office's recording reminder with its article ('' text: none)
    calendar: str | None = None  # iCalendar text (hwdesk.ics) for the second QR code; None = no calendar code


FIXED_TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "doc_title": "オンラインサービス 参加のご案内",
        "date": "日時",
        "western": "西暦",
        "join": "参加方法",
        "app": "使用アプリ",
        "meeting_id": "ミーティングID",
        "passcode": "パスコード",
        "url": "参加用URL",
        "name": "お名前",
        "honorific": "様",
        "qr_hint": "スマートフォン等のカメラでQRコードを読み取ると、参加画面が開きます。",
        "qr_join": "参加用QRコード",
        "qr_calendar": "カレンダー登録用QRコード",
        "qr_hint_both": "「参加用」のQRコードを読み取ると、参加画面が開きます。",
        "calendar_hint": "「カレンダー登録用」のQRコードを読み取ると、日時と参加用URLをスマートフォンのカレンダーに登録できます。",
        "url_hint": "QRコードを読み取れない場合は、次のURLをブラウザに入力してください。",
        "notes": "ご利用にあたっての注意事項",
        "notes_hint": "（　）内は利用規約の該当箇所です。",
        "contact": "お問い合わせ",
        "ref": "整理番号",
        "recording": "録画・録音は禁止されています。",
        "continued": "（続き）",
        "page": "{n}/{total}",
        "bullet": "・",
        "cite_open": "（",
        "cite_close": "）",
    },
    "en": {
        "doc_title": "How to join your online session",
        "date": "Date and time",
        "western": "",
        "join": "How to join",
        "app": "App",
        "meeting_id": "Meeting ID",
        "passcode": "Passcode",
        "url": "Join URL",
        "name": "Name",
        "honorific": "",
        "qr_hint": "Scan the QR code with your smartphone camera to open the meeting.",
        "qr_join": "Join the meeting",
        "qr_calendar": "Add to calendar",
        "qr_hint_both": 'Scan the "Join the meeting" QR code to open the meeting.',
        "calendar_hint": 'Scan the "Add to calendar" QR code to save the date, time and link in your phone\'s calendar.',
        "url_hint": "If you cannot scan the QR code, type this address into your web browser:",
        "notes": "Before you join: terms of use",
        "notes_hint": "The article of the office's terms of use is shown in brackets.",
        "contact": "Contact",
        "ref": "Ref.",
        "recording": "Recording (video or audio) is prohibited.",
        "continued": " (continued)",
        "page": "Page {n} of {total}",
        "bullet": "•",
        "cite_open": " [",
        "cite_close": "]",
    },
}

PLATFORM_NAMES: dict[str, dict[str, str]] = {
    "zoom": {"ja": "Zoom", "en": "Zoom"},
    "teams": {"ja": "Microsoft Teams", "en": "Microsoft Teams"},
    "webex": {"ja": "Webex", "en": "Webex"},
    "other": {"ja": "オンライン会議", "en": "Online meeting"},
}

_LANGS = ("ja", "en")
_MAX_URL_LEN = 2000  # longer URLs make QR modules too small to scan from paper
_MAX_CALENDAR_BYTES = 1200  # QR version 25 at level L: the code stays ≤ 63 mm at 0.5 mm a module


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def _check_url(url: str) -> str:
    if not isinstance(url, str) or not url:
        raise HandoutError("参加用URLがありません。", "The join URL is missing.")
    if len(url) > _MAX_URL_LEN:
        raise HandoutError(
            f"参加用URLが長すぎます（{_MAX_URL_LEN}文字まで）。",
            f"The join URL is too long (at most {_MAX_URL_LEN} characters).",
        )
    if not url.isascii() or any(ch.isspace() or not ch.isprintable() for ch in url):
        raise HandoutError(
            "参加用URLに空白・制御文字・全角文字が含まれています。",
            "The join URL contains spaces, control characters or non-ASCII characters.",
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme != "https" or not url.lower().startswith("https://"):
        raise HandoutError(
            "参加用URLは https:// で始まる必要があります。",
            "The join URL must start with https://.",
        )
    if not host:
        raise HandoutError("参加用URLにホスト名がありません。", "The join URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise HandoutError(
            "参加用URLに「@」より前の部分（ユーザー情報）を含めることはできません。",
            "The join URL must not contain user information before '@'.",
        )
    return url


def _check_lang(lang: str) -> str:
    if lang not in _LANGS:
        raise HandoutError(f"未対応の言語です: {lang!r}", f"Unsupported language: {lang!r}")
    return lang


def _check_page(page: HandoutPage) -> None:
    if not isinstance(page, HandoutPage):
        raise HandoutError("案内票データの形式が正しくありません。", "Not a HandoutPage.")
    _check_url(page.join_url)
    if page.platform not in PLATFORM_NAMES:
        raise HandoutError(
            f"未対応の会議アプリです: {page.platform!r}",
            f"Unknown meeting platform: {page.platform!r}",
        )
    for dt in (page.start, page.end):
        if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
            raise HandoutError("日時にタイムゾーンがありません。", "Start and end must be timezone-aware datetimes.")
    if page.end <= page.start:
        raise HandoutError("終了時刻が開始時刻より前です。", "The session ends before it starts.")
    if not page.office_name.strip():
        raise HandoutError("ハローワーク名がありません。", "The office name is missing.")
    if page.calendar is not None and (
        not isinstance(page.calendar, str) or len(page.calendar.encode("utf-8")) > _MAX_CALENDAR_BYTES
    ):
        raise HandoutError(
            f"カレンダーの予定が長すぎます（{_MAX_CALENDAR_BYTES}バイトまで）。",
            f"The calendar event is too long for its QR code (at most {_MAX_CALENDAR_BYTES} bytes).",
        )


# ---------------------------------------------------------------------------
# Dates (private, independent of hwdesk.jtext)
# ---------------------------------------------------------------------------

_JST = timezone(timedelta(hours=9), "JST")  # Japan has no DST: a fixed offset is exact
_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ERAS = ((date(2019, 5, 1), "令和"), (date(1989, 1, 8), "平成"))


def _wareki(d: date) -> str:
    for first, era in _ERAS:
        if d >= first:
            n = d.year - first.year + 1
            year = "元" if n == 1 else str(n)
            return f"{era}{year}年{d.month}月{d.day}日"
    return f"{d.year}年{d.month}月{d.day}日"


def _wareki_wd(d: date) -> str:
    return f"{_wareki(d)}({_WEEKDAYS_JA[d.weekday()]})"


def _span_ja(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(_JST), end.astimezone(_JST)
    if s.date() == e.date():
        return f"{_wareki_wd(s.date())} {s:%H:%M}〜{e:%H:%M}"
    return f"{_wareki_wd(s.date())} {s:%H:%M}〜{_wareki_wd(e.date())} {e:%H:%M}"


def _date_en(d: date) -> str:
    return f"{_WEEKDAYS_EN[d.weekday()]} {d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def _span_en(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(_JST), end.astimezone(_JST)
    if s.date() == e.date():
        return f"{_date_en(s.date())} {s:%H:%M}–{e:%H:%M} (JST)"
    return f"{_date_en(s.date())} {s:%H:%M} – {_date_en(e.date())} {e:%H:%M} (JST)"


def _western(start: datetime, end: datetime) -> str:
    s, e = start.astimezone(_JST), end.astimezone(_JST)
    if s.date() == e.date():
        return s.date().isoformat()
    return f"{s.date().isoformat()} – {e.date().isoformat()}"


# ---------------------------------------------------------------------------
# QR code
# ---------------------------------------------------------------------------

_QR_BORDER = 4


def qr_matrix(url: str) -> list[list[bool]]:
    """QR modules of ``url`` (error correction M, smallest version that fits), ``True`` =
    dark, including the 4-module quiet zone on every side. Raises HandoutError for a URL
    that is not ``https://``."""
    _check_url(url)
    return [list(row) for row in _url_modules(url)]


@functools.lru_cache(maxsize=32)
def _url_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    # the layout asks for the join code's size more than once per page (beside the calendar code?)
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=_QR_BORDER, box_size=1)
    qr.add_data(url.encode("ascii"))
    qr.make(fit=True)
    return tuple(tuple(bool(v) for v in row) for row in qr.get_matrix())


def calendar_qr_matrix(text: str) -> list[list[bool]]:
    """QR modules of an iCalendar text (UTF-8, error correction L: the event is long and the
    code is printed on paper, where L reads reliably), with the quiet zone, ``True`` = dark."""
    return [list(row) for row in _calendar_modules(text)]


@functools.lru_cache(maxsize=32)
def _calendar_modules(text: str) -> tuple[tuple[bool, ...], ...]:
    # a code of ~600 bytes takes qrcode a tenth of a second (it tries all eight masks); every
    # participant of a session shares the event, and the layout asks twice per page
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=_QR_BORDER, box_size=1)
    qr.add_data(text.encode("utf-8"))
    qr.make(fit=True)
    return tuple(tuple(bool(v) for v in row) for row in qr.get_matrix())


def qr_halfblocks(url: str) -> list[str]:
    """The QR code of ``url`` as text for a terminal, two module rows per line.

    The drawing is **inverse**: the characters draw the *light* modules (``'█'`` both light,
    ``'▀'`` upper light, ``'▄'`` lower light, ``' '`` both dark), so on the usual dark
    terminal background the dark modules show as the background and the code scans as a
    normal dark-on-light QR code. (A light-background terminal would show a negative code,
    which many phone scanners do not read.) The quiet zone is included; for the odd number
    of rows the missing last half-row is treated as light (quiet zone). All lines have the
    same length (the matrix width) and there are ``ceil(size / 2)`` lines.
    """
    m = qr_matrix(url)
    size = len(m)
    lines: list[str] = []
    for r in range(0, size, 2):
        top = m[r]
        bottom = m[r + 1] if r + 1 < size else [False] * len(top)
        chars = []
        for t_dark, b_dark in zip(top, bottom):
            if not t_dark and not b_dark:
                chars.append("█")
            elif not t_dark:
                chars.append("▀")
            elif not b_dark:
                chars.append("▄")
            else:
                chars.append(" ")
        lines.append("".join(chars))
    return lines


# ---------------------------------------------------------------------------
# Fonts and text
# ---------------------------------------------------------------------------

_FONT = "HwdeskIPAexGothic"
_FONT_LATIN_BOLD = "HwdeskVeraSansBold"
_font_lock = threading.Lock()
_font_glyphs: frozenset[int] = frozenset()
_font_widths: dict[str, tuple[Callable[[int, float], float], float]] = {}
_fonts_ready = False


def _ensure_fonts() -> None:
    global _fonts_ready, _font_glyphs
    if _fonts_ready:
        return
    with _font_lock:
        if _fonts_ready:
            return
        path = data_dir() / "fonts" / "ipaexg.ttf"
        if not path.is_file():
            raise HandoutError(
                f"日本語フォントが見つかりません: {path}",
                f"Japanese font not found: {path}",
            )
        ipa = TTFont(_FONT, str(path))
        pdfmetrics.registerFont(ipa)
        vera = TTFont(_FONT_LATIN_BOLD, "VeraBd.ttf")  # ships with reportlab
        pdfmetrics.registerFont(vera)
        for name, font in ((_FONT, ipa), (_FONT_LATIN_BOLD, vera)):
            _font_widths[name] = (font.face.charWidths.get, font.face.defaultWidth)
        _font_glyphs = frozenset(ipa.face.charToGlyph)
        _fonts_ready = True


def _clean(text: str | None) -> str:
    """User text made drawable: controls/format characters dropped, line breaks and tabs
    become spaces, characters missing from the font become 〓. Markup-looking text is kept."""
    if not text:
        return ""
    out = []
    for ch in str(text):
        if ch in "\r\n\t\v\f\u2028\u2029\x85":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        if ord(ch) not in _font_glyphs and ch != " ":
            out.append("〓")
            continue
        out.append(ch)
    return "".join(out).strip()


def _w(text: str, size: float, font: str = _FONT) -> float:
    # reportlab's own sum for a TrueType font (rl_accel's pure-Python path), without the three
    # calls around it: wrapping measures thousands of short strings per page
    widths = _font_widths.get(font)
    if widths is None:
        return pdfmetrics.stringWidth(text, font, size)
    get, default = widths
    return 0.001 * size * sum(get(ord(ch), default) for ch in text)


# Kinsoku: the same units as the screens break text into (one rule set, hwdesk.linebreak).
from hwdesk.linebreak import units as _units  # noqa: E402


def _break_chars(s: str, size: float, width: float, font: str) -> list[str]:
    lines, cur, cur_w = [], "", 0.0
    for ch in s:
        ch_w = _w(ch, size, font)  # glyph widths add up: a line's width is the sum of its characters'
        if cur and cur_w + ch_w > width:
            lines.append(cur)
            cur, cur_w = ch, ch_w
        else:
            cur, cur_w = cur + ch, cur_w + ch_w
    if cur:
        lines.append(cur)
    return lines


def _wrap(text: str, size: float, width: float, *, font: str = _FONT, anywhere: bool = False) -> list[str]:
    """Wrap ``text`` to ``width`` points by measured glyph widths. Japanese breaks between
    characters (with kinsoku), Latin between words; ``anywhere`` breaks at any character
    (URLs). Words wider than the line are broken by character. Widths are summed unit by unit,
    so wrapping is linear in the text, not quadratic."""
    if not text:
        return []
    if anywhere:
        return _break_chars(text, size, width, font)
    space = _w(" ", size, font)
    lines: list[str] = []
    cur, cur_w = "", 0.0
    for unit in _units(text):
        if unit == " " and not cur:
            continue
        unit_w = _w(unit, size, font)
        cand, cand_w = cur + unit, cur_w + unit_w
        trailing = len(cand) - len(cand.rstrip())
        if cand_w - trailing * space <= width:
            cur, cur_w = cand, cand_w
            continue
        if cur.strip():
            lines.append(cur.rstrip())
        cur, cur_w = ("", 0.0) if unit == " " else (unit, unit_w)
        if cur_w > width:
            pieces = _break_chars(cur, size, width, font)
            lines.extend(pieces[:-1])
            cur = pieces[-1]
            cur_w = _w(cur, size, font)
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


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


def _continuation_header(page: HandoutPage, t: dict[str, str], st: _Style, lang: str) -> _Item:
    text = f"{_clean(page.office_name)}　{_clean(page.service_label)}{t['continued']}"
    name = _name_text(page, t, lang)
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


def _name_text(page: HandoutPage, t: dict[str, str], lang: str) -> str:
    name = _clean(page.seeker_name)
    if not name:
        return ""
    if lang == "ja":
        return f"{name} {t['honorific']}"
    return f"{t['name']}: {name}"


def _name_items(page: HandoutPage, t: dict[str, str], st: _Style, lang: str) -> list[_Item]:
    text = _name_text(page, t, lang)
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
    for key, value in (("meeting_id", page.meeting_id), ("passcode", page.passcode)):
        v = _clean(value)
        if v:
            blocks.append(("label", t[key]))
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
        + _name_items(page, t, st, lang)
        + _date_items(page, t, st, lang)
        + _join_items(page, t, st, lang)
    )
    cont = _continuation_header(page, t, st, lang)
    memo: dict = {}
    pages = _paginate(head + _note_items(page, t, st, 0.0, memo), cont, st)
    if len(pages) > 1:  # shrink the spacing between instructions step by step to stay on one page
        tightest = _paginate(head + _note_items(page, t, st, 1.0, memo), cont, st)
        if len(tightest) > 1:
            return pages  # even the tightest spacing runs on: keep the normal spacing (no third attempt)
        half = _paginate(head + _note_items(page, t, st, 0.5, memo), cont, st)
        return half if len(half) == 1 else tightest
    return pages


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
