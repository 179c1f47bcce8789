"""The words of a notice to a seeker: subject and plain-text body, from facts read at sending time.

``services/notices.py`` reads the booking as it stands (the session it was moved to, the current
link and passcode, the offer's deadline) and hands the facts here; this module only words them.
Where a notice states a rule of the terms it quotes the terms in force through the handout's own
rows (``hwdesk.handout_text``: a quote, or a plain sentence tied to its article, each with its
article), and a revision notice quotes the office's revision article whole.

Everything a person typed (a session's title, an office name edited in a revision) is data: one
line, control characters removed, never part of a header but the subject's fixed wording. The
seeker's name is printed only in the form the office chose for handouts (none by default).

Japanese only for now: a seeker has no language field to choose English by.

This module never imports textual.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from hwdesk.clock import JST
from hwdesk.handout import Instruction
from hwdesk.jtext.dates import format_wareki
from hwdesk.jtext.times import format_span
from hwdesk.states import SeatState
from hwdesk.terms import PLATFORM_LABELS, service_label

__all__ = ["NoticeFacts", "Composed", "compose", "one_line", "KIND_LABELS"]

KIND_LABELS = {
    "confirmation": ("予約の確認", "Booking confirmation"),
    "reminder": ("前日のお知らせ", "Reminder"),
    "reschedule": ("日時の変更", "Reschedule"),
    "cancellation": ("予約の取消し", "Cancellation"),
    "offer": ("空席のご案内", "Waitlist offer"),
    "terms_revision": ("規約改訂の告知", "Terms revision notice"),
}

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")


def one_line(value: str | None, *, max_len: int = 120) -> str:
    """Stored text as one line of a mail: controls and line breaks become a space, trimmed."""
    text = unicodedata.normalize("NFC", value or "")
    text = _CONTROLS.sub(" ", text)
    text = re.sub(r" {2,}", " ", text).strip()
    return text[:max_len]


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice says, read from the database when it is sent (never when it was queued)."""

    kind: str
    office_name: str
    office_phone: str = ""
    service: str = ""  # a service kind (counseling, seminar …)
    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    platform: str = ""
    join_url: str = ""
    meeting_id: str = ""
    passcode: str = ""
    session_ref: str = ""
    seeker_name: str | None = None  # only in the office's handout form; None prints none
    state: str = ""  # the booking's state (reschedule: booked / waitlisted / offered)
    moved_from: datetime | None = None  # reschedule: the old start
    offered_until: datetime | None = None
    closure_reason: str = ""  # cancellation because the office closes that day
    by_office: bool = False  # cancellation by the office (not at the seeker's request)
    rules: tuple[Instruction, ...] = ()  # the terms' lines the notice quotes
    revision: dict = field(default_factory=dict)  # terms_revision: title, version, effective, article, changes


@dataclass(frozen=True)
class Composed:
    """A notice's subject (fixed wording and the office's name) and body."""

    subject: str
    body: str


def _when(f: NoticeFacts) -> str:
    return format_span(f.start, f.end) if f.start and f.end else ""


def _at(dt: datetime) -> str:
    local = dt.astimezone(JST)
    return f"{format_wareki(local.date(), weekday=True)} {local:%H:%M}"


def _session_block(f: NoticeFacts) -> list[str]:
    lines = [f"日時: {_when(f)}", f"サービス: {service_label(f.service)}"]
    if f.title:
        lines.append(f"内容: {one_line(f.title)}")
    if f.platform:
        lines.append(f"方法: {PLATFORM_LABELS.get(f.platform, f.platform)}")
    if f.join_url:
        lines.append(f"参加URL: {one_line(f.join_url, max_len=500)}")
    if f.meeting_id:
        lines.append(f"ミーティングID: {one_line(f.meeting_id)}")
    if f.passcode:
        lines.append(f"パスコード: {one_line(f.passcode)}")
    if f.session_ref:
        lines.append(f"予約番号: {f.session_ref}")
    return lines


