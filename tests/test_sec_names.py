"""Finding 11 of issue 21: invisible and format characters are refused in names.

'山田\u200b太郎' looks like 山田太郎 on the screen but is never found by it. Every Unicode format
character (Cf), the Hangul fillers, the braille blank and the combining grapheme joiner are
refused in a seeker's name (form, CSV import, CLI), a companion's name and a staff member's name,
with a message naming the character.
"""

from __future__ import annotations

import sys
import unicodedata

import pytest
from helpers import new_seeker
from hypothesis import given, settings
from hypothesis import strategies as st

from hwdesk.errors import HwdeskError
from hwdesk.jtext.base import ParseError
from hwdesk.jtext.text import normalize_name
from hwdesk.services import auth, importer, seeker_search
from hwdesk.services.context import SYSTEM

FILLERS = ["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f"]
REPORTED = ["\u200b", "\u2060", "\u200d", "\u3164", "\U000e0041", "\U000e0001", "\u00ad", "\u180e"]
ALL_CF = [chr(cp) for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == "Cf"]


def test_every_format_character_of_this_python_is_refused():
    """The written-out list in jtext covers every Cf character the running Python knows."""
    missed = []
    for ch in ALL_CF + FILLERS:
        try:
            normalize_name(f"山田{ch}太郎")
        except ParseError:
            continue
        missed.append(f"U+{ord(ch):04X}")
    assert not missed, f"add these to jtext.safety._INVISIBLE_RE: {missed}"


@settings(max_examples=300, deadline=None)
@given(left=st.text(max_size=10), ch=st.sampled_from(ALL_CF + FILLERS), right=st.text(max_size=10))
def test_a_name_with_an_invisible_character_is_never_accepted(left, ch, right):
    with pytest.raises(ParseError):
        normalize_name(left + ch + right)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_an_accepted_name_has_no_invisible_character(text):
    try:
        name = normalize_name(text)
    except ParseError:
        return
    assert not any(unicodedata.category(c) == "Cf" or c in FILLERS for c in name)


@pytest.mark.parametrize("ch", REPORTED)
def test_message_names_the_character_in_both_languages(ch):
    with pytest.raises(ParseError) as e:
        normalize_name(f"山田{ch}太郎")
    assert f"U+{ord(ch):04X}" in e.value.message("ja") and "見えない文字" in e.value.message("ja")
    assert f"U+{ord(ch):04X}" in e.value.message("en") and "invisible" in e.value.message("en")
    assert e.value.field == "name"


def test_variation_selectors_of_kanji_stay_allowed():
    """異体字 (IVS: 葛 + U+E0100) are real in Japanese names."""
    assert normalize_name("葛\U000e0100西 太郎") == "葛\U000e0100西 太郎"


@pytest.mark.parametrize("ch", REPORTED)
def test_form_refuses_and_the_search_finds_the_plain_name(store, actors, ch):
    with pytest.raises(HwdeskError) as e:
        new_seeker(store, actors["clerk1"], name=f"山田{ch}太郎")
    assert e.value.field == "name"
    new_seeker(store, actors["clerk1"], name="山田 太郎")
    with store.read() as s:
        assert all(
            "山田 太郎" == r.name
            for r in seeker_search.search(s, "山田", actor=actors["clerk1"], office_id="takamatsu")
        )


def test_csv_import_refuses_the_row_by_line(store, actors):
    data = (
        "求職番号,氏名,フリガナ,生年月日\r\n37010-900001,山田 花子,ヤマダ ハナコ,1985-04-01\r\n"
        "37010-900002,山田\u200b太郎,ヤマダ タロウ,1985-04-02\r\n"
    ).encode()
    with store.write() as s:
        result = importer.import_seekers(s, actor=actors["clerk1"], data=data, office_id="takamatsu")
    assert [(e.line, e.field) for e in result.errors] == [(3, "name")]
    assert "U+200B" in result.errors[0].message("ja")


def test_cli_refuses_an_invisible_staff_name(store):
    with store.write() as s, pytest.raises(ParseError):
        auth.create_staff(
            s,
            actor=SYSTEM,
            login="zw1",
            name="佐藤\u2060一郎",
            role="clerk",
            office_id="takamatsu",
            password="correct horse battery",
            check_policy=False,
        )
