"""Handouts for booked sessions: what each office's own terms ask of the seeker, with the QR.

The instructions are read from the office's terms (the articles its profile names), so 前橋,
渋谷 and 高松 print different text: 高松 warns about metered plans (第12条(5)), 前橋 puts the
private room and companions in 第3条(7), 渋谷 in 第6条(2), and so on.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from hwdesk import audit
from hwdesk.errors import HwdeskError, NotFound, ValidationFailed
from hwdesk.handout import HandoutError, HandoutPage, Instruction, render_pdf, render_png
from hwdesk.jtext import JST, ParseError, parse_join_url, surname
from hwdesk.models import Enrollment, Seeker, Session as SessionRow
from hwdesk.services.context import Actor, require_office, staff_id
from hwdesk.services.offices import document, profile, terms_in_force
from hwdesk.terms import OfficeProfile, TermsDocument, cite_text, service_label

ACTIVE = ("booked", "offered", "checked_in", "completed")

# The English form of the fixed instructions (for seekers who asked for an English interpreter).
EN = {
    "preparation": "Before the session, install the meeting app ({platform}) and check that your connection works.",
    "private_room": "Join from a private room or a place with no one else around. If an interpreter or caregiver needs to join you, tell the office in advance (phone {phone}).",
    "recording": "Recording or taping the session by any means is prohibited.",
    "device": "Use a virus-free device on a trustworthy internet connection (no free Wi-Fi of unknown security), with the OS, firewall and antivirus software up to date.",
    "costs": "The service is free, but devices and data charges are paid by you.",
    "costs_metered": "All communication charges are yours; take particular care if your plan is charged by data volume.",
}


def _cite_text(doc: TermsDocument, cite: dict) -> str:
    """The text an article / paragraph / item says, as written in the office's terms."""
    art = doc.article(cite["article"])
    para_no = cite.get("paragraph") or 1
    para = next((p for p in art["paragraphs"] if p["number"] == para_no), art["paragraphs"][0])
    if cite.get("item"):
        item = next((i for i in para.get("items", []) if i["number"] == cite["item"]), None)
        if item:
            return item["text"]
    return para.get("text", "")


def _sentence_with(text: str, word: str) -> str:
    """The sentence (or line) of ``text`` that contains ``word``."""
    for line in text.replace("。", "。\n").splitlines():
        if word in line:
            return line.strip()
    return text.strip()


def instructions(prof: OfficeProfile, doc: TermsDocument, *, platform: str, lang: str = "ja") -> tuple[Instruction, ...]:
    """What the seeker must do, each from the office's own terms with its article."""
    from hwdesk.handout import PLATFORM_NAMES

    app = PLATFORM_NAMES.get(platform, {}).get(lang, platform)
    phone = prof.raw.get("contact_phone", "")
    req = prof.requirements
    out: list[Instruction] = []

    prep = prof.article("preparation")
    if prep and prep.get("item"):  # 高松 第12条(4) says it in so many words
        text = _cite_text(doc, prep).split("その他")[0].strip()
    else:
        text = f"事前に指定のオンライン会議用アプリ（{app}）を使える状態にし、通信環境を確認してください。"
    out.append(Instruction(EN["preparation"].format(platform=app) if lang == "en" else text, cite_text(prep)))

    room = req.get("private_room")
    if room:
        text = _cite_text(doc, room["cite"])
        text = text.replace("（通訳", "通訳").replace("ください。）。", "ください。")
        out.append(Instruction(EN["private_room"].format(phone=phone) if lang == "en" else f"{text}（連絡先 {phone}）", cite_text(room["cite"])))

    ban = prof.article("recording_ban")
    if ban:
        out.append(Instruction(EN["recording"] if lang == "en" else _sentence_with(_cite_text(doc, ban), "録"), cite_text(ban)))

    env = req.get("environment")
    if env and env.get("items"):
        art = env["cite"]["article"]
        out.append(Instruction(
            EN["device"] if lang == "en" else
            "ウイルス感染のない安全な端末で、安全性の確かなインターネット接続を使い（管理状況が不明な無料Wi-Fiは不可）、"
            "OS・ファイアウォール・ウイルス対策ソフトを最新の状態にしてください。",
            f"第{art}条(1)〜(6)",
        ))

    metered = prof.article("costs_metered")
    costs = metered or prof.article("costs")
    if costs:
        key = "costs_metered" if metered else "costs"
        text = _cite_text(doc, costs)
        if not metered:
            text = "本サービスの利用料は無料ですが、通信機器・通信料等の費用は利用者の負担です。"
        out.append(Instruction(EN[key] if lang == "en" else text, cite_text(costs)))
    return tuple(out)


def _seeker_name(prof: OfficeProfile, seeker: Seeker | None) -> str | None:
    """The name in the office's chosen form; none by default (privacy)."""
    form = prof.raw.get("handout_name_form", "none")
    if seeker is None or form == "none":
        return None
    return seeker.name if form == "full" else surname(seeker.name)


