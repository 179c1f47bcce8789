"""Waitlist offers carry a reply deadline (enrollment.offered_until) and a partial index finds the
offers whose deadline has passed without reading the enrollments

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06 09:00:00

Why (issue 16): an offered seat was held until a clerk confirmed or declined it, however long
nobody answered; now it goes to the next in line when the office's reply period has passed.
Offers made before this revision keep no deadline (NULL) and wait for the clerk as before.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None

OFFERED = sa.text("state = 'offered'")


def upgrade() -> None:
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.create_index('ix_enrollment_offer_due', 'enrollment', ['offered_until'], unique=False,
                    sqlite_where=OFFERED, postgresql_where=OFFERED)


def downgrade() -> None:
    op.drop_index('ix_enrollment_offer_due', table_name='enrollment')
    with op.batch_alter_table('enrollment', schema=None) as batch_op:
        batch_op.drop_column('offered_until')
