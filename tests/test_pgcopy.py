"""hwdesk.pgcopy writes COPY's text format by hand: whatever it is given comes back as it was."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hwdesk.pgcopy import copy_text, pairs_text, rows_text

pytestmark = pytest.mark.pg

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@pytest.fixture
def cur(pg_url):
    from bench.pgbuild import connect

    with connect(pg_url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("CREATE TEMP TABLE t (s text, n integer, d date, b boolean, at timestamptz, o text)")
        yield conn.cursor()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            text,
            st.integers(-(2**31), 2**31 - 1),
            st.dates(date(1900, 1, 1), date(2100, 1, 1)),
            st.booleans(),
            st.datetimes(datetime(2000, 1, 1), datetime(2050, 1, 1)).map(lambda d: d.replace(tzinfo=UTC)),
            st.none() | text,
        ),
        max_size=8,
    )
)
def test_rows_come_back_as_written(cur, rows):
    cur.execute("DELETE FROM t")
    copy_text(cur, "COPY t (s, n, d, b, at, o) FROM STDIN", rows_text(rows))
    got = cur.execute("SELECT s, n, d, b, at, o FROM t").fetchall()
    assert sorted(got, key=repr) == sorted(rows, key=repr)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(text, st.integers(0, 10**9)), max_size=8))
def test_pairs_come_back_as_written(cur, pairs):
    cur.execute("DELETE FROM t")
    copy_text(cur, "COPY t (s, n) FROM STDIN", pairs_text(pairs))
    assert sorted(cur.execute("SELECT s, n FROM t").fetchall()) == sorted(pairs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(text, max_size=6))
def test_the_name_index_copy_stores_every_gram_of_every_name(cur, names):
    # The import's fast path (lines sorted as strings) and its escaped path (a backslash, tab …
    # in some name) store the same grams.
    from hwdesk import nameindex

    cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {nameindex.GRAM_TABLE} (gram text, seeker_id integer)")
    cur.execute(f"DELETE FROM {nameindex.GRAM_TABLE}")
    ids = list(range(99_990, 99_990 + len(names)))  # crosses a power of ten
    nameindex.copy_pg(cur, ids, names)
    got = sorted(cur.execute(f"SELECT gram, seeker_id FROM {nameindex.GRAM_TABLE}").fetchall())
    assert got == sorted((g, i) for i, name in zip(ids, names) for g in nameindex.grams(name))
