"""The supervisor's daily queue, the week view and the reminder list.

Every view is built with a fixed number of queries, whatever the number of sessions (no N+1):
sessions with their staff (range scan on ``ix_session_office_start``), then the enrollments with
their seekers, the companions, and the consents, revision notices and environment checks of the
seekers seated in live sessions (the only ones warned about) — each in one query, selected by
subquery rather than by long id lists, read as plain columns (SQLAlchemy Core), not ORM objects.

Whether another terminal committed (so a screen refreshes) is ``hwdesk.watch``'s business.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST, now_utc
from hwdesk.db import Prepared, RawSql
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.jtext.numbers import format_phone
from hwdesk.models import (
    REMINDER_OUTCOMES,
    SESSION_STATES,
    Approval,
    CompanionNotice,
    Consent,
    Enrollment,
    EnvCheck,
    Reminder,
    Seeker,
    Staff,
    Termination,
    TermsNotice,
    TermsVersion,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services import calendar, eligibility, interpreting, registration, terminations
from hwdesk.services.consent import COMPANION_LABELS, ConsentStatus, needs_notice
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile, version_in_force
from hwdesk.services.scheduling import is_group
from hwdesk.states import LIVE_SESSION_STATES, SEAT_STATES, state_label
from hwdesk.terms import service_label

SOON = timedelta(minutes=15)
# Readiness warnings in the order the row shows them: first a seated seeker's failed conditions of
# use (keyed by ``eligibility.Requirement.code``, decided by the rule engine), then the session's own.
WARNINGS = {
    "service_not_offered": ("実施していないサービス", "Service not offered"),
    "no_consent": ("同意未記録", "No consent recorded"),
    "terms_revised": ("規約改訂の告知未了", "Terms revised, not yet notified"),
    "no_registration": ("求職登録未完了", "Registration not complete"),
    "registration_lapses": ("実施日までに求職登録の有効期間切れ", "Registration lapses before the session"),
    "no_webcam": ("WEBカメラ端末未確認", "No webcam device confirmed"),
    "no_env_check": ("利用環境の確認なし", "No environment check"),
    "env_failed": ("利用環境に不備", "Environment check failed"),
    "no_private_room": ("個室等の環境未確認", "No private room confirmed"),
    "no_approval": ("必要性の認定・継続相談の希望なし", "Need not recognized / no wish recorded"),
    "stopped": ("利用中止中", "Use stopped"),
    "agreement_ended": ("解約後の再申込みなし", "Agreement ended, no new application"),
    "no_link": ("参加URL未設定", "No join link yet"),
    "not_checked_in": ("開始15分前・未受付", "Starting within 15 min, not checked in"),
}
OUTCOME_LABELS = {
    "reached": ("連絡済み", "Reached"),
    "not_reached": ("不通", "Not reached"),
    "message_left": ("伝言済み", "Message left"),
}


# --- view types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowWarning:
    """A readiness warning on a row; ``seekers`` are the 求職番号 it concerns (empty: the session)."""

    key: str
    cite: str = ""
    seekers: tuple[str, ...] = ()

    def text(self, lang: str = "ja") -> str:
        """The warning in ``lang``, with the article and the count of seekers in a group."""
        ja, en = WARNINGS[self.key]
        base = en if lang == "en" else ja
        if self.cite:
            base += f" ({self.cite})" if lang == "en" else f"（{self.cite}）"
        if len(self.seekers) > 1:
            base += f" ×{len(self.seekers)}"
        return base


@dataclass(frozen=True)
class Companion:
    """A companion announced for a seeker (standing, or for this session)."""

    seeker_no: str
    kind: str
    language: str
    unannounced: bool

    def label(self, lang: str = "ja") -> str:
        """'通訳（ベトナム語）' / 'Interpreter (ベトナム語)'."""
        ja, en = COMPANION_LABELS.get(self.kind, (self.kind, self.kind))
        base = en if lang == "en" else ja
        if self.language:
            base += f" ({self.language})" if lang == "en" else f"（{self.language}）"
        if self.unannounced:
            base += " [unannounced]" if lang == "en" else "［申出なし］"
        return base


@dataclass(frozen=True)
class SeekerBrief:
    """A seeker in a session as the queue shows them."""

    id: int
    seeker_no: str
    name: str
    phone: str
    state: str
    waitlist_pos: int | None
    override_reason: str
    offered_until: datetime | None = None
    stopped: str | None = None  # the article of a stop of use covering this booking (None: not stopped)


@dataclass(frozen=True)
class QueueRow:
    """One session in the queue (time order)."""

    id: int
    kind: str
    title: str
    start: datetime
    end: datetime
    state: str
    staff_id: int
    staff_login: str
    staff_name: str
    capacity: int
    platform: str
    join_url: str
    seekers: tuple[SeekerBrief, ...]
    companions: tuple[Companion, ...]
    warnings: tuple[RowWarning, ...]
    seeker_warnings: dict = field(default_factory=dict, compare=False, hash=False)
    interpreting: tuple = ()  # interpreters.Cover per language the seekers' notices ask for (live rows)

    @property
    def group(self) -> bool:
        """Whether this is a group session (capacity, waitlist)."""
        return is_group(self.kind)

    @property
    def seeker(self) -> SeekerBrief | None:
        """An individual session's seeker (None when the slot is free or for groups)."""
        if self.group:
            return None
        return next((s for s in self.seekers if s.state != "waitlisted"), None)

    @property
    def enrolled(self) -> int:
        """Seats taken (booked, offered, checked in)."""
        return sum(1 for s in self.seekers if s.state in SEAT_STATES)

    @property
    def waiting(self) -> int:
        """Seekers on the waitlist."""
        return sum(1 for s in self.seekers if s.state == "waitlisted")

    @property
    def overrides(self) -> int:
        """Bookings made by a supervisor's override."""
        return sum(1 for s in self.seekers if s.override_reason)

    def kind_label(self, lang: str = "ja") -> str:
        """The service kind in ``lang``."""
        return service_label(self.kind, lang)

    def state_label(self, lang: str = "ja") -> str:
        """The state in ``lang``."""
        return state_label(self.state, lang)

    def who(self, lang: str = "ja") -> str:
        """'13080-123 山田 太郎' for an individual session, '12/20 (待3)' for a group."""
        if self.group:
            wait = (f" (wait {self.waiting})" if lang == "en" else f"（待{self.waiting}）") if self.waiting else ""
            return f"{self.enrolled}/{self.capacity}{wait}"
        s = self.seeker
        return f"{s.seeker_no} {s.name}" if s else ("(free)" if lang == "en" else "（空き）")


