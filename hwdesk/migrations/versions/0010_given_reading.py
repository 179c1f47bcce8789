"""seeker.given_key: the reading after its first word (the given name), indexed for prefix search

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 12:00:00

Why (issue 17): staff search by the given name as often as by the family name (``さくら`` for
山田 さくら). ``kana_key`` only answers a prefix of the whole reading; a range on ``given_key``
answers a prefix of any later word from an index at a million seekers. Filled here from
``name_kana`` (katakana, single ASCII spaces between words, as ``jtext.parse_reading`` stores
it): everything after the first space, without spaces and ・, as ``services.seekers.given_key``
computes it for new rows. PostgreSQL indexes it in ``COLLATE "C"``, as migration 0009 does the
other prefix columns (hwdesk/pgindex.py); SQLite's comparisons are binary already.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Kept here rather than imported: a migration must not change when the app's code does.
INDEXES = {
    "ix_seeker_given_c": 'CREATE INDEX ix_seeker_given_c ON seeker (given_key COLLATE "C")',
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # A plain ADD COLUMN (no table copy: a million rows) with a default every old row takes.
    op.add_column('seeker', sa.Column('given_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False,
                                      server_default=''))
    find = "instr(name_kana, ' ')" if sqlite else "strpos(name_kana, ' ')"
    op.execute(
        "UPDATE seeker SET given_key = replace(replace(substr(name_kana, " + find + " + 1), ' ', ''), '・', '')"
        " WHERE " + find + " > 0"
    )
    if sqlite:
        op.create_index('ix_seeker_given', 'seeker', ['given_key'], unique=False)
    else:
        for ddl in INDEXES.values():
            op.execute(ddl)
        op.execute("ANALYZE seeker")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index('ix_seeker_given', table_name='seeker')
        op.execute("ALTER TABLE seeker DROP COLUMN given_key")  # SQLite 3.35+: no table copy
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_column('seeker', 'given_key')
