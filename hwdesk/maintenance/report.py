"""What a check found: :class:`Finding` (one line, in both languages) and :class:`CheckReport`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hwdesk import audit
from hwdesk.texts import pick

__all__ = ["CheckReport", "Finding", "MAX_LISTED"]

MAX_LISTED = 10  # integrity / foreign-key messages shown before "… and N more"


@dataclass
class Finding:
    """One line of a check: what was verified (``ok``) or what is wrong, in both languages."""

    ok: bool
    message_ja: str
    message_en: str
    warning: bool = False  # not a failure, but worth saying (e.g. no outside head file yet)

    def message(self, lang: str = "ja") -> str:
        """The line in ``lang``."""
        return pick(self.message_ja, self.message_en, lang)


@dataclass
class CheckReport:
    """Everything ``check`` (or the pre-restore check of a file) found."""

    findings: list[Finding] = field(default_factory=list)
    revision: str | None = None
    audit_rows: int = 0
    audit_last_id: int | None = None
    audit_head: str | None = None  # set only when the chain verified
    head_file: Path | None = None
    chain: audit.ChainReport | None = None

    @property
    def ok(self) -> bool:
        """No problem found (warnings do not count)."""
        return all(f.ok for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        """The findings that are failures."""
        return [f for f in self.findings if not f.ok]

    def add(self, ok: bool, ja: str, en: str, *, warning: bool = False) -> None:
        """Record one finding."""
        self.findings.append(Finding(ok, ja, en, warning))

    def lines(self, lang: str = "ja") -> list[str]:
        """Printable lines: ``OK``/``NG``/``!!`` then the message."""
        return [
            f"{'OK' if f.ok and not f.warning else ('!!' if f.ok else 'NG')}  {f.message(lang)}" for f in self.findings
        ]

    def as_dict(self, lang: str = "ja") -> dict:
        """For ``--json``."""
        return {
            "ok": self.ok,
            "revision": self.revision,
            "audit_rows": self.audit_rows,
            "audit_head": self.audit_head,
            "head_file": str(self.head_file) if self.head_file else None,
            "findings": [{"ok": f.ok, "warning": f.warning, "message": f.message(lang)} for f in self.findings],
        }
