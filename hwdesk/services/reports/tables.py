"""The report's tables as dataclasses (no UI), and their JSON form.

Every table states its unit (``Breakdown.unit``: sessions, seats, records …), and the tables that
count the same things agree: sessions by kind = sessions by state less the cancelled ones = the
daily series of sessions; the daily cancellations = the cancelled sessions = sessions cancelled by
reason; the daily no-shows = the no-show seats = the absent and connection-failed bookings.

A screen draws ``Breakdown.items`` as bars and ``OfficeReport.series`` as a sparkline (``None`` =
suppressed: draw a gap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hwdesk.jtext.dates import format_wareki
from hwdesk.services.reports.suppression import PROTECTED_MARK, SUPPRESSED_RATE, Derived, Figure
from hwdesk.texts import pick


@dataclass(frozen=True)
class Item:
    """One cell of a breakdown."""

    key: str
    label_ja: str
    label_en: str
    figure: Figure

    def label(self, lang: str = "ja") -> str:
        """The cell's label in ``lang``."""
        return pick(self.label_ja, self.label_en, lang)


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
        return pick(self.title_ja, self.title_en, lang)

    def unit(self, lang: str = "ja") -> str:
        """What the table counts, in ``lang``."""
        return pick(self.unit_ja, self.unit_en, lang)

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
