"""Where the interpreter roster meets the sessions (issue 20 item 1): the booking check (a seeker
whose interpreter notice asks for a language nobody covers at the session's time is warned, with
the nearest covered times), the queue's marks, and the supervisor's week.

The roster itself, its parsers and coverage of one session are in ``services/interpreters.py``.
Everything here is a warning or a figure, never a condition of use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from hwdesk.clock import JST, now_utc
from hwdesk.errors import NotFound
from hwdesk.models import GROUP_KINDS, Enrollment
from hwdesk.models import Session as SessionRow
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.interpreters import (
    WEEKDAYS_EN,
    WEEKDAYS_JA,
    Cover,
    RosterLine,
    cover,
    language_key,
    languages_of,
    lines_between,
    needs,
)
from hwdesk.services.scheduling import SEAT_STATES
from hwdesk.states import LIVE_SESSION_STATES, SeatState, SessionState
from hwdesk.texts import pick, tr

NEAREST_DAYS = 42  # how far from the asked session the nearest covered times are looked for
NEAREST_COUNT = 3


def _id(row: SessionRow) -> int:
    assert row.id is not None  # a stored row
    return row.id


@dataclass(frozen=True)
class Alternative:
    """A nearby session of the same kind with a free seat where the languages are covered."""

    session_id: int
    start: datetime  # JST
    end: datetime
    title: str
    free: int
    covers: tuple[Cover, ...]

    def text(self, lang: str = "ja") -> str:
        """'#12 12/10(水) 10:00–11:00 空き3' / '#12 Wed 12/10 10:00–11:00, 3 free'."""
        wd = pick(WEEKDAYS_JA, WEEKDAYS_EN, lang)[self.start.weekday()]
        return tr(
            "interp.alternative",
            lang,
            session=self.session_id,
            weekday=wd,
            date=f"{self.start:%m/%d}",
            span=f"{self.start:%H:%M}–{self.end:%H:%M}",
            free=self.free,
        )


@dataclass(frozen=True)
class BookingCheck:
    """What booking a seeker into a session should know about interpreters: the languages their
    notices ask for and how each is covered, and — when one is not — the nearest covered times."""

    session_id: int
    covers: tuple[Cover, ...]
    alternatives: tuple[Alternative, ...] = ()

    @property
    def warn(self) -> bool:
        """Whether a needed language has nobody at that time."""
        return any(not c.covered for c in self.covers)

    def uncovered(self) -> list[str]:
        """The languages nobody covers."""
        return [c.language for c in self.covers if not c.covered]

    def message(self, lang: str = "ja") -> str:
        """The warning (empty when there is none), with the nearest covered times."""
        if not self.warn:
            return ""
        langs = tr("common.sep_names", lang).join(self.uncovered())
        head = tr("interp.warn_head", lang, session=self.session_id, languages=langs)
        tail = (
            tr("interp.warn_nearest", lang, times=tr("common.sep", lang).join(a.text(lang) for a in self.alternatives))
            if self.alternatives
            else tr("interp.warn_none_near", lang)
        )
        return f"{head}\n{tail}\n{tr('interp.warn_only', lang)}"

    def as_json(self) -> dict:
        """For scripts: each language's cover, and the alternatives with ISO times."""
        return {
            "session": self.session_id,
            "needs": [{"language": c.language, "cover": c.mode} for c in self.covers],
            "warning": self.warn,
            "alternatives": [
                {"session": a.session_id, "start": a.start.isoformat(), "end": a.end.isoformat(), "free": a.free}
                for a in self.alternatives
            ],
        }


def _free_seats(session: Session, rows: list) -> dict[int, int]:
    """Free seats of each session: a group session's capacity less the seats held (none while
    someone waits); an individual session's one seat unless anyone holds or waits for it."""
    if not rows:
        return {}
    e = Enrollment
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    ids = [r.id for r in rows]
    for i in range(0, len(ids), 500):
        for sid, state, n in session.exec(
            select(e.session_id, e.state, func.count())
            .where(col(e.session_id).in_(ids[i : i + 500]), e.state != SeatState.CANCELLED)
            .group_by(col(e.session_id), col(e.state))
        ):
            counts[sid][state] = n
    out = {}
    for r in rows:
        c = counts.get(r.id, {})
        held = sum(c.get(s, 0) for s in SEAT_STATES)
        waiting = c.get(SeatState.WAITLISTED, 0)
        if r.kind in GROUP_KINDS:
            out[r.id] = 0 if waiting else max(0, r.capacity - held)
        else:
            out[r.id] = 0 if (held or waiting or c) else 1
    return out


