"""PostgreSQL-only indexes (migrations 0009, 0010, 0014): prefix searches in the C collation.

A ``LIKE 'ヤマダ%'`` or a range on ``kana_key`` can use a B-tree index only when the index and
the comparison share a collation in which byte order is the sort order ("C"); under the
database's default collation (C.UTF-8 here, ja_JP or en_US at an office) PostgreSQL walked
``ix_seeker_dup`` whole and filtered 866,087 rows for ヤマダ at a million seekers.
The search on PostgreSQL compares and orders in ``COLLATE "C"`` (``services.seekers``), which is
also SQLite's binary order, so both backends list the same page. SQLite needs none of these:
its comparisons are binary already.

Since migration 0014 the four columns are themselves ``COLLATE "C"``: the unique constraint on
``seeker_no`` and ``ix_seeker_dup`` (led by ``kana_key``) serve the ranges, and the two indexes
that duplicated them are gone. ``phone`` and ``given_key`` keep their index of 0009/0010, the
only one each has.
"""

from __future__ import annotations

# name → (column, the index's DDL) — the migration keeps its own copy (a migration must not change
# when the app does); tests compare the two.
C_INDEXES = {
    "ix_seeker_phone_c": ("phone", 'CREATE INDEX ix_seeker_phone_c ON seeker (phone COLLATE "C")'),
    # migration 0010
    "ix_seeker_given_c": ("given_key", 'CREATE INDEX ix_seeker_given_c ON seeker (given_key COLLATE "C")'),
}


# Made by migration 0009 and dropped by 0014: the C-collation columns' own indexes serve them.
DROPPED = {"ix_seeker_kana_c", "ix_seeker_no_c"}

# The models' index that PostgreSQL does without: its C-collation form above serves the same.
REPLACED = {"ix_seeker_phone", "ix_seeker_given"}


def differs_on_pg(type_: str, name: str | None, table: str | None) -> bool:
    """Whether an object of the models is not what a PostgreSQL database has (migration 0009):
    the C-collation indexes (not in the models), ``ix_seeker_phone`` (replaced by one of them)
    and ``name_gram``'s foreign key (dropped: its check was a third of an import's server time)."""
    if type_ == "index":
        return name in C_INDEXES or name in REPLACED
    return type_ == "foreign_key_constraint" and table == "name_gram"


__all__ = ["C_INDEXES", "DROPPED", "REPLACED", "differs_on_pg"]
