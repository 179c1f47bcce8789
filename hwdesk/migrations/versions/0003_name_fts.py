"""SQLite: the name index moves from name_gram to the FTS5 table name_fts (PostgreSQL: no change)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 22:10:00

Why: a CSV import wrote ~8 name_gram B-tree rows a name (~25 µs of an ~80 µs row at a million
seekers) and held the import under 20,000 rows/s. name_fts holds each active seeker's name as
hex code points, one token a character (chars) and one a pair of adjacent characters (pairs), so
any fragment is an exact phrase query; a name costs ~2 µs to index (hwdesk/nameindex.py).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BATCH = 20000


def _fts_text(name: str) -> str:
    # Kept here rather than imported: a migration must not change when the app's code does.
    return " ".join(format(ord(c), "x") for c in name.replace(" ", ""))


def _fts_pairs(name: str) -> str:
    h = [format(ord(c), "x") for c in name.replace(" ", "")]
    return " ".join(a + "x" + b for a, b in zip(h, h[1:]))


def _grams(name: str) -> set[str]:
    s = name.replace(" ", "")
    return set(s) | {s[i : i + 2] for i in range(len(s) - 1)} | {s[i : i + 3] for i in range(len(s) - 2)}


def _active_names(bind):
    return bind.execute(sa.text("SELECT id, name FROM seeker WHERE anonymized_at IS NULL ORDER BY id"))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    op.execute("CREATE VIRTUAL TABLE name_fts USING fts5(chars, pairs, tokenize='ascii', columnsize=0)")
    cur = bind.connection.dbapi_connection.cursor()
    try:
        cur.executemany("INSERT INTO name_fts (rowid, chars, pairs) VALUES (?, ?, ?)",
                        [(sid, _fts_text(name or ""), _fts_pairs(name or "")) for sid, name in _active_names(bind)])
    finally:
        cur.close()
    op.execute("INSERT INTO name_fts (name_fts) VALUES ('optimize')")
    op.drop_table('name_gram')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    op.create_table(
        'name_gram',
        sa.Column('gram', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('seeker_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['seeker_id'], ['seeker.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('gram', 'seeker_id'),
        sqlite_with_rowid=False,
    )
    grams = sorted((g, sid) for sid, name in _active_names(bind) for g in _grams(name or ""))
    ins = sa.text("INSERT INTO name_gram (gram, seeker_id) VALUES (:gram, :seeker_id)")
    for i in range(0, len(grams), BATCH):
        bind.execute(ins, [{"gram": g, "seeker_id": sid} for g, sid in grams[i : i + BATCH]])
    op.execute("DROP TABLE name_fts")
