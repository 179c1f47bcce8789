"""Terms revisions: what changed, who must be told, and which text applied to each session.

The offices may revise their terms and announce the change, its content and the day it takes
effect (前橋 第9条, 渋谷 第10条, 高松 第13条). This module answers the three questions a counter
has about a revision:

- ``diff_versions``: what changed, article by article (the content of the announcement);
- ``notify_list``: which seekers still have to be told (consented to an earlier version of *this
  office's* terms, active, not yet notified), with their next session so the clerk can tell them
  then;
- ``history`` and ``unnotified_sessions``: per seeker, which text was in force at each session and
  whether they had consented to it or been told of it; per day, the sessions whose seeker was not.

Every list is built with a fixed number of queries (joins and subqueries, no per-seeker query).
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from hwdesk.clock import JST, now_utc, today_jst
from hwdesk.errors import NotFound, ValidationFailed
from hwdesk.models import (
    Consent,
    Enrollment,
    Office,
    Seeker,
    Staff,
    TermsNotice,
    TermsVersion,
)
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services.context import Actor
from hwdesk.services.guard import guard
from hwdesk.services.offices import document, terms_versions, version_in_force
from hwdesk.states import ACTIVE_STATES, LIVE_SESSION_STATES
from hwdesk.terms import TermsDocument, article_as_text

# Enrollment states in which a seeker still expects to take part (kept here rather than imported
# from scheduling so that this read-only module does not depend on the booking code).
CHANGE_KINDS = ("added", "removed", "changed", "renumbered")
CHANGE_LABELS = {
    "added": ("新設", "added"),
    "removed": ("削除", "removed"),
    "changed": ("改正", "changed"),
    "renumbered": ("条番号の変更", "renumbered"),
}


def _day_start(d: date) -> datetime:
    """Midnight JST of ``d`` (sessions are dated by the office's day, not UTC's)."""
    return datetime.combine(d, time(0), tzinfo=JST)


# --- diff -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleChange:
    """One changed part of the terms: an article (or the preamble / supplementary provisions).

    ``unified`` is a line diff of the article as a clerk reads it (``article_as_text``);
    ``segments`` is a word-level diff of the same text as ``(op, text)`` pairs, op being
    ``equal``, ``delete`` or ``insert`` — a screen colours deletions and insertions inline.
    """

    kind: str  # one of CHANGE_KINDS
    part: str  # "article", "preamble" or "supplementary"
    old_number: int | None
    new_number: int | None
    heading: str
    old_text: str
    new_text: str
    unified: tuple[str, ...] = ()
    segments: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        """'第7条', '第7条→第8条', '前文' or '附則'."""
        if self.part == "preamble":
            return "前文"
        if self.part == "supplementary":
            return "附則"
        if self.old_number and self.new_number and self.old_number != self.new_number:
            return f"第{self.old_number}条→第{self.new_number}条"
        return f"第{self.new_number or self.old_number}条"

    def summary(self, lang: str = "ja") -> str:
        """One line: '第7条（利用の記録等）: 改正' / 'Art. 7 (利用の記録等): changed'."""
        from hwdesk.texts import pick, tr

        return tr(
            "revisions.summary",
            lang,
            label=self.label,
            heading=f"（{self.heading}）" if self.heading else "",
            change=pick(*CHANGE_LABELS[self.kind], lang),
        )


def _body_key(art: dict) -> str:
    # Compare articles without their number: a renumbered but identical article is not "changed".
    return json.dumps({"h": art.get("heading", ""), "p": art.get("paragraphs", [])}, ensure_ascii=False, sort_keys=True)


_TOKEN_RE = re.compile(
    r"[A-Za-z0-9]+|[\u3041-\u309f]+|[\u30a0-\u30ff\uff66-\uff9f]+|[\u4e00-\u9fff\u3005\u3006]+|\s+|.",
    re.DOTALL,
)


def _tokens(text: str) -> list[str]:
    """Word-ish tokens for Japanese: runs of one script (kanji, hiragana, katakana, Latin/digits).

    Japanese has no spaces, so a "word-level" diff splits where the script changes; that keeps
    「端末装置等の識別情報」 → 「端末の識別子」 readable instead of a character soup.
    """
    return _TOKEN_RE.findall(unicodedata.normalize("NFC", text))


def word_diff(old: str, new: str) -> tuple[tuple[str, str], ...]:
    """A word-level diff of two texts as ``(op, text)`` pairs (op: equal / delete / insert)."""
    a, b = _tokens(old), _tokens(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            out.append(("delete", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(("insert", "".join(b[j1:j2])))
    return tuple(out)


def _change(
    kind: str,
    part: str,
    old_no: int | None,
    new_no: int | None,
    heading: str,
    old_text: str,
    new_text: str,
    old_version: int,
    new_version: int,
) -> ArticleChange:
    names = {"preamble": "前文", "supplementary": "附則"}
    label_old = f"第{old_version}版 " + (names.get(part) or (f"第{old_no}条" if old_no else "（なし）"))
    label_new = f"第{new_version}版 " + (names.get(part) or (f"第{new_no}条" if new_no else "（なし）"))
    unified = tuple(
        line.rstrip("\n")
        for line in difflib.unified_diff(
            old_text.splitlines(), new_text.splitlines(), label_old, label_new, n=1, lineterm=""
        )
    )
    return ArticleChange(
        kind, part, old_no, new_no, heading, old_text, new_text, unified, word_diff(old_text, new_text)
    )


def _pair_block(olds: list[dict], news: list[dict]) -> list[tuple[dict | None, dict | None]]:
    """Pair the articles of one replaced block by similarity (an article inserted before a changed
    one must not be reported as the changed one); unpaired ones are removed / added."""
    scored = []
    for i, a in enumerate(olds):
        ta = article_as_text(a)
        for j, b in enumerate(news):
            ratio = difflib.SequenceMatcher(None, ta, article_as_text(b), autojunk=False).ratio()
            if a.get("heading") and a.get("heading") == b.get("heading"):
                ratio += 0.5  # same heading: almost surely the same article revised
            scored.append((ratio, i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs: list[tuple[dict | None, dict | None]] = []
    for ratio, i, j in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if ratio < 0.3 or i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        pairs.append((olds[i], news[j]))
    pairs += [(a, None) for i, a in enumerate(olds) if i not in used_a]
    pairs += [(None, b) for j, b in enumerate(news) if j not in used_b]
    return pairs


def diff_versions(old: TermsDocument, new: TermsDocument) -> list[ArticleChange]:
    """What changed from ``old`` to ``new``, article by article; unchanged articles are omitted.

    Articles are aligned by their content, not only their number, so that inserting an article
    reports one ``added`` article and ``renumbered`` for the ones after it (their citations
    change), rather than every later article as ``changed``. The preamble (前文) and the
    supplementary provisions (附則) are compared too: 渋谷 and 高松 give consent rules in their
    preamble.
    """
    ov, nv = old.version, new.version
    changes: list[tuple[tuple, ArticleChange]] = []
    old_pre, new_pre = "\n".join(old.raw.get("preamble", [])), "\n".join(new.raw.get("preamble", []))
    if old_pre != new_pre:
        kind = "added" if not old_pre else "removed" if not new_pre else "changed"
        changes.append(((0, 0), _change(kind, "preamble", None, None, "", old_pre, new_pre, ov, nv)))
    olds, news = old.articles, new.articles
    matcher = difflib.SequenceMatcher(None, [_body_key(a) for a in olds], [_body_key(b) for b in news], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs: list[tuple[dict | None, dict | None]] = list(zip(olds[i1:i2], news[j1:j2], strict=True))
        else:
            pairs = _pair_block(olds[i1:i2], news[j1:j2])
        for a, b in pairs:
            if a is not None and b is not None:
                if _body_key(a) == _body_key(b):
                    if a["number"] == b["number"]:
                        continue  # unchanged
                    kind = "renumbered"
                else:
                    kind = "changed"
                change = _change(
                    kind,
                    "article",
                    a["number"],
                    b["number"],
                    b.get("heading", ""),
                    article_as_text(a),
                    article_as_text(b),
                    ov,
                    nv,
                )
                order = (1, b["number"], 0)
            elif b is not None:
                change = _change(
                    "added", "article", None, b["number"], b.get("heading", ""), "", article_as_text(b), ov, nv
                )
                order = (1, b["number"], 0)
            else:
                assert a is not None
                change = _change(
                    "removed", "article", a["number"], None, a.get("heading", ""), article_as_text(a), "", ov, nv
                )
                # A removed article is listed where it stood (after the new article of that number).
                order = (1, a["number"], 1)
            changes.append((order, change))
    old_sup, new_sup = "\n".join(old.raw.get("supplementary", [])), "\n".join(new.raw.get("supplementary", []))
    if old_sup != new_sup:
        kind = "added" if not old_sup else "removed" if not new_sup else "changed"
        changes.append(((2, 0), _change(kind, "supplementary", None, None, "", old_sup, new_sup, ov, nv)))
    return [c for _, c in sorted(changes, key=lambda t: t[0])]


def render_changes(changes: list[ArticleChange], *, lang: str = "ja") -> str:
    """The changes as plain text (a summary line, then the line diff, per change)."""
    if not changes:
        from hwdesk.texts import tr

        return tr("revisions.none", lang)
    blocks = []
    for c in changes:
        blocks.append("\n".join([c.summary(lang), *c.unified]))
    return "\n\n".join(blocks)


def version_by_number(session: Session, *, office_id: str, version: int) -> TermsVersion:
    """One stored version of an office's terms by its number (NotFound otherwise)."""
    row = session.exec(
        select(TermsVersion).where(TermsVersion.office_id == office_id, TermsVersion.version == version)
    ).first()
    if row is None:
        raise NotFound(
            f"{office_id} の規約 第{version}版 はありません。", f"No version {version} of {office_id}'s terms."
        )
    return row


