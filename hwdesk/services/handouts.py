"""Handouts for booked sessions: what each office's own terms ask of the seeker, with the QR.

The instructions are each office's own terms: quoted from the version in force, or a plain sentence
tied by a test to its article (hwdesk.handout_text), so 前橋, 渋谷 and 高松 print different text:
高松 warns about metered plans (第12条(5)), 前橋 puts the private room and companions in 第3条(7),
渋谷 in 第6条(2), and so on.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from hwdesk import audit, ics, printing
from hwdesk.clock import JST
from hwdesk.errors import HwdeskError, NotFound, ValidationFailed
from hwdesk.files import write_private
from hwdesk.handout import HandoutError, HandoutPage, Instruction, render_pdf, render_png
from hwdesk.handout_text import footer_note, handout_lines
from hwdesk.jtext.addresses import parse_join_url
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.text import surname
from hwdesk.models import Enrollment, Seeker
from hwdesk.models import Session as SessionRow
from hwdesk.services.context import Actor, require_office, staff_id
from hwdesk.services.guard import guard
from hwdesk.services.offices import document, profile, terms_in_force
from hwdesk.states import HANDOUT_STATES, SessionState
from hwdesk.terms import OfficeProfile, TermsDocument, service_label


def instructions(
    prof: OfficeProfile, doc: TermsDocument, *, platform: str = "", lang: str = "ja", keys: set[str] | None = None
) -> tuple[Instruction, ...]:
    """What the seeker must do, each quoted from the office's terms in force or tied to its article
    (the wording lives in hwdesk.handout_text). ``keys`` limits the topics (None = all the office's);
    the meeting app is named in the handout's header, so ``platform`` does not change the lines."""
    return handout_lines(prof.id, doc, lang=lang, keys=keys)


def _seeker_name(prof: OfficeProfile, seeker: Seeker | None) -> str | None:
    """The name in the office's chosen form; none by default (privacy)."""
    form = prof.data.handout_name_form
    if seeker is None or form == "none":
        return None
    return seeker.name if form == "full" else surname(seeker.name)


def _check_link(srow: SessionRow) -> None:
    if not srow.join_url:
        raise ValidationFailed(
            f"セッション {srow.id} には参加URLがまだありません。URLを登録してから印刷してください。",
            f"Session {srow.id} has no join link yet; add it before printing.",
            field="join_url",
        )
    try:
        parse_join_url(srow.join_url, srow.platform)
    except ParseError as exc:
        raise ValidationFailed(exc.message_ja, exc.message_en, field="join_url") from None


@dataclass
class HandoutJob:
    """Pages ready to render, and who/what they are for (for the audit row)."""

    pages: list[HandoutPage]
    session_ids: list[int]
    seeker_ids: list[int]
    office_id: str
    stopped: list[tuple[int, str, str]] = field(default_factory=list)  # (session, 求職番号, name) skipped: use stopped
    events: list[ics.Event] = field(default_factory=list)  # one per session, for ``--ics``


def calendar_event(srow: SessionRow, prof: OfficeProfile, *, lang: str = "ja") -> ics.Event:
    """The session as a calendar event for the seeker's phone: service and office as the title,
    the link, meeting ID and passcode (as the handout prints them); never anything about a seeker."""
    from hwdesk.texts import tr

    office = prof.display_name(lang)
    # kept short: every byte makes the QR denser (the office's phone is on the handout itself)
    lines = [
        tr(key, lang, v=value)
        for key, value in (("handouts.event.meeting_id", srow.meeting_id), ("handouts.event.passcode", srow.passcode))
        if value
    ]
    stamp = srow.updated_at if srow.updated_at.tzinfo else srow.updated_at.replace(tzinfo=UTC)
    return ics.Event(
        uid=ics.uid_for(srow.id or 0, srow.office_id),
        start=srow.start_at,
        end=srow.end_at,
        summary=tr("handouts.event.summary", lang, service=service_label(srow.kind, lang), office=office),
        url=srow.join_url,
        description="\n".join(lines),
        stamp=stamp,
    )


def _page(
    session: Session, srow: SessionRow, seeker: Seeker | None, *, lang: str, event: ics.Event | None = None
) -> HandoutPage:
    prof = profile(session, srow.office_id)
    event = event or calendar_event(srow, prof, lang=lang)
    doc = document(terms_in_force(session, srow.office_id, srow.start_at.astimezone(JST).date()))
    return HandoutPage(
        office_name=prof.display_name(lang),
        office_contact=prof.data.contact_phone,
        service_label=service_label(srow.kind, lang),
        start=srow.start_at,
        end=srow.end_at,
        platform=srow.platform,
        join_url=srow.join_url,
        meeting_id=srow.meeting_id or None,
        passcode=srow.passcode or None,
        seeker_name=_seeker_name(prof, seeker),
        instructions=instructions(prof, doc, platform=srow.platform, lang=lang),
        session_ref=f"S-{srow.id:06d}",
        title=srow.title or None,
        footer_note=footer_note(prof.id, doc, lang=lang) or Instruction("", ""),  # no reminder the terms in force lack
        calendar=ics.calendar([event]),
    )


@guard("clerk")
def for_session(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    seeker_id: int | None = None,
    lang: str = "ja",
    exclude: frozenset[int] = frozenset(),
) -> HandoutJob:
    """One page per participant of a session (or only ``seeker_id``'s page), but none for the seekers in ``exclude``."""
    srow = session.get(SessionRow, session_id)
    if srow is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    require_office(actor, srow.office_id)
    _check_link(srow)
    stmt = (
        select(Seeker)
        .join(Enrollment, col(Enrollment.seeker_id) == Seeker.id)
        .where(Enrollment.session_id == session_id, col(Enrollment.state).in_(HANDOUT_STATES))
    )
    if seeker_id is not None:
        stmt = stmt.where(Seeker.id == seeker_id)
    people = [p for p in session.exec(stmt.order_by(Seeker.kana_key)) if p.id not in exclude]
    if seeker_id is not None and not people:
        raise NotFound(
            "この求職者はセッションに参加登録されていません。", "That seeker is not enrolled in the session."
        )
    event = calendar_event(srow, profile(session, srow.office_id), lang=lang)
    pages = [_page(session, srow, p, lang=lang, event=event) for p in people] or [
        _page(session, srow, None, lang=lang, event=event)
    ]
    return HandoutJob(pages, [session_id], [p.id for p in people if p.id], srow.office_id, events=[event])


@guard("clerk")
def for_day(
    session: Session, *, actor: Actor, office_id: str, day: date, staff_id_: int | None = None, lang: str = "ja"
) -> HandoutJob:
    """Every participant's page for a day's sessions (optionally one clerk's), in time order."""
    require_office(actor, office_id)
    start = datetime.combine(day, time(0), JST)
    stmt = select(SessionRow).where(
        SessionRow.office_id == office_id,
        SessionRow.start_at >= start,
        SessionRow.start_at < start + timedelta(days=1),
        SessionRow.state == SessionState.SCHEDULED,
    )
    if staff_id_:
        stmt = stmt.where(SessionRow.staff_id == staff_id_)
    pages: list[HandoutPage] = []
    sids: list[int] = []
    seekers_: list[int] = []
    events: list[ics.Event] = []
    skipped: list[str] = []
    rows = list(session.exec(stmt.order_by(col(SessionRow.start_at))))
    stops = _stopped(
        session, office_id, day, [r.id for r in rows]
    )  # a stopped seeker's booking gets no handout: it is listed
    stopped: list[tuple[int, str, str]] = []
    for srow in rows:
        mine = stops.get(srow.id, [])
        stopped += [(srow.id, no, name) for _, no, name in mine]
        try:
            job = for_session(
                session, actor=actor, session_id=srow.id, lang=lang, exclude=frozenset(i for i, _, _ in mine)
            )
        except ValidationFailed as exc:
            skipped.append(exc.message(lang))
            continue
        if mine and not job.seeker_ids:
            continue  # every participant stopped: no blank page for the session
        pages += job.pages
        sids += job.session_ids
        seekers_ += job.seeker_ids
        events += job.events
    if not pages:
        raise ValidationFailed(
            "印刷できるセッションがありません。" + " ".join(skipped[:3]),
            "No session to print. " + " ".join(skipped[:3]),
        )
    return HandoutJob(pages, sids, seekers_, office_id, stopped=stopped, events=events)


def _stopped(
    session: Session, office_id: str, day: date, session_ids: list[int]
) -> dict[int, list[tuple[int, str, str]]]:
    """session id → (seeker id, 求職番号, name) of the participants whose use is stopped on ``day``."""
    from hwdesk.services import terminations

    if not session_ids:
        return {}
    enrolled = session.exec(
        select(Enrollment.session_id, Seeker.id, Seeker.seeker_no, Seeker.name)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
        .where(col(Enrollment.session_id).in_(session_ids), col(Enrollment.state).in_(HANDOUT_STATES))
    ).all()
    found = terminations.stops(session.connection(), office_id=office_id, seeker_ids=[sid for _, sid, _, _ in enrolled])
    out: dict[int, list[tuple[int, str, str]]] = {}
    for sess_id, sid, no, name in enrolled:
        if terminations.stop_on(found, sid, day):
            out.setdefault(sess_id, []).append((sid, no, name))
    return out


@guard("clerk")
def write(
    session: Session, *, actor: Actor, job: HandoutJob, out: Path, large_print: bool = False, lang: str = "ja"
) -> Path:
    """Render the job to ``out`` (.pdf or .png) and audit the print (it carries a passcode)."""
    suffix = out.suffix.lower()
    try:
        if suffix == ".png":
            if len(job.pages) != 1:
                raise ValidationFailed(
                    "PNG は1ページずつです。複数ページは PDF にしてください。",
                    "PNG holds one page; use PDF for several.",
                )
            # Rendered in a private (0700) directory, then written owner-only over ``out``.
            with tempfile.TemporaryDirectory() as tmp:
                png = Path(tmp) / "handout.png"
                render_png(job.pages[0], png, large_print=large_print, lang=lang)
                data = png.read_bytes()
        elif suffix == ".pdf":
            buf = io.BytesIO()
            render_pdf(job.pages, buf, large_print=large_print, lang=lang)
            data = buf.getvalue()
        else:
            raise ValidationFailed("出力ファイルは .pdf か .png です。", "The output file must end in .pdf or .png.")
    except HandoutError as exc:
        raise HwdeskError(exc.message_ja, exc.message_en) from None
    write_private(out, data)  # 0600 from the first byte, also over an existing file of another mode
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="handout.print",
        entity="session",
        entity_id=",".join(map(str, job.session_ids))[:200],
        office_id=job.office_id,
        extra={
            "pages": len(job.pages),
            "seekers": job.seeker_ids[:200],
            "file": out.name,
            "large_print": large_print,
            "lang": lang,
        },
    )
    return out


