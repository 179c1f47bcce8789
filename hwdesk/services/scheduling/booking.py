"""Booking a seeker into a session: the conditions of use, capacity and the waitlist, and offering a freed seat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BindParameter, bindparam, insert
from sqlmodel import Session, col, func, select

from hwdesk import audit
from hwdesk.clock import now_utc, today_jst
from hwdesk.errors import NotFound, RuleRefusal
from hwdesk.jtext.text import clean_text
from hwdesk.models import (
    Enrollment,
    Office,
    Seeker,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.rawsql import Prepared, RawSql
from hwdesk.services import consent, eligibility, notices, timing
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.offices import parse_profile, profile
from hwdesk.services.scheduling.common import (
    _SEEKER_OVERLAP,
    _inline,
    _jst_day,
    _require_live,
    _seeker_overlap_refusal,
    is_group,
)
from hwdesk.sqla_private import loaded
from hwdesk.states import (
    SEAT_STATES,
    SeatState,
    SessionState,
    state_label,
)
from hwdesk.terms import office_profile

# --- booking ----------------------------------------------------------------------------------


def _cites(failed: list) -> str:
    return "・".join(dict.fromkeys(f.cite for f in failed if f.cite))


# Operational checks a supervisor's override may lift, with a reason (kept on the enrollment and
# audited). Never a condition of use: those are the terms' own and eligibility.evaluate decides
# them; an override does not touch them. "capacity": a full group session (booked over capacity
# instead of waitlisted); "lead_time" and "staff_clash" name the office's own scheduling checks.
# "session_started": booking a session that has begun (hwdesk.services.timing).
OVERRIDABLE_CHECKS = ("capacity", "lead_time", "staff_clash", "session_started")


def _conditions_gate(seeker, facts: eligibility.Facts, override_reason: str | None) -> list:
    """Refuse when any condition of use fails (each failed condition with its article), override or not."""
    failed = eligibility.failures(eligibility.evaluate(facts))
    if not failed:
        return []
    prof = facts.prof
    cites = _cites(failed)
    cites_en = ", ".join(dict.fromkeys(getattr(f, "cite_en", "") or f.cite for f in failed if f.cite))
    extra_ja = "利用条件は例外承認では外せません。" if override_reason else ""
    extra_en = " An override never lifts a condition of use." if override_reason else ""
    raise RuleRefusal(
        f"{seeker.seeker_no} {seeker.name} さんは{prof.name}の利用条件を満たしていないため予約できません（{cites}）。{extra_ja}",
        f"Seeker {seeker.seeker_no} does not meet {prof.display_name('en')}'s conditions of use ({cites_en}).{extra_en}",
        failures=failed,
    )


def _lift(actor: Actor, check: str) -> str:
    """Lift an operational check by a supervisor's override (the caller has its reason)."""
    assert check in OVERRIDABLE_CHECKS, check
    require(
        actor, "supervisor", what_ja="例外承認（定員・期限・職員の重複）", what_en="Overriding an operational check"
    )
    return check


def _on_applying(session: Session, *, actor: Actor, row, seeker, facts: eligibility.Facts) -> None:
    """What applying does under the office's terms: 高松 第2条(2) switches an online registrant to
    an office registrant. (前橋 第1条's consent by use is recorded at check-in: ``_on_use``.)"""
    from hwdesk.services.seekers import switch_to_office_registration

    reg = facts.prof.requirements.get("registration") or {}
    if reg.get("online_switches_to_office") and seeker.registration_kind == "online":
        switch_to_office_registration(session, actor=actor, seeker_id=seeker.id, on=today_jst(), seeker=seeker)


