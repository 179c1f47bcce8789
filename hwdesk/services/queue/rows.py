"""The queue's view types: a session's row, its seekers and companions, its readiness warnings.

``WARNINGS`` lists the readiness warnings in the order a row shows them; ``SOON`` is how close to
its start a session warns about seekers not checked in yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hwdesk.services.consent import COMPANION_LABELS
from hwdesk.services.scheduling import is_group
from hwdesk.states import SEAT_STATES, SeatState, state_label
from hwdesk.terms import service_label
from hwdesk.texts import pick, tr

SOON = timedelta(minutes=15)
# Readiness warnings in the order the row shows them: first a seated seeker's failed conditions of
# use (keyed by ``eligibility.Requirement.code``, decided by the rule engine), then the session's own.
WARNINGS = {
    "service_not_offered": ("実施していないサービス", "Service not offered"),
    "no_consent": ("同意未記録", "No consent recorded"),
    "terms_revised": ("規約改訂の告知未了", "Terms revised, not yet notified"),
    "no_registration": ("求職登録未完了", "Registration not complete"),
    "registration_lapses": ("実施日までに求職登録の有効期間切れ", "Registration lapses before the session"),
    "no_webcam": ("WEBカメラ端末未確認", "No webcam device confirmed"),
    "no_env_check": ("利用環境の確認なし", "No environment check"),
    "env_failed": ("利用環境に不備", "Environment check failed"),
    "no_private_room": ("個室等の環境未確認", "No private room confirmed"),
    "no_approval": ("必要性の認定・継続相談の希望なし", "Need not recognized / no wish recorded"),
    "stopped": ("利用中止中", "Use stopped"),
    "agreement_ended": ("解約後の再申込みなし", "Agreement ended, no new application"),
    "no_link": ("参加URL未設定", "No join link yet"),
    "not_checked_in": ("開始15分前・未受付", "Starting within 15 min, not checked in"),
}

# --- view types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowWarning:
    """A readiness warning on a row; ``seekers`` are the 求職番号 it concerns (empty: the session)."""

    key: str
    cite: str = ""
    seekers: tuple[str, ...] = ()

    def text(self, lang: str = "ja") -> str:
        """The warning in ``lang``, with the article and the count of seekers in a group."""
        ja, en = WARNINGS[self.key]
        base = pick(ja, en, lang)
        if self.cite:
            base += tr("q.paren", lang, text=self.cite)
        if len(self.seekers) > 1:
            base += f" ×{len(self.seekers)}"
        return base


@dataclass(frozen=True)
class Companion:
    """A companion announced for a seeker (standing, or for this session)."""

    seeker_no: str
    kind: str
    language: str
    unannounced: bool

    def label(self, lang: str = "ja") -> str:
        """'通訳（ベトナム語）' / 'Interpreter (ベトナム語)'."""
        ja, en = COMPANION_LABELS.get(self.kind, (self.kind, self.kind))
        base = pick(ja, en, lang)
        if self.language:
            base += tr("q.paren", lang, text=self.language)
        if self.unannounced:
            base += tr("q.unannounced", lang)
        return base


@dataclass(frozen=True)
class SeekerBrief:
    """A seeker in a session as the queue shows them."""

    id: int
    seeker_no: str
    name: str
    phone: str
    state: str
    waitlist_pos: int | None
    override_reason: str
    offered_until: datetime | None = None
    stopped: str | None = None  # the article of a stop of use covering this booking (None: not stopped)


@dataclass(frozen=True)
class QueueRow:
    """One session in the queue (time order)."""

    id: int
    kind: str
    title: str
    start: datetime
    end: datetime
    state: str
    staff_id: int
    staff_login: str
    staff_name: str
    capacity: int
    platform: str
    join_url: str
    seekers: tuple[SeekerBrief, ...]
    companions: tuple[Companion, ...]
    warnings: tuple[RowWarning, ...]
    seeker_warnings: dict = field(default_factory=dict, compare=False, hash=False)
    interpreting: tuple = ()  # interpreters.Cover per language the seekers' notices ask for (live rows)

    @property
    def group(self) -> bool:
        """Whether this is a group session (capacity, waitlist)."""
        return is_group(self.kind)

    @property
    def seeker(self) -> SeekerBrief | None:
        """An individual session's seeker (None when the slot is free or for groups)."""
        if self.group:
            return None
        return next((s for s in self.seekers if s.state != SeatState.WAITLISTED), None)

    @property
    def enrolled(self) -> int:
        """Seats taken (booked, offered, checked in)."""
        return sum(1 for s in self.seekers if s.state in SEAT_STATES)

    @property
    def waiting(self) -> int:
        """Seekers on the waitlist."""
        return sum(1 for s in self.seekers if s.state == SeatState.WAITLISTED)

    @property
    def overrides(self) -> int:
        """Bookings made by a supervisor's override."""
        return sum(1 for s in self.seekers if s.override_reason)

    def kind_label(self, lang: str = "ja") -> str:
        """The service kind in ``lang``."""
        return service_label(self.kind, lang)

    def state_label(self, lang: str = "ja") -> str:
        """The state in ``lang``."""
        return state_label(self.state, lang)

    def who(self, lang: str = "ja") -> str:
        """'13080-123 山田 太郎' for an individual session, '12/20 (待3)' for a group."""
        if self.group:
            wait = tr("q.wait", lang, n=self.waiting) if self.waiting else ""
            return f"{self.enrolled}/{self.capacity}{wait}"
        s = self.seeker
        return f"{s.seeker_no} {s.name}" if s else tr("q.free", lang)


@dataclass(frozen=True)
class QueueView:
    """An office's sessions on one day, with counts by state before the state filter."""

    office_id: str
    day: date
    rows: list[QueueRow]
    counts: dict[str, int]
    closed: tuple[str, str] | None
    holiday_warning: tuple[str, str] | None
    generated_at: datetime
