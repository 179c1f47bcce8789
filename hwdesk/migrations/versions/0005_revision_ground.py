"""termsversion.change_ground: which of the terms' listed grounds a revision without consent rests on

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00

Why: 前橋 第9条 and 高松 第13条 allow a change without the users' consent only "以下の各号のいずれかに
該当する場合" — (1) it suits the users' general interest, (2) it does not go against the terms'
purpose and is reasonable. A revision records which one applies ('' where the office's terms list
none, as 渋谷 第10条, and for the shipped versions).
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('termsversion') as batch:
        batch.add_column(sa.Column('change_ground', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                   server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('termsversion') as batch:
        batch.drop_column('change_ground')
