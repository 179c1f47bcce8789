"""Offices and their terms versions in the database (synced from ``data/``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from typing import Protocol, TypeVar

from sqlmodel import Session, col, select

from hwdesk.errors import NotFound
from hwdesk.models import Office, TermsVersion
from hwdesk.services.guard import guard
from hwdesk.terms import OfficeProfile, TermsDocument, office_profiles, shipped_terms


class _Dated(Protocol):
    """A TermsVersion, or a row with its effective_on."""

    @property
    def effective_on(self) -> date: ...


V = TypeVar("V", bound=_Dated)


def sync_offices(session: Session) -> int:
    """Insert shipped offices and terms versions that the database lacks; returns rows added.

    A shipped office's stored profile follows the shipped one (profiles are hwdesk's reading of
    the terms, never edited in the app), and a shipped version's stored document takes the shipped
    one's metadata (its dates as written) when its articles are the same text — so a correction of
    hwdesk's reading reaches databases made before it. Corrections are not counted as added rows.
    """
    added = 0
    have = {o.id: o for o in session.exec(select(Office))}
    for prof in office_profiles().values():
        stored = have.get(prof.id)
        if stored is not None:
            fresh = json.dumps(prof.raw, ensure_ascii=False)
            if stored.profile_json != fresh and json.loads(stored.profile_json) != prof.raw:
                stored.profile_json = fresh
                session.add(stored)
            continue
        if prof.id not in have:
            session.add(
                Office(
                    id=prof.id,
                    name=prof.name,
                    name_en=prof.data.name_en,
                    bureau=prof.data.bureau,
                    profile_json=json.dumps(prof.raw, ensure_ascii=False),
                )
            )
            added += 1
    session.flush()
    stored_versions = {(t.office_id, t.version): t for t in session.exec(select(TermsVersion))}
    versions = set(stored_versions)
    for office_id, docs in shipped_terms().items():
        for doc in docs:
            row = stored_versions.get((office_id, doc.version))
            if row is not None and row.added_by is None:  # shipped, not a revision staff registered
                raw = json.loads(row.document_json)
                if raw != doc.raw and raw.get("articles") == doc.raw.get("articles"):
                    row.document_json = doc.to_json()
                    session.add(row)
            if (office_id, doc.version) not in versions:
                session.add(
                    TermsVersion(
                        office_id=office_id,
                        version=doc.version,
                        title=doc.title,
                        effective_on=doc.effective_on,
                        document_json=doc.to_json(),
                        reason="shipped with hwdesk (transcribed from the office's published terms)",
                    )
                )
                added += 1
    session.flush()
    return added


def offices_synced(session: Session) -> bool | None:
    """Whether every shipped office and terms version is in the database (a read, no lock).

    None when the database holds no office at all (a new database: it must be synced before
    anything works); False when ``data/`` gained an office or a version since the last sync.
    """
    have = set(session.exec(select(Office.id)))
    if not have:
        return None
    if not set(office_profiles()) <= have:
        return False
    versions = {(o, v) for o, v in session.exec(select(TermsVersion.office_id, TermsVersion.version))}
    return all((office_id, doc.version) in versions for office_id, docs in shipped_terms().items() for doc in docs)


def profile(session: Session, office_id: str) -> OfficeProfile:
    """The office's profile as stored (falls back to the shipped one)."""
    office = session.get(Office, office_id)
    if office is None:
        from hwdesk.terms import office_profile

        return office_profile(office_id)
    return parse_profile(office.profile_json)


@lru_cache(maxsize=16)
def parse_profile(profile_json: str) -> OfficeProfile:
    """An office profile from its stored JSON (cached: the same text gives the same profile)."""
    return OfficeProfile(json.loads(profile_json))


def list_offices(session: Session) -> list[Office]:
    """All offices, by id."""
    return list(session.exec(select(Office).order_by(Office.id)))


def terms_versions(session: Session, office_id: str) -> list[TermsVersion]:
    """An office's terms versions, oldest first."""
    return list(
        session.exec(
            select(TermsVersion).where(TermsVersion.office_id == office_id).order_by(col(TermsVersion.version))
        )
    )


def terms_in_force(session: Session, office_id: str, on: date) -> TermsVersion:
    """The version in force on ``on`` (the newest whose effective date has come).

    Before the first shipped version's effective date, that first version is returned: it is
    the oldest text hwdesk knows (see docs/rules.md).
    """
    current = version_in_force(terms_versions(session, office_id), on)
    if current is None:
        raise NotFound(f"{office_id} の規約が登録されていません。", f"No terms are registered for {office_id}.")
    return current


def version_in_force(versions: Sequence[V], on: date) -> V | None:
    """Of an office's versions (oldest first), the one in force on ``on``; None for none.

    The one place this rule lives: ``terms_in_force`` and every reader holding the versions
    already (consent standing, seeker detail, daily queue) call it.
    """
    current = versions[0] if versions else None
    for v in versions:
        if v.effective_on <= on:
            current = v
    return current


