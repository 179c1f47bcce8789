"""PostgreSQL: prefix searches indexed in the C collation (reading, 求職番号, phone)

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-06 09:00:00

Why: under the database's collation PostgreSQL cannot answer ``kana_key LIKE 'ヤマダ%'`` from a
B-tree; at a million seekers the reading search walked ``ix_seeker_dup`` and filtered 866,087
rows (1.2 s a key). These indexes are in ``COLLATE "C"``, as the search's comparisons and order
on PostgreSQL are (hwdesk/pgindex.py). SQLite: no change (its comparisons are binary already).
Name fragments keep ``name_gram`` (pg_trgm cannot answer one or two kanji from its index;
docs/design.md, "Name search on PostgreSQL").
"""
from alembic import op


revision = '0009'
down_revision = '0003'
branch_labels = None
depends_on = None

# Kept here rather than imported: a migration must not change when the app's code does.
INDEXES = {
    "ix_seeker_kana_c": 'CREATE INDEX ix_seeker_kana_c ON seeker (kana_key COLLATE "C")',
    "ix_seeker_no_c": 'CREATE INDEX ix_seeker_no_c ON seeker (seeker_no COLLATE "C")',
    "ix_seeker_phone_c": 'CREATE INDEX ix_seeker_phone_c ON seeker (phone COLLATE "C")',
}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for ddl in INDEXES.values():
        op.execute(ddl)
    op.execute("ANALYZE seeker")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
