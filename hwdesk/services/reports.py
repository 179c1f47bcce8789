"""Daily and monthly figures per office, with small cells suppressed.

Every count in a report is a ``Figure``: its value, or — when it is under the threshold (default
5) — ``None`` shown as ``"<5"``. A count of at least the threshold hidden only to protect a small
one shows ``"*"`` (``"<5"`` would misstate it). A rate or mean built on a suppressed count is
suppressed too and shows ``"x"``: one mark for counts, another for rates, as the legends say.
Suppression is applied here, in the service, so no screen or export can show a small cell by
mistake; the raw counts never leave this module.

Every table states its unit (``Breakdown.unit``: sessions, seats, records …), and the tables that
count the same things agree: sessions by kind = sessions by state less the cancelled ones = the
daily series of sessions; the daily cancellations = the cancelled sessions = sessions cancelled by
reason; the daily no-shows = the no-show seats = the absent and connection-failed bookings.

Within each breakdown (a group of cells with a total) one suppressed cell alone could be
recovered by subtracting the others from the total, so a second cell is then suppressed too
(secondary suppression); the daily series of a month is treated as a group whose total is the
month's figure.

Usage records (前橋 第4条, 渋谷 第4条, 高松 第7条) enter the statistics only as counts: records,
distinct participants, device classes and OS families from a fixed vocabulary (the platform's
free text is classified, never shown) and mean minutes connected. No identifier, not even a
pseudonym, is in a report.

Dataclasses only (no UI): a screen draws ``Breakdown.items`` as bars and ``OfficeReport.series``
as a sparkline (``None`` = suppressed: draw a gap).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from hwdesk.clock import JST, today_jst
from hwdesk.errors import ValidationFailed
from hwdesk.jtext.dates import format_wareki
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
from hwdesk.models import (
    Session as SessionRow,
)
from hwdesk.services.context import Actor, require_office
from hwdesk.services.offices import profile, terms_versions, version_in_force
from hwdesk.states import ACTIVE_STATES, EXPECTED_STATES, LIVE_SESSION_STATES, NO_SHOW_STATES
from hwdesk.terms import SERVICE_LABELS

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 2  # 1 would switch suppression off: refused
SUPPRESSED_RATE = "x"  # 秘匿: a rate or mean on a suppressed count
PROTECTED_MARK = "*"  # a count of at least the threshold hidden only to protect a small one

DEVICE_CLASSES = {
    "pc": ("パソコン", "PC"),
    "smartphone": ("スマートフォン", "Smartphone"),
    "tablet": ("タブレット", "Tablet"),
    "browser": ("ブラウザ", "Web browser"),
    "phone": ("電話（音声のみ）", "Telephone (audio only)"),
    "other": ("その他・不明", "Other / unknown"),
}
OS_FAMILIES = {
    "windows": ("Windows", "Windows"),
    "macos": ("macOS", "macOS"),
    "ios": ("iOS / iPadOS", "iOS / iPadOS"),
    "android": ("Android", "Android"),
    "chromeos": ("ChromeOS", "ChromeOS"),
    "linux": ("Linux", "Linux"),
    "other": ("その他・不明", "Other / unknown"),
}


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


# --- suppression --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A count as it may be shown: ``value`` is None when suppressed and ``text`` is then '<5'."""

    value: int | None
    text: str

    @property
    def suppressed(self) -> bool:
        """Whether the count is hidden (under the threshold, or to protect another cell)."""
        return self.value is None

    def json(self) -> int | str:
        """The number, or the '<5' text when suppressed."""
        return self.text if self.value is None else self.value


@dataclass(frozen=True)
class Derived:
    """A rate or mean built on counts; ``value`` None (text 'x') when a count under it is suppressed."""

    value: float | None
    text: str

    @property
    def suppressed(self) -> bool:
        """Whether the value is hidden."""
        return self.value is None

    def json(self) -> float | str:
        """The value, or 'x' when suppressed."""
        return self.text if self.value is None else self.value


