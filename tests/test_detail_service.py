"""``detail.seeker_detail`` (plain SQL, issue #8) reads what the ORM services it replaces read:
the seeker, consent standing per office, notices, companions, latest environment checks and
their labels, approvals and staff names, sessions and terminations — same values, same types
(dates, aware UTC datetimes, booleans). On SQLite and on PostgreSQL (the `store` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import make_ready, new_seeker

from hwdesk.clock import JST, today_jst
from hwdesk.errors import NotFound
from hwdesk.services import consent, terminations
from hwdesk.services.auth import list_staff
from hwdesk.services.context import SYSTEM
from hwdesk.services.detail import seeker_detail
from hwdesk.services.offices import add_terms_version, profile
from hwdesk.services.scheduling import sessions_of_seeker
from hwdesk.services.seekers import get_seeker
from hwdesk.terms import shipped_terms

OFFICES = ["maebashi", "shibuya", "takamatsu"]
DAYS = (None, date(2000, 1, 1), date(2027, 3, 31), date(2027, 4, 1))


def _same(row, orm) -> None:
    """Every field of ``row`` equals the ORM object's attribute, with the same type (and offset)."""
    for name in row._fields:
        got, want = getattr(row, name), getattr(orm, name)
        assert got == want and type(got) is type(want), (type(row).__name__, name, got, want)
        if isinstance(want, datetime):
            assert got.utcoffset() == want.utcoffset(), (name, got, want)


def _revise(store, actor, office: str):
    raw = dict(shipped_terms()[office][-1].raw)
    raw["version"] = raw["version"] + 1
    raw["effective_on"] = "2027-04-01"
    with store.write() as s:
        return add_terms_version(
            s,
            actor=actor,
            office_id=office,
            text=json.dumps(raw, ensure_ascii=False),
            effective_on=date(2027, 4, 1),
            reason="改訂",
            ground=None if office == "shibuya" else "user_benefit",
        )