def _check_link(srow: SessionRow) -> None:
    if not srow.join_url:
        raise ValidationFailed(
            f"セッション {srow.id} には参加URLがまだありません。URLを登録してから印刷してください。",
            f"Session {srow.id} has no join link yet; add it before printing.", field="join_url",
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


def _page(session: Session, srow: SessionRow, seeker: Seeker | None, *, lang: str) -> HandoutPage:
    prof = profile(session, srow.office_id)
    doc = document(terms_in_force(session, srow.office_id, srow.start_at.astimezone(JST).date()))
    return HandoutPage(
        office_name=prof.display_name(lang),
        office_contact=prof.raw.get("contact_phone", ""),
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
    )


def for_session(session: Session, *, actor: Actor, session_id: int, seeker_id: int | None = None, lang: str = "ja",
                exclude: frozenset[int] = frozenset()) -> HandoutJob:
    """One page per participant of a session (or only ``seeker_id``'s page), but none for the seekers in ``exclude``."""
    srow = session.get(SessionRow, session_id)
    if srow is None:
        raise NotFound(f"セッション {session_id} はありません。", f"No session {session_id}.")
    require_office(actor, srow.office_id)
    _check_link(srow)
    stmt = select(Seeker).join(Enrollment, col(Enrollment.seeker_id) == Seeker.id).where(
        Enrollment.session_id == session_id, col(Enrollment.state).in_(ACTIVE)
    )
    if seeker_id is not None:
        stmt = stmt.where(Seeker.id == seeker_id)
    people = [p for p in session.exec(stmt.order_by(Seeker.kana_key)) if p.id not in exclude]
    if seeker_id is not None and not people:
        raise NotFound("この求職者はセッションに参加登録されていません。", "That seeker is not enrolled in the session.")
    pages = [_page(session, srow, p, lang=lang) for p in people] or [_page(session, srow, None, lang=lang)]
    return HandoutJob(pages, [session_id], [p.id for p in people if p.id], srow.office_id)


def for_day(session: Session, *, actor: Actor, office_id: str, day: date, staff_id_: int | None = None, lang: str = "ja") -> HandoutJob:
    """Every participant's page for a day's sessions (optionally one clerk's), in time order."""
    require_office(actor, office_id)
    start = datetime.combine(day, time(0), JST)
    stmt = select(SessionRow).where(SessionRow.office_id == office_id, SessionRow.start_at >= start,
                                    SessionRow.start_at < start + timedelta(days=1), SessionRow.state == "scheduled")
    if staff_id_:
        stmt = stmt.where(SessionRow.staff_id == staff_id_)
    pages: list[HandoutPage] = []
    sids: list[int] = []
    seekers_: list[int] = []
    skipped: list[str] = []
    rows = list(session.exec(stmt.order_by(SessionRow.start_at)))
    stops = _stopped(session, office_id, day, [r.id for r in rows])  # a stopped seeker's booking gets no handout: it is listed
    stopped: list[tuple[int, str, str]] = []
    for srow in rows:
        mine = stops.get(srow.id, [])
        stopped += [(srow.id, no, name) for _, no, name in mine]  # type: ignore[misc]
        try:
            job = for_session(session, actor=actor, session_id=srow.id, lang=lang, exclude=frozenset(i for i, _, _ in mine))  # type: ignore[arg-type]
        except ValidationFailed as exc:
            skipped.append(exc.message(lang))
            continue
        if mine and not job.seeker_ids:
            continue  # every participant stopped: no blank page for the session
        pages += job.pages
        sids += job.session_ids
        seekers_ += job.seeker_ids
    if not pages:
        raise ValidationFailed("印刷できるセッションがありません。" + " ".join(skipped[:3]), "No session to print. " + " ".join(skipped[:3]))
    return HandoutJob(pages, sids, seekers_, office_id, stopped)


def _stopped(session: Session, office_id: str, day: date, session_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
    """session id → (seeker id, 求職番号, name) of the participants whose use is stopped on ``day``."""
    from hwdesk.services import terminations

    if not session_ids:
        return {}
    enrolled = session.exec(select(Enrollment.session_id, Seeker.id, Seeker.seeker_no, Seeker.name)
                            .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
                            .where(col(Enrollment.session_id).in_(session_ids), col(Enrollment.state).in_(ACTIVE))).all()
    found = terminations.stops(session.connection(), office_id=office_id, seeker_ids=[sid for _, sid, _, _ in enrolled])
    out: dict[int, list[tuple[int, str, str]]] = {}
    for sess_id, sid, no, name in enrolled:
        if terminations.stop_on(found, sid, day):
            out.setdefault(sess_id, []).append((sid, no, name))
    return out


def write(session: Session, *, actor: Actor, job: HandoutJob, out: Path, large_print: bool = False, lang: str = "ja") -> Path:
    """Render the job to ``out`` (.pdf or .png) and audit the print (it carries a passcode)."""
    suffix = out.suffix.lower()
    try:
        if suffix == ".png":
            if len(job.pages) != 1:
                raise ValidationFailed("PNG は1ページずつです。複数ページは PDF にしてください。", "PNG holds one page; use PDF for several.")
            render_png(job.pages[0], out, large_print=large_print, lang=lang)
        elif suffix == ".pdf":
            render_pdf(job.pages, out, large_print=large_print, lang=lang)
        else:
            raise ValidationFailed("出力ファイルは .pdf か .png です。", "The output file must end in .pdf or .png.")
    except HandoutError as exc:
        raise HwdeskError(exc.message_ja, exc.message_en) from None
    out.chmod(0o600)
    audit.record(session, staff_id=staff_id(actor), action="handout.print", entity="session",
                 entity_id=",".join(map(str, job.session_ids))[:200], office_id=job.office_id,
                 extra={"pages": len(job.pages), "seekers": job.seeker_ids[:200], "file": out.name, "large_print": large_print, "lang": lang})
    return out


def send_to_printer(path: Path, *, printer: str | None = None) -> str | None:
    """Print with CUPS ``lp`` when present; returns the job line, or None (no CUPS: keep the file)."""
    lp = shutil.which("lp")
    if not lp:
        return None
    cmd = [lp] + (["-d", printer] if printer else []) + [str(path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise HwdeskError(f"印刷できませんでした: {done.stderr.strip()[:200]}", f"Printing failed: {done.stderr.strip()[:200]}")
    return done.stdout.strip()