@dataclass(frozen=True)
class Policy:
    """Small-cell suppression: counts under ``threshold`` are hidden (zeros too, unless ``keep_zero``)."""

    threshold: int = DEFAULT_THRESHOLD
    keep_zero: bool = False

    def __post_init__(self) -> None:
        if self.threshold < MIN_THRESHOLD:
            raise ValidationFailed(
                f"秘匿の閾値は{MIN_THRESHOLD}以上にしてください。",
                f"The suppression threshold must be at least {MIN_THRESHOLD}.",
                field="threshold",
            )

    @property
    def mark(self) -> str:
        """What a suppressed count shows: '<5'."""
        return f"<{self.threshold}"

    def small(self, n: int) -> bool:
        """Whether ``n`` is a small cell."""
        return n < self.threshold and not (n == 0 and self.keep_zero)

    def hidden(self) -> Figure:
        """A small cell, suppressed: '<5'."""
        return Figure(None, self.mark)

    def protected(self) -> Figure:
        """A cell of at least the threshold hidden only to protect a small one: '*', not '<5', which
        would misstate it, nor 'x', which marks rates."""
        return Figure(None, PROTECTED_MARK)

    def figure(self, n: int) -> Figure:
        """One count on its own (primary suppression only)."""
        return self.hidden() if self.small(n) else Figure(n, str(n))

    def group(
        self, counts: list[int], total: int, *, linked_total: Figure | None = None
    ) -> tuple[list[Figure], Figure]:
        """Cells and their total, with secondary suppression so no hidden cell is recoverable by
        subtraction: if exactly one cell is hidden while the total is shown, the smallest shown
        cell is hidden too.

        ``linked_total`` is the total as another table already shows it (e.g. the 'cancelled'
        cell of sessions by state is the total of cancellations by reason): it is used as is, so
        the two tables agree, and when it is hidden at least one cell is hidden too, so adding the
        cells cannot uncover it.
        """
        small = [self.small(n) for n in counts]
        protect = [False] * len(counts)
        total_fig = (
            linked_total
            if linked_total is not None
            else (self.hidden() if self.small(total) else Figure(total, str(total)))
        )
        shown = [(n, i) for i, n in enumerate(counts) if not small[i]]
        if shown and ((not total_fig.suppressed and sum(small) == 1) or (total_fig.suppressed and not any(small))):
            protect[min(shown)[1]] = True
        return [
            self.hidden() if sm else self.protected() if pr else Figure(n, str(n))
            for n, sm, pr in zip(counts, small, protect, strict=True)
        ], total_fig

    def combine(self, parts: list[Figure], values: list[int]) -> Figure:
        """The sum of some cells of a table as its own figure, consistent with how they are shown:
        all shown → the sum; exactly one hidden → hidden (the sum would uncover it); several
        hidden → the sum, suppressed if small (their sum is no more than the table's total gives)."""
        hidden = sum(1 for f in parts if f.suppressed)
        if hidden == 1:
            return self.protected()
        return self.figure(sum(values)) if hidden else Figure(sum(values), str(sum(values)))

    def rate(self, num: Figure, den: Figure, *, percent: bool = True) -> Derived:
        """num / den, suppressed when either is (a rate reveals its numerator given the base)."""
        if num.value is None or den.value is None or den.value == 0:
            return Derived(None, SUPPRESSED_RATE)
        r = num.value / den.value
        return Derived(round(r, 4), f"{r * 100:.1f}%" if percent else f"{r:.1f}")


@dataclass(frozen=True)
class Item:
    """One cell of a breakdown."""

    key: str
    label_ja: str
    label_en: str
    figure: Figure

    def label(self, lang: str = "ja") -> str:
        """The cell's label in ``lang``."""
        return self.label_en if lang == "en" else self.label_ja


@dataclass(frozen=True)
class Breakdown:
    """A count split by one attribute (kind, state, reason …) with its total: drawn as bars.
    ``unit_ja`` / ``unit_en`` name what is counted (件 sessions, 席 seats …)."""

    key: str
    title_ja: str
    title_en: str
    items: list[Item]
    total: Figure
    unit_ja: str = "件"
    unit_en: str = "count"

    def title(self, lang: str = "ja") -> str:
        """The breakdown's title in ``lang``."""
        return self.title_en if lang == "en" else self.title_ja

    def unit(self, lang: str = "ja") -> str:
        """What the table counts, in ``lang``."""
        return self.unit_en if lang == "en" else self.unit_ja

    def values(self) -> list[int | None]:
        """Bar lengths (None = suppressed)."""
        return [i.figure.value for i in self.items]

    def as_dict(self) -> dict:
        """JSON form: suppressed cells as '<5'."""
        return {
            "title": self.title_ja,
            "title_en": self.title_en,
            "unit": self.unit_ja,
            "unit_en": self.unit_en,
            "total": self.total.json(),
            "items": [
                {"key": i.key, "label": i.label_ja, "label_en": i.label_en, "value": i.figure.json()}
                for i in self.items
            ],
        }


