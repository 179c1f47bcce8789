"""Building an office's report for a period: the counts read in nine queries, suppressed as tables.

Tables that share cells are built from one another (``linked_total``, ``Policy.combine``), so no
figure in one table uncovers a hidden cell of another; the daily series of a period is treated as
a group whose total is the period's figure.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from hwdesk.clock import JST, today_jst
from hwdesk.errors import ValidationFailed
from hwdesk.models import (
    CANCEL_REASONS,
    COMPANION_KINDS,
    CONSENT_METHODS,
    ENROLLMENT_STATES,
    NOTICE_METHODS,
    SERVICE_KINDS,
    SESSION_STATES,
    TERMINATION_GROUNDS,
    CompanionNotice,
    Consent,
    Enrollment,
    Seeker,
    Termination,
    TermsNotice,
    TermsVersion,
    UsageRecord,
)
from hwdesk.models import Session as SessionRow
from hwdesk.services.context import Actor, require_office
from hwdesk.services.offices import profile, terms_versions, version_in_force
from hwdesk.services.reports.suppression import DEFAULT_THRESHOLD, SUPPRESSED_RATE, Derived, Figure, Policy
from hwdesk.services.reports.tables import Breakdown, DayPoint, Item, OfficeReport
from hwdesk.services.reports.usage import DEVICE_CLASSES, OS_FAMILIES, device_class, os_family
from hwdesk.states import (
    ACTIVE_STATES,
    EXPECTED_STATES,
    LIVE_SESSION_STATES,
    NO_SHOW_STATES,
    SeatState,
    SessionState,
)
from hwdesk.terms import SERVICE_LABELS


def _labels():
    # Imported here: the label tables live with the services that own the states.
    from hwdesk.services.consent import COMPANION_LABELS, METHOD_LABELS, NOTICE_LABELS
    from hwdesk.states import CANCEL_LABELS, STATE_LABELS

    # grounds are labelled per office, in its own words (_ground_labels)
    return {
        "state": STATE_LABELS,
        "cancel": CANCEL_LABELS,
        "companion": COMPANION_LABELS,
        "method": METHOD_LABELS,
        "notice": NOTICE_LABELS,
        "kind": SERVICE_LABELS,
        "device": DEVICE_CLASSES,
        "os": OS_FAMILIES,
    }


# --- building -----------------------------------------------------------------------------------


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def _breakdown(
    policy: Policy,
    key: str,
    title: tuple[str, str],
    keys: list[str],
    counts: Counter,
    labels: dict[str, tuple[str, str]],
    linked_total: Figure | None = None,
    unit: tuple[str, str] = ("件", "count"),
) -> Breakdown:
    ordered = list(keys) + sorted(k for k in counts if k not in keys)
    cells, total = policy.group([counts.get(k, 0) for k in ordered], sum(counts.values()), linked_total=linked_total)
    items = [Item(k, ja, en, f) for k, f in zip(ordered, cells, strict=True) for ja, en in [labels.get(k, (k, k))]]
    return Breakdown(key, title[0], title[1], items, total, *unit)


SESSIONS = ("件", "sessions")
SEATS = ("席", "seats")  # a booking: one seeker's place in one session
RECORDS = ("件", "records")


def _lang_key(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip() or "（未記入）"


def period_report(
    session: Session,
    *,
    office_id: str,
    date_from: date,
    date_to: date,
    threshold: int = DEFAULT_THRESHOLD,
    keep_zero: bool = False,
    actor: Actor | None = None,
    today: date | None = None,
) -> OfficeReport:
    """An office's figures for ``date_from``–``date_to`` (JST days, inclusive), suppressed.

    Sessions, bookings, no-shows and cancellations are those of sessions *starting* in the period;
    terminations, companion notices, consents and notices those *recorded* in it. The
    'outstanding' figures describe ``today`` (a snapshot): seekers whose newest consent is to an
    older text than the one in force with no notice of it, and seekers with a live booking from
    today on and no consent at this office. Nine queries whatever the volume.
    """
    if date_to < date_from:
        raise ValidationFailed(
            "期間の終わりが始まりより前です。", "The end of the period is before its start.", field="date_to"
        )
    if (date_to - date_from).days > 366 * 3:
        raise ValidationFailed(
            "集計期間は3年以内にしてください。", "The period may be at most three years.", field="date_to"
        )
    if actor is not None:
        require_office(actor, office_id)
    policy = Policy(threshold, keep_zero)
    labels = _labels()
    prof = profile(session, office_id)
    today = today or today_jst()
    lo, hi = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    in_period = (SessionRow.office_id == office_id, col(SessionRow.start_at) >= lo, col(SessionRow.start_at) < hi)

    # sessions and their bookings (two queries; bucketed here so days follow JST, not UTC)
    sessions = session.exec(
        select(SessionRow.id, SessionRow.kind, SessionRow.state, SessionRow.cancel_reason, SessionRow.start_at).where(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            *in_period
        )
    ).all()
    day_of = {sid: start.astimezone(JST).date() for sid, _, _, _, start in sessions}
    # by kind as the daily series: not cancelled
    by_kind = Counter(k for _, k, s, _, _ in sessions if s != SessionState.CANCELLED)
    by_state = Counter(s for _, _, s, _, _ in sessions)
    s_cancel = Counter((r or "unknown") for _, _, s, r, _ in sessions if s == SessionState.CANCELLED)
    day_sessions: Counter = Counter(day_of[sid] for sid, _, s, _, _ in sessions if s != SessionState.CANCELLED)
    day_cancel: Counter = Counter(day_of[sid] for sid, _, s, _, _ in sessions if s == SessionState.CANCELLED)
    enrollments = session.exec(
        select(Enrollment.session_id, Enrollment.state, Enrollment.cancel_reason).where(
            col(Enrollment.session_id).in_(select(SessionRow.id).where(*in_period))
        )
    ).all()
    e_state = Counter(s for _, s, _ in enrollments)
    e_cancel = Counter((r or "unknown") for _, s, r in enrollments if s == SeatState.CANCELLED)
    day_noshow: Counter = Counter(day_of[sid] for sid, s, _ in enrollments if s in NO_SHOW_STATES and sid in day_of)

    # recorded in the period (four queries)
    grounds = Counter(
        g
        for g in session.exec(
            select(Termination.ground).where(
                Termination.office_id == office_id, col(Termination.decided_at) >= lo, col(Termination.decided_at) < hi
            )
        ).all()
    )
    companions = session.exec(
        select(CompanionNotice.kind, CompanionNotice.language).where(
            CompanionNotice.office_id == office_id,
            col(CompanionNotice.notified_at) >= lo,
            col(CompanionNotice.notified_at) < hi,
        )
    ).all()
    comp_kind = Counter(k for k, _ in companions)
    languages = Counter(_lang_key(lang) for k, lang in companions if k == "interpreter")
    consents = Counter(
        m
        for m in session.exec(
            select(Consent.method).where(
                Consent.office_id == office_id, col(Consent.given_at) >= lo, col(Consent.given_at) < hi
            )
        ).all()
    )
    notices = Counter(
        m
        for m in session.exec(
            select(TermsNotice.method)
            .join(TermsVersion, col(TermsVersion.id) == TermsNotice.terms_version_id)
            .where(
                TermsVersion.office_id == office_id,
                col(TermsNotice.notified_at) >= lo,
                col(TermsNotice.notified_at) < hi,
            )
        ).all()
    )

    notices_out, consents_out = _outstanding(session, office_id=office_id, on=today)

    # usage records: counts only — identifiers are counted, never carried out of this function
    usage = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            UsageRecord.participant_id,
            UsageRecord.device_kind,
            UsageRecord.os,
            UsageRecord.joined_at,
            UsageRecord.left_at,
        )
        .join(SessionRow, col(SessionRow.id) == UsageRecord.session_id)
        .where(*in_period)
    ).all()
    participants = len({p.strip() for p, _, _, _, _ in usage if p and p.strip()})
    devices = Counter(device_class(d, o) for _, d, o, _, _ in usage)
    oses = Counter(os_family(o) for _, _, o, _, _ in usage)
    minutes = [(b - a).total_seconds() / 60 for _, _, _, a, b in usage if a is not None and b is not None and b >= a]

    # Tables that share cells are built from one another, so no figure in one uncovers a hidden
    # cell of another (e.g. no-shows = the absent + connection_failed cells of bookings by state).
    # a session's no_show and a booking's absent are different units: the labels say which
    session_state_labels = {
        **labels["state"],
        SessionState.NO_SHOW: ("無断欠席・不参加となったセッション", "Sessions nobody attended (no-show)"),
    }
    sessions_by_state = _breakdown(
        policy,
        "sessions_by_state",
        ("セッション数（状態別、取消しを含む）", "Sessions by state (cancelled included)"),
        list(SESSION_STATES),
        by_state,
        session_state_labels,
        unit=SESSIONS,
    )
    sessions_by_kind = _breakdown(
        policy,
        "sessions_by_kind",
        ("セッション数（種類別、取消しを除く）", "Sessions by kind (not cancelled)"),
        [k for k in SERVICE_KINDS if k in prof.services],
        by_kind,
        labels["kind"],
        unit=SESSIONS,
        linked_total=policy.combine(
            [i.figure for i in sessions_by_state.items if i.key != SessionState.CANCELLED],
            [by_state.get(k, 0) for k in SESSION_STATES if k != SessionState.CANCELLED],
        ),
    )
    bookings_by_state = _breakdown(
        policy,
        "bookings_by_state",
        ("予約の席数（状態別）", "Bookings by state (seats)"),
        list(ENROLLMENT_STATES),
        e_state,
        labels["state"],
        unit=SEATS,
    )
    s_cell = {i.key: i for i in sessions_by_state.items}
    b_cell = {i.key: i for i in bookings_by_state.items}
    ns_items = [b_cell[k] for k in NO_SHOW_STATES]
    no_show_total = policy.combine([i.figure for i in ns_items], [e_state.get(k, 0) for k in NO_SHOW_STATES])
    cancel_labels = {**labels["cancel"], "unknown": ("理由未記録", "No reason recorded")}
    no_show_bd = Breakdown(
        "no_shows",
        "無断欠席・不参加の予約の席数（内訳）",
        "No-show bookings by kind (seats)",
        ns_items,
        no_show_total,
        *SEATS,
    )
    session_cancellations = _breakdown(
        policy,
        "session_cancellations",
        ("取り消したセッション数（理由別）", "Sessions cancelled by reason"),
        list(CANCEL_REASONS),
        s_cancel,
        cancel_labels,
        linked_total=s_cell[SessionState.CANCELLED].figure,
        unit=SESSIONS,
    )

    # daily series: each a group whose total is the table it splits by day (secondary suppression across days)
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    s_cells, _ = policy.group(
        [day_sessions.get(d, 0) for d in days], sum(day_sessions.values()), linked_total=sessions_by_kind.total
    )
    n_cells, _ = policy.group(
        [day_noshow.get(d, 0) for d in days], sum(day_noshow.values()), linked_total=no_show_total
    )
    c_cells, _ = policy.group(
        [day_cancel.get(d, 0) for d in days], sum(day_cancel.values()), linked_total=session_cancellations.total
    )
    daily = [DayPoint(d, s, n, c) for d, s, n, c in zip(days, s_cells, n_cells, c_cells, strict=True)]
    expected_fig = policy.combine(
        [b_cell[k].figure for k in EXPECTED_STATES], [e_state.get(k, 0) for k in EXPECTED_STATES]
    )
    companions_bd = _breakdown(
        policy,
        "companions",
        ("同席者の申出件数（種類別）", "Companion notices by kind"),
        list(COMPANION_KINDS),
        comp_kind,
        labels["companion"],
        unit=("件", "notices"),
    )
    interpreter_total = next(i.figure for i in companions_bd.items if i.key == "interpreter")
    usage_total = policy.figure(len(usage))
    mean_base = policy.figure(len(minutes))
    mean = (
        Derived(None, SUPPRESSED_RATE)
        if mean_base.suppressed or not minutes
        else Derived(round(sum(minutes) / len(minutes), 1), f"{sum(minutes) / len(minutes):.1f}")
    )
    return OfficeReport(
        office_id=office_id,
        office_name=prof.name,
        date_from=date_from,
        date_to=date_to,
        threshold=policy.threshold,
        as_of=today,
        sessions_by_kind=sessions_by_kind,
        sessions_by_state=sessions_by_state,
        bookings_by_state=bookings_by_state,
        no_shows=no_show_bd,
        no_show_rate=policy.rate(no_show_total, expected_fig),
        session_cancellations=session_cancellations,
        booking_cancellations=_breakdown(
            policy,
            "booking_cancellations",
            ("取り消した予約の席数（理由別）", "Bookings cancelled by reason (seats)"),
            list(CANCEL_REASONS),
            e_cancel,
            cancel_labels,
            linked_total=b_cell[SeatState.CANCELLED].figure,
            unit=SEATS,
        ),
        terminations=_breakdown(
            policy,
            "terminations",
            ("利用の中止の決定件数（事由別）", "Stops of use decided, by ground"),
            _office_grounds(prof),
            grounds,
            _ground_labels(office_id),
            unit=("件", "decisions"),
        ),
        companions=companions_bd,
        interpreter_languages=_breakdown(
            policy,
            "interpreter_languages",
            ("通訳の言語（申出件数）", "Interpreter languages (notices)"),
            [],
            languages,
            {k: (k, k) for k in languages},
            linked_total=interpreter_total,
            unit=("件", "notices"),
        ),
        consents_recorded=_breakdown(
            policy,
            "consents_recorded",
            ("規約への同意の記録件数（方法別）", "Consents recorded by method"),
            list(CONSENT_METHODS),
            consents,
            labels["method"],
            unit=("件", "consents"),
        ),
        notices_recorded=_breakdown(
            policy,
            "notices_recorded",
            ("改訂の告知の記録件数（方法別）", "Revision notices recorded by method"),
            list(NOTICE_METHODS),
            notices,
            labels["notice"],
            unit=("件", "notices"),
        ),
        notices_outstanding=policy.figure(notices_out),
        consents_outstanding=policy.figure(consents_out),
        usage_records=usage_total,
        usage_participants=policy.figure(participants),
        usage_by_device=_breakdown(
            policy,
            "usage_by_device",
            ("利用の記録件数（端末の種類別）", "Usage records by device class"),
            list(DEVICE_CLASSES),
            devices,
            DEVICE_CLASSES,
            linked_total=usage_total,
            unit=RECORDS,
        ),
        usage_by_os=_breakdown(
            policy,
            "usage_by_os",
            ("利用の記録件数（OS別）", "Usage records by OS family"),
            list(OS_FAMILIES),
            oses,
            OS_FAMILIES,
            linked_total=usage_total,
            unit=RECORDS,
        ),
        usage_mean_minutes=mean,
        daily=daily,
    )


def _office_grounds(prof) -> list[str]:
    """The stop-of-use grounds the office's terms provide (and the unannounced companion), in order."""
    own = prof.data.termination_grounds
    return [g for g in TERMINATION_GROUNDS if own.get(g) or g == "unannounced_companion"]


