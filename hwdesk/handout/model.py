"""A handout's data (``HandoutPage``, ``Instruction``), its fixed texts, and the checks a page passes before it is drawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hwdesk.errors import HwdeskError
from hwdesk.jtext.addresses import PLATFORM_NAMES as PRODUCT_NAMES
from hwdesk.jtext.addresses import split_https
from hwdesk.texts import CATALOGUE, tr

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


# The fixed wording per document language, from the one catalogue (``hwdesk/texts/handout.py``).
FIXED_TEXT: dict[str, dict[str, str]] = {
    lang: {key.removeprefix("handout."): tr(key, lang) for key in CATALOGUE if key.startswith("handout.")}
    for lang in ("ja", "en")
}


# The app as the paper names it: the product's name, else "an online meeting" in the page's language.
PLATFORM_NAMES: dict[str, dict[str, str]] = {
    **{key: {"ja": name, "en": name} for key, name in PRODUCT_NAMES.items()},
    "other": {lang: tr("handout.platform_other", lang) for lang in ("ja", "en")},
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
    parts = split_https(url)
    if parts is None:
        raise HandoutError(
            "参加用URLは https:// で始まる必要があります。",
            "The join URL must start with https://.",
        )
    if not parts.hostname:
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