@dataclass(frozen=True)
class DayPoint:
    """One day of the period: a point of each sparkline."""

    day: date
    sessions: Figure
    no_shows: Figure
    cancellations: Figure


@dataclass(frozen=True)
class OfficeReport:
    """An office's figures for a period (a day, a month, or any range), already suppressed."""

    office_id: str
    office_name: str
    date_from: date
    date_to: date
    threshold: int
    as_of: date  # the day the 'outstanding' figures describe
    sessions_by_kind: Breakdown
    sessions_by_state: Breakdown
    bookings_by_state: Breakdown
    no_shows: Breakdown
    no_show_rate: Derived
    session_cancellations: Breakdown
    booking_cancellations: Breakdown
    terminations: Breakdown
    companions: Breakdown
    interpreter_languages: Breakdown
    consents_recorded: Breakdown
    notices_recorded: Breakdown
    notices_outstanding: Figure
    consents_outstanding: Figure
    usage_records: Figure
    usage_participants: Figure
    usage_by_device: Breakdown
    usage_by_os: Breakdown
    usage_mean_minutes: Derived
    daily: list[DayPoint] = field(default_factory=list)

    def breakdowns(self) -> list[Breakdown]:
        """Every breakdown in display order."""
        return [
            self.sessions_by_kind,
            self.sessions_by_state,
            self.bookings_by_state,
            self.no_shows,
            self.session_cancellations,
            self.booking_cancellations,
            self.terminations,
            self.companions,
            self.interpreter_languages,
            self.consents_recorded,
            self.notices_recorded,
            self.usage_by_device,
            self.usage_by_os,
        ]

    def singles(self) -> list[tuple[str, str, str, Figure | Derived]]:
        """The figures that stand alone: (key, label ja, label en, figure)."""
        return [
            (
                "no_show_rate",
                "無断欠席・不参加率（席、受付・完了・中止・不参加の席に対する割合）",
                "No-show rate (seats, of those checked in, completed, stopped or no-show)",
                self.no_show_rate,
            ),
            (
                "notices_outstanding",
                "改訂の告知未了（人）",
                "Revision notices outstanding (seekers)",
                self.notices_outstanding,
            ),
            (
                "consents_outstanding",
                "予約ありで同意未記録（人）",
                "Booked without a consent (seekers)",
                self.consents_outstanding,
            ),
            ("usage_records", "利用の記録（件）", "Usage records (records)", self.usage_records),
            (
                "usage_participants",
                "参加者数（識別子の異なり数、人）",
                "Distinct participants (people)",
                self.usage_participants,
            ),
            ("usage_mean_minutes", "平均接続時間（分）", "Mean minutes connected (minutes)", self.usage_mean_minutes),
        ]

    def series(self, name: str) -> list[int | None]:
        """A daily series for a sparkline: ``sessions``, ``no_shows`` or ``cancellations``."""
        if name not in SERIES:
            raise KeyError(name)
        return [getattr(p, name).value for p in self.daily]

    def series_total(self, name: str) -> Figure:
        """The period's total of a daily series, as the table it sums shows it: sessions → sessions
        by kind (not cancelled), no_shows → the no-show seats, cancellations → sessions cancelled."""
        return {
            "sessions": self.sessions_by_kind.total,
            "no_shows": self.no_shows.total,
            "cancellations": self.session_cancellations.total,
        }[name]

    def as_dict(self) -> dict:
        """The whole report as JSON-able data (suppressed cells as '<5', rates as 'x')."""
        return {
            "office": self.office_id,
            "office_name": self.office_name,
            "date_from": self.date_from.isoformat(),
            "date_from_wareki": format_wareki(self.date_from),
            "date_to": self.date_to.isoformat(),
            "date_to_wareki": format_wareki(self.date_to),
            "suppression": {"threshold": self.threshold, "mark": f"<{self.threshold}", "rate_mark": SUPPRESSED_RATE},
            "outstanding_as_of": self.as_of.isoformat(),
            "breakdowns": {b.key: b.as_dict() for b in self.breakdowns()},
            "figures": {k: {"label": ja, "label_en": en, "value": f.json()} for k, ja, en, f in self.singles()},
            "suppression_marks": {"small": f"<{self.threshold}", "protected": PROTECTED_MARK, "rate": SUPPRESSED_RATE},
            "daily_units": {
                k: {"label": ja, "label_en": en, "unit": uja, "unit_en": uen, "total": self.series_total(k).json()}
                for k, (ja, en, uja, uen) in SERIES.items()
            },
            "daily": [
                {
                    "date": p.day.isoformat(),
                    "wareki": format_wareki(p.day),
                    "sessions": p.sessions.json(),
                    "no_shows": p.no_shows.json(),
                    "cancellations": p.cancellations.json(),
                }
                for p in self.daily
            ],
        }