@dataclass(frozen=True)
class QueueView:
    """An office's sessions on one day, with counts by state before the state filter."""

    office_id: str
    day: date
    rows: list[QueueRow]
    counts: dict[str, int]
    closed: tuple[str, str] | None
    holiday_warning: tuple[str, str] | None
    generated_at: datetime


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
    their enrollments with the seekers. Run on the DBAPI cursor (``db.Prepared``: the
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
            .where(_E.session_id.in_(core_select(_S.id).where(*where)), _E.state != "cancelled")
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
                _E.state != "cancelled",
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
        seeker_ids = core_select(_E.seeker_id).where(_E.session_id.in_(ids), _E.state != "cancelled")
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
                    if f.code != "stopped"
                ]  # a stop is shown first, with its article (below)
                per_seeker[s.seeker_no] = [f.code for f in failed]
                for f in failed:
                    who.setdefault(f.code, []).append(s.seeker_no)
                    # The notice a revision needs is the revision article's (告知), not the consent's.
                    cites.setdefault(f.code, prof.cite("revision") if f.code == "terms_revised" else f.cite)
        stopped = [s for s in seekers if s.stopped is not None]
        if stopped:  # first: a stopped seeker's booking is to be cancelled, not prepared
            for s in stopped:
                per_seeker.setdefault(s.seeker_no, []).insert(0, "stopped")
            warnings.append(RowWarning("stopped", stopped[0].stopped or "", tuple(s.seeker_no for s in stopped)))
        for key in WARNINGS:
            if key == "stopped":
                continue
            if key in who:
                warnings.append(RowWarning(key, cites.get(key, ""), tuple(who[key])))
        if not join_url:
            warnings.append(RowWarning("no_link"))
        late = [s.seeker_no for s in seekers if s.state == "booked"] if not is_group(kind) else []
        if state == "scheduled" and start_at - SOON <= now < end_at and (late or is_group(kind)):
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


# --- the views --------------------------------------------------------------------------------