def _populate(store, actors) -> int:
    from hwdesk.models import Enrollment, Staff
    from hwdesk.models import Session as SessionRow

    a, sup = actors["clerk1"], actors["super1"]
    sk = new_seeker(store, a)
    new_seeker(store, a)  # someone else's rows must not show
    for office, suffix in (("maebashi", "_mae"), ("shibuya", "_shi"), ("takamatsu", "")):
        make_ready(store, actors["clerk1" + suffix], sk.id, office, approve_by=actors["super1" + suffix])
    with store.write() as s:  # a second consent at takamatsu (the newest decides) and env checks: newest wins
        consent.record_consent(s, actor=a, seeker_id=sk.id, office_id="takamatsu")
        items = consent.env_items(s, "takamatsu")
        consent.record_env_check(
            s,
            actor=a,
            seeker_id=sk.id,
            office_id="takamatsu",
            answers={i.key: i.key != items[0].key for i in items},
            declared_on=date(2026, 1, 5),
        )
    tv = _revise(store, actors["super1_shi"], "shibuya")
    _revise(store, actors["super1"], "takamatsu")  # revised without a notice: outdated from 2027-04-01
    with store.write() as s:
        consent.record_terms_notice(
            s, actor=actors["clerk1_shi"], seeker_id=sk.id, terms_version_id=tv.id, method="mail"
        )
        consent.record_approval(
            s,
            actor=actors["admin1_shi"],
            seeker_id=sk.id,
            office_id="shibuya",
            note="再承認\n詳細",
            recognized_on=date(2020, 2, 2),
        )
        old = consent.record_approval(
            s, actor=actors["super1_shi"], seeker_id=sk.id, office_id="shibuya", recognized_on=date(2019, 1, 1)
        )
    with store.write() as s:
        consent.revoke_approval(s, actor=actors["super1_shi"], approval_id=old.id)
        admin = s.get(Staff, actors["admin1_shi"].id)
        admin.active = False  # an inactive staff member's name is not shown (as auth.list_staff)
        s.add(admin)
    sessions = []
    with store.write() as s:
        base = datetime(2025, 6, 3, 10, tzinfo=JST)
        for i, (office, kind, sstate, estate) in enumerate(
            (
                ("takamatsu", "counseling", "completed", "completed"),
                ("takamatsu", "seminar", "scheduled", "waitlisted"),
                ("shibuya", "counseling", "cancelled", "cancelled"),
                ("maebashi", "seminar", "completed", "absent"),
                ("takamatsu", "counseling", "scheduled", "booked"),
            )
        ):
            start = base + timedelta(days=100 * i, hours=i)
            row = SessionRow(
                office_id=office,
                kind=kind,
                start_at=start,
                end_at=start + timedelta(hours=1),
                staff_id=a.id,
                state=sstate,
                capacity=10 if kind == "seminar" else 1,
            )
            s.add(row)
            s.flush()
            s.add(Enrollment(session_id=row.id, seeker_id=sk.id, state=estate))
            sessions.append(row.id)
    with store.write() as s:
        consent.record_companion(
            s, actor=a, seeker_id=sk.id, office_id="takamatsu", kind="interpreter", name="通訳 花子", language="英語"
        )
        consent.record_companion(
            s,
            actor=a,
            seeker_id=sk.id,
            office_id="takamatsu",
            kind="caregiver",
            session_id=sessions[0],
            unannounced=True,
        )
    with store.write() as s:
        lifted = terminations.terminate(
            s,
            actor=sup,
            seeker_id=sk.id,
            office_id="takamatsu",
            ground="threats_abuse",
            narrative="暴言",
            scope="suspended",
            until=today_jst() + timedelta(days=30),
        ).termination
    with store.write() as s:
        terminations.lift(s, actor=sup, termination_id=lifted.id, reason="反省")
    with store.write() as s:
        terminations.terminate(
            s,
            actor=actors["super1_shi"],
            seeker_id=sk.id,
            office_id="shibuya",
            ground="recording",
            narrative="録画",
            scope="ended",
        )
    return sk.id


def _compare(s, seeker_id: int, office_ids: list[str], on: date | None) -> None:
    got = seeker_detail(s, actor=SYSTEM, seeker_id=seeker_id, office_ids=office_ids, on=on)
    _same(got.seeker, get_seeker(s, seeker_id))

    history = consent.consents_of(s, seeker_id)
    notices = consent.notices_of(s, seeker_id)
    want = consent.consent_statuses(
        s, seeker_id=seeker_id, office_ids=office_ids, history=history, notices=notices, on=on
    )
    assert [c.office_id for c in got.consents] == [o for o in office_ids if o in want]
    for line in got.consents:
        st, ref = line.status, want[line.office_id]
        _same(st.in_force, ref.in_force)
        assert (st.consented_version, st.notified, st.current, st.outdated) == (
            ref.consented_version,
            ref.notified,
            ref.current,
            ref.outdated,
        ), line.office_id
        assert (st.consent is None) == (ref.consent is None)
        if ref.consent is not None:
            _same(st.consent, ref.consent)
        assert line.method == profile(s, line.office_id).consent_method
        mine = [(c, t) for c, t in history if c.office_id == line.office_id]
        assert len(line.history) == len(mine)
        for (c, t), (wc, wt) in zip(line.history, mine):
            _same(c, wc)
            _same(t, wt)
    assert len(got.notices) == len(notices)
    for (n, t), (wn, wt) in zip(got.notices, notices):
        _same(n, wn)
        _same(t, wt)

    checks = consent.latest_env_checks(s, seeker_id=seeker_id)
    shown = [o for o in office_ids if o in want and o in checks]
    assert [o for o, _ in got.env_checks] == shown
    for office, chk in got.env_checks:
        _same(chk, checks[office])
        assert got.env_labels[office] == {i.key: (i.label, i.label_en) for i in consent.env_items(s, office)}
    assert set(got.env_labels) == set(shown)

    companions = consent.companions_of(s, seeker_id)
    assert len(got.companions) == len(companions)
    for c, w in zip(got.companions, companions):
        _same(c, w)
    approvals = consent.approvals_of(s, seeker_id)
    assert len(got.approvals) == len(approvals)
    for a, w in zip(got.approvals, approvals):
        _same(a, w)
    ids = {a.recognized_by for a in approvals}
    assert got.staff_names == {st.id: st.name for st in list_staff(s) if st.id in ids}

    bookings = sessions_of_seeker(s, actor=SYSTEM, seeker_id=seeker_id)
    assert len(got.sessions) == len(bookings)
    for line, b in zip(got.sessions, bookings):
        _same(line, b)
    terms = terminations.terminations_of(s, actor=SYSTEM, seeker_id=seeker_id)
    assert len(got.terminations) == len(terms)
    for t, w in zip(got.terminations, terms):
        _same(t, w)


