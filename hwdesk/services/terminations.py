"""Stopping a seeker's use of the online services (前橋 第6条・第8条, 渋谷 第7条・第9条, 高松 第12条).

A supervisor decides, on one of the office's own grounds (``termination_grounds`` in the office
profile — a ground the office's terms lack is refused), with a narrative, a scope and an optional
review date:

- ``session``: this session only (a checked-in seeker's enrollment is stopped);
- ``suspended``: no bookings until a date;
- ``ended``: use ended. At 渋谷 (第9条第2項, ``termination_ends_agreement``) this also cancels the
  agreement: after lifting, the seeker must apply and consent again before a new booking.

An unannounced companion noticed during a session (``consent.record_companion(unannounced=True)``)
is a ground too; it cites the office's companions article together with its stop-use article.
Only a supervisor lifts a termination, with a reason. Eligibility (``eligibility.check``) refuses
bookings while a suspension or an end of use is in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import now_utc, today_jst
from hwdesk.errors import NotFound, RuleRefusal, ValidationFailed
from hwdesk.jtext.text import clean_text
from hwdesk.models import TERMINATION_GROUNDS, TERMINATION_SCOPES, CompanionNotice, Enrollment, Termination
from hwdesk.services import eligibility, scheduling
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile
from hwdesk.services.seekers import get_seeker
from hwdesk.states import CancelReason, SeatState, SessionState
from hwdesk.terms import cite_text
from hwdesk.texts import pick

# Generic names of the grounds, for lists across offices. Each office's own words for a ground are in
# its profile (``termination_grounds.<ground>.label``, quoted from the cited text): see ground_label.
GROUND_LABELS = {
    "threats_abuse": ("脅迫・暴言・不快感を与える行為", "Threats, abuse or causing discomfort"),
    "recording": ("録画・録音", "Recording"),
    "non_job_seeking": ("就職活動以外の目的での利用", "Use for other than job seeking"),
    "disturbing": ("業務・他の利用者の妨害", "Disturbing the service or others"),
    "infringement": ("知的財産権等の侵害", "Infringement of rights"),
    "unannounced_companion": ("事前の申出のない同席者", "Companion present without notice"),
    "other": ("その他の規約違反", "Other breach of the terms"),
}
SCOPE_LABELS = {
    "session": ("このセッションのみ中止", "This session only"),
    "suspended": ("期限付きで利用停止", "Suspended until a date"),
    "ended": ("利用終了", "Use ended"),
}


def ground_label(office_id: str, ground: str, lang: str = "ja") -> str:
    """The office's own words for ``ground`` (前橋 threats → 「他の利用者に不快感を与える行為」 第6条(2),
    高松 → 「脅迫や暴言」 第12条(1)); the generic label for a ground the office's terms lack."""
    from hwdesk.terms import office_profile

    entry = office_profile(office_id).ground_entry(ground) or {}
    label = entry.get(pick("label", "label_en", lang))
    if label:
        return label
    ja, en = GROUND_LABELS.get(ground, (ground, ground))
    return pick(ja, en, lang)


def ground_cite(session: Session, *, office_id: str, ground: str) -> str:
    """The office's article for ``ground`` (e.g. 渋谷 recording → 第4条第3項); refused when the
    office's terms have no such ground."""
    prof = profile(session, office_id)
    if ground not in TERMINATION_GROUNDS:
        raise ValidationFailed(
            f"中止の理由 '{ground}' はありません（{', '.join(TERMINATION_GROUNDS)}）。",
            f"Unknown ground '{ground}' ({', '.join(TERMINATION_GROUNDS)}).",
            field="ground",
        )
    stop = prof.cite("stop_use")
    if ground == "unannounced_companion":
        return "・".join(c for c in (prof.cite("companions"), stop) if c)
    cite = prof.ground_entry(ground)
    if not cite:
        ja, en = GROUND_LABELS[ground]
        have = [g for g, c in prof.data.termination_grounds.items() if c]
        ja_list = "、".join(f"{g}「{ground_label(office_id, g)}」" for g in have)
        en_list = ", ".join(have)
        raise RuleRefusal(
            f"{prof.name}の利用規約には「{ja}」を理由とする利用中止の定めがありません（中止の規定: {stop}）。"
            f"この事業所の理由: {ja_list}",
            f"{prof.display_name('en')}'s terms have no '{en}' ground (stop-use article: {stop}). "
            f"This office's grounds: {en_list}",
            field="ground",
        )
    return cite_text(cite)


