"""The period a 求職登録 is valid for, and renewals recorded elsewhere.

Hello Work's own rule (hellowork.mhlw.go.jp, 求職者マイページでできること; docs/rules.md (p)):
a registration is valid, in principle (原則), to the end of the month after next from the month
of application; counseling or a referral attended in the registration's final month extends it
to the end of the following month, a month at a time. hwdesk computes the end from the
registration date, the counseling/referral sessions it recorded as attended (checked in or
completed, at any office) and the renewals staff recorded as done elsewhere (``renew``: a
renewal on day R is valid, like an application, to the end of the month after next from R).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Date, cast, null, select, union_all
from sqlmodel import Session, col

from hwdesk import audit
from hwdesk.clock import JST, now_utc, today_jst
from hwdesk.errors import ValidationFailed
from hwdesk.jtext.text import clean_text
from hwdesk.models import Enrollment, RegistrationRenewal
from hwdesk.models import Session as SessionRow
from hwdesk.services.context import Actor, require, require_office, staff_id
from hwdesk.services.guard import guard
from hwdesk.services.seekers import get_seeker
from hwdesk.states import ATTENDED_STATES

# Sessions whose attendance extends a registration (counseling or a referral).
EXTENDING_KINDS = ("counseling", "referral")


def month_end(year: int, month: int) -> date:
    """The last day of a month (``month`` may run past 12)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def initial_end(applied: date) -> date:
    """End of the month after next from the month of application (原則)."""
    return month_end(applied.year, applied.month + 2)


def registration_end(
    registered_on: date | None, attended: Iterable[date] = (), renewals: Iterable[date] = ()
) -> date | None:
    """The end of the registration, from its date, attended counseling/referral days and renewals.

    Days are taken in order: a renewal restarts the period (end of the month after next, never
    shortening it); an attendance in the final month of the current period extends it to the end
    of the next month. An attendance outside the final month changes nothing (nor one after the
    end: a lapsed registration is renewed, not extended). None: no registration date."""
    if registered_on is None:
        return None
    end = initial_end(registered_on)
    events = sorted([(d, 1) for d in attended if d >= registered_on] + [(d, 0) for d in renewals if d >= registered_on])
    for day, is_attendance in events:
        if not is_attendance:
            end = max(end, initial_end(day))
        elif date(end.year, end.month, 1) <= day <= end:
            end = month_end(end.year, end.month + 1)
    return end


def needs_events(registered_on: date | None, on: date) -> bool:
    """Whether ``on`` lies past the first period, so attendances and renewals must be read."""
    return registered_on is not None and on > initial_end(registered_on)


_E, _S, _R = Enrollment.__table__.c, SessionRow.__table__.c, RegistrationRenewal.__table__.c  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it


def _events_stmt(seeker_ids):
    """Attended counseling/referral sessions (``at``: their start) and renewals (``on``) of the
    seekers, in one statement: a union whose other column is a typed NULL on each side."""
    att = (
        select(_E.seeker_id.label("seeker_id"), _S.start_at.label("at"), cast(null(), Date).label("on"))
        .join_from(Enrollment.__table__, SessionRow.__table__, _S.id == _E.session_id)  # type: ignore[attr-defined]  # SQLModel sets __table__ without declaring it
        .where(_E.seeker_id.in_(seeker_ids), _S.kind.in_(EXTENDING_KINDS), _E.state.in_(ATTENDED_STATES))
    )
    ren = select(_R.seeker_id, cast(null(), _S.start_at.type), _R.renewed_on).where(_R.seeker_id.in_(seeker_ids))
    return union_all(att, ren)


def events(session: Session, seeker_ids: Iterable[int] | object) -> dict[int, tuple[list[date], list[date]]]:
    """Attended counseling/referral days (JST) and renewal days per seeker (one statement);
    ``seeker_ids`` a list or a subquery."""
    out: dict[int, tuple[list[date], list[date]]] = {}
    for sid, start, renewed in session.connection().execute(_events_stmt(seeker_ids)):
        got = out.setdefault(sid, ([], []))
        if renewed is not None:
            got[1].append(renewed)
        else:
            got[0].append(start.astimezone(JST).date())
    return out


def end_of(session: Session, *, seeker_id: int, registered_on: date | None, on: date | None = None) -> date | None:
    """A seeker's registration end, reading attendances and renewals only when ``on`` (when given)
    lies past the first period (the hot path of a booking reads nothing more)."""
    if registered_on is None:
        return None
    if on is not None and not needs_events(registered_on, on):
        return initial_end(registered_on)
    attended, renewals = events(session, [seeker_id]).get(seeker_id, ([], []))
    return registration_end(registered_on, attended, renewals)


@guard("clerk", what_ja="求職登録の更新の記録", what_en="Recording a registration renewal")
def renew(session: Session, *, actor: Actor, seeker_id: int, renewed_on: date, note: str) -> RegistrationRenewal:
    """Record a renewal of the seeker's 求職登録 done elsewhere (another office, 求職者マイページ …)
    on ``renewed_on``, with a note saying where; audited. The end date is computed again from it."""
    require(actor, "clerk", what_ja="求職登録の更新の記録", what_en="Recording a registration renewal")
    seeker = get_seeker(session, seeker_id)
    require_office(actor, seeker.office_id)
    note = clean_text(note, field="note", max_len=300)
    if not note:
        raise ValidationFailed(
            "どこで更新したかを備考に入力してください。",
            "Enter where the registration was renewed (note).",
            field="note",
        )
    if renewed_on > today_jst():
        raise ValidationFailed("更新日が未来の日付です。", "The renewal date is in the future.", field="renewed_on")
    if seeker.registered_on is None or renewed_on < seeker.registered_on:
        raise ValidationFailed(
            "更新日は登録日以降の日付にしてください（登録日のない求職者は先に登録日を入力）。",
            "The renewal must be on or after the registration date (enter a registration date first).",
            field="renewed_on",
        )
    before = end_of(session, seeker_id=seeker_id, registered_on=seeker.registered_on)
    row = RegistrationRenewal(
        seeker_id=seeker_id,
        renewed_on=renewed_on,
        note=note,
        recorded_by=staff_id(actor),
        recorded_at=now_utc(),
    )
    session.add(row)
    session.flush()
    after = end_of(session, seeker_id=seeker_id, registered_on=seeker.registered_on)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="registration.renew",
        entity="registration_renewal",
        entity_id=row.id,
        seeker_id=seeker_id,
        office_id=seeker.office_id,
        before={"valid_until": before.isoformat() if before else None},
        after={"renewed_on": renewed_on.isoformat(), "note": note, "valid_until": after.isoformat() if after else None},
    )
    return row


def renewals_of(session: Session, seeker_id: int) -> list[RegistrationRenewal]:
    """A seeker's recorded renewals, newest first."""
    from sqlmodel import select as orm_select

    return list(
        session.exec(
            orm_select(RegistrationRenewal)
            .where(RegistrationRenewal.seeker_id == seeker_id)
            .order_by(col(RegistrationRenewal.renewed_on).desc())
        )
    )