def test_detail_reads_what_the_orm_services_read(store, actors):
    sid = _populate(store, actors)
    with store.read() as s:
        for on in DAYS:
            _compare(s, sid, OFFICES, on)
        _compare(s, sid, ["takamatsu", "nowhere", "maebashi"], None)  # an office without terms has no line
        _compare(s, sid, [], None)
        d = seeker_detail(s, actor=SYSTEM, seeker_id=sid, office_ids=OFFICES, on=date(2027, 4, 1))
    # What the fixture built, so the comparison above is not of empty lists.
    by_office = {c.office_id: c.status for c in d.consents}
    assert by_office["maebashi"].consent is None
    assert by_office["shibuya"].notified and by_office["shibuya"].current
    assert (
        by_office["takamatsu"].outdated and len(next(c for c in d.consents if c.office_id == "takamatsu").history) == 2
    )
    env = dict(d.env_checks)
    assert not env["takamatsu"].all_ok and env["shibuya"].all_ok and env["takamatsu"].declared_on == date(2026, 1, 5)
    assert len(d.companions) == 2 and d.companions[0].late and d.companions[0].unannounced
    assert len(d.approvals) == 3 and d.approvals[-1].revoked_at is not None and len(d.staff_names) == 1
    assert [x.enrollment_state for x in d.sessions] == ["booked", "absent", "cancelled", "waitlisted", "completed"]
    assert d.sessions[0].start.utcoffset() == timedelta(hours=9)
    assert [x.lifted_at is None for x in d.terminations] == [True, False]
    assert d.terminations[1].lifted_at.tzinfo is not None and d.terminations[1].lifted_at.utcoffset() == timedelta(0)
    assert isinstance(d.seeker.birth_date, date) and d.seeker.webcam_confirmed is True


def test_detail_of_a_blank_seeker_and_an_unknown_one(store, actors):
    sk = new_seeker(store, actors["clerk1"], webcam=False, registered=False)
    with store.read() as s:
        _compare(s, sk.id, OFFICES, None)
        d = seeker_detail(s, actor=SYSTEM, seeker_id=sk.id, office_ids=OFFICES)
        assert d.seeker.registered_on is None and d.seeker.webcam_confirmed is False
        assert not (d.notices or d.companions or d.env_checks or d.approvals or d.sessions or d.terminations)
        with pytest.raises(NotFound):
            seeker_detail(s, actor=SYSTEM, seeker_id=10**9, office_ids=OFFICES)


def test_load_detail_keeps_the_screen_shape(store, actors):
    from screens.data import load_detail

    sid = _populate(store, actors)
    with store.read() as s:
        d = load_detail(s, sid, OFFICES, actor=SYSTEM)
    assert [r["office_id"] for r in d.consent_rows] == OFFICES
    assert {"status", "method", "history"} <= set(d.consent_rows[0])
    assert d.sessions and d.terminations and d.env_labels


