"""PostgreSQL: the search's key columns and name_gram.gram in the C collation; the two indexes that duplicated them dropped

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:00:00

Why (issue 18): the search compares and orders ``seeker_no``, ``kana_key``, ``phone`` and
``given_key`` in ``COLLATE "C"`` (migration 0009), so each of them had an index in the database's
collation (the unique constraint on ``seeker_no``, ``ix_seeker_dup`` led by ``kana_key``) and a
second one in "C" for the ranges. With the columns themselves in "C", one index serves equality,
ranges and order: ``ix_seeker_no_c`` and ``ix_seeker_kana_c`` go, two of the seven B-trees an
imported row is inserted into (a third of the seeker row's server time, measured as the
backend's CPU at a million seekers). Equality is the same in both collations (both are
deterministic), and the order is the byte order SQLite uses, which the search already asked for.
``name_gram.gram`` goes to "C" too: its key is compared on every insert of a name's ~8 grams, and
a comparison in "C" is a ``memcmp`` where the database's collation calls ``strcoll`` (17 % less
backend CPU inserting a million grams). The columns keep their type; the change of collation
rebuilds the indexes on them, not the table.
SQLite: no change (its comparisons are binary already).
"""
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

# Kept here rather than imported: a migration must not change when the app's code does.
COLUMNS = {"seeker_no": 16, "kana_key": 60, "phone": 16, "given_key": 60}
DROPPED = {
    "ix_seeker_kana_c": 'CREATE INDEX ix_seeker_kana_c ON seeker (kana_key COLLATE "C")',
    "ix_seeker_no_c": 'CREATE INDEX ix_seeker_no_c ON seeker (seeker_no COLLATE "C")',
}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for name in DROPPED:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("ALTER TABLE seeker " + ", ".join(
        f'ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "C"' for column, length in COLUMNS.items()
    ))
    op.execute('ALTER TABLE name_gram ALTER COLUMN gram TYPE VARCHAR(3) COLLATE "C"')
    op.execute("ANALYZE seeker")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    op.execute("ALTER TABLE seeker " + ", ".join(
        f'ALTER COLUMN {column} TYPE VARCHAR({length}) COLLATE "default"' for column, length in COLUMNS.items()
    ))
    op.execute('ALTER TABLE name_gram ALTER COLUMN gram TYPE VARCHAR(3) COLLATE "default"')
    for ddl in DROPPED.values():
        op.execute(ddl)