def diff_stored(
    session: Session, *, office_id: str, from_version: int | None = None, to_version: int | None = None
) -> tuple[TermsVersion, TermsVersion, list[ArticleChange]]:
    """Diff two stored versions (default: the newest against the one before it)."""
    versions = terms_versions(session, office_id)
    if not versions:
        raise NotFound(f"{office_id} の規約が登録されていません。", f"No terms are registered for {office_id}.")
    new = version_by_number(session, office_id=office_id, version=to_version) if to_version else versions[-1]
    if from_version:
        old = version_by_number(session, office_id=office_id, version=from_version)
    else:
        earlier = [v for v in versions if v.version < new.version]
        if not earlier:
            raise NotFound(
                f"{office_id} の規約 第{new.version}版 より前の版は登録されていません。",
                f"{office_id} has no version before {new.version} to compare with.",
            )
        old = earlier[-1]
    return old, new, diff_versions(document(old), document(new))


# --- who must be told ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifyEntry:
    """A seeker to tell of a revision, with the way to reach them and their next session."""

    seeker_id: int
    seeker_no: str
    name: str
    phone: str
    email: str
    consented_version: int  # the newest version of this office's terms they consented to
    consented_at: datetime
    last_session_at: datetime | None
    next_session_id: int | None
    next_session_start: datetime | None
    next_session_kind: str | None


