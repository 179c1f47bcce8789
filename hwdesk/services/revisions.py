"""Terms revisions: who must be told, and which text applied to each session.

The offices may revise their terms and announce the change, its content and the day it takes
effect (前橋 第9条, 渋谷 第10条, 高松 第13条). This module answers two of the questions a counter
has about a revision (what changed, article by article, is ``hwdesk.services.terms_diff``):

- ``notify_list``: which seekers still have to be told (consented to an earlier version of *this
  office's* terms, active, not yet notified), with their next session so the clerk can tell them
  then;
- ``history`` and ``unnotified_sessions``: per seeker, which text was in force at each session and
  whether they had consented to it or been told of it; per day, the sessions whose seeker was not.

Every list is built with a fixed number of queries (joins and subqueries, no per-seeker query).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from hwdesk.clock import JST, now_utc, today_jst
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.models import (
    Consent,
    Enrollment,
    Office,
    Seeker,
    Staff,
    TermsNotice,
    TermsVersion,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.offices import terms_versions, version_in_force
from hwdesk.services.scheduling.details import last_session_starts
from hwdesk.states import ACTIVE_STATES, LIVE_SESSION_STATES, SeatState, SessionState


def _day_start(d: date) -> datetime:
    """Midnight JST of ``d`` (sessions are dated by the office's day, not UTC's)."""
    return datetime.combine(d, time(0), tzinfo=JST)


# --- who must be told ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyEntry:
    """A seeker to tell of a revision, with the way to reach them and their next session."""

    seeker_id: int
    seeker_no: str
    name: str
    phone: str
    email: str
    consented_version: int  # the newest version of this office's terms they consented to
    consented_at: datetime
    last_session_at: datetime | None
    next_session_id: int | None
    next_session_start: datetime | None
    next_session_kind: str | None


def _get_version(session: Session, office_id: str, version_id: int) -> TermsVersion:
    tv = session.get(TermsVersion, version_id)
    if tv is None or tv.office_id != office_id:
        raise NotFound(
            f"{office_id} の規約版（ID {version_id}）はありません。",
            f"{office_id} has no terms version with id {version_id}.",
        )
    return tv


@guard("clerk")
def notify_list(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    version_id: int,
    active_months: int = 12,
    today: date | None = None,
) -> list[NotifyEntry]:
    """Seekers to tell of the revision ``version_id`` of ``office_id``'s terms, by 求職番号.

    Listed: a consent to an *earlier version of this office's terms* (a consent at another office
    is to another text and does not count), no consent to this or a later version, no notice of
    this or a later version, and active — an enrollment at this office in a session within the
    past ``active_months`` (up to today), or a booking (not cancelled) for a session on or after
    the effective date. Anonymized seekers are never listed. Four queries whatever the count.
    """
    if active_months < 1:
        raise ValidationFailed(
            "対象期間は1か月以上にしてください。",
            "The activity period must be at least one month.",
            field="active_months",
        )
    tv = _get_version(session, office_id, version_id)
    now = now_utc() if today is None else _day_start(today)
    today = today or today_jst()
    since = _day_start(today - relativedelta(months=active_months))
    until = _day_start(today + timedelta(days=1))
    effective = _day_start(tv.effective_on)

    newer = select(TermsVersion.id).where(TermsVersion.office_id == office_id, TermsVersion.version >= tv.version)
    consented_newer = select(Consent.seeker_id).where(
        Consent.office_id == office_id, col(Consent.terms_version_id).in_(newer)
    )
    notified = select(TermsNotice.seeker_id).where(col(TermsNotice.terms_version_id).in_(newer))
    start = col(SessionRow.start_at)
    active = (
        select(Enrollment.seeker_id)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            SessionRow.office_id == office_id,
            or_(
                and_(start >= since, start < until),
                and_(
                    start >= effective,
                    col(Enrollment.state) != SeatState.CANCELLED,
                    col(SessionRow.state) != SessionState.CANCELLED,
                ),
            ),
        )
    )
    where = (
        Consent.office_id == office_id,
        TermsVersion.version < tv.version,
        col(Seeker.anonymized_at).is_(None),
        col(Seeker.id).not_in(consented_newer),
        col(Seeker.id).not_in(notified),
        col(Seeker.id).in_(active),
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            Seeker.id,
            Seeker.seeker_no,
            Seeker.name,
            Seeker.phone,
            Seeker.email,
            func.max(TermsVersion.version),
            func.max(Consent.given_at),
        )
        .join(Consent, col(Consent.seeker_id) == Seeker.id)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(*where)
        .group_by(Seeker.id, Seeker.seeker_no, Seeker.name, Seeker.phone, Seeker.email)
        .order_by(col(Seeker.seeker_no))
    ).all()
    if not rows:
        return []
    candidates = (
        select(Consent.seeker_id)
        .join(Seeker, col(Seeker.id) == Consent.seeker_id)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(*where)
    )
    nxt = _next_sessions(session, office_id=office_id, seeker_ids=candidates, after=now)
    last = last_session_starts(
        session,
        office_id=office_id,
        seeker_ids=candidates,
        before=now,
        where=(SessionRow.state != SessionState.CANCELLED,),
    )
    out = []
    for sid, no, name, phone, email, version, given in rows:
        n = nxt.get(sid)
        out.append(
            NotifyEntry(
                sid,
                no,
                name,
                phone,
                email,
                version,
                given,
                last.get(sid),
                n[0] if n else None,
                n[1] if n else None,
                n[2] if n else None,
            )
        )
    return out


def _next_sessions(
    session: Session, *, office_id: str, seeker_ids, after: datetime
) -> dict[int, tuple[int, datetime, str]]:
    """Each seeker's next live session at the office (one query: a window over the bookings)."""
    rn = (
        func.row_number()
        .over(partition_by=col(Enrollment.seeker_id), order_by=(col(SessionRow.start_at), col(SessionRow.id)))
        .label("rn")
    )
    inner = (
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            col(Enrollment.seeker_id).label("sid"),
            col(SessionRow.id).label("sess"),
            col(SessionRow.start_at).label("start"),
            col(SessionRow.kind).label("kind"),
            rn,
        )
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= after,
            col(SessionRow.state).in_(LIVE_SESSION_STATES),
            col(Enrollment.state).in_(ACTIVE_STATES),
            col(Enrollment.seeker_id).in_(seeker_ids),
        )
        .subquery()
    )
    rows = session.exec(select(inner.c.sid, inner.c.sess, inner.c.start, inner.c.kind).where(inner.c.rn == 1)).all()
    return {sid: (sess, start, kind) for sid, sess, start, kind in rows}