# The daily series: label, and unit (ja, en) — each the day's share of a table's total (series_total).
SERIES = {
    "sessions": ("日別セッション数（取消しを除く）", "Sessions per day (not cancelled)", "件", "sessions"),
    "no_shows": ("日別の無断欠席・不参加（予約の席数）", "No-show seats per day", "席", "seats"),
    "cancellations": ("日別の取り消したセッション数", "Sessions cancelled per day", "件", "sessions"),
}


# --- classification of usage records (free text → fixed vocabulary) -----------------------------


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold()


def device_class(device_kind: str, os_name: str = "") -> str:
    """The platform's reported device kind (falling back to the OS) as one of DEVICE_CLASSES."""
    for text in (_norm(device_kind), _norm(os_name)):
        if not text:
            continue
        if re.search(r"ipad|tablet|タブレット", text):
            return "tablet"
        if re.search(r"iphone|android|smart ?phone|mobile|スマホ|スマートフォン|携帯|\bios\b", text):
            return "smartphone"
        if re.search(r"web|browser|ブラウザ", text):
            return "browser"
        if re.search(r"dial|phone|tel|電話", text):
            return "phone"
        if re.search(
            r"\bpc\b|windows|mac|linux|desktop|laptop|パソコン|chrome ?os|chromebook|パーソナルコンピュータ", text
        ):
            return "pc"
    return "other"


def os_family(os_name: str) -> str:
    """The reported OS as one of OS_FAMILIES (version strings and build numbers dropped)."""
    text = _norm(os_name)
    if re.search(r"chrome ?os|chromebook", text):
        return "chromeos"
    if re.search(r"windows|\bwin ?\d", text):
        return "windows"
    if re.search(r"ipados|iphone|ipad|\bios\b", text):
        return "ios"
    if re.search(r"mac ?os|os ?x|macintosh|\bmac\b", text):
        return "macos"
    if "android" in text:
        return "android"
    if re.search(r"linux|ubuntu|debian|fedora", text):
        return "linux"
    return "other"


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
    by_kind = Counter(k for _, k, s, _, _ in sessions if s != "cancelled")  # as the daily series: not cancelled
    by_state = Counter(s for _, _, s, _, _ in sessions)
    s_cancel = Counter((r or "unknown") for _, _, s, r, _ in sessions if s == "cancelled")
    day_sessions: Counter = Counter(day_of[sid] for sid, _, s, _, _ in sessions if s != "cancelled")
    day_cancel: Counter = Counter(day_of[sid] for sid, _, s, _, _ in sessions if s == "cancelled")
    enrollments = session.exec(
        select(Enrollment.session_id, Enrollment.state, Enrollment.cancel_reason).where(
            col(Enrollment.session_id).in_(select(SessionRow.id).where(*in_period))
        )
    ).all()
    e_state = Counter(s for _, s, _ in enrollments)
    e_cancel = Counter((r or "unknown") for _, s, r in enrollments if s == "cancelled")
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
        "no_show": ("無断欠席・不参加となったセッション", "Sessions nobody attended (no-show)"),
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
            [i.figure for i in sessions_by_state.items if i.key != "cancelled"],
            [by_state.get(k, 0) for k in SESSION_STATES if k != "cancelled"],
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
        linked_total=s_cell["cancelled"].figure,
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
            linked_total=b_cell["cancelled"].figure,
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


def legend(threshold: int, lang: str = "ja") -> str:
    """What the suppression marks mean, for every place a report is shown."""
    from hwdesk.texts import tr

    return tr("reports.legend", lang, threshold=threshold, protected=PROTECTED_MARK, suppressed=SUPPRESSED_RATE)