def _get_version(session: Session, office_id: str, version_id: int) -> TermsVersion:
    tv = session.get(TermsVersion, version_id)
    if tv is None or tv.office_id != office_id:
        raise NotFound(
            f"{office_id} の規約版（ID {version_id}）はありません。",
            f"{office_id} has no terms version with id {version_id}.",
        )
    return tv


@guard("clerk")
def notify_list(
    session: Session,
    *,
    actor: Actor,
    office_id: str,
    version_id: int,
    active_months: int = 12,
    today: date | None = None,
) -> list[NotifyEntry]:
    """Seekers to tell of the revision ``version_id`` of ``office_id``'s terms, by 求職番号.

    Listed: a consent to an *earlier version of this office's terms* (a consent at another office
    is to another text and does not count), no consent to this or a later version, no notice of
    this or a later version, and active — an enrollment at this office in a session within the
    past ``active_months`` (up to today), or a booking (not cancelled) for a session on or after
    the effective date. Anonymized seekers are never listed. Four queries whatever the count.
    """
    if active_months < 1:
        raise ValidationFailed(
            "対象期間は1か月以上にしてください。",
            "The activity period must be at least one month.",
            field="active_months",
        )
    tv = _get_version(session, office_id, version_id)
    now = now_utc() if today is None else _day_start(today)
    today = today or today_jst()
    since = _day_start(today - relativedelta(months=active_months))
    until = _day_start(today + timedelta(days=1))
    effective = _day_start(tv.effective_on)

    newer = select(TermsVersion.id).where(TermsVersion.office_id == office_id, TermsVersion.version >= tv.version)
    consented_newer = select(Consent.seeker_id).where(
        Consent.office_id == office_id, col(Consent.terms_version_id).in_(newer)
    )
    notified = select(TermsNotice.seeker_id).where(col(TermsNotice.terms_version_id).in_(newer))
    start = col(SessionRow.start_at)
    active = (
        select(Enrollment.seeker_id)
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            SessionRow.office_id == office_id,
            or_(
                and_(start >= since, start < until),
                and_(start >= effective, col(Enrollment.state) != "cancelled", col(SessionRow.state) != "cancelled"),
            ),
        )
    )
    where = (
        Consent.office_id == office_id,
        TermsVersion.version < tv.version,
        col(Seeker.anonymized_at).is_(None),
        col(Seeker.id).not_in(consented_newer),
        col(Seeker.id).not_in(notified),
        col(Seeker.id).in_(active),
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            Seeker.id,
            Seeker.seeker_no,
            Seeker.name,
            Seeker.phone,
            Seeker.email,
            func.max(TermsVersion.version),
            func.max(Consent.given_at),
        )
        .join(Consent, col(Consent.seeker_id) == Seeker.id)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(*where)
        .group_by(Seeker.id, Seeker.seeker_no, Seeker.name, Seeker.phone, Seeker.email)
        .order_by(col(Seeker.seeker_no))
    ).all()
    if not rows:
        return []
    candidates = (
        select(Consent.seeker_id)
        .join(Seeker, col(Seeker.id) == Consent.seeker_id)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(*where)
    )
    nxt = _next_sessions(session, office_id=office_id, seeker_ids=candidates, after=now)
    last = dict(
        session.exec(
            select(Enrollment.seeker_id, func.max(SessionRow.start_at))
            .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
            .where(
                SessionRow.office_id == office_id,
                col(Enrollment.seeker_id).in_(candidates),
                start < now,
                Enrollment.state != "cancelled",
                SessionRow.state != "cancelled",
            )
            .group_by(col(Enrollment.seeker_id))
        ).all()
    )
    out = []
    for sid, no, name, phone, email, version, given in rows:
        n = nxt.get(sid)
        out.append(
            NotifyEntry(
                sid,
                no,
                name,
                phone,
                email,
                version,
                given,
                last.get(sid),
                n[0] if n else None,
                n[1] if n else None,
                n[2] if n else None,
            )
        )
    return out


