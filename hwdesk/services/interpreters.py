"""Interpreters on the roster (issue 20 item 1): who interprets which language on which weekdays and
hours at an office — its interpreters (``in_person``), and the remote interpretation service
(``remote``) as the fallback — and whether a session that needs one is covered.

The terms ask the seeker to tell the office in advance when an interpreter (通訳) must be present
(前橋 第3条(7), 渋谷 第6条(2), 高松 第12条(3)); hwdesk records that as a companion notice of kind
``interpreter`` with its language (``services/consent.record_companion``). Those notices are what a
session "needs". Arranging an interpreter is the office's own practice, never a condition of use:
an uncovered session is a warning on the booking and a marker on the queue, never a refusal.

A roster line is never deleted. ``remove`` ends it with a reason and the last day it covers
(``until``); a correction (``add(..., replaces_id=…)``) ends the old line the same way and adds the
new one pointing back at it, so the history keeps both. Coverage is decided by dates alone
(``valid_from`` … ``until``), so a past week's coverage reads as it was.

The booking check, the queue's marks and the week's load are in ``services/interpreting.py``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc, today_jst
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.text import clean_text, refuse_invisible
from hwdesk.jtext.times import parse_time
from hwdesk.models import INTERPRETER_MODES, CompanionNotice, Interpreter
from hwdesk.services.context import Actor, staff_id
from hwdesk.services.guard import guard
from hwdesk.texts import pick, tr

MODE_LABELS = {
    "in_person": ("通訳者", "Interpreter"),
    "remote": ("遠隔通訳サービス", "Remote interpretation service"),
}
# How a needed language is covered at a session's time: by an interpreter, only by the remote
# service (the fallback), or by nobody.
COVER_LABELS = {
    "in_person": ("通訳者あり", "interpreter"),
    "remote": ("遠隔通訳", "remote service"),
    "none": ("通訳なし", "no interpreter"),
}
COVER_MARKS = {"in_person": "✔", "remote": "☎", "none": "✘"}
WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Languages staff and seekers name in different ways: each spelling maps to one key, so a notice
# written 「英語」 matches a roster line typed "English". Anything else matches by its own text
# (normalized: NFKC, case folded, spaces and a trailing 語 dropped).
_ALIASES = {
    "en": ("英語", "english", "えいご", "エイゴ", "en"),
    "zh": ("中国語", "chinese", "中文", "北京語", "mandarin", "zh", "普通話"),
    "ko": ("韓国語", "korean", "朝鮮語", "ハングル", "韓国・朝鮮語", "ko"),
    "vi": ("ベトナム語", "vietnamese", "tiếng việt", "tieng viet", "vi"),
    "pt": ("ポルトガル語", "portuguese", "português", "portugues", "pt"),
    "es": ("スペイン語", "spanish", "español", "espanol", "es"),
    "tl": ("タガログ語", "tagalog", "フィリピノ語", "filipino", "フィリピン語", "tl", "fil"),
    "ne": ("ネパール語", "nepali", "nepalese", "ne"),
    "id": ("インドネシア語", "indonesian", "bahasa indonesia", "id"),
    "th": ("タイ語", "thai", "th"),
    "my": ("ミャンマー語", "burmese", "myanmar", "ビルマ語", "my"),
    "km": ("クメール語", "カンボジア語", "khmer", "km"),
    "mn": ("モンゴル語", "mongolian", "mn"),
    "ru": ("ロシア語", "russian", "ru"),
    "uk": ("ウクライナ語", "ukrainian", "uk"),
    "fr": ("フランス語", "french", "français", "francais", "fr"),
    "si": ("シンハラ語", "sinhala", "sinhalese", "si"),
    "bn": ("ベンガル語", "bengali", "bangla", "bn"),
    "ur": ("ウルドゥー語", "urdu", "ur"),
    "hi": ("ヒンディー語", "hindi", "hi"),
    "ar": ("アラビア語", "arabic", "ar"),
    "fa": ("ペルシャ語", "persian", "farsi", "fa"),
    "tr": ("トルコ語", "turkish", "tr"),
    "uz": ("ウズベク語", "uzbek", "uz"),
    "jsl": ("手話", "日本手話", "sign language", "japanese sign language", "jsl"),
}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(text.split())


_ALIAS_KEYS = {_fold(a): key for key, names in _ALIASES.items() for a in names}
_ALIAS_KEYS.update({_fold(a).removesuffix("語"): key for key, names in _ALIASES.items() for a in names})


def language_key(language: str) -> str:
    """The key a language matches by: a known language's code ('英語', 'English', 'えいご' → 'en'),
    else the text itself, NFKC-normalized, case-folded, without spaces or a trailing 語."""
    folded = _fold(language or "")
    if folded in _ALIAS_KEYS:
        return _ALIAS_KEYS[folded]
    bare = folded[:40].rstrip("語")
    return _ALIAS_KEYS.get(bare, bare)


_WEEKDAY_NAMES = {
    **{ch: i + 1 for i, ch in enumerate(WEEKDAYS_JA)},
    **{name.lower(): i + 1 for i, name in enumerate(WEEKDAYS_EN)},
    **{str(i): i for i in range(1, 8)},
}


def parse_weekdays(text: str) -> str:
    """Weekdays as ISO digits in order ('12345'): '月-金', '月〜金', '月水金', '月・木', 'mon-fri',
    'Mon,Wed', '1-5', '135'. Raises ``ParseError`` with both languages' messages."""
    s = unicodedata.normalize("NFKC", text or "").strip().lower()
    s = s.replace("曜日", "").replace("曜", "")
    s = re.sub(r"[〜~–—ー－]", "-", s)
    tokens = re.findall(r"[a-z]{3}|[月火水木金土日]|[1-7]|-|[^\s,、・/]", s)
    days: set[int] = set()
    prev: int | None = None
    dash = False
    ok = bool(tokens)
    for tok in tokens:
        if tok == "-":
            dash = prev is not None
            ok = ok and dash
            continue
        n = _WEEKDAY_NAMES.get(tok)
        if n is None:
            ok = False
            break
        if dash and prev is not None:
            if n < prev:
                ok = False
                break
            days.update(range(prev, n + 1))
            dash = False
        days.add(n)
        prev = n
    if not ok or dash or not days:
        raise ParseError(
            f"曜日は 月-金、月水金、1-5 のように入力してください。入力: {text!r}",
            f"Enter weekdays such as Mon-Fri, Mon,Wed,Fri or 1-5. Got: {text!r}",
            field="weekdays",
        )
    return "".join(str(d) for d in sorted(days))


