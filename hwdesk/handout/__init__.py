"""Printed handouts for online sessions (A4 PDF and PNG).

The handout is the sheet a job seeker takes home after a clerk books an online session:
office and service, the date and time (和暦 and western), the meeting platform, a large QR
code of the join URL with the meeting ID and passcode beside it, the URL as text, the
seeker's name (only if the office prints names), the instructions taken from the office's
terms of use with their citations, and a footer with the office's phone number, the session
reference and a note that recording is prohibited.

The package by responsibility: ``model`` (the page's data and its checks), ``dates`` (how the
sheet writes the session's time), ``qr`` (the QR codes), ``fonts`` (embedded fonts, measuring
and line breaking), ``style`` (page geometry, type sizes, drawing primitives), ``layout`` (the
blocks of a page and pagination), ``render`` (PDF and PNG).

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
* This package never imports textual.
"""

from __future__ import annotations

from hwdesk.handout.model import FIXED_TEXT, PLATFORM_NAMES, HandoutError, HandoutPage, Instruction
from hwdesk.handout.qr import calendar_qr_matrix, qr_halfblocks, qr_matrix
from hwdesk.handout.render import render_pdf, render_png

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