def _next_sessions(
    session: Session, *, office_id: str, seeker_ids, after: datetime
) -> dict[int, tuple[int, datetime, str]]:
    """Each seeker's next live session at the office (one query: a window over the bookings)."""
    rn = (
        func.row_number()
        .over(partition_by=col(Enrollment.seeker_id), order_by=(col(SessionRow.start_at), col(SessionRow.id)))
        .label("rn")
    )
    inner = (
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            col(Enrollment.seeker_id).label("sid"),
            col(SessionRow.id).label("sess"),
            col(SessionRow.start_at).label("start"),
            col(SessionRow.kind).label("kind"),
            rn,
        )
        .join(SessionRow, col(SessionRow.id) == Enrollment.session_id)
        .where(
            SessionRow.office_id == office_id,
            col(SessionRow.start_at) >= after,
            col(SessionRow.state).in_(LIVE_SESSION_STATES),
            col(Enrollment.state).in_(ACTIVE_STATES),
            col(Enrollment.seeker_id).in_(seeker_ids),
        )
        .subquery()
    )
    rows = session.exec(select(inner.c.sid, inner.c.sess, inner.c.start, inner.c.kind).where(inner.c.rn == 1)).all()
    return {sid: (sess, start, kind) for sid, sess, start, kind in rows}


