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
    try:
        from hwdesk.services.demo import is_demo
    except ImportError:  # pragma: no cover - older tree
        from hwdesk.models import Meta

        row = session.get(Meta, "demo")
        return row is not None and str(row.value) == "1"
    try:
        return is_demo(session)
    except Exception:
        return False


def demo_accounts() -> list[tuple[str, str, str]]:
    """(login, role, office) of the demo accounts (shown on the sign-in screen only)."""
    try:
        from hwdesk.services.demo import demo_accounts as accounts
    except ImportError:  # pragma: no cover
        return [("clerk1", "clerk", "takamatsu"), ("super1", "supervisor", "takamatsu"), ("admin1", "admin", "takamatsu")]
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
    sessions: list[Any] = field(default_factory=list)  # (Session, Enrollment), newest first
    terminations: list[Any] = field(default_factory=list)


def load_detail(session, seeker_id: int, office_ids: list[str]) -> DetailData:
    """Read a seeker with consent, notices, companions, checks and approvals.

    Each table is read once for all offices (about ten queries): the office rows are kept
    referenced so that every ``profile()`` call below is answered from the session's identity
    map, and the consent standing of each office is computed from the consent and notice lists
    that the screen shows anyway.
    """
    from hwdesk.services import consent as consent_svc
    from hwdesk.services.offices import list_offices, profile
    from hwdesk.services.seekers import get_seeker

    seeker = get_seeker(session, seeker_id)
    data = DetailData(seeker=seeker)
    offices = list_offices(session)  # held: every profile() below is answered from the identity map
    history = consent_svc.consents_of(session, seeker_id)
    data.notices = consent_svc.notices_of(session, seeker_id)
    statuses = consent_svc.consent_statuses(session, seeker_id=seeker_id, office_ids=office_ids, history=history,
                                            notices=data.notices)
    checks = consent_svc.latest_env_checks(session, seeker_id=seeker_id)
    for office_id in office_ids:
        status = statuses.get(office_id)
        if status is None:  # an office without terms
            continue
        prof = profile(session, office_id)
        data.consent_rows.append({
            "office_id": office_id,
            "status": status,
            "method": prof.consent_method,
            "history": [(c, t) for c, t in history if c.office_id == office_id],
        })
        check = checks.get(office_id)
        if check is not None:
            data.env_checks.append((office_id, check))
            data.env_labels[office_id] = {i.key: (i.label, i.label_en) for i in consent_svc.env_items(session, office_id)}
    del offices
    data.companions = consent_svc.companions_of(session, seeker_id)
    data.approvals = consent_svc.approvals_of(session, seeker_id)
    staff_ids = {a.recognized_by for a in data.approvals}
    if staff_ids:
        from hwdesk.services.auth import list_staff

        data.staff_names = {st.id: st.name for st in list_staff(session) if st.id in staff_ids}
    from hwdesk.services.scheduling import sessions_of_seeker
    from hwdesk.services.terminations import terminations_of

    data.sessions = list(sessions_of_seeker(session, seeker_id=seeker_id))
    data.terminations = list(terminations_of(session, seeker_id=seeker_id))
    return data


def readiness(session, seeker_id: int, office_id: str, service: str, on: date | None = None):
    """The eligibility checklist and the office's services (for the service choice)."""
    from hwdesk.services import eligibility
    from hwdesk.services.offices import profile

    prof = profile(session, office_id)
    reqs = eligibility.check(session, seeker_id=seeker_id, office_id=office_id, service=service, on=on)
    return prof, reqs