def _ground_labels(office_id: str) -> dict[str, tuple[str, str]]:
    from hwdesk.services.terminations import ground_label

    return {g: (ground_label(office_id, g, "ja"), ground_label(office_id, g, "en")) for g in TERMINATION_GROUNDS}


def _outstanding(session: Session, *, office_id: str, on: date) -> tuple[int, int]:
    """(seekers owed a revision notice, seekers booked from ``on`` without a consent) — two counts."""
    versions = terms_versions(session, office_id)
    in_force = version_in_force(versions, on)
    notices_out = 0
    if in_force is not None and any(v.version < in_force.version for v in versions):
        newest = (
            select(col(Consent.seeker_id).label("sid"), func.max(TermsVersion.version).label("v"))
            .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
            .where(Consent.office_id == office_id)
            .group_by(col(Consent.seeker_id))
            .subquery()
        )
        newer = [v.id for v in versions if v.version >= in_force.version]
        notified = select(TermsNotice.seeker_id).where(col(TermsNotice.terms_version_id).in_(newer))
        notices_out = session.exec(
            select(func.count())
            .select_from(newest)
            .join(Seeker, col(Seeker.id) == newest.c.sid)
            .where(newest.c.v < in_force.version, col(Seeker.anonymized_at).is_(None), newest.c.sid.not_in(notified))
        ).one()
    consented = select(Consent.seeker_id).where(Consent.office_id == office_id)
    consents_out = session.exec(
        select(func.count(func.distinct(Enrollment.seeker_id)))
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= _day_start(on),
            col(SessionRow.state).in_(LIVE_SESSION_STATES),
            col(Enrollment.state).in_(ACTIVE_STATES),
            col(Enrollment.seeker_id).not_in(consented),
        )
    ).one()
    return int(notices_out), int(consents_out)