# --- per-day warning (queue / readiness panel) --------------------------------------------------


@dataclass(frozen=True)
class UnnotifiedSession:
    """A seeker in a session on a day when a newer text is in force than the one they consented
    to, with no notice of it: the clerk should tell them (at the latest at the session's start)."""

    session_id: int
    start_at: datetime
    kind: str
    seeker_id: int
    seeker_no: str
    name: str
    consented_version: int
    in_force_version: int
    in_force_id: int
    effective_on: date


@guard("clerk")
def unnotified_sessions(session: Session, *, actor: Actor, office_id: str, day: date) -> list[UnnotifiedSession]:
    """Sessions on ``day`` (JST) at the office whose seekers consented to an older version than the
    one in force that day and were not notified of it (or of a later one). Cancelled sessions and
    cancelled bookings are left out. Three queries."""
    versions = terms_versions(session, office_id)
    in_force = version_in_force(versions, day)
    if in_force is None or not any(v.version < in_force.version for v in versions):
        return []  # no earlier text anyone could have consented to
    newer_ids = [v.id for v in versions if v.version >= in_force.version]
    lo, hi = _day_start(day), _day_start(day + timedelta(days=1))
    day_where = (
        SessionRow.office_id == office_id,
        col(SessionRow.start_at) >= lo,
        col(SessionRow.start_at) < hi,
        SessionRow.state != SessionState.CANCELLED,
        Enrollment.state != SeatState.CANCELLED,
    )
    day_seekers = (
        select(Enrollment.seeker_id).join(SessionRow, col(SessionRow.id) == Enrollment.session_id).where(*day_where)
    )
    newest = (
        select(col(Consent.seeker_id).label("sid"), func.max(TermsVersion.version).label("v"))
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(Consent.office_id == office_id, col(Consent.seeker_id).in_(day_seekers))
        .group_by(col(Consent.seeker_id))
        .subquery()
    )
    notified = select(TermsNotice.seeker_id).where(col(TermsNotice.terms_version_id).in_(newer_ids))
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            SessionRow.id, SessionRow.start_at, SessionRow.kind, Seeker.id, Seeker.seeker_no, Seeker.name, newest.c.v
        )
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
        .join(newest, newest.c.sid == Seeker.id)
        .where(*day_where, newest.c.v < in_force.version, col(Seeker.id).not_in(notified))
        .order_by(col(SessionRow.start_at), col(SessionRow.id), col(Seeker.seeker_no))
    ).all()
    return [
        UnnotifiedSession(sid, start, kind, skid, no, name, v, in_force.version, in_force.id, in_force.effective_on)
        for sid, start, kind, skid, no, name, v in rows
    ]