@guard("clerk")
def write_ics(session: Session, *, actor: Actor, job: HandoutJob, out: Path) -> Path:
    """Write the job's sessions as an iCalendar file: the event of the handout's calendar QR, one
    VEVENT per session (a day's file holds the day's sessions, each once). Audited: it carries the
    passcode, as the handout does."""
    if out.suffix.lower() != ".ics":
        raise ValidationFailed("カレンダーファイルは .ics です。", "The calendar file must end in .ics.")
    if not job.events:
        raise ValidationFailed(
            "カレンダーに書き出すセッションがありません。", "No session to write to the calendar file."
        )
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(ics.calendar(job.events).encode("utf-8"))
    tmp.chmod(0o600)
    tmp.replace(out)
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="handout.ics",
        entity="session",
        entity_id=",".join(map(str, job.session_ids))[:200],
        office_id=job.office_id,
        extra={"events": len(job.events), "file": out.name},
    )
    return out


def send_to_printer(
    path: Path, *, job: HandoutJob, printer: str | None = None, follow: float = printing.FOLLOW_SECONDS
) -> printing.PrintResult:
    """Print the file :func:`write` made as one CUPS job and follow it (see :mod:`hwdesk.printing`).

    No database work: a job is followed for seconds, so the caller records the outcome with
    :func:`record_sent` in a transaction of its own. Raises a PrintError when nothing was sent.
    """
    refs = [f"S-{sid:06d}" for sid in job.session_ids]
    title = f"hwdesk {refs[0]}" if len(refs) == 1 else f"hwdesk {refs[0]}..{refs[-1]} ({len(refs)})"
    return printing.send(path, printer=printer, title=title, pages=_sheet_count(path), follow=follow)


def _sheet_count(path: Path) -> int:
    """Pages in the written file: a handout runs to as many pages as its office's terms need."""
    if path.suffix.lower() != ".pdf":
        return 1
    import pypdfium2 as pdfium  # only when printing

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()


@guard("clerk")
def record_sent(session: Session, *, actor: Actor, job: HandoutJob, result: printing.PrintResult) -> None:
    """Audit a job handed to CUPS: printer, job id, outcome, pages (the pages carry a passcode)."""
    audit.record(
        session,
        staff_id=staff_id(actor),
        action="handout.sent",
        entity="session",
        entity_id=",".join(map(str, job.session_ids))[:200],
        office_id=job.office_id,
        extra={
            "printer": result.printer,
            "job_id": result.job_id,
            "state": result.state,
            "reason": result.reason("en")[:200],
            "pages": result.pages,
            "file": result.path.name,
        },
    )
