"""The interpreter roster: who interprets which language on which weekdays and hours, per office

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06 11:45:00

Why (issue 20 item 1): a seeker's companion notice can ask for an interpreter (通訳, 前橋 第3条(7),
渋谷 第6条(2), 高松 第12条(3)); the office keeps who covers which language when (its interpreters,
and the remote interpretation service as the fallback), so booking warns when nobody covers the
session and the queue shows it. Lines are never deleted: ending one keeps it with the reason.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'interpreter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('language_key', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('weekdays', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column('start_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column('end_time', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('until', sa.Date(), nullable=True),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('replaces_id', sa.Integer(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('ended_by', sa.Integer(), nullable=True),
        sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['office.id'], ),
        sa.ForeignKeyConstraint(['replaces_id'], ['interpreter.id'], ),
        sa.ForeignKeyConstraint(['created_by'], ['staff.id'], ),
        sa.ForeignKeyConstraint(['ended_by'], ['staff.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_interpreter_office_lang', 'interpreter', ['office_id', 'language_key'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_interpreter_office_lang', table_name='interpreter')
    op.drop_table('interpreter')