def daily_report(
    session: Session,
    *,
    office_id: str,
    day: date,
    threshold: int = DEFAULT_THRESHOLD,
    keep_zero: bool = False,
    actor: Actor | None = None,
    today: date | None = None,
) -> OfficeReport:
    """One day's figures (a period of one day)."""
    return period_report(
        session,
        office_id=office_id,
        date_from=day,
        date_to=day,
        threshold=threshold,
        keep_zero=keep_zero,
        actor=actor,
        today=today,
    )


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    if not 1 <= month <= 12:
        raise ValidationFailed("月は1〜12です。", "The month is 1 to 12.", field="month")
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def parse_month(text: str) -> tuple[int, int]:
    """'2026-03' (or '2026/3', '2026年3月') → (2026, 3)."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?\s*", unicodedata.normalize("NFKC", text or ""))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationFailed(
            f"月は YYYY-MM の形式で入力してください（入力: {text}）。",
            f"Enter the month as YYYY-MM (got: {text}).",
            field="month",
        )
    return int(m.group(1)), int(m.group(2))


def monthly_report(
    session: Session,
    *,
    office_id: str,
    year: int,
    month: int,
    threshold: int = DEFAULT_THRESHOLD,
    keep_zero: bool = False,
    actor: Actor | None = None,
    today: date | None = None,
) -> OfficeReport:
    """A month's figures with the daily series for sparklines."""
    first, last = month_bounds(year, month)
    return period_report(
        session,
        office_id=office_id,
        date_from=first,
        date_to=last,
        threshold=threshold,
        keep_zero=keep_zero,
        actor=actor,
        today=today,
    )


def report_rows(report: OfficeReport) -> list[list[object]]:
    """The report as flat rows for a CSV: section, key, label (ja), label (en), value, then the
    daily series with ISO and 和暦 dates. Every count is already suppressed."""
    rows: list[list[object]] = [
        ["section", "key", "label", "label_en", "value", "date", "date_wareki"],
        [
            "period",
            "date_from",
            "期間（開始）",
            "From",
            "",
            report.date_from.isoformat(),
            format_wareki(report.date_from),
        ],
        ["period", "date_to", "期間（終了）", "To", "", report.date_to.isoformat(), format_wareki(report.date_to)],
        [
            "period",
            "outstanding_as_of",
            "未了件数の基準日",
            "Outstanding figures as of",
            "",
            report.as_of.isoformat(),
            format_wareki(report.as_of),
        ],
        [
            "suppression",
            "threshold",
            legend(report.threshold, "ja"),
            legend(report.threshold, "en"),
            report.threshold,
            "",
            "",
        ],
    ]
    for b in report.breakdowns():
        unit_ja, unit_en = f"（単位: {b.unit_ja}）", f" (unit: {b.unit_en})"
        for i in b.items:
            rows.append(
                [
                    b.key,
                    i.key,
                    f"{b.title_ja}: {i.label_ja}{unit_ja}",
                    f"{b.title_en}: {i.label_en}{unit_en}",
                    i.figure.text,
                    "",
                    "",
                ]
            )
        rows.append(
            [b.key, "total", f"{b.title_ja}: 計{unit_ja}", f"{b.title_en}: total{unit_en}", b.total.text, "", ""]
        )
    for key, ja, en, f in report.singles():
        rows.append(["figures", key, ja, en, f.text, "", ""])
    for p in report.daily:
        for name, (ja, en, uja, uen) in SERIES.items():
            rows.append(
                [
                    f"daily_{name}",
                    p.day.isoformat(),
                    f"{ja}（単位: {uja}）",
                    f"{en} (unit: {uen})",
                    getattr(p, name).text,
                    p.day.isoformat(),
                    format_wareki(p.day),
                ]
            )
    return rows


__all__ = [
    "DEFAULT_THRESHOLD",
    "MIN_THRESHOLD",
    "SUPPRESSED_RATE",
    "PROTECTED_MARK",
    "SERIES",
    "legend",
    "DEVICE_CLASSES",
    "OS_FAMILIES",
    "Figure",
    "Derived",
    "Policy",
    "Item",
    "Breakdown",
    "DayPoint",
    "OfficeReport",
    "device_class",
    "os_family",
    "period_report",
    "daily_report",
    "monthly_report",
    "month_bounds",
    "parse_month",
    "report_rows",
]