def _rules_block(f: NoticeFacts) -> list[str]:
    if not f.rules:
        return []
    out = ["", "ご利用にあたって（利用規約から）:"]
    for r in f.rules:
        text = one_line(r.text, max_len=1000)
        out.append(f"{'  ' if r.sub else ''}・{text}（{r.cite}）" if r.cite else f"・{text}")
    return out


def _subject(f: NoticeFacts) -> str:
    svc = service_label(f.service) if f.service else ""
    office = one_line(f.office_name, max_len=40)
    text = {
        "confirmation": f"{svc}のご予約を承りました",
        "reminder": f"{svc}のご予約のお知らせ",
        "reschedule": f"{svc}の日時が変わりました",
        "cancellation": f"{svc}のご予約は取り消されました",
        "offer": f"{svc}に空席が出ました",
        "terms_revision": "利用規約の改訂のお知らせ",
    }[f.kind]
    return f"【{office}】{text}"


def compose(f: NoticeFacts) -> Composed:
    """The notice's subject and body in Japanese (です・ます), from the facts as they stand now."""
    office = one_line(f.office_name, max_len=40)
    lines: list[str] = []
    if f.seeker_name:
        lines += [f"{one_line(f.seeker_name, max_len=60)} 様", ""]
    lines.append(f"{office}です。")
    if f.kind == "confirmation":
        lines += ["次のとおりご予約を承りました。", ""] + _session_block(f) + _rules_block(f)
    elif f.kind == "reminder":
        lines += ["ご予約の日が近づきましたのでお知らせします。", ""] + _session_block(f) + _rules_block(f)
    elif f.kind == "reschedule":
        was = f"（変更前: {_at(f.moved_from)}）" if f.moved_from else ""
        lines += [f"ご予約の日時が次のとおり変わりました{was}。参加URLとパスコードは下記のとおりです。", ""]
        if f.state == SeatState.WAITLISTED:
            lines += ["（キャンセル待ちのままです。空席が出たらお知らせします。）", ""]
        lines += _session_block(f) + _rules_block(f)
    elif f.kind == "cancellation":
        if f.closure_reason:
            why = f"当所の休業（{one_line(f.closure_reason, max_len=60)}）のため、"
        elif f.by_office:
            why = "当所の都合により、"
        else:
            why = ""
        lines += [
            f"{why}次のご予約は取り消されました。",
            "",
            f"日時: {_when(f)}",
            f"サービス: {service_label(f.service)}",
        ]
        if f.session_ref:
            lines.append(f"予約番号: {f.session_ref}")
        lines += ["", "改めてご予約される場合は、窓口またはお電話でお申し込みください。"]
    elif f.kind == "offer":
        until = f"{_at(f.offered_until)}まで" if f.offered_until else ""
        lines += [
            "キャンセル待ちをされていた次の回に空席が出ました。",
            f"参加される場合は、{until}に窓口またはお電話でお知らせください。期限を過ぎると次の方にご案内します。",
            "",
        ] + _session_block(f)
    elif f.kind == "terms_revision":
        rv = f.revision
        lines += [
            f"当所の「{one_line(rv.get('title'), max_len=120)}」を改訂し、"
            f"{rv.get('effective', '')}から改訂後の規約（第{rv.get('version')}版）を適用します。",
        ]
        if rv.get("changes"):
            lines += ["", "変更の内容:"] + [f"・{one_line(c, max_len=200)}" for c in rv["changes"]]
        if rv.get("article"):
            lines += ["", f"規約の変更についての定め（{rv.get('cite', '')}）:"]
            lines += [f"  {one_line(t, max_len=1000)}" for t in str(rv["article"]).splitlines() if t.strip()]
        lines += ["", "改訂後の規約の全文は窓口でご覧いただけます。"]
    else:  # pragma: no cover - kinds are checked where notices are queued
        raise ValueError(f.kind)
    tail = f"お問い合わせ: {office}" + (f" {one_line(f.office_phone, max_len=20)}" if f.office_phone else "")
    lines += ["", tail, "このメールは送信専用です。ご返信いただいてもお答えできません。"]
    return Composed(_subject(f), "\n".join(lines) + "\n")
