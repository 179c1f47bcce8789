"""The demo database: three offices, staff of every role, a few hundred seekers, a month of sessions.

Demo accounts (password ``hwdesk-demo``, for the demo database only) are shown on the sign-in
screen, and only when the database is marked as a demo (``meta.demo = 1``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from hwdesk.clock import JST, now_utc, today_jst
from hwdesk.errors import HwdeskError
from hwdesk.models import Meta, Seeker
from hwdesk.names import random_person
from hwdesk.services import auth, consent, seekers
from hwdesk.services.context import SYSTEM, Actor
from hwdesk.services.offices import sync_offices
from hwdesk.states import SessionState

DEMO_PASSWORD = "hwdesk-demo"
OFFICE_PREFIX = {"maebashi": "10010", "shibuya": "13080", "takamatsu": "37010"}
DEMO_STAFF = [
    # (login suffix, role, name)
    ("clerk1", "clerk", "窓口 一郎"),
    ("clerk2", "clerk", "窓口 花子"),
    ("super1", "supervisor", "統括 次郎"),
    ("admin1", "admin", "管理 三郎"),
]
LANGUAGES = ["英語", "中国語", "ベトナム語", "ポルトガル語", "ネパール語", "韓国語"]


def is_demo(session: Session) -> bool:
    """Whether this database was made by ``hwdesk demo`` (shows the demo accounts at sign-in)."""
    row = session.get(Meta, "demo")
    return row is not None and row.value == "1"


def demo_accounts() -> list[tuple[str, str, str]]:
    """(login, role, office) of every demo account ``build_demo`` makes, office by office (the
    sign-in screen lists them all: a demo is tried from each office's side)."""
    return [(_login(office, base), role, office) for office in OFFICE_PREFIX for base, role, _name in DEMO_STAFF]


def _login(office: str, base: str) -> str:
    return base if office == "takamatsu" else f"{base}_{office[:3]}"


def build_demo(
    session: Session,
    *,
    seekers_per_office: int = 120,
    seed: int = 7,
    today: date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Fill an empty database with demo data; returns counts."""
    rng = random.Random(seed)
    today = today or today_jst()
    sync_offices(session)
    session.merge(Meta(key="demo", value="1"))
    staff: dict[str, list[Actor]] = {}
    for office in OFFICE_PREFIX:
        for base, role, name in DEMO_STAFF:
            st = auth.create_staff(
                session,
                actor=SYSTEM,
                login=_login(office, base),
                name=name,
                role=role,
                office_id=office,
                password=DEMO_PASSWORD,
                check_policy=False,
            )
            staff.setdefault(office, []).append(Actor.of(st))
    counts = {"staff": sum(len(v) for v in staff.values()), "seekers": 0, "sessions": 0}
    _interpreters(session, today)
    total = seekers_per_office * len(OFFICE_PREFIX)
    made: dict[str, list[Seeker]] = {}
    for office, prefix in OFFICE_PREFIX.items():
        clerk = staff[office][0]
        for i in range(seekers_per_office):
            name, kana = random_person(rng)
            birth = date(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28))
            online = rng.random() < 0.3
            form = seekers.SeekerForm(
                seeker_no=f"{prefix}-{rng.randint(1, 99999999)}",
                name=name,
                name_kana=kana,
                birth_date=birth.isoformat(),
                phone=f"0{rng.choice([80, 90, 70])}{rng.randint(10000000, 99999999)}",
                email=f"demo{office[:1]}{i}@example.jp" if rng.random() < 0.6 else "",
                registration_kind="online" if online else "office",
                # Most registered recently (valid to the end of the month after next, docs/rules.md (p)); a few long ago.
                registered_on=(
                    today - timedelta(days=rng.randint(5, 40) if rng.random() < 0.9 else rng.randint(120, 700))
                ).isoformat()
                if rng.random() < 0.95
                else "",
                office_id=office,
                webcam_confirmed=rng.random() < 0.85,
            )
            try:
                sk = seekers.create_seeker(session, actor=clerk, form=form, allow_same_person=True)
            except (HwdeskError, ValueError):  # a random number clash: skip that one
                continue
            made.setdefault(office, []).append(sk)
            counts["seekers"] += 1
            _readiness(session, rng, clerk, sk, office)
            if progress and counts["seekers"] % 20 == 0:
                progress("seekers", counts["seekers"], total)
    counts["sessions"] = _sessions(session, rng, staff, made, today, progress)
    return counts


# Each office's interpreter roster (issue 20 item 1): two interpreters and the remote service for
# the rest of the demo's languages; no random draws, so the rest of the demo is unchanged.
_ROSTER = (
    ("in_person", "グエン ヴァン アン", "ベトナム語", "月-金", "09:00", "12:00"),
    ("in_person", "李 美玲", "中国語", "火木", "13:00", "17:00"),
    ("remote", "多言語遠隔通訳サービス", "英語", "月-金", "08:30", "17:15"),
)


def _interpreters(session: Session, today: date) -> None:
    from hwdesk.services import interpreters

    for office in OFFICE_PREFIX:
        for mode, name, language, days, start, end in _ROSTER:
            interpreters.add(
                session,
                actor=SYSTEM,
                office_id=office,
                mode=mode,
                name=name,
                language=language,
                weekdays=days,
                start=start,
                end=end,
                valid_from=today - timedelta(days=60),
            )


def _readiness(session: Session, rng: random.Random, clerk: Actor, sk: Seeker, office: str) -> None:
    """Give most demo seekers consent and an environment check, some a companion."""
    assert sk.id is not None
    from hwdesk.services.offices import profile

    prof = profile(session, office)
    if prof.consent_method == "application" and rng.random() < 0.85:
        consent.record_consent(session, actor=clerk, seeker_id=sk.id, office_id=office)
    if rng.random() < 0.8:
        items = consent.env_items(session, office)
        answers = {i.key: rng.random() < 0.97 for i in items}
        consent.record_env_check(session, actor=clerk, seeker_id=sk.id, office_id=office, answers=answers)
    if rng.random() < 0.08:
        lang = rng.choice(LANGUAGES)
        consent.record_companion(
            session, actor=clerk, seeker_id=sk.id, office_id=office, kind="interpreter", language=lang, name=""
        )
    elif rng.random() < 0.04:
        consent.record_companion(
            session, actor=clerk, seeker_id=sk.id, office_id=office, kind="caregiver", name="介助 者"
        )
    appr = prof.requirements.get("approval")
    if appr and rng.random() < 0.7:
        supervisor = clerk
        consent.record_approval(
            session,
            actor=supervisor,
            seeker_id=sk.id,
            office_id=office,
            service="counseling",
            note="継続的な個別支援が必要と認定",
            wishes_continuing=True,
        )


def _sessions(session, rng, staff, made, today, progress) -> int:
    """A month of sessions around today on open days only (uses the scheduling rules)."""
    from hwdesk.services import calendar, scheduling

    n = 0
    start_day = today - timedelta(days=14)
    for office, actors in staff.items():
        from hwdesk.services.offices import profile

        prof = profile(session, office)
        platform = prof.platforms[0]
        clerks = [a for a in actors if a.role in ("clerk", "supervisor")]
        people = list(made.get(office, []))
        for d in range(31):
            day = start_day + timedelta(days=d)
            if not calendar.is_open(session, office_id=office, day=day):
                continue
            for _slot in range(rng.randint(3, 7)):
                kind = rng.choice(prof.services)
                hour = rng.choice([9, 10, 11, 13, 14, 15, 16])
                minute = rng.choice([0, 30])
                start = datetime.combine(day, time(hour, minute), JST)
                end = start + timedelta(minutes=60 if kind in ("seminar", "tour", "interview") else 45)
                staffer = rng.choice(clerks)
                group = kind in ("seminar", "tour", "interview")
                url = {
                    "zoom": "https://us06web.zoom.us/j/",
                    "teams": "https://teams.microsoft.com/l/meetup-join/",
                    "webex": "https://meetingsapac.webex.com/meet/",
                }[platform] + str(rng.randint(10**9, 10**10))
                # Drawn in the order the demo always drew them, so the rest of it stays as it was.
                capacity = rng.choice([10, 20, 30]) if group else None
                join_url = url if rng.random() < 0.9 else ""
                drawn_id = str(rng.randint(100_000_000, 999_999_999))
                # A Zoom link carries its meeting ID (/j/<ID>): the handout must not print two numbers.
                meeting_id = url.rsplit("/", 1)[1] if platform == "zoom" else drawn_id
                try:
                    sess = scheduling.create_session(
                        session,
                        actor=staffer,
                        office_id=office,
                        kind=kind,
                        start=start,
                        end=end,
                        staff_id=staffer.id,
                        capacity=capacity,
                        title={
                            "seminar": "応募書類の書き方セミナー",
                            "tour": "地元企業オンライン見学会",
                            "interview": "オンライン就職面接会",
                        }.get(kind, ""),
                        platform=platform,
                        join_url=join_url,
                        meeting_id=meeting_id,
                        passcode=f"{rng.randint(100000, 999999)}",
                        now=start - timedelta(days=7),  # a history, as if made then
                    )
                except HwdeskError:
                    continue
                n += 1
                for _ in range(rng.randint(3, 12) if group else 1):
                    if not people:
                        break
                    sk = rng.choice(people)
                    try:
                        scheduling.book(
                            session, actor=staffer, session_id=sess.id, seeker_id=sk.id, now=start - timedelta(days=1)
                        )
                    except HwdeskError:
                        continue
                if day < today and rng.random() < 0.9:
                    _close_past(session, scheduling, staffer, sess, rng)
        if progress:
            progress("sessions", n, n)
    return n


def _close_past(session, scheduling, actor, sess, rng) -> None:
    """Move a past session along its allowed path (checked in → completed, or no-show)."""
    now = now_utc()
    try:
        if rng.random() < 0.85:
            scheduling.set_state(session, actor=actor, session_id=sess.id, state=SessionState.IN_PROGRESS, now=now)
            scheduling.set_state(session, actor=actor, session_id=sess.id, state=SessionState.COMPLETED, now=now)
        else:
            scheduling.set_state(session, actor=actor, session_id=sess.id, state=SessionState.NO_SHOW, now=now)
    except HwdeskError:
        pass


def has_data(session: Session) -> bool:
    """Whether the database already holds seekers (demo refuses to mix into real data)."""
    return session.exec(select(Seeker.id).limit(1)).first() is not None
