"""PostgreSQL: prefix searches indexed in the C collation (reading, 求職番号, phone); name_gram
without its foreign key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00

Why: under the database's collation PostgreSQL cannot answer ``kana_key LIKE 'ヤマダ%'`` from a
B-tree; at a million seekers the reading search walked ``ix_seeker_dup`` and filtered 866,087
rows (1.2 s a key). These indexes are in ``COLLATE "C"``, as the search's comparisons and order
on PostgreSQL are (hwdesk/pgindex.py). SQLite: no change (its comparisons are binary already).
``ix_seeker_phone`` is replaced by its C-collation form (nothing compares phones otherwise).
Name fragments keep ``name_gram`` (pg_trgm cannot answer one or two kanji from its index;
docs/design.md, "PostgreSQL at a million seekers"), but without its foreign key: its check
(a key-share lock of the seeker row for each of a name's ~8 grams) was ~30 µs of a CSV import's
~90 µs of server time a row. Seekers are never deleted (retention anonymizes, and takes the
name out of the index through hwdesk.nameindex, the one module that writes it); ``hwdesk check``
compares the index with the seekers on PostgreSQL as on SQLite.
"""
from alembic import op


revision = '0009'
down_revision = '0008'
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
    op.execute("DROP INDEX IF EXISTS ix_seeker_phone")
    op.execute("ALTER TABLE name_gram DROP CONSTRAINT IF EXISTS name_gram_seeker_id_fkey")
    op.execute("ANALYZE seeker")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        return
    # Grams of seekers that no longer exist would refuse the constraint: none should, but a
    # downgrade must not fail on them.
    op.execute("DELETE FROM name_gram g WHERE NOT EXISTS (SELECT 1 FROM seeker k WHERE k.id = g.seeker_id)")
    op.execute("ALTER TABLE name_gram ADD CONSTRAINT name_gram_seeker_id_fkey FOREIGN KEY (seeker_id) REFERENCES seeker (id)"
               " ON DELETE CASCADE")
    op.execute("CREATE INDEX IF NOT EXISTS ix_seeker_phone ON seeker (phone)")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
