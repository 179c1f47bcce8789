"""name_gram: WITHOUT ROWID on SQLite, and trigrams for fragments of three or more characters;
audit_log: an index on (action, id); seeker: drop ix_seeker_kana_key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:50:00

Why: a kanji fragment of three or more characters (山田太) was answered by intersecting its
bigrams, which walks thousands of index entries for common names (~13 ms at a million seekers);
its trigram's posting list is a few hundred entries. On SQLite the table becomes WITHOUT ROWID:
the (gram, seeker_id) key is the table itself, half the pages and half the inserts per gram.
A CSV import now writes one audit row per file listing the seekers it added; the audit view
finds a seeker's import row through ``ix_audit_action`` instead of scanning the log.
``ix_seeker_kana_key`` duplicated the leading column of ``ix_seeker_dup`` (kana_key, birth_date),
which serves the reading prefix search as well: one index fewer on every insert (~6 µs a row).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

BATCH = 20000


def _trigrams(name: str) -> set[str]:
    # Kept here rather than imported: a migration must not change when the app's code does.
    s = name.replace(" ", "")
    return {s[i : i + 3] for i in range(len(s) - 2)}


def _table(name: str) -> None:
    op.create_table(
        name,
        sa.Column('gram', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column('seeker_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['seeker_id'], ['seeker.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('gram', 'seeker_id'),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_action', ['action', 'id'], unique=False)
    with op.batch_alter_table('seeker', schema=None) as batch_op:
        batch_op.drop_index('ix_seeker_kana_key')
    if bind.dialect.name == 'sqlite':
        _table('name_gram_new')
        op.execute("INSERT INTO name_gram_new (gram, seeker_id) SELECT gram, seeker_id FROM name_gram ORDER BY gram, seeker_id")
        op.drop_table('name_gram')
        op.rename_table('name_gram_new', 'name_gram')
    else:
        op.alter_column('name_gram', 'gram', type_=sqlmodel.sql.sqltypes.AutoString(length=3), existing_nullable=False)
    # Trigrams for every seeker that has grams (anonymized seekers have none and get none).
    rows = bind.execute(sa.text(
        "SELECT id, name FROM seeker WHERE id IN (SELECT DISTINCT seeker_id FROM name_gram) ORDER BY id"
    )).all()
    ins = sa.text("INSERT INTO name_gram (gram, seeker_id) VALUES (:gram, :seeker_id)")
    batch: list[dict] = []
    for sid, name in rows:
        batch.extend({"gram": g, "seeker_id": sid} for g in _trigrams(name or ""))
        if len(batch) >= BATCH:
            bind.execute(ins, batch)
            batch = []
    if batch:
        bind.execute(ins, batch)


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_action')
    with op.batch_alter_table('seeker', schema=None) as batch_op:
        batch_op.create_index('ix_seeker_kana_key', ['kana_key'], unique=False)
    op.execute("DELETE FROM name_gram WHERE length(gram) = 3")
    if bind.dialect.name == 'sqlite':
        op.create_table(
            'name_gram_old',
            sa.Column('gram', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
            sa.Column('seeker_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['seeker_id'], ['seeker.id'], ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('gram', 'seeker_id'),
        )
        op.execute("INSERT INTO name_gram_old (gram, seeker_id) SELECT gram, seeker_id FROM name_gram")
        op.drop_table('name_gram')
        op.rename_table('name_gram_old', 'name_gram')
    else:
        op.alter_column('name_gram', 'gram', type_=sqlmodel.sql.sqltypes.AutoString(length=2), existing_nullable=False)
