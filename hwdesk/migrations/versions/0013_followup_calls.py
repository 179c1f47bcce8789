"""Follow-up calls to seekers not checked in after a session's start (issue 20, item 4)

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-06 11:30:00

Why: the follow-up list records each call's result (reached / no answer); a mistaken result is
corrected by a new row naming the one it corrects, so the table is append-only.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'followup_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('seeker_id', sa.Integer(), nullable=False),
        sa.Column('office_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('by', sa.Integer(), nullable=True),
        sa.Column('corrects_id', sa.Integer(), nullable=True),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['by'], ['staff.id']),
        sa.ForeignKeyConstraint(['corrects_id'], ['followup_call.id']),
        sa.ForeignKeyConstraint(['office_id'], ['office.id']),
        sa.ForeignKeyConstraint(['seeker_id'], ['seeker.id']),
        sa.ForeignKeyConstraint(['session_id'], ['session.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_followup_call_session', 'followup_call', ['session_id', 'seeker_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_followup_call_session', table_name='followup_call')
    op.drop_table('followup_call')