# --- a seeker's history -------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEvent:
    """A consent or a revision notice, as it happened."""

    kind: str  # "consent" or "notice"
    at: datetime
    version: int
    terms_version_id: int
    method: str
    recorded_by: str  # staff login ('' for the system)


@dataclass(frozen=True)
class SessionTerms:
    """One of the seeker's sessions and where they stood with the text in force that day.

    ``standing``: ``consented`` (consented to that very text before the session ended),
    ``notified`` (consented to an older one and told of this one), ``outdated`` (consented to an
    older one, not told), ``none`` (no consent at this office by then).
    """

    session_id: int
    start_at: datetime
    kind: str
    session_state: str
    enrollment_state: str
    in_force_version: int
    in_force_effective_on: date
    consented_version: int | None
    consented: bool
    notified: bool
    standing: str


@dataclass(frozen=True)
class OfficeHistory:
    """A seeker's dealings with one office's terms."""

    office_id: str
    office_name: str
    events: list[HistoryEvent] = field(default_factory=list)
    sessions: list[SessionTerms] = field(default_factory=list)


@guard("clerk")
def history(session: Session, *, actor: Actor, seeker_id: int) -> list[OfficeHistory]:
    """Per office (by id): consents and notices in time order, and for each of the seeker's sessions
    the terms version in force on its day and whether the seeker had consented to it or been told
    of it by the end of that session (a notice given at the start of a session counts for it).
    Five queries."""
    if session.get(Seeker, seeker_id) is None:
        raise NotFound(f"求職者 {seeker_id} はありません。", f"No seeker {seeker_id}.")
    consents = session.exec(
        select(Consent, TermsVersion, Staff.login)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .outerjoin(Staff, col(Staff.id) == Consent.recorded_by)
        .where(Consent.seeker_id == seeker_id)
    ).all()
    notices = session.exec(
        select(TermsNotice, TermsVersion, Staff.login)
        .join(TermsVersion, col(TermsVersion.id) == TermsNotice.terms_version_id)
        .outerjoin(Staff, col(Staff.id) == TermsNotice.recorded_by)
        .where(TermsNotice.seeker_id == seeker_id)
    ).all()
    sessions = session.exec(
        select(SessionRow, Enrollment.state)
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .where(Enrollment.seeker_id == seeker_id)
        .order_by(col(SessionRow.start_at), col(SessionRow.id))
    ).all()
    offices = sorted(
        {c.office_id for c, _, _ in consents}
        | {t.office_id for _, t, _ in notices}
        | {r.office_id for r, _ in sessions}
    )
    if not offices:
        return []
    names = dict(session.exec(select(Office.id, Office.name).where(col(Office.id).in_(offices))).all())
    versions: dict[str, list[TermsVersion]] = defaultdict(list)
    for v in session.exec(
        select(TermsVersion).where(col(TermsVersion.office_id).in_(offices)).order_by(col(TermsVersion.version))
    ):
        versions[v.office_id].append(v)
    out = []
    for office in offices:
        events = [
            HistoryEvent("consent", c.given_at, t.version, t.id, c.method, login or "")
            for c, t, login in consents
            if c.office_id == office
        ]
        events += [
            HistoryEvent("notice", n.notified_at, t.version, t.id, n.method, login or "")
            for n, t, login in notices
            if t.office_id == office
        ]
        events.sort(key=lambda e: (e.at, e.kind))
        rows = []
        for r, e_state in sessions:
            if r.office_id != office:
                continue
            day = r.start_at.astimezone(JST).date()
            tv = version_in_force(versions[office], day)
            if tv is None:
                continue  # an office without terms: nothing to say about this session
            # Anything recorded up to the session's end counts for it: 前橋 records consent at use,
            # and a notice "at the start of a session" is made once it has begun.
            upto = [ev for ev in events if ev.at <= r.end_at]
            consented_versions = [ev.version for ev in upto if ev.kind == "consent"]
            newest = max(consented_versions) if consented_versions else None
            consented = newest is not None and newest >= tv.version
            notified = any(ev.kind == "notice" and ev.version >= tv.version for ev in upto)
            standing = (
                "consented"
                if consented
                else "notified"
                if newest is not None and notified
                else "outdated"
                if newest is not None
                else "none"
            )
            rows.append(
                SessionTerms(
                    r.id,
                    r.start_at,
                    r.kind,
                    r.state,
                    e_state,
                    tv.version,
                    tv.effective_on,
                    newest,
                    consented,
                    notified,
                    standing,
                )
            )
        out.append(OfficeHistory(office, names.get(office, office), events, rows))
    return out


__all__ = [
    "NotifyEntry",
    "notify_list",
    "UnnotifiedSession",
    "unnotified_sessions",
    "HistoryEvent",
    "SessionTerms",
    "OfficeHistory",
    "history",
]
