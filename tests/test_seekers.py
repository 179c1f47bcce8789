"""Registering, editing and finding seekers (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from helpers import new_seeker
from sqlmodel import select

from hwdesk.errors import PermissionDenied, ValidationFailed
from hwdesk.models import AuditLog, Seeker
from hwdesk.services import seeker_search, seekers
from hwdesk.services.context import SYSTEM


def _form(**kw):
    base = dict(
        seeker_no="37010-99",
        name="佐藤 花子",
        name_kana="さとう はなこ",
        birth_date="平成2年3月4日",
        phone="087-123-4567",
        email="Hanako@Example.JP",
        registration_kind="オンライン",
        registered_on="R7.1.5",
        office_id="takamatsu",
    )
    base.update(kw)
    return seekers.SeekerForm(**base)


def test_register_normalizes_what_was_typed(store, actors):
    with store.write() as s:
        sk = seekers.create_seeker(
            s, actor=actors["clerk1"], form=_form(seeker_no="３７０１０９９", name_kana="ｻﾄｳ ﾊﾅｺ")
        )
    assert sk.seeker_no == "37010-99"
    assert sk.name_kana == "サトウ ハナコ" and sk.kana_key == "サトウハナコ"
    assert sk.birth_date.isoformat() == "1990-03-04"
    assert sk.phone == "0871234567"
    assert sk.registration_kind == "online"
    with store.read() as s:
        row = s.exec(select(AuditLog).where(AuditLog.action == "seeker.create")).one()
    assert row.seeker_id == sk.id and "佐藤 花子" in row.detail_json


def test_refused_save_names_the_field(store, actors):
    with store.write() as s, pytest.raises(ValidationFailed) as exc:
        seekers.create_seeker(s, actor=actors["clerk1"], form=_form(birth_date="平成31年5月1日"))
    assert exc.value.field == "birth_date"
    assert "令和元年5月1日" in exc.value.message_ja
    with store.read() as s:
        assert s.exec(select(Seeker)).first() is None  # nothing half-written


def test_duplicate_number_and_likely_same_person(store, actors):
    a = actors["clerk1"]
    with store.write() as s:
        seekers.create_seeker(s, actor=a, form=_form())
    with store.write() as s, pytest.raises(ValidationFailed) as exc:
        seekers.create_seeker(s, actor=a, form=_form(name="佐藤 花子"))
    assert exc.value.field == "seeker_no" and "既に登録" in exc.value.message_ja
    with store.write() as s, pytest.raises(ValidationFailed) as exc:
        seekers.create_seeker(s, actor=a, form=_form(seeker_no="37010-100"))
    assert exc.value.field == "name_kana" and "同じフリガナと生年月日" in exc.value.message_ja
    with store.write() as s:
        seekers.create_seeker(s, actor=a, form=_form(seeker_no="37010-100"), allow_same_person=True)


def test_staff_register_only_at_their_office(store, actors):
    with store.write() as s, pytest.raises(PermissionDenied):
        seekers.create_seeker(s, actor=actors["clerk1"], form=_form(office_id="shibuya"))


@pytest.mark.parametrize(
    "query",
    [
        "ヤマダ",
        "やまだ",
        "ﾔﾏﾀﾞ",
        "やまだたろう",
        "ヤマダ タロウ",
        "山田",
        "田",
        "田太",
        "山田 太郎",
        "太郎",
        "山田太",
        "田太郎",
        "山田太郎",
        "37010-5555",
        "370105555",
        "37010",
        "０９０４４４",
        "090-444",
    ],
)
def test_search_finds_by_every_route(store, actors, query):
    sk = new_seeker(store, actors["clerk1"], seeker_no="37010-5555", phone="090-4444-5555")
    new_seeker(
        store, actors["clerk1"], name="佐藤 花子", kana="サトウ ハナコ", phone="03-1111-2222", seeker_no="13080-1"
    )
    with store.read() as s:
        hits = seeker_search.search(s, query, actor=SYSTEM)
    assert [h.id for h in hits] == [sk.id]


@pytest.mark.parametrize("query", ["ヤマモト", "山本", "99999", "zz", "田中太", "%", "_", "山%"])
def test_search_misses(store, actors, query):
    new_seeker(store, actors["clerk1"])
    with store.read() as s:
        assert seeker_search.search(s, query, actor=SYSTEM) == []


def test_long_fragments_must_be_contiguous_in_the_name(store, actors):
    # Both trigrams of 甲乙丙丁 are in this name, but not next to each other.
    sk = new_seeker(store, actors["clerk1"], name="甲乙丙 乙丙丁", kana="コウオツ ヘイテイ")
    with store.read() as s:
        assert seeker_search.search(s, "甲乙丙丁", actor=SYSTEM) == []
        assert [h.id for h in seeker_search.search(s, "甲乙丙乙", actor=SYSTEM)] == [sk.id]
        assert [h.id for h in seeker_search.search(s, "丙乙丙丁", actor=SYSTEM)] == [sk.id]


def test_edit_updates_the_name_index_and_audits_before_after(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a)
    form = seekers.form_from_seeker(sk)
    form.name = "山田 次郎"
    form.name_kana = "ヤマダ ジロウ"
    with store.write() as s:
        seekers.update_seeker(s, actor=a, seeker_id=sk.id, form=form)
    with store.read() as s:
        assert [h.id for h in seeker_search.search(s, "次郎", actor=SYSTEM)] == [sk.id]
        assert seeker_search.search(s, "太郎", actor=SYSTEM) == []
        row = s.exec(select(AuditLog).where(AuditLog.action == "seeker.update")).one()
    assert '"before"' in row.detail_json and "太郎" in row.detail_json and "次郎" in row.detail_json


def test_online_to_office_edit_records_the_switch(store, actors):
    a = actors["clerk1"]
    sk = new_seeker(store, a, registration="online")
    form = seekers.form_from_seeker(sk)
    form.registration_kind = "窓口"
    with store.write() as s:
        after = seekers.update_seeker(s, actor=a, seeker_id=sk.id, form=form)
    assert after.registration_kind == "office" and after.switched_to_office_on is not None


def test_markup_like_names_are_stored_literally(store, actors):
    a = actors["clerk1"]
    for i, name in enumerate(["[bold]山田[/]", "[@click=app.quit]山田[/]", "C:\\[tmp]", "[link=https://x]山田"]):
        sk = new_seeker(store, a, name=name, birth=f"1980-01-{i + 1:02d}")
        with store.read() as s:
            assert s.get(Seeker, sk.id).name == name


def test_control_characters_are_refused_at_input(store, actors):
    with store.write() as s, pytest.raises(ValidationFailed) as exc:
        seekers.create_seeker(s, actor=actors["clerk1"], form=_form(name="山田\x1b]2;pwned\x1b\\"))
    assert exc.value.field == "name"


def test_search_count_counts_every_path_up_to_the_cap(store, actors):
    for i in range(7):
        new_seeker(
            store, actors["clerk1"], seeker_no=f"37010-90{i}", birth=f"1980-02-{i + 1:02d}", phone=f"090-9000-000{i}"
        )
    new_seeker(
        store, actors["clerk1"], name="佐藤 花子", kana="サトウ ハナコ", seeker_no="37010-999", birth="1970-01-01"
    )
    with store.read() as s:
        assert seeker_search.search_count(s, "ヤマダ", actor=SYSTEM) == 7
        assert seeker_search.search_count(s, "山田太", actor=SYSTEM) == 7
        assert seeker_search.search_count(s, "37010-90", actor=SYSTEM) == 7  # the exact and prefix paths, counted once
        assert seeker_search.search_count(s, "ヤマダ", actor=SYSTEM, cap=3) == 4  # over the cap: cap + 1
        assert seeker_search.search_count(s, "ヤマダ", actor=SYSTEM, office_id="shibuya") == 0
        assert (
            seeker_search.search_count(s, "", actor=SYSTEM) == 0
            and seeker_search.search_count(s, "該当なし", actor=SYSTEM) == 0
        )
        assert len(seeker_search.search(s, "ヤマダ", actor=SYSTEM, limit=5)) == 5
