"""Small builders shared by the store tests (they write through the services, as a clerk would)."""

from __future__ import annotations

import itertools

from hwdesk.clock import today_jst
from hwdesk.services import consent, seekers

_numbers = itertools.count(1)


def new_seeker(
    store,
    actor,
    *,
    office_id: str = "takamatsu",
    name: str = "山田 太郎",
    kana: str = "ヤマダ タロウ",
    birth: str = "1985-04-01",
    registered: bool | str = True,
    webcam: bool = True,
    registration: str = "office",
    seeker_no: str | None = None,
    phone: str = "090-1234-5678",
):
    """Register a seeker (unique number, unique birth date offset so duplicates don't trip).

    ``registered``: True registers today (valid to the end of the month after next), a date
    string on that day, False not at all."""
    n = next(_numbers)
    form = seekers.SeekerForm(
        seeker_no=seeker_no or f"37010-{n}",
        name=name,
        name_kana=kana,
        birth_date=birth,
        phone=phone,
        office_id=office_id,
        registration_kind=registration,
        registered_on=(registered if isinstance(registered, str) else today_jst().isoformat()) if registered else "",
        webcam_confirmed=webcam,
    )
    with store.write() as s:
        return seekers.create_seeker(s, actor=actor, form=form, allow_same_person=True)


def make_ready(
    store, actor, seeker_id: int, office_id: str, *, service: str = "counseling", env_ok: bool = True, approve_by=None
):
    """Give a seeker everything the office's terms ask: consent, environment check, approval."""
    from hwdesk.services.offices import profile

    with store.write() as s:
        prof = profile(s, office_id)
        if prof.consent_method == "application":
            consent.record_consent(s, actor=actor, seeker_id=seeker_id, office_id=office_id)
        items = consent.env_items(s, office_id)
        consent.record_env_check(
            s,
            actor=actor,
            seeker_id=seeker_id,
            office_id=office_id,
            answers={i.key: env_ok for i in items},
            declared_on=today_jst(),
        )
        appr = prof.requirements.get("approval")
        if appr and service in appr["services"]:
            consent.record_approval(
                s,
                actor=approve_by or actor,
                seeker_id=seeker_id,
                office_id=office_id,
                service=service,
                wishes_continuing=True,
            )
