"""The handout's QR codes: the join URL's and the calendar event's, and a terminal preview."""

from __future__ import annotations

import functools

import qrcode
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M

from hwdesk.handout.model import _check_url

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
