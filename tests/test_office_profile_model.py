"""Office profiles are checked and typed when loaded (``terms.OfficeProfileData``)."""

from __future__ import annotations

import copy
from datetime import time

import pytest

from hwdesk.errors import StoreError
from hwdesk.terms import OfficeProfile, office_profiles


def test_every_shipped_profile_loads_typed():
    profiles = office_profiles()
    assert set(profiles) == {"maebashi", "shibuya", "takamatsu"}
    for prof in profiles.values():
        assert prof.opening == (time(8, 30), time(17, 15))
        assert prof.data.handout_name_form in ("none", "surname", "full")
        assert prof.display_name("en").startswith("Hello Work ")
        assert prof.data.termination_grounds, prof.id


def test_a_malformed_profile_is_refused_naming_the_field():
    raw = copy.deepcopy(office_profiles()["takamatsu"].raw)
    raw["idle_lock_minutes"] = "five"
    with pytest.raises(StoreError) as err:
        OfficeProfile(raw)
    assert err.value.message("en") == "The profile of office 'takamatsu' is malformed (idle_lock_minutes)."


def test_defaults_for_fields_a_profile_leaves_out():
    raw = copy.deepcopy(office_profiles()["maebashi"].raw)
    for key in ("hours", "platforms", "idle_lock_minutes", "handout_name_form", "contact_phone"):
        raw.pop(key)
    prof = OfficeProfile(raw)
    assert prof.opening == (time(8, 30), time(17, 15))
    assert prof.platforms == ["zoom"] and prof.idle_lock_minutes == 5
    assert prof.data.handout_name_form == "none" and prof.data.offer_reply_hours is None