def document(version: TermsVersion) -> TermsDocument:
    """The structured text of a stored terms version."""
    return _parse_document(version.document_json)


@lru_cache(maxsize=32)
def _parse_document(document_json: str) -> TermsDocument:
    return TermsDocument(json.loads(document_json))


def revision_grounds(office_id: str) -> dict[str, dict]:
    """The grounds on which the office's terms allow a change without the users' consent, by key
    (前橋 第9条(1)(2), 高松 第13条(1)(2): ``user_benefit``, ``reasonable``), each with its article and
    the terms' words; empty where the terms list none (渋谷 第10条 allows any change)."""
    from hwdesk.terms import office_profile

    return dict(office_profile(office_id).data.revision_grounds)


def check_revision_ground(office_id: str, ground: str | None) -> str:
    """``ground`` checked against the office's listed grounds; '' where the office lists none."""
    from hwdesk.errors import ValidationFailed
    from hwdesk.terms import cite_text, office_profile

    grounds = revision_grounds(office_id)
    ground = (ground or "").strip()
    name = office_profile(office_id).name
    if not grounds:
        if ground:
            cite = office_profile(office_id).cite("revision")
            raise ValidationFailed(
                f"{name}の利用規約（{cite}）は変更の根拠を列挙していません。--ground は指定できません。",
                f"{office_profile(office_id).display_name('en')}'s terms ({cite}) list no grounds for a change; give no ground.",
                field="ground",
            )
        return ""
    if ground not in grounds:
        listed_ja = "、".join(f"{k}（{cite_text(g)} {g['label']}）" for k, g in grounds.items())
        listed_en = ", ".join(f"{k} ({cite_text(g)}: {g['label_en']})" for k, g in grounds.items())
        first = cite_text({"article": next(iter(grounds.values()))["article"]})
        raise ValidationFailed(
            f"{name}の利用規約（{first}）は、次の各号のいずれかに該当する場合に限り承諾なく変更できます。"
            f"該当する根拠を指定してください: {listed_ja}",
            f"{office_profile(office_id).display_name('en')}'s terms ({first}) allow a change without consent only on "
            f"these grounds; give the one that applies: {listed_en}",
            field="ground",
        )
    return ground


@guard("supervisor", what_ja="規約の改訂の登録", what_en="Adding a terms revision")
def add_terms_version(
    session: Session, *, actor, office_id: str, text: str, effective_on: date, reason: str, ground: str | None = None
) -> TermsVersion:
    """A supervisor adds a revised version of an office's terms (前橋 第9条, 渋谷 第10条, 高松 第13条).

    ``text`` is a file in the same structure as ``data/terms``; its version must be newer.
    ``ground``: where the terms allow a change without consent only on listed grounds (前橋 第9条,
    高松 第13条), the one that applies (``revision_grounds``) — refused without one.
    """
    from hwdesk import audit
    from hwdesk.errors import ValidationFailed
    from hwdesk.services import notices
    from hwdesk.services.context import require, require_office
    from hwdesk.terms import parse_terms_document

    require(actor, "supervisor", what_ja="規約の改訂の登録", what_en="Adding a terms revision")
    require_office(actor, office_id)
    doc = parse_terms_document(text, office_id=office_id)
    versions = terms_versions(session, office_id)
    latest = versions[-1] if versions else None
    if latest and doc.version <= latest.version:
        raise ValidationFailed(
            f"版番号は現在の第{latest.version}版より大きくしてください。",
            f"The version must be newer than {latest.version}.",
            field="version",
        )
    if latest and effective_on <= latest.effective_on:
        raise ValidationFailed(
            f"施行日は現在の版の施行日（{latest.effective_on.isoformat()}）より後にしてください。",
            f"The effective date must be after the current version's ({latest.effective_on.isoformat()}).",
            field="effective_on",
        )
    if not reason.strip():
        raise ValidationFailed("改訂の理由を入力してください。", "Enter the reason for the revision.", field="reason")
    ground = check_revision_ground(office_id, ground)
    doc.raw["effective_on"] = effective_on.isoformat()
    tv = TermsVersion(
        office_id=office_id,
        version=doc.version,
        title=doc.title,
        effective_on=effective_on,
        document_json=doc.to_json(),
        reason=reason.strip(),
        change_ground=ground,
        added_by=actor.id,
    )
    session.add(tv)
    session.flush()
    audit.record(
        session,
        staff_id=actor.id,
        action="terms.add_version",
        entity="termsversion",
        entity_id=tv.id,
        office_id=office_id,
        after={
            "version": tv.version,
            "effective_on": effective_on.isoformat(),
            "reason": reason.strip(),
            "ground": ground,
        },
    )
    notices.on_revision(session, actor=actor, version=tv)
    return tv