@guard("clerk")
def daily_queue(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    day: date,
    staff_id: int | None = None,
    kind: str | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> QueueView:
    """Every session of ``office_id`` on ``day`` in time order, with readiness warnings and counts
    by state (counted after the staff/kind filters, before the state filter)."""
    lo, hi = calendar.day_bounds(day)
    rows = _build_rows(session, office_id=office_id, lo=lo, hi=hi, staff_id=staff_id, kind=kind, now=now)
    counts = _counts(rows)
    if state:
        rows = [r for r in rows if r.state == state]
    return QueueView(
        office_id,
        day,
        rows,
        counts,
        calendar.closed_reason(session, office_id, day),
        calendar.holiday_warning(day.year),
        now or now_utc(),
    )


def filter_view(
    view: QueueView, *, staff_id: int | None = None, kind: str | None = None, state: str | None = None
) -> QueueView:
    """``view`` (an unfiltered ``daily_queue``) narrowed as ``daily_queue`` would narrow it, without
    reading again: counts after the staff/kind filters, rows after the state filter too."""
    rows = [r for r in view.rows if (staff_id is None or r.staff_id == staff_id) and (not kind or r.kind == kind)]
    counts = _counts(rows)
    if state:
        rows = [r for r in rows if r.state == state]
    return replace(view, rows=rows, counts=counts)


def row_json(r: QueueRow) -> dict:
    """One session for scripts: ISO times with +09:00, 求職番号 of the enrolled seekers."""
    return {
        "id": r.id,
        "kind": r.kind,
        "title": r.title,
        "start": r.start.isoformat(),
        "end": r.end.isoformat(),
        "state": r.state,
        "staff": r.staff_login,
        "staff_name": r.staff_name,
        "platform": r.platform,
        "join_url": r.join_url,
        "capacity": r.capacity,
        "enrolled": r.enrolled,
        "waiting": r.waiting,
        "seekers": [s.seeker_no for s in r.seekers if s.state not in ("waitlisted",)],
        "waitlist": [
            s.seeker_no
            for s in sorted((s for s in r.seekers if s.state == "waitlisted"), key=lambda s: s.waitlist_pos or 0)
        ],
        "companions": [{"seeker": c.seeker_no, "kind": c.kind, "language": c.language} for c in r.companions],
        "interpreters": interpreting.covers_json(r.interpreting),
        "warnings": [w.key for w in r.warnings],
        "overrides": r.overrides,
        "offered": [
            {
                "seeker": s.seeker_no,
                "offered_until": s.offered_until.astimezone(JST).isoformat() if s.offered_until else None,
            }
            for s in r.seekers
            if s.state == "offered"
        ],
        "stopped": [s.seeker_no for s in r.seekers if s.stopped is not None],
    }


@guard("clerk")
def queue_json(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    day: date,
    staff_id: int | None = None,
    kind: str | None = None,
    state: str | None = None,
    now: datetime | None = None,
) -> dict:
    """The daily queue as plain data for ``hwdesk queue --json``."""
    view = daily_queue(
        session, actor=actor, office_id=office_id, day=day, staff_id=staff_id, kind=kind, state=state, now=now
    )
    from hwdesk.services import followup  # seekers to phone now: on today's queue only

    moment = now or now_utc()
    late = (
        followup.late_seekers(session, actor=actor, office_id=office_id, now=moment)
        if moment.astimezone(JST).date() == day
        else []
    )
    return {
        "office": office_id,
        "date": day.isoformat(),
        "closed": view.closed[0] if view.closed else None,
        "counts": view.counts,
        "sessions": [row_json(r) for r in view.rows],
        "followup": [
            {
                "session": r.session_id,
                "seeker": r.seeker_no,
                "minutes_late": r.minutes_late,
                "last_call": r.last.outcome if r.last else None,
            }
            for r in late
        ],
    }


@dataclass(frozen=True)
class WeekDay:
    """One day column of the week view."""

    day: date
    closed: tuple[str, str] | None
    rows: list[QueueRow]


@dataclass(frozen=True)
class WeekView:
    """Monday to Sunday of an office (or one staff member)."""

    office_id: str
    start: date
    days: list[WeekDay]
    counts: dict[str, int]


@guard("clerk")
def week_view(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    week_start: date,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> WeekView:
    """The week (Monday to Sunday) containing ``week_start``, for the office or one staff member."""
    monday = week_start - timedelta(days=week_start.weekday())
    lo = calendar.day_bounds(monday)[0]
    rows = _build_rows(session, office_id=office_id, lo=lo, hi=lo + timedelta(days=7), staff_id=staff_id, now=now)
    closed = calendar.closed_days(session, office_id=office_id, start=monday, end=monday + timedelta(days=6))
    by_day: dict[date, list[QueueRow]] = defaultdict(list)
    for r in rows:
        by_day[r.start.date()].append(r)
    days = [WeekDay(d, closed.get(d), by_day.get(d, [])) for d in (monday + timedelta(days=i) for i in range(7))]
    return WeekView(office_id, monday, days, _counts(rows))


# --- reminders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRow:
    """A seeker to call about a session on the next open day."""

    session_id: int
    kind: str
    start: datetime
    end: datetime
    seeker_id: int
    seeker_no: str
    name: str
    phone: str
    enrollment_state: str
    companions: tuple[Companion, ...]
    missing: tuple[str, ...]  # warning keys: no_consent, terms_revised, no_env_check, env_failed, no_link
    last_outcome: str | None
    last_at: datetime | None
    last_by: str
    stopped: str | None = None  # the stop's article: tell them the booking is cancelled, not a reminder
    offered_until: datetime | None = None  # a seat offered: phone for the answer by then
    moved_from: int | None = None  # the session was moved from this one: tell them the new time

    def missing_text(self, lang: str = "ja") -> str:
        """What is still missing, comma-separated."""
        return ("; " if lang == "en" else "、").join(RowWarning(k).text(lang) for k in self.missing)


@dataclass(frozen=True)
class ReminderList:
    """The reminder calls for ``target_day`` (the next open day after ``from_day``)."""

    office_id: str
    from_day: date
    target_day: date
    rows: list[ReminderRow]


@guard("clerk")
def reminder_list(
    session: Session, *, actor: Actor, office_id: str, day: date, now: datetime | None = None
) -> ReminderList:
    """Seekers with live bookings on the next open day after ``day``: phone, companions, what is still
    missing (consent, environment check, link) and the last reminder outcome."""
    target = calendar.next_open_day(session, office_id=office_id, day=day)
    lo, hi = calendar.day_bounds(target)
    rows = [r for r in _build_rows(session, office_id=office_id, lo=lo, hi=hi, now=now) if r.state == "scheduled"]
    last: dict[tuple[int, int], tuple[str, datetime, str]] = {}
    ids = select(SessionRow.id).where(*_session_filter(office_id, lo, hi, None, None))
    for rem, login in session.exec(
        select(Reminder, Staff.login)
        .outerjoin(Staff, col(Staff.id) == Reminder.by)
        .where(col(Reminder.session_id).in_(ids))
        .order_by(col(Reminder.at), col(Reminder.id))
    ):
        last[(rem.session_id, rem.seeker_id)] = (rem.outcome, rem.at.astimezone(JST), login or "")
    out = []
    for r in rows:
        for s in r.seekers:
            if s.state not in ("booked", "offered"):
                continue
            missing = tuple(k for k in r.seeker_warnings.get(s.seeker_no, []) if k != "stopped") + (
                ("no_link",) if not r.join_url else ()
            )
            outcome, at, by = last.get((r.id, s.id), (None, None, ""))
            out.append(
                ReminderRow(
                    r.id,
                    r.kind,
                    r.start,
                    r.end,
                    s.id,
                    s.seeker_no,
                    s.name,
                    format_phone(s.phone) if s.phone else "",
                    s.state,
                    tuple(c for c in r.companions if c.seeker_no == s.seeker_no),
                    missing,
                    outcome,
                    at,
                    by,
                    s.stopped,
                    s.offered_until if s.state == "offered" else None,
                )
            )
    out += _moved(
        session, office_id=office_id, day=day, now=now, listed={(r.session_id, r.seeker_id) for r in out}, out=out
    )
    return ReminderList(office_id, day, target, out)


MOVED_WITHIN = timedelta(days=60)


def _moved(
    session: Session,
    *,
    office_id: str,
    day: date,
    now: datetime | None,
    listed: set[tuple[int, int]],
    out: list[ReminderRow],
) -> list[ReminderRow]:
    """The reschedule notices still to give: seekers of upcoming sessions that were moved (made by
    ``scheduling.reschedule``) with no call recorded for the new session yet — whatever their day
    (from ``day``, at most ``MOVED_WITHIN`` ahead).
    A row already on the day's list is marked instead of repeated (``out`` is updated in place)."""
    from sqlalchemy import exists

    lo = max(now or now_utc(), calendar.day_bounds(day)[0])
    stmt = (
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            SessionRow.id,
            SessionRow.kind,
            SessionRow.start_at,
            SessionRow.end_at,
            SessionRow.rescheduled_from_id,
            Enrollment.state,
            Seeker.id,
            Seeker.seeker_no,
            Seeker.name,
            Seeker.phone,
        )
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) > lo,
            col(SessionRow.start_at) < lo + MOVED_WITHIN,
            SessionRow.state == "scheduled",
            col(SessionRow.rescheduled_from_id).is_not(None),
            col(Enrollment.state).in_(("booked", "offered", "waitlisted")),
            ~exists().where(col(Reminder.session_id) == SessionRow.id, col(Reminder.seeker_id) == Enrollment.seeker_id),
        )
        .order_by(col(SessionRow.start_at), col(SessionRow.id))
    )
    more = []
    for sid, kind, start, end, old, state, seeker_id, no, name, phone in session.exec(stmt):
        if (sid, seeker_id) in listed:
            i = next(i for i, r in enumerate(out) if (r.session_id, r.seeker_id) == (sid, seeker_id))
            out[i] = replace(out[i], moved_from=old)
            continue
        more.append(
            ReminderRow(
                sid,
                kind,
                start.astimezone(JST),
                end.astimezone(JST),
                seeker_id,
                no,
                name,
                format_phone(phone) if phone else "",
                state,
                (),
                (),
                None,
                None,
                "",
                moved_from=old,
            )
        )
    return more


