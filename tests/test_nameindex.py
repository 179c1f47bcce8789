"""The name index: a fragment finds exactly the names containing it, on both backends.

SQLite keeps names in FTS5 as hex code-point tokens, single characters and adjacent pairs
(``hwdesk.nameindex``); these tests hold it to the plain substring test, for any text hypothesis
makes and for the names a clerk types.
"""

from __future__ import annotations

import sqlite3

import pytest
from helpers import new_seeker
from hypothesis import given, settings
from hypothesis import strategies as st

from hwdesk import nameindex
from hwdesk.services import seeker_search, seekers
from hwdesk.services.context import SYSTEM

# Kanji and kana of real names, the punctuation and Latin letters that turn up in them, and any
# other character (surrogates aside: they cannot be stored as text).
NAME_CHARS = st.one_of(
    st.sampled_from("山田太郎佐藤花子鈴木一々ノ・ーヶ之助"),
    st.sampled_from("AaBbÉé Ｓｓ-'.0"),
    st.characters(exclude_categories=("Cs",)),
)
names_st = st.lists(st.text(NAME_CHARS, min_size=1, max_size=8), min_size=1, max_size=12)


def _fts(names: list[str]) -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute(nameindex.FTS_DDL)
    nameindex.add_sqlite(con.cursor(), range(1, len(names) + 1), names)
    return con


def _match(con: sqlite3.Connection, fragment: str) -> list[int]:
    sql = f"SELECT rowid FROM {nameindex.FTS} WHERE {nameindex.FTS} MATCH ? ORDER BY rowid"
    return [r[0] for r in con.execute(sql, (nameindex.fts_phrase(fragment),))]


@settings(max_examples=300, deadline=None)
@given(names=names_st, data=st.data())
def test_a_phrase_query_finds_exactly_the_names_containing_the_fragment(names, data):
    con = _fts(names)
    squeezed = [n.replace(" ", "") for n in names]
    source = data.draw(st.sampled_from(squeezed))
    if len(source) and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(source) - 1))
        fragment = source[i : data.draw(st.integers(i + 1, len(source)))]
    else:
        fragment = data.draw(st.text(NAME_CHARS, min_size=1, max_size=4)).replace(" ", "")
    if not fragment:
        return
    assert _match(con, fragment) == [i for i, n in enumerate(squeezed, 1) if fragment in n]


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=20))
def test_the_stored_text_decodes_to_the_name(name):
    assert nameindex.decode(nameindex.fts_text(name)) == name.replace(" ", "")


def test_punctuation_case_and_accents_are_not_folded_away():
    con = _fts(["山田・花子", "Smith", "José"])
    assert _match(con, "田・花") == [1] and _match(con, "田花") == []  # unicode61 would drop the ・
    assert _match(con, "Smi") == [2] and _match(con, "smi") == []
    assert _match(con, "sé") == [3] and _match(con, "se") == []


def test_the_migration_writes_what_the_app_writes():
    """0003 carries its own copy of the encoding (migrations never change); they must agree."""
    import importlib

    mig = importlib.import_module("hwdesk.migrations.versions.0003_name_fts")
    for name in ["山田 太郎", "Ａｂ・ー", "x"]:
        assert mig._fts_text(name) == nameindex.fts_text(name) and mig._fts_pairs(name) == nameindex.fts_pairs(name)
        assert mig._grams(name) == nameindex.grams(name)


@pytest.mark.parametrize(
    "name, hits, misses",
    [
        ("山田・花子", ["田・花", "・", "山田・花子"], ["田花"]),
        ("Mary Smith", ["MarySmith", "ySm", "Mary Smith"], ["mary"]),
        ("佐々木 一", ["佐々", "々木一"], ["佐木"]),
    ],
)
def test_search_treats_the_name_as_written(store, actors, name, hits, misses):
    sk = new_seeker(store, actors["clerk1"], name=name, kana="テスト")
    new_seeker(store, actors["clerk1"], name="無関係 氏名", kana="ムカンケイ")
    with store.read() as s:
        for q in hits:
            assert [h.id for h in seeker_search.search(s, q, actor=SYSTEM)] == [sk.id], q
            assert seeker_search.search_count(s, q, actor=SYSTEM) == 1, q
        for q in misses:
            assert seeker_search.search(s, q, actor=SYSTEM) == [], q


def test_anonymized_seekers_leave_the_index(store, actors):
    sk = new_seeker(store, actors["clerk1"], name="匿名 予定")
    keep = new_seeker(store, actors["clerk1"], name="予定 花子", kana="ヨテイ ハナコ")
    with store.write() as s:
        seekers.anonymize(s, actor=actors["super1"], seeker_id=sk.id)
    with store.read() as s:
        assert [h.id for h in seeker_search.search(s, "予定", actor=SYSTEM)] == [keep.id]
        assert seeker_search.search(s, "匿名", actor=SYSTEM) == []  # the placeholder name is not searchable either
        if store.is_sqlite:
            assert sk.id not in nameindex.indexed(s.connection())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL walks name_gram
def test_office_scope_walks_the_index_not_the_office(store, actors):
    """With an office filter the FTS table stays the outer loop (CROSS JOIN): the plan never
    runs the phrase query once per seeker of the office."""
    new_seeker(store, actors["clerk1"], name="山田 花子")
    with store.read() as s, seeker_search._Raw(s) as db:
        sql, params = nameindex.match(
            db, "山田", seeker_search._COLS, "k.anonymized_at IS NULL AND k.office_id = ?", ["takamatsu"]
        )
        plan = " / ".join(r[3] for r in db.rows("EXPLAIN QUERY PLAN " + sql, params))
    assert plan.startswith("SCAN f VIRTUAL TABLE") and "SEARCH k USING INTEGER PRIMARY KEY" in plan, plan


def test_reindex_rebuilds_the_index_on_either_backend(store, actors, capsys):
    from hwdesk.cli import main

    ids = [new_seeker(store, actors["clerk1"], name=n).id for n in ("山田 太郎", "佐藤 花子")]
    with store.write() as s:
        seekers.anonymize(s, actor=actors["super1"], seeker_id=ids[1])
    capsys.readouterr()
    assert main(["--lang", "en", "--db", store.url, "reindex"]) == 0
    assert "rebuilt (1 seekers)" in capsys.readouterr().out
    with store.read() as s:
        assert [h.id for h in seeker_search.search(s, "山田太", actor=SYSTEM)] == [ids[0]] and seeker_search.search(
            s, "佐藤", actor=SYSTEM
        ) == []
