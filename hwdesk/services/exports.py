"""Exports (sessions, seekers, report) for Excel in Japan (retention is in ``hwdesk.services.retention``).

CSV is written so that Excel in Japan opens it correctly: UTF-8 with a BOM by default (Excel reads
BOM-less UTF-8 as CP932 and garbles it), or CP932 on request for older tools. CP932 cannot hold
every character: the JIS/CP932 look-alikes (〜 ‖ − ¢ £ ¬ — ¦ ¥ ‾) become their CP932 forms and any
other character becomes '?'; both are reported (``ExportData.mapped`` / ``.replaced`` and the
audit row), never a crash. Dates carry an ISO column and a 和暦 column; every CSV cell goes through
``jtext.csv_safe`` (a cell starting with = + - @ is not run as a formula). No export carries a
device identifier, a join link, a meeting ID or a passcode; counts in exports are suppressed as in
the reports (``reports.Policy``). Every export is audited (who, what, how many rows, SHA-256).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Required, TypedDict, Unpack

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.clock import JST
from hwdesk.errors import ValidationFailed
from hwdesk.jtext.dates import format_wareki
from hwdesk.jtext.safety import csv_safe
from hwdesk.models import Consent, Enrollment, Seeker, Staff, TermsNotice, TermsVersion
from hwdesk.models import Session as SessionRow
from hwdesk.services import reports
from hwdesk.services.context import Actor, require, require_office, staff_id
from hwdesk.services.guard import guard
from hwdesk.services.scheduling.details import last_session_starts
from hwdesk.states import SeatState as E
from hwdesk.terms import service_label

FORMATS = ("csv", "json")
ENCODINGS = ("utf-8-sig", "cp932")
WEEKDAYS_JA = "月火水木金土日"
# Characters CP932 lacks (or stores as a different code point) → the CP932 character that looks
# the same; Python's codec already maps 〜‖−¢£¬ on encoding but reads them back as the FF-forms.
CP932_LOOKALIKES = {
    "\u301c": "\uff5e",  # 〜 WAVE DASH → ～
    "\u2016": "\u2225",  # ‖ → ∥
    "\u2212": "\uff0d",  # − MINUS SIGN → －
    "\u00a2": "\uffe0",  # ¢
    "\u00a3": "\uffe1",  # £
    "\u00ac": "\uffe2",  # ¬
    "\u2014": "\u2015",  # — EM DASH → ―
    "\u00a6": "\uffe4",  # ¦
    "\u00a5": "\uffe5",  # ¥
    "\u203e": "\uffe3",  # ‾
}


class ExportData(bytes):
    """The exported file's bytes, with what the export did: ``rows``, the ``encoding``, and the
    characters CP932 could not hold (``mapped``: replaced by a look-alike; ``replaced``: by '?')."""

    rows: int
    fmt: str
    encoding: str
    mapped: tuple[str, ...]
    replaced: tuple[str, ...]
    sha256: str

    def __new__(
        cls,
        data: bytes,
        *,
        rows: int,
        fmt: str,
        encoding: str,
        mapped: tuple[str, ...] = (),
        replaced: tuple[str, ...] = (),
    ) -> ExportData:
        obj = super().__new__(cls, data)
        obj.rows, obj.fmt, obj.encoding, obj.mapped, obj.replaced = rows, fmt, encoding, mapped, replaced
        obj.sha256 = hashlib.sha256(data).hexdigest()
        return obj

    def warnings(self, lang: str = "ja") -> list[str]:
        """What a user should be told about characters the encoding changed."""
        from hwdesk.texts import tr

        out = []
        if self.mapped:
            chars = " ".join(self.mapped)
            out.append(tr("exports.lookalikes", lang, chars=chars))
        if self.replaced:
            chars = " ".join(f"{c}(U+{ord(c):04X})" for c in self.replaced)
            out.append(tr("exports.unencodable", lang, chars=chars))
        return out


def encode_text(text: str, encoding: str) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    """(bytes, mapped, replaced): ``text`` in ``encoding``; for CP932 the look-alikes and '?'."""
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig"), (), ()
    if encoding != "cp932":
        raise ValidationFailed(
            f"文字コードは {' / '.join(ENCODINGS)} のいずれかです。",
            f"The encoding is one of {', '.join(ENCODINGS)}.",
            field="encoding",
        )
    table: dict[int, str] = {}
    mapped, replaced = [], []
    for ch in sorted(set(text)):
        try:
            same = ch.encode("cp932").decode("cp932") == ch
        except UnicodeEncodeError:
            same = False
        if same:
            continue
        if ch in CP932_LOOKALIKES:
            table[ord(ch)] = CP932_LOOKALIKES[ch]
            mapped.append(ch)
        else:
            table[ord(ch)] = "?"
            replaced.append(ch)
    return text.translate(table).encode("cp932"), tuple(mapped), tuple(replaced)


class ExportRequest(TypedDict, total=False):
    """What an export is asked for (the keywords every ``export_*`` takes): the period in JST days,
    inclusive; ``fmt`` csv (default) or json; ``encoding`` utf-8-sig (default) or cp932, for CSV;
    ``threshold``, below which a count is suppressed (the seekers' export has no counts)."""

    date_from: Required[date]
    date_to: Required[date]
    fmt: str
    encoding: str
    threshold: int


@dataclass(frozen=True)
class _Asked:
    """An ``ExportRequest`` checked, with its defaults, for the office it is run at."""

    office_id: str
    date_from: date
    date_to: date
    fmt: str
    encoding: str
    threshold: int

    def audit_extra(self, out: ExportData) -> dict:
        """What the audit row keeps of every export."""
        return {
            "format": self.fmt,
            "encoding": out.encoding,
            "rows": out.rows,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "sha256": out.sha256,
        }


def _asked(office_id: str, request: ExportRequest) -> _Asked:
    asked = _Asked(
        office_id,
        request["date_from"],
        request["date_to"],
        request.get("fmt", "csv"),
        request.get("encoding", "utf-8-sig"),
        request.get("threshold", reports.DEFAULT_THRESHOLD),
    )
    if asked.fmt not in FORMATS:
        raise ValidationFailed("形式は csv か json です。", "The format is csv or json.", field="fmt")
    if asked.encoding not in ENCODINGS:
        raise ValidationFailed(
            f"文字コードは {' / '.join(ENCODINGS)} のいずれかです。",
            f"The encoding is one of {', '.join(ENCODINGS)}.",
            field="encoding",
        )
    if asked.date_to < asked.date_from:
        raise ValidationFailed(
            "期間の終わりが始まりより前です。", "The end of the period is before its start.", field="date_to"
        )
    return asked


def _csv(rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # CRLF: what Excel writes and expects
    for row in rows:
        w.writerow([csv_safe(v) for v in row])
    return buf.getvalue()


def _finish(
    session: Session,
    *,
    actor: Actor,
    what: str,
    asked: _Asked,
    header: list[str],
    rows: Sequence[Sequence[object]],
    envelope: dict,
    extra: dict | None = None,
) -> ExportData:
    """Encode (CSV or JSON), audit, and return the bytes."""
    if asked.fmt == "csv":
        data, mapped, replaced = encode_text(_csv([header, *rows]), asked.encoding)
        out = ExportData(data, rows=len(rows), fmt=asked.fmt, encoding=asked.encoding, mapped=mapped, replaced=replaced)
    else:
        # JSON is UTF-8 by definition (RFC 8259); the encoding option is for CSV only.
        body = {**envelope, "rows": [dict(zip(header, r, strict=True)) for r in rows]}
        out = ExportData(
            json.dumps(body, ensure_ascii=False, indent=1, default=str).encode("utf-8"),
            rows=len(rows),
            fmt=asked.fmt,
            encoding="utf-8",
        )
    _audit(session, actor=actor, what=what, asked=asked, out=out, extra=extra)
    return out


def _audit(session: Session, *, actor: Actor, what: str, asked: _Asked, out: ExportData, extra: dict | None) -> None:
    audit.record(
        session,
        staff_id=staff_id(actor),
        action=f"export.{what}",
        entity="export",
        entity_id=what,
        office_id=asked.office_id,
        extra={
            **asked.audit_extra(out),
            **({"cp932_mapped": [f"U+{ord(c):04X}" for c in out.mapped]} if out.mapped else {}),
            **({"cp932_replaced": [f"U+{ord(c):04X}" for c in out.replaced]} if out.replaced else {}),
            **(extra or {}),
        },
    )


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST)


def _wareki(d: date | None) -> str:
    return format_wareki(d) if d else ""


# --- sessions -----------------------------------------------------------------------------------

SESSION_COLUMNS = [
    "session_id",
    "office",
    "date",
    "date_wareki",
    "weekday",
    "start",
    "end",
    "service",
    "service_label",
    "title",
    "state",
    "state_label",
    "staff",
    "capacity",
    "booked",
    "attended",
    "no_shows",
    "cancel_reason",
    "platform",
]


@guard("clerk")
def export_sessions(session: Session, *, actor: Actor, office_id: str, **request: Unpack[ExportRequest]) -> ExportData:
    """Sessions starting in the period (JST days, inclusive), one row each, with the number booked,
    attended and absent — suppressed under ``threshold`` like every count in an export. No seeker,
    no join link, meeting ID or passcode. Any staff member of the office; audited."""
    require(actor, "clerk", what_ja="セッションの出力", what_en="Exporting sessions")
    require_office(actor, office_id)
    asked = _asked(office_id, request)
    date_from, date_to = asked.date_from, asked.date_to
    policy = reports.Policy(asked.threshold)
    from hwdesk.states import CANCEL_LABELS, STATE_LABELS

    where = (
        SessionRow.office_id == office_id,
        col(SessionRow.start_at) >= _day_start(date_from),
        col(SessionRow.start_at) < _day_start(date_to + timedelta(days=1)),
    )
    sessions = session.exec(
        select(SessionRow, Staff.login)
        .join(Staff, col(Staff.id) == SessionRow.staff_id)
        .where(*where)
        .order_by(col(SessionRow.start_at), col(SessionRow.id))
    ).all()
    counts: dict[int, dict[str, int]] = {}
    for sid, state, n in session.exec(
        select(Enrollment.session_id, Enrollment.state, func.count())
        .where(col(Enrollment.session_id).in_(select(SessionRow.id).where(*where)))
        .group_by(col(Enrollment.session_id), col(Enrollment.state))
    ):
        counts.setdefault(sid, {})[state] = n
    rows = []
    for r, login in sessions:
        c = counts.get(r.id, {})
        s, e = r.start_at.astimezone(JST), r.end_at.astimezone(JST)
        booked = sum(
            c.get(k, 0)
            for k in (E.BOOKED, E.OFFERED, E.CHECKED_IN, E.COMPLETED, E.ABSENT, E.CONNECTION_FAILED, E.STOPPED)
        )
        attended = sum(c.get(k, 0) for k in (E.CHECKED_IN, E.COMPLETED, E.STOPPED))
        no_shows = sum(c.get(k, 0) for k in reports.NO_SHOW_STATES)
        rows.append(
            [
                r.id,
                r.office_id,
                s.date().isoformat(),
                format_wareki(s.date()),
                WEEKDAYS_JA[s.weekday()],
                s.strftime("%H:%M"),
                e.strftime("%H:%M"),
                r.kind,
                service_label(r.kind),
                r.title,
                r.state,
                STATE_LABELS.get(r.state, (r.state,))[0],
                login,
                r.capacity,
                policy.figure(booked).json(),
                policy.figure(attended).json(),
                policy.figure(no_shows).json(),
                CANCEL_LABELS.get(r.cancel_reason, (r.cancel_reason,))[0] if r.cancel_reason else "",
                r.platform,
            ]
        )
    envelope = {
        "export": "sessions",
        "office": office_id,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "suppression": {"threshold": policy.threshold, "mark": policy.mark},
    }
    return _finish(
        session,
        actor=actor,
        what="sessions",
        asked=asked,
        header=SESSION_COLUMNS,
        rows=rows,
        envelope=envelope,
    )


# --- seekers (personal data) --------------------------------------------------------------------

SEEKER_COLUMNS = [
    "seeker_no",
    "name",
    "name_kana",
    "birth_date",
    "birth_date_wareki",
    "phone",
    "email",
    "registration_kind",
    "registered_on",
    "registered_on_wareki",
    "webcam_confirmed",
    "consented_version",
    "consented_on",
    "consented_on_wareki",
    "notified_version",
    "last_session_on",
    "last_session_wareki",
]


@guard("supervisor", what_ja="求職者（個人情報）の出力", what_en="Exporting seekers (personal data)")
def export_seekers(session: Session, *, actor: Actor, office_id: str, **request: Unpack[ExportRequest]) -> ExportData:
    """Seekers of the office (registered there, not anonymized) who had a session at the office in
    the period or registered in it — personal data, so supervisors only (職業安定法第5条の5);
    audited with the row count. Five queries."""
    require(actor, "supervisor", what_ja="求職者（個人情報）の出力", what_en="Exporting seekers (personal data)")
    require_office(actor, office_id)
    asked = _asked(office_id, request)
    date_from, date_to = asked.date_from, asked.date_to
    lo, hi = _day_start(date_from), _day_start(date_to + timedelta(days=1))
    had_session = (
        select(Enrollment.seeker_id)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(SessionRow.office_id == office_id, col(SessionRow.start_at) >= lo, col(SessionRow.start_at) < hi)
    )
    who = select(Seeker.id).where(
        Seeker.office_id == office_id,
        col(Seeker.anonymized_at).is_(None),
        or_(
            col(Seeker.id).in_(had_session),
            and_(col(Seeker.created_at) >= lo, col(Seeker.created_at) < hi),
            and_(col(Seeker.registered_on) >= date_from, col(Seeker.registered_on) <= date_to),
        ),
    )
    seekers = session.exec(select(Seeker).where(col(Seeker.id).in_(who)).order_by(col(Seeker.seeker_no))).all()
    consent_rows = session.exec(
        select(Consent.seeker_id, TermsVersion.version, Consent.given_at)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(Consent.office_id == office_id, col(Consent.seeker_id).in_(who))
    ).all()
    newest: dict[int, tuple[int, datetime]] = {}
    for sid, version, given in consent_rows:
        if sid not in newest or (version, given) > newest[sid]:
            newest[sid] = (version, given)
    notified = dict(
        session.exec(
            select(TermsNotice.seeker_id, func.max(TermsVersion.version))
            .join(TermsVersion, col(TermsVersion.id) == TermsNotice.terms_version_id)
            .where(TermsVersion.office_id == office_id, col(TermsNotice.seeker_id).in_(who))
            .group_by(col(TermsNotice.seeker_id))
        ).all()
    )
    last = last_session_starts(session, office_id=office_id, seeker_ids=who, before=hi)
    rows = []
    for sk in seekers:
        c = newest.get(sk.id)
        c_day = c[1].astimezone(JST).date() if c else None
        l_day = last[sk.id].astimezone(JST).date() if sk.id in last else None
        rows.append(
            [
                sk.seeker_no,
                sk.name,
                sk.name_kana,
                sk.birth_date.isoformat(),
                format_wareki(sk.birth_date),
                sk.phone,
                sk.email,
                sk.registration_kind,
                sk.registered_on.isoformat() if sk.registered_on else "",
                _wareki(sk.registered_on),
                "yes" if sk.webcam_confirmed else "no",
                c[0] if c else "",
                c_day.isoformat() if c_day else "",
                _wareki(c_day),
                notified.get(sk.id, ""),
                l_day.isoformat() if l_day else "",
                _wareki(l_day),
            ]
        )
    envelope = {
        "export": "seekers",
        "office": office_id,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "personal_data": True,
    }
    return _finish(
        session,
        actor=actor,
        what="seekers",
        asked=asked,
        header=SEEKER_COLUMNS,
        rows=rows,
        envelope=envelope,
    )


# --- report -------------------------------------------------------------------------------------


@guard("clerk")
def export_report(
    session: Session, *, actor: Actor, office_id: str, today: date | None = None, **request: Unpack[ExportRequest]
) -> ExportData:
    """The office's figures for the period (``reports.period_report``), small cells suppressed:
    CSV rows ``section, key, label, label_en, value, date, date_wareki`` or the report's JSON.
    Any staff member of the office; audited."""
    require(actor, "clerk", what_ja="集計の出力", what_en="Exporting figures")
    require_office(actor, office_id)
    asked = _asked(office_id, request)
    report = reports.period_report(
        session,
        office_id=office_id,
        date_from=asked.date_from,
        date_to=asked.date_to,
        threshold=asked.threshold,
        today=today,
    )
    if asked.fmt == "json":
        body = json.dumps({"export": "report", **report.as_dict()}, ensure_ascii=False, indent=1).encode("utf-8")
        out = ExportData(body, rows=1, fmt=asked.fmt, encoding="utf-8")
        _audit(session, actor=actor, what="report", asked=asked, out=out, extra={"threshold": report.threshold})
        return out
    table = reports.report_rows(report, reports.supervisor_figures(session, actor=actor, report=report))
    return _finish(
        session,
        actor=actor,
        what="report",
        asked=asked,
        header=[str(h) for h in table[0]],
        rows=table[1:],
        envelope={},
        extra={"threshold": report.threshold},
    )


__all__ = [
    "FORMATS",
    "ENCODINGS",
    "CP932_LOOKALIKES",
    "ExportData",
    "ExportRequest",
    "encode_text",
    "SESSION_COLUMNS",
    "SEEKER_COLUMNS",
    "export_sessions",
    "export_seekers",
    "export_report",
]
