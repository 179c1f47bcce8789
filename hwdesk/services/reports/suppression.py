"""Small-cell suppression: the rule every count of a report (and of the supervisor's figures) passes.

Every count in a report is a ``Figure``: its value, or — when it is under the threshold (default
5) — ``None`` shown as ``"<5"``. A count of at least the threshold hidden only to protect a small
one shows ``"*"`` (``"<5"`` would misstate it). A rate or mean built on a suppressed count is
suppressed too and shows ``"x"``: one mark for counts, another for rates, as the legends say.
Suppression is applied in the service, so no screen or export can show a small cell by mistake;
the raw counts never leave the reports package.

Within each breakdown (a group of cells with a total) one suppressed cell alone could be
recovered by subtracting the others from the total, so a second cell is then suppressed too
(secondary suppression, ``Policy.group``).
"""

from __future__ import annotations

from dataclasses import dataclass

from hwdesk.errors import ValidationFailed

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 2  # 1 would switch suppression off: refused
SUPPRESSED_RATE = "x"  # 秘匿: a rate or mean on a suppressed count
PROTECTED_MARK = "*"  # a count of at least the threshold hidden only to protect a small one


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


def legend(threshold: int, lang: str = "ja") -> str:
    """What the suppression marks mean, for every place a report is shown."""
    from hwdesk.texts import tr

    return tr("reports.legend", lang, threshold=threshold, protected=PROTECTED_MARK, suppressed=SUPPRESSED_RATE)
