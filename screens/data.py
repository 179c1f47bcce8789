"""Reads the screens need that are not a single service call (run inside worker threads).

Every function takes an open session from ``store.read()``/``store.write()`` and calls the
services; the only direct table read is the demo flag (``Meta`` key ``demo``), as agreed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


def is_demo_db(session) -> bool:
    """Whether this is the demo database (table ``meta``, key ``demo`` == "1")."""
    from hwdesk.services.demo import is_demo

    try:
        return is_demo(session)
    except Exception:
        return False


def demo_accounts() -> list[tuple[str, str, str]]:
    """(login, role, office) of the demo accounts (shown on the sign-in screen only)."""
    from hwdesk.services.demo import demo_accounts as accounts

    return accounts()


def office_row(office) -> dict:
    """An office as the screens need it (names, short names)."""
    short = office.name.replace("ハローワーク", "") or office.name
    short_en = office.name_en.replace("Hello Work ", "") or office.name_en
    return {"id": office.id, "name": office.name, "name_en": office.name_en, "short": short, "short_en": short_en}


@dataclass
class DetailData:
    """Everything the seeker detail screen shows, read in one worker."""

    seeker: Any
    consent_rows: list[dict] = field(default_factory=list)  # per office: status
    notices: list[tuple[Any, Any]] = field(default_factory=list)
    companions: list[Any] = field(default_factory=list)
    env_checks: list[tuple[str, Any]] = field(default_factory=list)
    env_labels: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    approvals: list[Any] = field(default_factory=list)
    staff_names: dict[int, str] = field(default_factory=dict)
    sessions: list[Any] = field(default_factory=list)  # detail.SessionLine, newest first
    terminations: list[Any] = field(default_factory=list)
    registration_until: Any = None  # the 求職登録's end date (原則), None without a registration date


def load_detail(session, seeker_id: int, office_ids: list[str], *, actor) -> DetailData:
    """Read a seeker with consent, notices, companions, checks, approvals, sessions and terminations.

    One read service (``hwdesk.services.detail.seeker_detail``: nine plain statements, rows as
    small tuples with the ORM's attribute names); the consent standing per office comes from
    ``consent.ConsentStatus``.
    """
    from hwdesk.services.detail import seeker_detail

    d = seeker_detail(session, actor=actor, seeker_id=seeker_id, office_ids=office_ids)
    return DetailData(
        seeker=d.seeker,
        consent_rows=[
            {"office_id": c.office_id, "status": c.status, "method": c.method, "history": c.history} for c in d.consents
        ],
        notices=d.notices,
        companions=d.companions,
        env_checks=d.env_checks,
        env_labels=d.env_labels,
        approvals=d.approvals,
        staff_names=d.staff_names,
        sessions=d.sessions,
        terminations=d.terminations,
        registration_until=d.registration_until,
    )


def readiness(session, seeker_id: int, office_id: str, service: str, on: date | None = None):
    """The eligibility checklist and the office's services (for the service choice)."""
    from hwdesk.services import eligibility
    from hwdesk.services.offices import profile

    prof = profile(session, office_id)
    reqs = eligibility.check(session, seeker_id=seeker_id, office_id=office_id, service=service, on=on)
    return prof, reqs