def _nearest(
    session: Session,
    *,
    row: SessionRow,
    seeker_id: int,
    languages: list[str],
    now: datetime,
    count: int = NEAREST_COUNT,
) -> list[Alternative]:
    lo = max(now, row.start_at - timedelta(days=NEAREST_DAYS))
    hi = row.start_at + timedelta(days=NEAREST_DAYS)
    mine = select(Enrollment.session_id).where(
        Enrollment.seeker_id == seeker_id, Enrollment.state != SeatState.CANCELLED
    )
    rows = session.exec(
        select(SessionRow).where(
            SessionRow.office_id == row.office_id,
            SessionRow.kind == row.kind,
            SessionRow.state == SessionState.SCHEDULED,
            col(SessionRow.start_at) >= lo,
            col(SessionRow.start_at) <= hi,
            SessionRow.id != row.id,
            col(SessionRow.id).not_in(mine),
        )
    ).all()
    if not rows:
        return []
    lines = lines_between(
        session, row.office_id, lo.astimezone(JST).date(), hi.astimezone(JST).date() + timedelta(days=1)
    )
    covered = []
    for r in rows:
        covers = tuple(cover(lines, lang, r.start_at, r.end_at) for lang in languages)
        if all(c.covered for c in covers):
            covered.append((r, covers))
    free = _free_seats(session, [r for r, _ in covered])
    found = [
        Alternative(_id(r), r.start_at.astimezone(JST), r.end_at.astimezone(JST), r.title, free[_id(r)], covers)
        for r, covers in covered
        if free.get(_id(r), 0) > 0
    ]
    found.sort(key=lambda a: (abs(a.start - row.start_at), a.start, a.session_id))
    return found[:count]


@guard("clerk")
def booking_check(
    session: Session, *, actor: Actor, session_id: int, seeker_id: int, now: datetime | None = None
) -> BookingCheck:
    """Whether booking ``seeker_id`` into ``session_id`` leaves a language their interpreter notices
    ask for uncovered, and if so the nearest sessions of the same kind with a free seat where every
    such language is covered (at most three, nearest first; never in the past). A warning only."""
    row = session.get(SessionRow, session_id)
    if row is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    languages = needs(session, seeker_id=seeker_id, session_id=session_id)
    if not languages:
        return BookingCheck(session_id, ())
    day = row.start_at.astimezone(JST).date()
    lines = lines_between(session, row.office_id, day, day)
    covers = tuple(cover(lines, lang, row.start_at, row.end_at) for lang in languages)
    check = BookingCheck(session_id, covers)
    if check.warn:
        standing = needs(session, seeker_id=seeker_id) or languages
        alts = _nearest(session, row=row, seeker_id=seeker_id, languages=standing, now=now or now_utc())
        check = replace(check, alternatives=tuple(alts))
    return check


@guard("clerk")
def covers_for_seeker(
    session: Session, *, actor: Actor, seeker_id: int, office_id: str, session_ids: list[int]
) -> dict[int, tuple[Cover, ...]]:
    """For the seeker's 'book this seeker' list: each listed session of ``office_id`` → how the
    languages the seeker's standing interpreter notices ask for are covered then (empty when they
    ask for none)."""
    languages = needs(session, seeker_id=seeker_id)
    if not languages or not session_ids:
        return {}
    rows = session.exec(
        select(SessionRow).where(SessionRow.office_id == office_id, col(SessionRow.id).in_(session_ids[:1000]))
    ).all()
    if not rows:
        return {}
    first = min(r.start_at for r in rows).astimezone(JST).date()
    last = max(r.start_at for r in rows).astimezone(JST).date()
    lines = lines_between(session, office_id, first, last)
    return {_id(r): tuple(cover(lines, lang, r.start_at, r.end_at) for lang in languages) for r in rows}


# --- the queue ----------------------------------------------------------------------------------


def mark_rows(session: Session, office_id: str, rows: list) -> list:
    """INTERNAL (the guarded queue and week views): each queue row but a cancelled one whose
    seekers' interpreter notices ask for a language gets ``interpreting`` — how each language is
    covered (a past week's too, for its load). One roster query, only when a row needs one."""
    wanted = {
        r.id: languages_of((c.kind, c.language, c.unannounced) for c in r.companions)
        for r in rows
        if r.state != SessionState.CANCELLED and r.companions
    }
    wanted = {k: v for k, v in wanted.items() if v}
    if not wanted:
        return rows
    days = [r.start.date() for r in rows if r.id in wanted]
    lines = lines_between(session, office_id, min(days), max(days))
    return [
        replace(r, interpreting=tuple(cover(lines, lang, r.start, r.end) for lang in wanted[r.id]))
        if r.id in wanted
        else r
        for r in rows
    ]