def weekdays_text(digits: str, lang: str = "ja") -> str:
    """'12345' → '月〜金' / 'Mon–Fri'; '135' → '月水金' / 'Mon, Wed, Fri'."""
    nums = [int(c) for c in digits]
    names = pick(tuple(WEEKDAYS_JA), WEEKDAYS_EN, lang)
    if len(nums) >= 3 and nums == list(range(nums[0], nums[-1] + 1)):
        return tr("interp.day_range", lang, first=names[nums[0] - 1], last=names[nums[-1] - 1])
    # Japanese writes day names back to back (月水金); a catalogue text cannot be empty
    return pick("", ", ", lang).join(names[n - 1] for n in nums)


def _hhmm(value: str | time, field: str) -> str:
    try:
        t = value if isinstance(value, time) else parse_time(value)
    except ParseError as exc:
        raise ParseError(exc.message_ja, exc.message_en, field=field) from None
    return f"{t.hour:02d}:{t.minute:02d}"


# --- roster lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    """A roster line as the screens and the CLI show it."""

    id: int
    office_id: str
    mode: str
    name: str
    language: str
    language_key: str
    weekdays: str
    start: str
    end: str
    valid_from: date
    until: date | None
    note: str
    replaces_id: int | None
    ended_at: datetime | None
    end_reason: str

    @classmethod
    def of(cls, row: Interpreter) -> RosterLine:
        """From the table row."""
        assert row.id is not None
        return cls(
            row.id,
            row.office_id,
            row.mode,
            row.name,
            row.language,
            row.language_key,
            row.weekdays,
            row.start_time,
            row.end_time,
            row.valid_from,
            row.until,
            row.note,
            row.replaces_id,
            row.ended_at,
            row.end_reason,
        )

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether this line covers a session from ``start`` to ``end`` (aware; read in JST) whole:
        the day within its dates, the weekday one of its days, the session inside its hours."""
        s, e = start.astimezone(JST), end.astimezone(JST)
        day = s.date()
        if day < self.valid_from or (self.until is not None and day > self.until):
            return False
        if str(s.isoweekday()) not in self.weekdays or e.date() != day:
            return False
        return self.start <= f"{s:%H:%M}" and f"{e:%H:%M}" <= self.end

    def active_on(self, day: date) -> bool:
        """Whether the line covers anything on ``day`` (its dates, whatever the weekday)."""
        return self.valid_from <= day and (self.until is None or day <= self.until)

    def mode_label(self, lang: str = "ja") -> str:
        """通訳者 / 遠隔通訳サービス."""
        ja, en = MODE_LABELS.get(self.mode, (self.mode, self.mode))
        return pick(ja, en, lang)

    def hours_text(self, lang: str = "ja") -> str:
        """'月〜金 09:00–12:00'."""
        return f"{weekdays_text(self.weekdays, lang)} {self.start}–{self.end}"

    def weekly_minutes(self) -> int:
        """Minutes a week the line is on the roster (its days × its hours)."""
        h1, m1 = map(int, self.start.split(":"))
        h2, m2 = map(int, self.end.split(":"))
        return max(0, (h2 * 60 + m2) - (h1 * 60 + m1)) * len(self.weekdays)

    def as_json(self) -> dict:
        """For scripts: ISO dates, times as HH:MM (JST)."""
        return {
            "id": self.id,
            "office": self.office_id,
            "mode": self.mode,
            "name": self.name,
            "language": self.language,
            "language_key": self.language_key,
            "weekdays": [int(c) for c in self.weekdays],
            "start": self.start,
            "end": self.end,
            "valid_from": self.valid_from.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "note": self.note,
            "replaces": self.replaces_id,
            "ended_at": self.ended_at.astimezone(JST).isoformat() if self.ended_at else None,
            "end_reason": self.end_reason,
        }


def _today() -> date:
    return today_jst()


def _snapshot(row: Interpreter) -> dict:
    return {
        "mode": row.mode,
        "name": row.name,
        "language": row.language,
        "weekdays": row.weekdays,
        "start": row.start_time,
        "end": row.end_time,
        "valid_from": row.valid_from.isoformat(),
        "until": row.until.isoformat() if row.until else None,
    }


def _end(session: Session, actor: Actor, row: Interpreter, *, reason: str, last_day: date, action: str) -> None:
    if row.ended_at is not None:
        raise ValidationFailed(
            f"通訳の名簿 #{row.id} は既に終了しています（{row.end_reason}）。",
            f"Roster line #{row.id} has already ended ({row.end_reason}).",
            field="interpreter_id",
        )
    before = _snapshot(row)
    row.until = min(row.until, last_day) if row.until is not None else last_day
    row.ended_at = now_utc()
    row.ended_by = staff_id(actor)
    row.end_reason = reason
    session.add(row)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action=action,
        entity="interpreter",
        entity_id=row.id,
        office_id=row.office_id,
        before=before,
        after={"until": row.until.isoformat(), "reason": reason},
    )


def _reason(reason: str) -> str:
    text = clean_text(reason or "", field="reason", max_len=300)
    if not text:
        raise ValidationFailed("理由を入力してください。", "Enter the reason.", field="reason")
    return text


@guard("supervisor", what_ja="通訳の名簿の登録", what_en="Adding to the interpreter roster")
def add(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    mode: str,
    name: str,
    language: str,
    weekdays: str,
    start: str | time,
    end: str | time,
    valid_from: date | None = None,
    until: date | None = None,
    note: str = "",
    replaces_id: int | None = None,
    reason: str = "",
) -> RosterLine:
    """Add a roster line (supervisor). ``weekdays`` as ``parse_weekdays`` reads them, ``start`` /
    ``end`` as times of day (JST). ``replaces_id`` corrects an earlier line of the office: that line
    ends (the day before this one starts) with ``reason``, and the new line points back at it."""
    if mode not in INTERPRETER_MODES:
        raise ValidationFailed(
            "種類は in_person（通訳者）か remote（遠隔通訳サービス）です。",
            "The mode is in_person (an interpreter) or remote (the remote interpretation service).",
            field="mode",
        )
    name = refuse_invisible(clean_text(name, field="name", max_len=60))
    if not name:
        raise ValidationFailed(
            "通訳者の氏名（遠隔通訳はサービス名）を入力してください。",
            "Enter the interpreter's name (the service's name for remote interpretation).",
            field="name",
        )
    language = clean_text(language, field="language", max_len=40)
    key = language_key(language)
    if not key:
        raise ValidationFailed("言語を入力してください。", "Enter the language.", field="language")
    days = parse_weekdays(weekdays)
    s, e = _hhmm(start, "start"), _hhmm(end, "end")
    if e <= s:
        raise ValidationFailed(
            "終了時刻は開始時刻より後にしてください。", "The end time must be after the start time.", field="end"
        )
    valid_from = valid_from or _today()
    if until is not None and until < valid_from:
        raise ValidationFailed(
            "終了日は開始日以降にしてください。", "The last day must be on or after the first day.", field="until"
        )
    note = clean_text(note or "", field="note", max_len=200)
    old: Interpreter | None = None
    if replaces_id is not None:
        reason = _reason(reason)
        old = session.get(Interpreter, replaces_id)
        if old is None or old.office_id != office_id:
            raise NotFound(f"通訳の名簿 #{replaces_id} はありません。", f"No roster line #{replaces_id}.")
        _end(
            session,
            actor,
            old,
            reason=reason,
            last_day=max(old.valid_from - timedelta(days=1), valid_from - timedelta(days=1)),
            action="interpreter.correct",
        )
    row = Interpreter(
        office_id=office_id,
        mode=mode,
        name=name,
        language=language,
        language_key=key,
        weekdays=days,
        start_time=s,
        end_time=e,
        valid_from=valid_from,
        until=until,
        note=note,
        replaces_id=replaces_id,
        created_by=staff_id(actor),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="interpreter.add",
        entity="interpreter",
        entity_id=row.id,
        office_id=office_id,
        after={**_snapshot(row), "replaces": replaces_id},
        extra={"reason": reason} if replaces_id is not None else None,
    )
    return RosterLine.of(row)


@guard("supervisor", what_ja="通訳の名簿の終了", what_en="Ending a roster line")
def remove(
    session: Session, *, actor: Actor, interpreter_id: int, reason: str, last_day: date | None = None
) -> RosterLine:
    """End a roster line (supervisor) with a reason: it covers nothing after ``last_day`` (by
    default yesterday: nothing from today on). The line stays, ended, in the history."""
    reason = _reason(reason)
    row = session.get(Interpreter, interpreter_id)
    if row is None:
        raise NotFound(f"通訳の名簿 #{interpreter_id} はありません。", f"No roster line #{interpreter_id}.")
    last = last_day if last_day is not None else _today() - timedelta(days=1)
    _end(session, actor, row, reason=reason, last_day=last, action="interpreter.remove")
    return RosterLine.of(row)


@guard("clerk")
def roster(
    session: Session, *, actor: Actor, office_id: str, on: date | None = None, history: bool = False
) -> list[RosterLine]:
    """The office's roster: the lines in force on ``on`` (today by default) and those starting
    later; with ``history`` every line, ended ones too. Language, then weekdays and hours."""
    rows = session.exec(select(Interpreter).where(Interpreter.office_id == office_id)).all()
    day = on or _today()
    lines = [RosterLine.of(r) for r in rows]
    if not history:
        lines = [ln for ln in lines if ln.ended_at is None and (ln.until is None or ln.until >= day)]
    return sorted(lines, key=lambda ln: (ln.language_key, ln.mode != "in_person", ln.weekdays, ln.start, ln.id))


def lines_between(session: Session, office_id: str, first: date, last: date) -> list[RosterLine]:
    """INTERNAL: the office's roster lines whose dates touch [first, last], ended ones too (their
    ``until`` says what they covered). Called by guarded services after their guard."""
    rows = session.exec(
        select(Interpreter).where(
            Interpreter.office_id == office_id,
            col(Interpreter.valid_from) <= last,
            or_(col(Interpreter.until).is_(None), col(Interpreter.until) >= first),
        )
    ).all()
    return [RosterLine.of(r) for r in rows]


# --- coverage -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cover:
    """How one needed language is covered at a session's time; ``lines`` are the roster lines of
    that mode that cover it (empty when ``mode`` is 'none')."""

    language: str
    mode: str  # in_person | remote | none
    lines: tuple[int, ...] = ()

    @property
    def covered(self) -> bool:
        """Whether anyone (an interpreter, or the remote service) covers it."""
        return self.mode != "none"

    def text(self, lang: str = "ja") -> str:
        """'英語: 通訳者あり' / 'English: remote service'."""
        ja, en = COVER_LABELS[self.mode]
        return f"{self.language}: {en if lang == 'en' else ja}"

    def mark(self) -> str:
        """✔ (an interpreter), ☎ (the remote service), ✘ (nobody)."""
        return COVER_MARKS[self.mode]


def cover(lines: list[RosterLine], language: str, start: datetime, end: datetime) -> Cover:
    """How ``language`` is covered from ``start`` to ``end``: an interpreter first, else the remote
    service (the fallback), else nobody."""
    key = language_key(language)
    found = [ln for ln in lines if ln.language_key == key and ln.covers(start, end)]
    for mode in INTERPRETER_MODES:
        ids = tuple(ln.id for ln in found if ln.mode == mode)
        if ids:
            return Cover(language, mode, ids)
    return Cover(language, "none")


def languages_of(notices) -> list[str]:
    """The languages interpreter notices ask for, one per key, in notice order (unannounced ones —
    a companion the seeker brought without telling — ask the office for nothing)."""
    out: dict[str, str] = {}
    for kind, language, unannounced in notices:
        if kind == "interpreter" and language and not unannounced:
            out.setdefault(language_key(language), language)
    return list(out.values())


def needs(session: Session, *, seeker_id: int, session_id: int | None = None) -> list[str]:
    """INTERNAL: the languages a seeker's interpreter notices ask for — standing ones, and those for
    ``session_id``. Called by the guarded services below after their guard."""
    cn = CompanionNotice
    where: list = [cn.seeker_id == seeker_id, cn.kind == "interpreter"]
    if session_id is None:
        where.append(col(cn.session_id).is_(None))
    else:
        where.append(or_(col(cn.session_id).is_(None), col(cn.session_id) == session_id))
    rows = session.exec(select(cn.kind, cn.language, cn.unannounced).where(*where).order_by(col(cn.id))).all()
    return languages_of(rows)