# --- per-day warning (queue / readiness panel) --------------------------------------------------


@dataclass(frozen=True)
class UnnotifiedSession:
    """A seeker in a session on a day when a newer text is in force than the one they consented
    to, with no notice of it: the clerk should tell them (at the latest at the session's start)."""

    session_id: int
    start_at: datetime
    kind: str
    seeker_id: int
    seeker_no: str
    name: str
    consented_version: int
    in_force_version: int
    in_force_id: int
    effective_on: date


@guard("clerk")
def unnotified_sessions(session: Session, *, actor: Actor, office_id: str, day: date) -> list[UnnotifiedSession]:
    """Sessions on ``day`` (JST) at the office whose seekers consented to an older version than the
    one in force that day and were not notified of it (or of a later one). Cancelled sessions and
    cancelled bookings are left out. Three queries."""
    versions = terms_versions(session, office_id)
    in_force = version_in_force(versions, day)
    if in_force is None or not any(v.version < in_force.version for v in versions):
        return []  # no earlier text anyone could have consented to
    newer_ids = [v.id for v in versions if v.version >= in_force.version]
    lo, hi = _day_start(day), _day_start(day + timedelta(days=1))
    day_where = (
        SessionRow.office_id == office_id,
        col(SessionRow.start_at) >= lo,
        col(SessionRow.start_at) < hi,
        SessionRow.state != "cancelled",
        Enrollment.state != "cancelled",
    )
    day_seekers = (
        select(Enrollment.seeker_id).join(SessionRow, col(SessionRow.id) == Enrollment.session_id).where(*day_where)
    )
    newest = (
        select(col(Consent.seeker_id).label("sid"), func.max(TermsVersion.version).label("v"))
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .where(Consent.office_id == office_id, col(Consent.seeker_id).in_(day_seekers))
        .group_by(col(Consent.seeker_id))
        .subquery()
    )
    notified = select(TermsNotice.seeker_id).where(col(TermsNotice.terms_version_id).in_(newer_ids))
    rows = session.exec(
        select(  # type: ignore[call-overload]  # SQLModel types select() for at most four columns
            SessionRow.id, SessionRow.start_at, SessionRow.kind, Seeker.id, Seeker.seeker_no, Seeker.name, newest.c.v
        )
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .join(Seeker, col(Seeker.id) == Enrollment.seeker_id)
        .join(newest, newest.c.sid == Seeker.id)
        .where(*day_where, newest.c.v < in_force.version, col(Seeker.id).not_in(notified))
        .order_by(col(SessionRow.start_at), col(SessionRow.id), col(Seeker.seeker_no))
    ).all()
    return [
        UnnotifiedSession(sid, start, kind, skid, no, name, v, in_force.version, in_force.id, in_force.effective_on)
        for sid, start, kind, skid, no, name, v in rows
    ]


# --- a seeker's history -------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEvent:
    """A consent or a revision notice, as it happened."""

    kind: str  # "consent" or "notice"
    at: datetime
    version: int
    terms_version_id: int
    method: str
    recorded_by: str  # staff login ('' for the system)


@dataclass(frozen=True)
class SessionTerms:
    """One of the seeker's sessions and where they stood with the text in force that day.

    ``standing``: ``consented`` (consented to that very text before the session ended),
    ``notified`` (consented to an older one and told of this one), ``outdated`` (consented to an
    older one, not told), ``none`` (no consent at this office by then).
    """

    session_id: int
    start_at: datetime
    kind: str
    session_state: str
    enrollment_state: str
    in_force_version: int
    in_force_effective_on: date
    consented_version: int | None
    consented: bool
    notified: bool
    standing: str


@dataclass(frozen=True)
class OfficeHistory:
    """A seeker's dealings with one office's terms."""

    office_id: str
    office_name: str
    events: list[HistoryEvent] = field(default_factory=list)
    sessions: list[SessionTerms] = field(default_factory=list)