def companion_text(companion, covers: tuple[Cover, ...], lang: str = "ja") -> str:
    """A queue row's companion label, with the cover mark after an interpreter's language:
    '通訳（英語）✔' (an interpreter), '☎' (only the remote service), '✘' (nobody)."""
    base = companion.label(lang)
    if companion.kind != "interpreter" or companion.unannounced:
        return base
    key = language_key(companion.language)
    found = next((c for c in covers if language_key(c.language) == key), None)
    return base + found.mark() if found else base


def uncovered_text(covers: tuple[Cover, ...], lang: str = "ja", state: str = SessionState.SCHEDULED) -> str:
    """The queue's warning for languages nobody covers ('' when every one is covered, or when the
    session's ``state`` is past doing anything about it)."""
    missing = [c.language for c in covers if not c.covered]
    if not missing or state not in LIVE_SESSION_STATES:
        return ""
    return tr("interp.uncovered_short", lang, languages=tr("common.sep_names", lang).join(missing))


def covers_json(covers: tuple[Cover, ...]) -> list[dict]:
    """A queue row's interpreter needs for ``queue --json``."""
    return [{"language": c.language, "cover": c.mode} for c in covers]


# --- the week's load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineLoad:
    """One roster line's week: the minutes it is on the roster, and the sessions given to it."""

    line: RosterLine
    roster_minutes: int
    sessions: tuple[int, ...]
    minutes: int


@dataclass(frozen=True)
class LanguageLoad:
    """One language's week: sessions needing it, by how they are covered."""

    language: str
    sessions: int
    in_person: int
    remote: int
    uncovered: tuple[int, ...]


@dataclass(frozen=True)
class WeekLoad:
    """The week's interpreter load of an office (Monday to Sunday)."""

    office_id: str
    start: date
    lines: tuple[LineLoad, ...]
    languages: tuple[LanguageLoad, ...]
    uncovered: tuple[tuple[int, datetime, str, str], ...]  # (session, start JST, kind, language)


@guard("supervisor", what_ja="通訳の週間負担", what_en="The interpreters' week")
def week_load(
    session: Session, *, actor: Actor, office_id: str, week_start: date, now: datetime | None = None
) -> WeekLoad:
    """The week containing ``week_start``: each roster line's minutes on the roster and the
    sessions needing its language that it covers (each session given to the covering interpreter
    with the fewest minutes so far, in time order; the remote service only when no interpreter
    covers it), and per language the sessions needing it, covered in person, remotely, or not."""
    from hwdesk.services import queue  # the queue builds its rows with mark_rows (no import cycle)

    view = queue.week_view(session, actor=actor, office_id=office_id, week_start=week_start, now=now)
    monday = view.start
    lines = {ln.id: ln for ln in lines_between(session, office_id, monday, monday + timedelta(days=6))}
    given: dict[int, list[int]] = defaultdict(list)
    minutes: dict[int, int] = defaultdict(int)
    per_lang: dict[str, list] = {}
    uncovered: list[tuple[int, datetime, str, str]] = []
    for wd in view.days:
        for r in wd.rows:
            length = int((r.end - r.start).total_seconds() // 60)
            for c in getattr(r, "interpreting", ()):
                key = language_key(c.language)
                entry = per_lang.setdefault(key, [c.language, 0, 0, 0, []])
                entry[1] += 1
                if c.mode == "none":
                    entry[4].append(r.id)
                    uncovered.append((r.id, r.start, r.kind, c.language))
                    continue
                entry[2 if c.mode == "in_person" else 3] += 1
                pick = min(c.lines, key=lambda i: (minutes[i], i))
                given[pick].append(r.id)
                minutes[pick] += length
    days_on = [monday + timedelta(days=i) for i in range(7)]
    loads = []
    for ln in sorted(lines.values(), key=lambda ln: (ln.language_key, ln.mode != "in_person", ln.id)):
        span = ln.weekly_minutes() // max(1, len(ln.weekdays))
        on_roster = sum(span for d in days_on if str(d.isoweekday()) in ln.weekdays and ln.active_on(d))
        loads.append(LineLoad(ln, on_roster, tuple(given.get(ln.id, ())), minutes.get(ln.id, 0)))
    langs = tuple(
        LanguageLoad(v[0], v[1], v[2], v[3], tuple(v[4])) for _, v in sorted(per_lang.items(), key=lambda kv: kv[0])
    )
    return WeekLoad(office_id, monday, tuple(loads), langs, tuple(uncovered))