def available_grounds(session: Session, *, office_id: str) -> list[tuple[str, str, str, str]]:
    """(ground, label ja, label en, article) for each ground the office's terms provide, labelled in
    the office's own words."""
    out = []
    for g in TERMINATION_GROUNDS:
        try:
            cite = ground_cite(session, office_id=office_id, ground=g)
            out.append((g, ground_label(office_id, g, "ja"), ground_label(office_id, g, "en"), cite))
        except RuleRefusal:
            continue
    return out


@dataclass(frozen=True)
class TerminationResult:
    """A decision, whether it cancelled the agreement, and the bookings the clerk should cancel with notice."""

    termination: Termination
    agreement_ended: bool
    future_bookings: list[scheduling.Booking]


def _check_scope(scope: str, until: date | None, review_on: date | None, session_id: int | None, today: date) -> None:
    if scope not in TERMINATION_SCOPES:
        raise ValidationFailed(
            "範囲は session / suspended / ended のいずれかです。",
            "Scope must be session, suspended or ended.",
            field="scope",
        )
    if scope == "session" and session_id is None:
        raise ValidationFailed(
            "「このセッションのみ」にはセッションの指定が必要です。",
            "Scope 'session' needs the session.",
            field="session",
        )
    if scope == "suspended" and (until is None or until < today):
        raise ValidationFailed(
            "利用停止の期限（今日以降の日付）を入力してください。",
            "Give the date the suspension lasts until (today or later).",
            field="until",
        )
    if scope != "suspended" and until is not None:
        raise ValidationFailed(
            "期限は「期限付きで利用停止」のときだけ指定します。",
            "An end date applies only to a suspension.",
            field="until",
        )
    if review_on is not None and review_on < today:
        raise ValidationFailed(
            "見直し日は今日以降の日付です。", "The review date must be today or later.", field="review_on"
        )


def _require_unannounced(session: Session, *, seeker_id: int, office_id: str, session_id: int | None) -> None:
    stmt = select(CompanionNotice.id).where(
        CompanionNotice.seeker_id == seeker_id,
        CompanionNotice.office_id == office_id,
        col(CompanionNotice.unannounced).is_(True),
    )
    if session_id is not None:
        stmt = stmt.where(CompanionNotice.session_id == session_id)
    if session.exec(stmt).first() is None:
        raise ValidationFailed(
            "事前の申出のない同席者の記録がありません。先に同席者を記録してください。",
            "No unannounced companion is recorded; record the companion first.",
            field="ground",
        )


