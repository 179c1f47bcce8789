"""Booking's Core fast path (issue 8): what ``book`` returns, the audit chain, identity-map
freshness and the statement budget — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from helpers import make_ready, new_seeker
from sqlmodel import select

from hwdesk import audit
from hwdesk.clock import JST
from hwdesk.errors import RuleRefusal
from hwdesk.models import AuditLog, Enrollment, Meta, Seeker
from hwdesk.services import scheduling


def at(hm: str, day: str = "2027-02-02") -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=JST)


def ready(store, actors, **kw):
    sk = new_seeker(store, actors["clerk1"], office_id="takamatsu", **kw)
    make_ready(store, actors["clerk1"], sk.id, "takamatsu", service="seminar", approve_by=actors["super1"])
    return sk


def session_row(store, actors, kind="counseling", start="10:00", end="10:45", staff="clerk1", **kw):
    with store.write() as s:
        return scheduling.create_session(
            s,
            actor=actors["clerk1"],
            office_id="takamatsu",
            kind=kind,
            start=at(start),
            end=at(end),
            staff_login=staff,
            **kw,
        )


def test_book_returns_a_live_enrollment_and_chains_the_audit(store, actors):
    sk = ready(store, actors)
    row = session_row(store, actors)
    with store.write() as s:
        e = scheduling.book(s, actor=actors["clerk1"], session_id=row.id, seeker_id=sk.id)
        assert (e.session_id, e.seeker_id, e.state, e.waitlist_pos, e.booked_by) == (
            row.id,
            sk.id,
            "booked",
            None,
            actors["clerk1"].id,
        )
        assert s.get(Enrollment, e.id) is e  # persistent in the caller's session, not a detached copy
        e.cancel_reason = "by_office"  # a change made by the caller is flushed as an UPDATE
    with store.read() as s:
        stored = s.get(Enrollment, e.id)
        assert (stored.state, stored.cancel_reason) == ("booked", "by_office")
        last = s.exec(select(AuditLog).order_by(AuditLog.id.desc())).first()  # type: ignore[attr-defined]  # SQLModel types the column as its value (int), not a column
        assert (last.action, last.entity_id, last.seeker_id) == ("enrollment.book", str(e.id), sk.id)
        assert audit.verify_chain(s).ok


def test_online_switch_waitlist_and_rebooking_keep_the_chain(store, actors):
    online = ready(store, actors, registration="online")
    others = [ready(store, actors) for _ in range(2)]
    sem = session_row(store, actors, kind="seminar", start="13:00", end="14:00", capacity=1)
    with store.write() as s:
        held = s.get(Seeker, online.id)  # loaded before booking: must not stay stale
        e = scheduling.book(s, actor=actors["clerk1"], session_id=sem.id, seeker_id=online.id)
        assert e.state == "booked"
        assert held.registration_kind == "office" and held.switched_to_office_on is not None
    with store.write() as s:
        w = scheduling.book(s, actor=actors["clerk1"], session_id=sem.id, seeker_id=others[0].id)
        assert (w.state, w.waitlist_pos) == ("waitlisted", 1)
        with pytest.raises(RuleRefusal, match="満席"):
            scheduling.book(s, actor=actors["clerk1"], session_id=sem.id, seeker_id=others[1].id, waitlist=False)
    with store.write() as s:
        scheduling.cancel_enrollment(
            s, actor=actors["clerk1"], session_id=sem.id, seeker_id=online.id, reason="by_seeker"
        )
    with store.write() as s:  # the cancelled row is re-used, behind the offered seat
        again = scheduling.book(s, actor=actors["clerk1"], session_id=sem.id, seeker_id=online.id)
        assert (again.id, again.state, again.waitlist_pos) == (e.id, "waitlisted", 1)
    with store.read() as s:
        actions = list(s.exec(select(AuditLog.action).where(AuditLog.seeker_id == online.id).order_by(AuditLog.id)))  # type: ignore[arg-type]  # SQLModel types the column as its value (int), not a column
        assert actions.count("seeker.registration_switch") == 1
        assert actions[-1] == "enrollment.waitlist"
        report = audit.verify_chain(s)
        assert report.ok, report.problem
        assert s.get(Meta, audit.HEAD_KEY).value == report.head


def test_a_head_loaded_earlier_follows_the_appends(store, actors):
    sk = ready(store, actors)
    row = session_row(store, actors)
    with store.write() as s:
        head = s.get(Meta, audit.HEAD_KEY)
        log = scheduling.book(s, actor=actors["clerk1"], session_id=row.id, seeker_id=sk.id)
        last = s.exec(select(AuditLog).where(AuditLog.entity == "enrollment", AuditLog.entity_id == str(log.id))).one()
        assert head.value == last.hash
    with store.read() as s:
        assert audit.verify_chain(s).ok


def test_refusals_still_name_the_rule(store, actors):
    sk = ready(store, actors)
    a = session_row(store, actors, start="10:00", end="10:45")
    b = session_row(store, actors, start="10:30", end="11:15", staff="super1")
    with store.write() as s:
        scheduling.book(s, actor=actors["clerk1"], session_id=a.id, seeker_id=sk.id)
        with pytest.raises(RuleRefusal, match="既に登録"):
            scheduling.book(s, actor=actors["clerk1"], session_id=a.id, seeker_id=sk.id)
        with pytest.raises(RuleRefusal, match="同じ時間帯") as exc:
            scheduling.book(s, actor=actors["clerk1"], session_id=b.id, seeker_id=sk.id)
        assert f"#{a.id}" in str(exc.value)
    other = ready(store, actors)
    with store.write() as s, pytest.raises(RuleRefusal, match="個別のセッション"):
        scheduling.book(s, actor=actors["clerk1"], session_id=a.id, seeker_id=other.id)


def _statements(store, session_id: int, seeker_id: int, actor) -> list[str]:
    """Every statement the driver runs for one booking (booking runs on the DBAPI cursor, past
    SQLAlchemy's events: counted with SQLite's trace hook, or a counting psycopg cursor)."""
    seen: list[str] = []
    with store.write() as s:
        raw = s.connection().connection.dbapi_connection  # the transaction's BEGIN is not the booking's
        if store.is_sqlite:
            raw.set_trace_callback(seen.append)
            try:
                scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id)
            finally:
                raw.set_trace_callback(None)
        else:
            factory = raw.cursor_factory

            class Counting(factory):  # type: ignore[misc, valid-type]  # a base class known only at run time (the driver's cursor)
                def execute(self, query, *args, **kw):
                    seen.append(str(query))
                    return super().execute(query, *args, **kw)

            raw.cursor_factory = Counting
            try:
                scheduling.book(s, actor=actor, session_id=session_id, seeker_id=seeker_id)
            finally:
                raw.cursor_factory = factory
    return seen


def test_booking_stays_within_its_statement_budget(store, actors):
    """Session and seeker locks, one read for every check, the insert and the audit append; an
    online registrant of 高松 adds the switch and its audit append, and nothing else."""
    plain, online = ready(store, actors), ready(store, actors, registration="online")
    first, second = session_row(store, actors), session_row(store, actors, start="13:00", end="13:45")
    seen = _statements(store, first.id, plain.id, actors["clerk1"])
    # at least: two locks, the read, the insert, the audit row; +1: the notices it queues (services/notices.py)
    assert 6 <= len(seen) <= 8, seen
    assert sum("INSERT INTO notice" in q for q in seen) == 1, seen
    seen = _statements(store, second.id, online.id, actors["clerk1"])
    assert len(seen) <= 12, seen
    assert any("UPDATE seeker" in q for q in seen), seen