def _on_use(session: Session, *, actor: Actor, row: SessionRow, seeker_id: int) -> None:
    """前橋 第1条 "本サービスの利用をもって、本利用規約に同意したものとみなします": using the service
    (the check-in) is the consent; recorded then, to the version in force on the session's day."""
    prof = profile(session, row.office_id)
    if prof.consent_method != "deemed_by_use":
        return
    if consent.consent_status(session, seeker_id=seeker_id, office_id=row.office_id, on=_jst_day(row.start_at)).current:
        return
    consent.record_consent(
        session,
        actor=actor,
        seeker_id=seeker_id,
        office_id=row.office_id,
        method="deemed_by_use",
        on=_jst_day(row.start_at),
        session_id=row.id,
    )


def _enrollments(session: Session, session_id: int, states: tuple[str, ...]) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.session_id == session_id, col(Enrollment.state).in_(states))
    return list(
        session.exec(stmt.order_by(col(Enrollment.waitlist_pos), col(Enrollment.booked_at), col(Enrollment.id)))
    )


def _seats_taken(session: Session, session_id: int, *, exclude_id: int | None = None) -> int:
    stmt = (
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.session_id == session_id, col(Enrollment.state).in_(SEAT_STATES))
    )
    if exclude_id is not None:
        stmt = stmt.where(Enrollment.id != exclude_id)
    return session.exec(stmt).one()


def _seat_or_wait(
    row, taken: int, waiting: int, last_pos: int, *, waitlist: bool, over_capacity: bool = False
) -> tuple[str, int | None]:
    """('booked', None) when a seat is free, ('waitlisted', position) when full; else refused.
    ``taken``/``waiting``/``last_pos``: the session's seats held, seekers waiting and last waitlist
    position (read under the session's lock). ``over_capacity``: a supervisor's override lifts the
    capacity of a group session (booked, not waitlisted)."""
    if not is_group(row.kind):
        if taken or waiting:
            raise RuleRefusal(
                f"セッション #{row.id} は個別のセッションで、既に別の求職者が予約しています。",
                f"Session #{row.id} is an individual session and another seeker is already booked.",
                field="session",
            )
        return SeatState.BOOKED, None
    if (taken < row.capacity and not waiting) or over_capacity:
        return SeatState.BOOKED, None
    if not waitlist:
        raise RuleRefusal(
            f"セッション #{row.id} は満席です（定員{row.capacity}名）。",
            f"Session #{row.id} is full (capacity {row.capacity}).",
            field="session",
        )
    return SeatState.WAITLISTED, last_pos + 1


_SESSION_T, _ENROLLMENT_T, _SEEKER_T = SessionRow.__table__, Enrollment.__table__, Seeker.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
_OFFICE_T = Office.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
# Booking's statements, written with Core and run on the DBAPI cursor (``rawsql.Prepared``:
# ~10 µs a statement against ~50 µs through SQLAlchemy's execute, ~150 µs through the ORM).
# The locks are those of lock_session / lock_seeker.
# Only the columns the rules and refusals read (each converted value costs ~2–5 µs).
_BOOK_SESSION = Prepared(
    select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
        *(_SESSION_T.c[k] for k in ("id", "office_id", "kind", "state", "start_at", "end_at", "capacity")),
        select(_OFFICE_T.c.profile_json)
        .where(_OFFICE_T.c.id == _SESSION_T.c.office_id)
        .scalar_subquery()
        .label("profile_json"),
    )
    .where(_SESSION_T.c.id == bindparam("id"))
    .with_for_update(key_share=True)
)
_BOOK_SEEKER = Prepared(
    select(
        *(
            _SEEKER_T.c[k]
            for k in ("id", "seeker_no", "name", "office_id", "registration_kind", "registered_on", "webcam_confirmed")
        ),
    )
    .where(_SEEKER_T.c.id == bindparam("id"))
    .with_for_update(key_share=True)
)
_BOOK_INSERT = Prepared(
    insert(_ENROLLMENT_T)
    .values({c.key: bindparam(c.key) for c in _ENROLLMENT_T.c if c.key != "id"})
    .returning(_ENROLLMENT_T.c.id)
)
_BOOK_READS: Prepared | None = None