@guard("supervisor", what_ja="利用の中止", what_en="Stopping a seeker's use")
def terminate(
    session: Session,
    *,
    actor: Actor,
    seeker_id: int,
    office_id: str,
    ground: str,
    narrative: str,
    scope: str,
    until: date | None = None,
    review_on: date | None = None,
    session_id: int | None = None,
    today: date | None = None,
) -> TerminationResult:
    """A supervisor stops a seeker's use on one of the office's grounds (cited from its profile).

    Returns the seeker's future bookings at the office that the stop covers, for the clerk to
    cancel with notice (they are not cancelled here).
    """
    require(actor, "supervisor", what_ja="利用の中止", what_en="Stopping a seeker's use")
    require_office(actor, office_id)
    today = today or today_jst()
    prof = profile(session, office_id)
    cite = ground_cite(session, office_id=office_id, ground=ground)
    narrative = clean_text(narrative, field="narrative", max_len=2000, allow_newlines=True)
    if not narrative:
        raise ValidationFailed(
            "経緯（何があったか）を入力してください。", "Describe what happened (narrative).", field="narrative"
        )
    _check_scope(scope, until, review_on, session_id, today)
    seeker = get_seeker(session, seeker_id)
    if session_id is not None:
        row = scheduling.lock_session(session, session_id)  # before any audit row: the fixed lock order
        if row.office_id != office_id:
            raise ValidationFailed(
                "セッションが別の事業所のものです。", "The session belongs to another office.", field="session"
            )
    if ground == "unannounced_companion":
        _require_unannounced(session, seeker_id=seeker_id, office_id=office_id, session_id=session_id)
    ends = scope == "ended" and prof.ends_agreement
    term = Termination(
        seeker_id=seeker_id,
        office_id=office_id,
        session_id=session_id,
        ground=ground,
        cite=cite,
        narrative=narrative,
        scope=scope,
        until=until,
        review_on=review_on,
        decided_by=actor.id,
    )
    session.add(term)
    session.flush()
    audit.record(
        session,
        staff_id=actor.id,
        action="termination.decide",
        entity="termination",
        entity_id=term.id,
        seeker_id=seeker_id,
        office_id=office_id,
        after={
            "ground": ground,
            "cite": cite,
            "scope": scope,
            "until": until,
            "review_on": review_on,
            "session": session_id,
        },
        extra={"agreement_cancelled": ends, "agreement_cite": prof.cite("stop_use") if ends else ""},
    )
    if scope == "session" and session_id is not None:  # always given for this scope (refused above without)
        _stop_in_session(session, actor=actor, session_id=session_id, seeker_id=seeker.id)
        return TerminationResult(term, False, [])
    bookings = scheduling.future_bookings(session, actor=actor, seeker_id=seeker_id, office_id=office_id, until=until)
    return TerminationResult(term, ends, bookings)


def _stop_in_session(session: Session, *, actor: Actor, session_id: int, seeker_id: int) -> None:
    """A checked-in seeker's enrollment is stopped (中止) at once; otherwise nothing moves."""
    e = session.exec(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.seeker_id == seeker_id)
    ).first()
    if e is not None and e.state == SeatState.CHECKED_IN:
        scheduling.set_state(
            session, actor=actor, session_id=session_id, state=SessionState.STOPPED, seeker_id=seeker_id
        )


@guard("supervisor", what_ja="利用中止の解除", what_en="Lifting a stop of use")
def lift(session: Session, *, actor: Actor, termination_id: int, reason: str) -> Termination:
    """A supervisor lifts a termination, with a reason (audited)."""
    require(actor, "supervisor", what_ja="利用中止の解除", what_en="Lifting a stop of use")
    term = session.get(Termination, termination_id)
    if term is None:
        raise NotFound(f"利用中止の記録 {termination_id} はありません。", f"No termination {termination_id}.")
    require_office(actor, term.office_id)
    if term.lifted_at is not None:
        raise ValidationFailed(
            "この利用中止は既に解除されています。", "This stop of use has already been lifted.", field="termination"
        )
    reason = clean_text(reason, field="reason", max_len=500, allow_newlines=True)
    if not reason:
        raise ValidationFailed("解除の理由を入力してください。", "Enter the reason for lifting.", field="reason")
    term.lifted_at, term.lifted_by, term.lift_reason = now_utc(), actor.id, reason
    session.add(term)
    session.flush()
    audit.record(
        session,
        staff_id=actor.id,
        action="termination.lift",
        entity="termination",
        entity_id=term.id,
        seeker_id=term.seeker_id,
        office_id=term.office_id,
        after={"lifted": True},
        extra={"reason": reason},
    )
    return term


# Whether a stop covers a day: the rule engine's own predicate (one rule, one place).
in_force = eligibility.stop_covers