@guard("clerk")
def history(session: Session, *, actor: Actor, seeker_id: int) -> list[OfficeHistory]:
    """Per office (by id): consents and notices in time order, and for each of the seeker's sessions
    the terms version in force on its day and whether the seeker had consented to it or been told
    of it by the end of that session (a notice given at the start of a session counts for it).
    Five queries."""
    if session.get(Seeker, seeker_id) is None:
        raise NotFound(f"求職者 {seeker_id} はありません。", f"No seeker {seeker_id}.")
    consents = session.exec(
        select(Consent, TermsVersion, Staff.login)
        .join(TermsVersion, col(TermsVersion.id) == Consent.terms_version_id)
        .outerjoin(Staff, col(Staff.id) == Consent.recorded_by)
        .where(Consent.seeker_id == seeker_id)
    ).all()
    notices = session.exec(
        select(TermsNotice, TermsVersion, Staff.login)
        .join(TermsVersion, col(TermsVersion.id) == TermsNotice.terms_version_id)
        .outerjoin(Staff, col(Staff.id) == TermsNotice.recorded_by)
        .where(TermsNotice.seeker_id == seeker_id)
    ).all()
    sessions = session.exec(
        select(SessionRow, Enrollment.state)
        .join(Enrollment, col(Enrollment.session_id) == SessionRow.id)
        .where(Enrollment.seeker_id == seeker_id)
        .order_by(col(SessionRow.start_at), col(SessionRow.id))
    ).all()
    offices = sorted(
        {c.office_id for c, _, _ in consents}
        | {t.office_id for _, t, _ in notices}
        | {r.office_id for r, _ in sessions}
    )
    if not offices:
        return []
    names = dict(session.exec(select(Office.id, Office.name).where(col(Office.id).in_(offices))).all())
    versions: dict[str, list[TermsVersion]] = defaultdict(list)
    for v in session.exec(
        select(TermsVersion).where(col(TermsVersion.office_id).in_(offices)).order_by(col(TermsVersion.version))
    ):
        versions[v.office_id].append(v)
    out = []
    for office in offices:
        events = [
            HistoryEvent("consent", c.given_at, t.version, t.id, c.method, login or "")
            for c, t, login in consents
            if c.office_id == office
        ]
        events += [
            HistoryEvent("notice", n.notified_at, t.version, t.id, n.method, login or "")
            for n, t, login in notices
            if t.office_id == office
        ]
        events.sort(key=lambda e: (e.at, e.kind))
        rows = []
        for r, e_state in sessions:
            if r.office_id != office:
                continue
            day = r.start_at.astimezone(JST).date()
            tv = version_in_force(versions[office], day)
            if tv is None:
                continue  # an office without terms: nothing to say about this session
            # Anything recorded up to the session's end counts for it: 前橋 records consent at use,
            # and a notice "at the start of a session" is made once it has begun.
            upto = [ev for ev in events if ev.at <= r.end_at]
            consented_versions = [ev.version for ev in upto if ev.kind == "consent"]
            newest = max(consented_versions) if consented_versions else None
            consented = newest is not None and newest >= tv.version
            notified = any(ev.kind == "notice" and ev.version >= tv.version for ev in upto)
            standing = (
                "consented"
                if consented
                else "notified"
                if newest is not None and notified
                else "outdated"
                if newest is not None
                else "none"
            )
            rows.append(
                SessionTerms(
                    r.id,
                    r.start_at,
                    r.kind,
                    r.state,
                    e_state,
                    tv.version,
                    tv.effective_on,
                    newest,
                    consented,
                    notified,
                    standing,
                )
            )
        out.append(OfficeHistory(office, names.get(office, office), events, rows))
    return out


__all__ = [
    "ArticleChange",
    "CHANGE_KINDS",
    "CHANGE_LABELS",
    "diff_versions",
    "word_diff",
    "render_changes",
    "version_by_number",
    "diff_stored",
    "NotifyEntry",
    "notify_list",
    "UnnotifiedSession",
    "unnotified_sessions",
    "HistoryEvent",
    "SessionTerms",
    "OfficeHistory",
    "history",
]
