"""Notices to seekers: an outbox that is also the record of what was told

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-06 12:00:00

Why (issue 20, item 2): confirmations, reminders, reschedules, cancellations, waitlist offers and
terms-revision notices are queued when their event happens and sent by a command staff run; each
row keeps what was told, when, by whom, under which terms version, and the delivery result. The
office's notice channel (print / mail / none, the mail server) is a row of ``meta``
(``notices.channel.<office>``): no schema change for it.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seeker_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('announced_version_id', sa.Integer(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('queued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('queued_by', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('attempted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('terms_version_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['seeker_id'], ['seeker.id'], ),
    sa.ForeignKeyConstraint(['office_id'], ['office.id'], ),
    sa.ForeignKeyConstraint(['session_id'], ['session.id'], ),
    sa.ForeignKeyConstraint(['announced_version_id'], ['termsversion.id'], ),
    sa.ForeignKeyConstraint(['queued_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['sent_by'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['terms_version_id'], ['termsversion.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_notice_seeker', 'notice', ['seeker_id', 'id'], unique=False)
    op.create_index('ix_notice_outbox', 'notice', ['state', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notice_outbox', table_name='notice')
    op.drop_index('ix_notice_seeker', table_name='notice')
    op.drop_table('notice')