CALLS = {
    "stopped": (
        "利用中止 — 予約の取消しを伝える（リマインドではありません）",
        "Stopped — tell them the booking is cancelled (not a reminder)",
    ),
    "offer": ("空席案内 — {until}までに参加の可否を確認", "Seat offered — ask for an answer by {until}"),
    "moved": (
        "日時変更 — #{old} から新しい日時（{when}）を伝える",
        "Moved — tell them the new time ({when}; was #{old})",
    ),
}


def reminder_call(r: ReminderRow) -> str:
    """What the call is for: 'stopped' (tell them the booking is cancelled), 'offer' (ask for an
    answer by the deadline) or 'reminder'."""
    if r.stopped is not None:
        return "stopped"
    if r.moved_from is not None:
        return "moved"
    return "offer" if r.enrollment_state == "offered" else "reminder"


def reminder_call_text(r: ReminderRow, lang: str = "ja") -> str:
    """The call's purpose in ``lang`` when it is not an ordinary reminder ('' for a reminder)."""
    kind = reminder_call(r)
    if kind == "reminder":
        return ""
    ja, en = CALLS[kind]
    text = en if lang == "en" else ja
    if kind == "stopped":
        return text + (f" ({r.stopped})" if lang == "en" else f"（{r.stopped}）") if r.stopped else text
    if kind == "moved":
        return text.format(
            old=r.moved_from, when=f"{r.start:%m-%d %H:%M}" if lang == "en" else f"{r.start:%m/%d %H:%M}"
        )
    until = r.offered_until.astimezone(JST) if r.offered_until else None
    when = f"{until:%m-%d %H:%M}" if lang == "en" and until else (f"{until:%m/%d %H:%M}" if until else "—")
    return text.format(until=when)