def _book_reads() -> Prepared:
    """The eligibility facts (``eligibility.facts_stmt``) with, as more columns, the seeker's
    overlapping session and this session's enrollments: the seeker's own, seats held, seekers
    waiting, last waitlist position — one round trip for every check after the locks."""
    global _BOOK_READS
    if _BOOK_READS is None:
        e = _ENROLLMENT_T
        sid: BindParameter[int] = bindparam("session_id")
        here = (e.c.session_id == sid,)
        mine = (*here, e.c.seeker_id == bindparam("seeker_id"))
        waiting = (*here, e.c.state == SeatState.WAITLISTED)
        _BOOK_READS = Prepared(
            eligibility.facts_stmt().add_columns(
                _SEEKER_OVERLAP[False].scalar_subquery().label("overlap_id"),
                select(e.c.id).where(*mine).scalar_subquery().label("mine_id"),
                select(e.c.state).where(*mine).scalar_subquery().label("mine_state"),
                select(func.count())
                .select_from(e)
                .where(*here, e.c.state.in_(_inline(SEAT_STATES)))
                .scalar_subquery()
                .label("taken"),
                select(func.count()).select_from(e).where(*waiting).scalar_subquery().label("waiting"),
                select(func.coalesce(func.max(e.c.waitlist_pos), 0))
                .where(*waiting)
                .scalar_subquery()
                .label("last_pos"),
            )
        )
    return _BOOK_READS


@guard("clerk", office_in_body="the session row, locked by its first statement")
def book(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    seeker_id: int,
    override_reason: str | None = None,
    waitlist: bool = True,
    now: datetime | None = None,
) -> Enrollment:
    """Book a seeker into a session (or onto its waitlist when a group session is full).

    Runs the rule engine (``eligibility.evaluate``) for the session's kind and date; a refusal
    lists every failed condition with its article, and no override lifts one. A supervisor (not a
    clerk) may override an operational check (``OVERRIDABLE_CHECKS``: a full group session is then
    booked over capacity) with a reason, kept on the enrollment and audited. No overlapping
    sessions for the seeker; an individual session takes one seeker; without an override a group
    session never goes over capacity (``waitlist=False`` refuses instead of waitlisting). Returns
    the enrollment, persistent in ``session`` (a change the caller makes to it is flushed as usual).
    The clock (``timing``): a session that has ended is refused; one that has started needs a
    supervisor's override with a reason (the operational check ``session_started``).
    """
    require(actor, "clerk", what_ja="予約", what_en="Booking")
    session.flush()  # the statements below do not autoflush; the caller's pending rows must be seen
    with RawSql(session) as db:
        # The Session row, locked (as lock_session), with its office's profile in the same statement.
        row = db.one(_BOOK_SESSION, {"id": session_id})
        if row is None:
            raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
        require_office(actor, row.office_id)
        prof = parse_profile(row.profile_json) if row.profile_json is not None else office_profile(row.office_id)
        seeker = db.one(_BOOK_SEEKER, {"id": seeker_id})  # locked, as lock_seeker
        if seeker is None:
            raise NotFound(f"求職者 {seeker_id} は見つかりません。", f"Seeker {seeker_id} not found.")
        _require_live(row, what_ja="予約", what_en="book it")
        late = timing.booking_gate(
            actor=actor, session_id=row.id, start=row.start_at, end=row.end_at, override_reason=override_reason, at=now
        )  # operational, not a condition of use
        on = _jst_day(row.start_at)
        r = db.one(
            _book_reads(),
            {
                "seeker_id": seeker_id,
                "office_id": row.office_id,
                "on": on,
                "service": row.kind,
                "session_id": row.id,
                "start": row.start_at,
                "end": row.end_at,
            },
        )
        facts = eligibility.from_row(
            session, r, prof=prof, seeker=seeker, office_id=row.office_id, service=row.kind, on=on
        )
        if r.mine_id is not None and r.mine_state != SeatState.CANCELLED:
            raise RuleRefusal(
                f"{seeker.seeker_no} さんはこのセッションに既に登録されています（{state_label(r.mine_state)}）。",
                f"Seeker {seeker.seeker_no} is already in this session ({state_label(r.mine_state, 'en')}).",
                field="seeker",
            )
        reason = clean_text(override_reason or "", field="reason", max_len=300)
        _conditions_gate(seeker, facts, reason)
        if r.overlap_id is not None:
            raise _seeker_overlap_refusal(seeker, session.get_one(SessionRow, r.overlap_id))
        lifted: list[str] = []
        if late:  # timing.booking_gate has required the supervisor and the reason
            lifted.append("session_started")
        if reason and is_group(row.kind) and (r.taken >= row.capacity or r.waiting):
            lifted.append(_lift(actor, "capacity"))
        state, pos = _seat_or_wait(
            row, r.taken, r.waiting, r.last_pos, waitlist=waitlist, over_capacity="capacity" in lifted
        )
        override = reason if lifted else ""
        _on_applying(session, actor=actor, row=row, seeker=seeker, facts=facts)
        values = {
            "session_id": row.id,
            "seeker_id": seeker_id,
            "state": state,
            "waitlist_pos": pos,
            "booked_at": now_utc(),
            "cancel_reason": "",
            "override_reason": override,
            "override_by": _sid(actor) if override else None,
            "booked_by": _sid(actor),
            "offered_until": None,
        }
        if r.mine_id is None:
            values["id"] = db.one(_BOOK_INSERT, values).id
    if r.mine_id is None:
        e = loaded(session, Enrollment, values)
    else:  # re-booking after a cancellation (rare): the ORM row, refreshed in case this session holds it
        e = session.get(Enrollment, r.mine_id, populate_existing=True)
        assert e is not None
        for k, v in values.items():
            setattr(e, k, v)
        session.add(e)
        session.flush()
    if pos:
        _offer_free_seats(session, actor=actor, row=row, now=now)
    audit.record(
        session,
        staff_id=_sid(actor),
        action="enrollment.waitlist" if pos else "enrollment.book",
        entity="enrollment",
        entity_id=e.id,
        seeker_id=seeker_id,
        office_id=row.office_id,
        after={"session": row.id, "state": state, "waitlist_pos": pos},
        extra={"override": {"reason": override, "lifted": lifted}} if override else None,
    )
    notices.on_booked(session, actor=actor, row=row, enrollment=e)
    return e


