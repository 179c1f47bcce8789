"""Corrections of hwdesk's reading of the terms reach databases made before them (both backends)."""

from __future__ import annotations

import json

from sqlmodel import select

from hwdesk.models import Office, TermsVersion
from hwdesk.services.offices import document, profile, sync_offices


def test_sync_refreshes_shipped_profiles_and_version_metadata_but_not_staff_revisions(store, actors):
    with store.write() as s:
        office = s.get(Office, "takamatsu")
        old = json.loads(office.profile_json)
        old["termination_grounds"]["recording"] = {"article": 12, "item": 2}  # the old reading
        old.pop("unverified", None)
        office.profile_json = json.dumps(old, ensure_ascii=False)
        s.add(office)
        tv = s.exec(select(TermsVersion).where(TermsVersion.office_id == "maebashi")).one()
        raw = json.loads(tv.document_json)
        raw["dates"] = [{"kind": "策定", "wareki": "令和4年4月20日", "iso": "2022-04-20"}]
        tv.document_json = json.dumps(raw, ensure_ascii=False)
        s.add(tv)
    with store.write() as s:
        assert sync_offices(s) == 0  # corrections are not new rows
    with store.read() as s:
        prof = profile(s, "takamatsu")
        assert prof.raw["termination_grounds"]["recording"] is None and "contact_phone" in prof.raw["unverified"]
        tv = s.exec(select(TermsVersion).where(TermsVersion.office_id == "maebashi")).one()
        assert document(tv).date_lines() == ["令和４年４月２０日"]


def test_offices_command_lists_the_unverified_values(db_url, capsys, monkeypatch):
    from hwdesk.cli import main

    assert main(["--db", db_url, "offices", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert "bureau" in rows["takamatsu"]["unverified"] and "bureau" not in rows["maebashi"]["unverified"]
    assert main(["--db", db_url, "offices"]) == 0
    assert "takamatsu: 規約にない未確認の値" in capsys.readouterr().out
