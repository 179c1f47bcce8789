"""Creating sessions: one, or a recurring series (each occurrence checked like one)."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict, Unpack

from sqlmodel import Session, select

from hwdesk import audit
from hwdesk.clock import JST
from hwdesk.errors import NotFound, RuleRefusal, ValidationFailed
from hwdesk.jtext.addresses import parse_join_url
from hwdesk.jtext.text import clean_text
from hwdesk.models import SERVICE_KINDS, Series, Staff
from hwdesk.models import Session as SessionRow
from hwdesk.services import calendar, timing
from hwdesk.services.context import Actor, require, require_office
from hwdesk.services.context import staff_id as _sid
from hwdesk.services.guard import guard
from hwdesk.services.offices import profile
from hwdesk.services.scheduling.common import MAX_OCCURRENCES, _refuse_staff_overlap, is_group, lock_staff
from hwdesk.terms import PLATFORM_LABELS, service_label
from hwdesk.texts import pick

# --- creating sessions ------------------------------------------------------------------------


class SessionFields(TypedDict, total=False):
    """What a new session says beside its kind and times: the keywords ``create_session`` and
    ``create_series`` both take. The staff member is named once, by ``staff_login`` or
    ``staff_id``; ``capacity`` only for a group session; ``platform`` defaults to the office's first."""

    staff_login: str | None
    staff_id: int | None
    capacity: int | None
    title: str
    platform: str | None
    join_url: str
    meeting_id: str
    passcode: str


def _resolve_staff(session: Session, office_id: str, staff_login: str | None, staff_id: int | None) -> Staff:
    if (staff_login is None) == (staff_id is None):
        raise ValidationFailed(
            "担当職員を1人指定してください（職員IDまたは番号）。",
            "Give the staff member (login or id), once.",
            field="staff",
        )
    stmt = (
        select(Staff).where(Staff.login == staff_login)
        if staff_login is not None
        else select(Staff).where(Staff.id == staff_id)
    )
    staff = session.exec(stmt).first()
    if staff is None:
        raise NotFound(f"職員 {staff_login or staff_id} はいません。", f"No staff member {staff_login or staff_id}.")
    if not staff.active:
        raise ValidationFailed(
            f"職員 {staff.login} は無効化されています。", f"Staff member {staff.login} is deactivated.", field="staff"
        )
    if staff.office_id != office_id and not staff.all_offices:
        raise ValidationFailed(
            f"職員 {staff.login} は {office_id} の職員ではありません。",
            f"Staff member {staff.login} does not work at {office_id}.",
            field="staff",
        )
    return staff


def _spec(session: Session, *, office_id: str, kind: str, fields: SessionFields) -> dict:
    """Validated fields shared by every session of a create/series call."""
    capacity = fields.get("capacity")
    platform = fields.get("platform")
    prof = profile(session, office_id)
    if kind not in SERVICE_KINDS or kind not in prof.services:
        offered = "・".join(service_label(k) for k in prof.services)
        raise RuleRefusal(
            f"{prof.name}はオンラインの「{service_label(kind)}」を実施していません（実施: {offered}。利用規約 前文・第1条）。",
            f"{prof.display_name('en')} does not offer '{service_label(kind, 'en')}' online "
            f"(offered: {', '.join(service_label(k, 'en') for k in prof.services)}).",
            field="kind",
        )
    if is_group(kind):
        if capacity is None or int(capacity) < 1:
            raise ValidationFailed(
                "グループのセッション（セミナー・面接会・見学会）には定員（1以上）が必要です。",
                "A group session (seminar, interview, tour) needs a capacity of 1 or more.",
                field="capacity",
            )
    elif capacity not in (None, 1):
        raise ValidationFailed(
            "個別のセッションの定員は1名です。", "An individual session has a capacity of 1.", field="capacity"
        )
    platform = platform or prof.platforms[0]
    if platform not in prof.platforms:
        names = "・".join(PLATFORM_LABELS.get(p, p) for p in prof.platforms)
        raise ValidationFailed(
            f"{prof.name}で使う会議アプリは {names} です（指定: {platform}）。",
            f"{prof.display_name('en')} uses {', '.join(prof.platforms)} (got {platform}).",
            field="platform",
        )
    join_url = fields.get("join_url", "")
    url = parse_join_url(join_url, platform) if (join_url or "").strip() else ""
    return {
        "office_id": office_id,
        "kind": kind,
        "capacity": int(capacity) if is_group(kind) and capacity is not None else 1,  # a group has one (checked above)
        "title": clean_text(fields.get("title", ""), field="title", max_len=100),
        "platform": platform,
        "join_url": url,
        "meeting_id": clean_text(fields.get("meeting_id", ""), field="meeting_id", max_len=40),
        "passcode": clean_text(fields.get("passcode", ""), field="passcode", max_len=40),
    }


def _public(row: SessionRow) -> dict:
    """What an audit row keeps of a session (never the passcode itself)."""
    return {
        "kind": row.kind,
        "start": row.start_at.astimezone(JST).isoformat(),
        "end": row.end_at.astimezone(JST).isoformat(),
        "staff_id": row.staff_id,
        "capacity": row.capacity,
        "platform": row.platform,
        "join_url": bool(row.join_url),
        "meeting_id": row.meeting_id,
        "passcode_set": bool(row.passcode),
        "state": row.state,
        "title": row.title,
    }