@guard("clerk")
def record_reminder(session: Session, *, actor: Actor, session_id: int, seeker_id: int, outcome: str) -> Reminder:
    """Record the outcome of a reminder call (reached / not_reached / message_left)."""
    require(actor, "clerk", what_ja="リマインド結果の記録", what_en="Recording a reminder call")
    if outcome not in REMINDER_OUTCOMES:
        raise ValidationFailed(
            "結果は reached（連絡済み）/ not_reached（不通）/ message_left（伝言）のいずれかです。",
            "The outcome must be reached, not_reached or message_left.",
            field="outcome",
        )
    row = session.get(SessionRow, session_id)
    if row is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    require_office(actor, row.office_id)
    enrolled = session.exec(
        select(Enrollment.id).where(Enrollment.session_id == session_id, Enrollment.seeker_id == seeker_id)
    ).first()
    if enrolled is None:
        raise NotFound(
            f"求職者 {seeker_id} はセッション {session_id} に登録されていません。",
            f"Seeker {seeker_id} is not enrolled in session {session_id}.",
        )
    rem = Reminder(session_id=session_id, seeker_id=seeker_id, outcome=outcome, by=_sid(actor))
    session.add(rem)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="reminder.record",
        entity="reminder",
        entity_id=rem.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        after={"session": session_id, "outcome": outcome},
    )
    return rem