async def test_detail_screen_shows_sessions_and_terminations(tmp_path):
    """The screen renders the new rows: sessions (enrollment state, JST time) and terminations."""
    from helpers.ui import SIZE, _build, add_seeker, make_app, plain, settle, sign_in
    from sqlmodel import select

    from hwdesk.db import open_store
    from hwdesk.models import Enrollment, Staff, Termination
    from hwdesk.models import Session as SessionRow

    db = _build(tmp_path / "ui.sqlite3")
    sid = add_seeker(db, no="37010-11111111", name="山田 太郎", kana="ヤマダ タロウ")
    store = open_store(db)
    with store.write() as s:
        staff = s.exec(select(Staff)).first()
        start = datetime(2025, 6, 3, 10, tzinfo=JST)
        row = SessionRow(
            office_id="takamatsu",
            kind="counseling",
            start_at=start,
            end_at=start + timedelta(hours=1),
            staff_id=staff.id,
            state="completed",
        )
        s.add(row)
        s.flush()
        s.add(Enrollment(session_id=row.id, seeker_id=sid, state="absent"))
        s.add(
            Termination(
                seeker_id=sid,
                office_id="takamatsu",
                ground="recording",
                cite="第12条",
                narrative="録画",
                scope="ended",
                decided_by=staff.id,
                decided_at=datetime(2025, 7, 1, 1, 0, tzinfo=UTC),
                lifted_at=datetime(2025, 8, 1, 1, 0, tzinfo=UTC),
                lifted_by=staff.id,
                lift_reason="反省",
            )
        )
        session_id = row.id
    store.dispose()
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        app.open_seeker(sid)
        await settle(pilot)
        sessions = plain(app.screen.query_one("#b-sessions"))
        terms = plain(app.screen.query_one("#b-terminations"))
    assert f"#{session_id}" in sessions and "10:00" in sessions and "令和7年6月3日" in sessions, sessions
    assert "第12条" in terms and "解除済み" in terms and "令和7年8月1日 10:00" in terms, terms


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # counted with sqlite3's trace callback
def test_detail_is_nine_statements_however_many_rows(store, actors):
    """No statement per office, consent or session."""
    blank = new_seeker(store, actors["clerk1"])
    full = _populate(store, actors)
    counts = []
    for sid in (blank.id, full):
        with store.read() as s:
            raw = s.connection().connection.driver_connection
            seen: list[str] = []
            raw.set_trace_callback(seen.append)
            try:
                seeker_detail(s, actor=SYSTEM, seeker_id=sid, office_ids=OFFICES)
            finally:
                raw.set_trace_callback(None)
        counts.append(sum(1 for sql in seen if sql.lstrip().upper().startswith("SELECT")))
    assert counts == [9, 9]


def test_registration_end_is_the_registration_services(store, actors):
    """With the events read alongside (PostgreSQL) or afterwards (SQLite), the detail's end of the
    registration is ``registration.end_of``'s, in the first period and long after it."""
    from sqlmodel import update

    from hwdesk.models import Seeker
    from hwdesk.services import registration

    sid = _populate(store, actors)
    with store.write() as s:
        s.exec(update(Seeker).where(Seeker.id == sid).values(registered_on=date(2025, 1, 6)))
        registration.renew(s, actor=actors["clerk1"], seeker_id=sid, renewed_on=date(2025, 5, 1), note="窓口で更新")
    with store.read() as s:
        for on in (date(2025, 1, 10), date(2025, 6, 1), date(2026, 6, 1), date(2027, 4, 1)):
            d = seeker_detail(s, actor=SYSTEM, seeker_id=sid, office_ids=OFFICES, on=on)
            want = registration.end_of(s, seeker_id=sid, registered_on=date(2025, 1, 6), on=on)
            assert d.registration_until == want is not None, on