def _insert_session(
    session: Session,
    *,
    actor: Actor,
    spec: dict,
    staff: Staff,
    start: datetime,
    end: datetime,
    series_id: int | None = None,
    rescheduled_from_id: int | None = None,
) -> SessionRow:
    row = SessionRow(
        **spec,
        start_at=start,
        end_at=end,
        staff_id=staff.id,
        series_id=series_id,
        rescheduled_from_id=rescheduled_from_id,
        created_by=_sid(actor),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        staff_id=_sid(actor),
        action="session.create",
        entity="session",
        entity_id=row.id,
        office_id=row.office_id,
        after=_public(row),
    )
    return row


@guard("clerk")
def create_session(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    kind: str,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    **fields: Unpack[SessionFields],
) -> SessionRow:
    """Create one session after checking the kind, capacity, platform, join URL, open slot and
    that the staff member is free (the Staff row is locked for the overlap check). Never in the
    past (``now``: the time it is created at — demo data builds a history with it)."""
    require(actor, "clerk", what_ja="セッションの登録", what_en="Creating a session")
    require_office(actor, office_id)
    timing.refuse_past(start, at=now)
    spec = _spec(session, office_id=office_id, kind=kind, fields=fields)
    staff = _resolve_staff(session, office_id, fields.get("staff_login"), fields.get("staff_id"))
    calendar.check_slot(session, office_id, start, end)
    staff = lock_staff(session, staff.id)
    _refuse_staff_overlap(session, staff, start, end)
    return _insert_session(session, actor=actor, spec=spec, staff=staff, start=start, end=end)


@dataclass(frozen=True)
class Skipped:
    """An occurrence of a series that was not created, and why."""

    start: datetime
    end: datetime
    reason: str
    reason_en: str

    def as_dict(self) -> dict:
        """For Series.skipped_json and --json output."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "date": self.start.date().isoformat(),
            "reason": self.reason,
            "reason_en": self.reason_en,
        }

    def line(self, office_name: str = "", lang: str = "ja") -> str:
        """One line for a refusal listing."""
        text = pick(self.reason, self.reason_en, lang)
        return f"✘ {self.start:%Y-%m-%d %H:%M}: {text}"


@dataclass
class SeriesResult:
    """A series with the sessions it created and the occurrences it skipped (never dropped silently)."""

    series: Series
    created: list[SessionRow] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def occurrences(rrule: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The (start, end) pairs of an RFC 5545 RRULE from ``start`` (JST wall-clock), at most 200."""
    from dateutil.rrule import rrulestr

    s = start.astimezone(JST)
    duration = end - start
    try:
        rule = rrulestr(rrule.strip(), dtstart=s.replace(tzinfo=None))
    except (ValueError, TypeError) as exc:
        raise ValidationFailed(
            f"繰り返しの指定（RRULE）が不正です: {exc}", f"Bad repeat rule (RRULE): {exc}", field="rrule"
        ) from None
    starts = list(itertools.islice(iter(rule), MAX_OCCURRENCES + 1))
    if len(starts) > MAX_OCCURRENCES:
        raise ValidationFailed(
            f"繰り返しは{MAX_OCCURRENCES}回までです（COUNT か UNTIL を指定してください）。",
            f"A series has at most {MAX_OCCURRENCES} occurrences (give COUNT or UNTIL).",
            field="rrule",
        )
    return [(d.replace(tzinfo=JST), d.replace(tzinfo=JST) + duration) for d in starts]


@guard("clerk")
def create_series(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    kind: str,
    rrule: str,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    **fields: Unpack[SessionFields],
) -> SeriesResult:
    """Create the sessions of a recurring series (e.g. ``FREQ=WEEKLY;BYDAY=TU;COUNT=8`` from the
    first ``start``/``end``) on open days; occurrences on closed days, outside hours or when the
    staff member is busy are skipped and listed (also in ``Series.skipped_json``)."""
    require(actor, "clerk", what_ja="セッションの登録", what_en="Creating sessions")
    require_office(actor, office_id)
    spec = _spec(session, office_id=office_id, kind=kind, fields=fields)
    staff = _resolve_staff(session, office_id, fields.get("staff_login"), fields.get("staff_id"))
    pairs = occurrences(rrule, start, end)
    staff = lock_staff(session, staff.id)
    series = Series(office_id=office_id, rrule=rrule.strip(), created_by=_sid(actor))
    session.add(series)
    session.flush()
    result = SeriesResult(series)
    for s, e in pairs:
        try:
            timing.refuse_past(s, at=now)
            calendar.check_slot(session, office_id, s, e)
            _refuse_staff_overlap(session, staff, s, e)
        except RuleRefusal as exc:
            result.skipped.append(Skipped(s, e, exc.message_ja, exc.message_en))
            continue
        result.created.append(
            _insert_session(session, actor=actor, spec=spec, staff=staff, start=s, end=e, series_id=series.id)
        )
    if not result.created:
        raise RuleRefusal(
            "繰り返しのどの回も登録できませんでした。",
            "No occurrence of the series could be created.",
            failures=list(result.skipped),
            field="rrule",
        )
    series.skipped_json = json.dumps([k.as_dict() for k in result.skipped], ensure_ascii=False)
    session.add(series)
    result.warnings = [w for y in sorted({s.year for s, _ in pairs}) if (w := calendar.holiday_warning(y))]
    audit.record(
        session,
        staff_id=_sid(actor),
        action="series.create",
        entity="series",
        entity_id=series.id,
        office_id=office_id,
        after={
            "rrule": series.rrule,
            "created": [r.id for r in result.created],
            "skipped": [k.as_dict() for k in result.skipped],
        },
    )
    return result
