"""Building the queue's rows with a fixed number of queries, whatever the number of sessions.

No N+1: sessions with their staff (range scan on ``ix_session_office_start``), then the
enrollments with their seekers, the companions, and the consents, revision notices and
environment checks of the seekers seated in live sessions (the only ones warned about) — each in
one query, selected by subquery rather than by long id lists, read as plain columns (SQLAlchemy
Core), not ORM objects. The rule engine (``eligibility``) decides each seated seeker's warnings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy import select as core_select
from sqlmodel import Session

from hwdesk.clock import JST, now_utc
from hwdesk.models import (
    SESSION_STATES,
    Approval,
    CompanionNotice,
    Consent,
    Enrollment,
    EnvCheck,
    Seeker,
    Staff,
    Termination,
    TermsNotice,
    TermsVersion,
)
from hwdesk.models import Session as SessionRow
from hwdesk.rawsql import Prepared, RawSql
from hwdesk.services import eligibility, interpreting, registration, terminations
from hwdesk.services.consent import ConsentStatus, needs_notice
from hwdesk.services.eligibility import USE_STOPPED
from hwdesk.services.offices import profile, version_in_force
from hwdesk.services.queue.rows import SOON, WARNINGS, Companion, QueueRow, RowWarning, SeekerBrief
from hwdesk.services.scheduling import is_group
from hwdesk.states import LIVE_SESSION_STATES, SEAT_STATES, SeatState, SessionState

# --- fetching (a fixed number of queries) -----------------------------------------------------


# Plain columns through SQLAlchemy Core: the queue reads tuples, never ORM objects (at 800 sessions
# and ~2,400 enrollments a day, object loading and the identity map were most of its cost).
_S, _ST, _E, _K, _C, _TV, _TN, _EC, _CN, _A, _T = (
    t.__table__.c  # type: ignore[union-attr]  # SQLModel sets __table__ without declaring it
    for t in (
        SessionRow,
        Staff,
        Enrollment,
        Seeker,
        Consent,
        TermsVersion,
        TermsNotice,
        EnvCheck,
        CompanionNotice,
        Approval,
        Termination,
    )
)


def _session_filter(office_id, lo, hi, staff_id, kind) -> list:
    """The sessions of an office starting in [lo, hi), of one staff member and one kind when those
    are not None. Values, or ``bindparam``s for a statement prepared once (``_queue_reads``)."""
    where = [_S.office_id == office_id, _S.start_at >= lo, _S.start_at < hi]
    if staff_id is not None:
        where.append(_S.staff_id == staff_id)
    if kind is not None:
        where.append(_S.kind == kind)
    return where


_QUEUE_READS: dict[tuple[bool, bool], tuple[Prepared, Prepared]] = {}


def _queue_reads(by_staff: bool, by_kind: bool) -> tuple[Prepared, Prepared]:
    """The two big reads of a queue, for one shape of filter: the sessions with their staff, and
    their enrollments with the seekers. Run on the DBAPI cursor (``rawsql.Prepared``: the
    rows of a busy day went through SQLAlchemy's result machinery one by one)."""
    key = (by_staff, by_kind)
    if key not in _QUEUE_READS:
        where = _session_filter(
            bindparam("office_id"),
            bindparam("lo"),
            bindparam("hi"),
            bindparam("staff_id") if by_staff else None,
            bindparam("kind") if by_kind else None,
        )
        sessions = (
            core_select(
                _S.id,
                _S.kind,
                _S.title,
                _S.start_at,
                _S.end_at,
                _S.state,
                _S.staff_id,
                _S.capacity,
                _S.platform,
                _S.join_url,
                _ST.login,
                _ST.name,
            )
            .join_from(SessionRow.__table__, Staff.__table__, _ST.id == _S.staff_id)  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
            .where(*where)
            .order_by(_S.start_at, _S.id)
        )
        enrollments = (
            core_select(
                _E.session_id,
                _E.state,
                _E.waitlist_pos,
                _E.override_reason,
                _K.id,
                _K.seeker_no,
                _K.name,
                _K.phone,
                _E.offered_until,
            )
            .join_from(Enrollment.__table__, Seeker.__table__, _K.id == _E.seeker_id)  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
            .where(_E.session_id.in_(core_select(_S.id).where(*where)), _E.state != SeatState.CANCELLED)
            .order_by(_E.booked_at, _E.id)
        )
        _QUEUE_READS[key] = (Prepared(sessions), Prepared(enrollments))
    return _QUEUE_READS[key]


@dataclass
class _Facts:
    """The rule engine's facts of the seekers seated in live sessions, read in bulk (a fixed number
    of statements): newest consent (version, when), notices, newest env check, the seeker's
    registration and webcam, approvals, stops, registration attendances and renewals."""

    consent: dict[int, tuple[int, datetime]] = field(default_factory=dict)
    notified: set[tuple[int, int]] = field(default_factory=set)  # (seeker, terms version id)
    env: dict[int, eligibility.EnvRef] = field(default_factory=dict)
    seekers: dict[int, Any] = field(default_factory=dict)  # rows of the Seeker columns the rules read
    approvals: dict[tuple[int, str], bool] = field(default_factory=dict)  # (seeker, service) → wish recorded
    stops: dict[int, list] = field(default_factory=dict)  # unlifted stops
    ended: dict[int, datetime] = field(default_factory=dict)  # the latest lifted 'ended' stop
    events: dict[int, tuple[list[date], list[date]]] = field(default_factory=dict)


def _facts(session: Session, prof, seeker_ids, newest_in_force, last_day: date) -> _Facts:
    """The facts of the seekers selected by ``seeker_ids`` (a subquery) at ``prof``'s office.

    Rows come oldest first (then by id), so the newest one is the last one written into a dict.
    Notices are read only when some consent is older than ``newest_in_force`` (the version in force
    on the range's last day; it never decreases); approvals only where the terms ask for one;
    attendances and renewals only for registrations past their first period on ``last_day``."""
    conn, office_id, req = session.connection(), prof.id, prof.requirements
    facts = _Facts()
    for sid, version, given in conn.execute(
        core_select(_C.seeker_id, _TV.version, _C.given_at)
        .join_from(Consent.__table__, TermsVersion.__table__, _TV.id == _C.terms_version_id)  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
        .where(_C.office_id == office_id, _C.seeker_id.in_(seeker_ids))
        .order_by(_C.given_at, _C.id)
    ):
        facts.consent[sid] = (version, given)
    if newest_in_force is not None and any(needs_notice(v, newest_in_force.version) for v, _ in facts.consent.values()):
        facts.notified = {
            (sid, tv)
            for sid, tv in conn.execute(
                core_select(_TN.seeker_id, _TN.terms_version_id).where(_TN.seeker_id.in_(seeker_ids))
            )
        }
    for sid, eid, answers, declared in conn.execute(
        core_select(_EC.seeker_id, _EC.id, _EC.answers_json, _EC.declared_on)
        .where(_EC.office_id == office_id, _EC.seeker_id.in_(seeker_ids))
        .order_by(_EC.recorded_at, _EC.id)
    ):
        facts.env[sid] = eligibility.EnvRef(eid, json.loads(answers or "{}"), declared)
    if req.get("registration") or req.get("webcam") or req.get("registration_valid"):
        facts.seekers = {
            r.id: r
            for r in conn.execute(
                core_select(_K.id, _K.registration_kind, _K.registered_on, _K.webcam_confirmed).where(
                    _K.id.in_(seeker_ids)
                )
            )
        }
    if req.get("approval"):
        for sid, service, wish in conn.execute(
            core_select(_A.seeker_id, _A.service, _A.wishes_continuing).where(
                _A.office_id == office_id, _A.seeker_id.in_(seeker_ids), _A.revoked_at.is_(None)
            )
        ):
            facts.approvals[(sid, service)] = facts.approvals.get((sid, service), False) or bool(wish)
    for t in conn.execute(
        core_select(_T.seeker_id, _T.scope, _T.until, _T.cite, _T.lifted_at, _T.decided_at)
        .where(
            _T.office_id == office_id,
            _T.seeker_id.in_(seeker_ids),
            _T.scope != "session",
            or_(_T.lifted_at.is_(None), _T.scope == "ended"),
        )
        .order_by(_T.decided_at, _T.id)
    ):
        if t.lifted_at is None:
            facts.stops.setdefault(t.seeker_id, []).append(t)
        else:
            facts.ended[t.seeker_id] = t.decided_at
    if req.get("registration_valid"):
        late = [sid for sid, r in facts.seekers.items() if registration.needs_events(r.registered_on, last_day)]
        if late:
            facts.events = registration.events(session, late)
    return facts


def _versions(conn, office_id: str) -> list:
    """The office's terms versions as (id, version, effective_on), oldest first (not their text)."""
    return conn.execute(
        core_select(_TV.id, _TV.version, _TV.effective_on).where(_TV.office_id == office_id).order_by(_TV.version)
    ).all()


_NO_SEEKER = Seeker(seeker_no="", name="", name_kana="", birth_date=date(1900, 1, 1), office_id="", kana_key="")


def _seeker_failures(
    sid: int, *, prof, service: str, day: date, in_force, facts: _Facts
) -> list[eligibility.Requirement]:
    """The failed conditions of one seated seeker, from the rule engine (``eligibility.evaluate``)."""
    if in_force is None:
        return []
    version, given = facts.consent.get(sid, (None, None))
    status = ConsentStatus(
        prof.id,
        in_force,
        eligibility.ConsentRef(0) if version is not None else None,
        version,
        needs_notice(version, in_force.version) and (sid, in_force.id) in facts.notified,
    )
    seeker = facts.seekers.get(sid, _NO_SEEKER)
    until = None
    if prof.requirements.get("registration_valid") and seeker.registered_on is not None:
        attended, renewals = facts.events.get(sid, ((), ()))
        until = registration.registration_end(seeker.registered_on, attended, renewals)
    ended = facts.ended.get(sid)
    ended_on = None
    if ended is not None and prof.ends_agreement and (given is None or given <= ended):
        ended_on = ended.astimezone(JST).date()
    f = eligibility.Facts(
        prof,
        seeker,
        service,
        day,
        status,
        facts.env.get(sid),
        facts.approvals.get((sid, service)),
        eligibility.stop_in_force(facts.stops.get(sid, ()), day),
        ended_on,
        until,
    )
    return eligibility.failures(eligibility.evaluate(f))


def _build_rows(
    session: Session,
    *,
    office_id: str,
    lo: datetime,
    hi: datetime,
    staff_id: int | None = None,
    kind: str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """Queue rows for sessions starting in [lo, hi), in time order.

    A fixed number of queries: the office, the sessions with their staff, the enrollments with
    their seekers, the terms versions, the companions, and — only when a live session has seated
    seekers, the only ones warned about — their consents, notices and environment checks.
    """
    now = now or now_utc()
    prof = profile(session, office_id)
    conn = session.connection()
    where = _session_filter(office_id, lo, hi, staff_id, kind or None)
    read_sessions, read_enrollments = _queue_reads(staff_id is not None, bool(kind))
    params = {"office_id": office_id, "lo": lo, "hi": hi, "staff_id": staff_id, "kind": kind}
    with RawSql(session) as db:
        sessions = db.run(read_sessions, params)
        enrollments = db.run(read_enrollments, params) if sessions else []
    if not sessions:
        return []
    ids = core_select(_S.id).where(*where)
    live = {r.id for r in sessions if r.state in LIVE_SESSION_STATES}
    seekers_of: dict[int, list[SeekerBrief]] = defaultdict(list)
    no_of: dict[int, str] = {}
    seated_live = False
    for sess_id, state, pos, override, sid, no, name, phone, until in enrollments:
        seekers_of[sess_id].append(SeekerBrief(sid, no, name, phone, state, pos, override, until))
        no_of[sid] = no
        seated_live = seated_live or (sess_id in live and state in SEAT_STATES)
    if no_of and live:  # stops of use among the seekers of live sessions: one query, flags set per booking below
        found = terminations.stops(
            conn,
            office_id=office_id,
            seeker_ids=core_select(_E.seeker_id).where(
                _E.session_id.in_(core_select(_S.id).where(*where, _S.state.in_(LIVE_SESSION_STATES))),
                _E.state != SeatState.CANCELLED,
            ),
        )
        if found:
            day_of = {r.id: r.start_at.astimezone(JST).date() for r in sessions if r.id in live}
            for sess_id in live:
                briefs = seekers_of.get(sess_id)
                if briefs and any(b.id in found for b in briefs):
                    seekers_of[sess_id] = [
                        replace(b, stopped=stop.cite)
                        if (stop := terminations.stop_on(found, b.id, day_of[sess_id]))
                        else b
                        for b in briefs
                    ]
    comps_of: dict[int, list[tuple[int | None, Companion]]] = defaultdict(
        list
    )  # seeker id → (session or None, companion)
    if no_of:
        seeker_ids = core_select(_E.seeker_id).where(_E.session_id.in_(ids), _E.state != SeatState.CANCELLED)
        for sid, sess_id, ckind, language, unannounced in conn.execute(
            core_select(_CN.seeker_id, _CN.session_id, _CN.kind, _CN.language, _CN.unannounced)
            .where(_CN.seeker_id.in_(seeker_ids), or_(_CN.session_id.is_(None), _CN.session_id.in_(ids)))
            .order_by(_CN.seeker_id, _CN.id)
        ):
            if sid in no_of:  # PostgreSQL reads each statement at its own snapshot: a booking may have come in between
                comps_of[sid].append((sess_id, Companion(no_of[sid], ckind, language, bool(unannounced))))
    facts = _Facts()
    versions = _versions(conn, office_id) if seated_live else []
    if seated_live:
        seated = core_select(_E.seeker_id).where(
            _E.session_id.in_(core_select(_S.id).where(*where, _S.state.in_(LIVE_SESSION_STATES))),
            _E.state.in_(SEAT_STATES),
        )
        last_day = (hi - timedelta(microseconds=1)).astimezone(JST).date()
        facts = _facts(session, prof, seated, version_in_force(versions, last_day), last_day)
    in_force: dict[date, object] = {}  # the version in force, once per day rather than per seeker
    out = []
    jst: dict[datetime, datetime] = {}  # a day's sessions share a few start and end times
    for r in sessions:
        start = jst.get(r.start_at) or jst.setdefault(r.start_at, r.start_at.astimezone(JST))
        end = jst.get(r.end_at) or jst.setdefault(r.end_at, r.end_at.astimezone(JST))
        day = start.date()
        if r.state in LIVE_SESSION_STATES and day not in in_force:
            in_force[day] = version_in_force(versions, day)
        out.append(_row(r, start, end, seekers_of.get(r.id, []), comps_of, facts, prof, in_force.get(day), now))
    return interpreting.mark_rows(session, office_id, out) if comps_of else out


def _row(
    r,
    start: datetime,
    end: datetime,
    seekers: list[SeekerBrief],
    comps_of: dict,
    facts: _Facts,
    prof,
    in_force,
    now: datetime,
) -> QueueRow:
    sess_id, kind, title, start_at, end_at, state, staff_id, capacity, platform, join_url, login, staff_name = r
    comps: tuple[Companion, ...] = ()
    if comps_of:
        # standing notices and this session's, by seeker id then notice id (the order they were read)
        comps = tuple(
            c
            for sid in sorted(s.id for s in seekers if s.id in comps_of)
            for at, c in comps_of[sid]
            if at is None or at == sess_id
        )
    per_seeker: dict[str, list[str]] = {}
    warnings: list[RowWarning] = []
    if state in LIVE_SESSION_STATES:
        who: dict[str, list[str]] = {}  # warning key → 求職番号, in booking order
        cites: dict[str, str] = {}
        day = start.date()
        for s in seekers:
            if s.state in SEAT_STATES:
                failed = [
                    f
                    for f in _seeker_failures(s.id, prof=prof, service=kind, day=day, in_force=in_force, facts=facts)
                    if f.code != USE_STOPPED
                ]  # a stop is shown first, with its article (below)
                per_seeker[s.seeker_no] = [f.code for f in failed]
                for f in failed:
                    who.setdefault(f.code, []).append(s.seeker_no)
                    # The notice a revision needs is the revision article's (告知), not the consent's.
                    cites.setdefault(f.code, prof.cite("revision") if f.code == "terms_revised" else f.cite)
        stopped = [s for s in seekers if s.stopped is not None]
        if stopped:  # first: a stopped seeker's booking is to be cancelled, not prepared
            for s in stopped:
                per_seeker.setdefault(s.seeker_no, []).insert(0, USE_STOPPED)
            warnings.append(RowWarning(USE_STOPPED, stopped[0].stopped or "", tuple(s.seeker_no for s in stopped)))
        for key in WARNINGS:
            if key == USE_STOPPED:
                continue
            if key in who:
                warnings.append(RowWarning(key, cites.get(key, ""), tuple(who[key])))
        if not join_url:
            warnings.append(RowWarning("no_link"))
        late = [s.seeker_no for s in seekers if s.state == SeatState.BOOKED] if not is_group(kind) else []
        if state == SessionState.SCHEDULED and start_at - SOON <= now < end_at and (late or is_group(kind)):
            warnings.append(RowWarning("not_checked_in", "", tuple(late)))
    return QueueRow(
        sess_id,
        kind,
        title,
        start,
        end,
        state,
        staff_id,
        login,
        staff_name,
        capacity,
        platform,
        join_url,
        tuple(seekers),
        comps,
        tuple(warnings),
        per_seeker,
    )


def _counts(rows: list[QueueRow]) -> dict[str, int]:
    counts: dict[str, int] = {str(s): 0 for s in SESSION_STATES}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    counts["total"] = len(rows)
    return counts