def _offer_free_seats(
    session: Session, *, actor: Actor, row: SessionRow, now: datetime | None = None
) -> list[Enrollment]:
    """Offer freed seats of a group session to the first waiting seekers (first come, first served),
    each until the office's reply deadline (``offers.deadline``); none once the session has started."""
    from hwdesk.services import offers

    now = now or now_utc()
    if not is_group(row.kind) or row.state != SessionState.SCHEDULED or row.start_at <= now:
        return []
    free = row.capacity - _seats_taken(session, row.id)
    offered = []
    waiting = _enrollments(session, row.id, (SeatState.WAITLISTED,))[: max(free, 0)]
    until = offers.deadline(session, office_id=row.office_id, start=row.start_at, now=now) if waiting else None
    for e in waiting:
        before = e.waitlist_pos
        e.state, e.waitlist_pos, e.offered_until = SeatState.OFFERED, None, until
        session.add(e)
        audit.record(
            session,
            staff_id=_sid(actor),
            action="enrollment.offer",
            entity="enrollment",
            entity_id=e.id,
            seeker_id=e.seeker_id,
            office_id=row.office_id,
            before={"state": SeatState.WAITLISTED, "waitlist_pos": before},
            after={"state": SeatState.OFFERED, "offered_until": until.isoformat() if until else None},
        )
        offered.append(e)
    notices.on_offered(session, actor=actor, row=row, enrollments=offered)
    session.flush()
    return offered