@dataclass(frozen=True)
class Stop:
    """An unlifted stop of use (what the queue, the reminders and the handout batch flag)."""

    termination_id: int
    scope: str
    until: date | None
    cite: str

    def covers(self, on: date) -> bool:
        """Whether this stop covers a booking on ``on``."""
        return in_force(self.scope, self.until, on)


def stops(conn, *, office_id: str, seeker_ids) -> dict[int, list[Stop]]:
    """Unlifted stops (not 'session' ones) at ``office_id`` of the seekers ``seeker_ids`` selects
    (a subquery or a list), one query on ``conn`` (a Connection or a Session's connection)."""
    t = Termination.__table__.c  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
    from sqlalchemy import select as core_select

    out: dict[int, list[Stop]] = {}
    for tid, sid, scope, until, cite in conn.execute(
        core_select(t.id, t.seeker_id, t.scope, t.until, t.cite).where(
            t.office_id == office_id, t.lifted_at.is_(None), t.scope != "session", t.seeker_id.in_(seeker_ids)
        )
    ):
        out.setdefault(sid, []).append(Stop(tid, scope, until, cite))
    return out


def stop_on(found: dict[int, list[Stop]], seeker_id: int, on: date) -> Stop | None:
    """The stop among ``found`` (from ``stops``) that covers ``seeker_id``'s booking on ``on``."""
    return next((x for x in found.get(seeker_id, ()) if x.covers(on)), None)


@guard("clerk", what_ja="利用中止による予約の取消し", what_en="Cancelling bookings after a stop of use")
def cancel_bookings(session: Session, *, actor: Actor, termination_id: int, notice: str) -> list[scheduling.Booking]:
    """Cancel (by the office) every future booking a stop covers, recording how the seeker was told
    (``notice``: phone / mail / counter and a note). Each cancellation is audited with the stop's
    article; one more audit row keeps the notice."""
    require(actor, "clerk", what_ja="利用中止による予約の取消し", what_en="Cancelling bookings after a stop of use")
    term = session.get(Termination, termination_id)
    if term is None:
        raise NotFound(f"利用中止の記録 {termination_id} はありません。", f"No termination {termination_id}.")
    require_office(actor, term.office_id)
    if term.lifted_at is not None or term.scope == "session":
        raise ValidationFailed(
            "この利用中止で取り消す予約はありません。",
            "This stop of use covers no future booking.",
            field="termination",
        )
    notice = clean_text(notice, field="notice", max_len=300)
    if not notice:
        raise ValidationFailed(
            "本人への連絡方法（電話・郵送・窓口など）を入力してください。",
            "Record how the seeker was told (phone, mail, counter …).",
            field="notice",
        )
    covered = [
        b
        for b in scheduling.future_bookings(session, actor=actor, seeker_id=term.seeker_id, office_id=term.office_id)
        if in_force(term.scope, term.until, b.start.date())
    ]
    note = f"利用中止（{term.cite}）/ stop of use: {notice}"
    for b in covered:
        scheduling.cancel_enrollment(
            session,
            actor=actor,
            session_id=b.session_id,
            seeker_id=term.seeker_id,
            reason=CancelReason.BY_OFFICE,
            note=note[:300],
        )
    audit.record(
        session,
        staff_id=actor.id,
        action="termination.notice",
        entity="termination",
        entity_id=term.id,
        seeker_id=term.seeker_id,
        office_id=term.office_id,
        after={"cancelled": [b.session_id for b in covered]},
        extra={"notice": notice, "cite": term.cite},
    )
    return covered


@guard("clerk")
def terminations_of(
    session: Session, *, actor: Actor, seeker_id: int, office_id: str | None = None
) -> list[Termination]:
    """A seeker's terminations, newest first."""
    stmt = select(Termination).where(Termination.seeker_id == seeker_id)
    if office_id:
        stmt = stmt.where(Termination.office_id == office_id)
    return list(session.exec(stmt.order_by(col(Termination.decided_at).desc())))
