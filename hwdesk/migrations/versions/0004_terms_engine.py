"""Rule engine (issue 15 A): approval.wishes_continuing, registration_renewal, office requirements refreshed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:20:00

Why: 渋谷 第1条(4) asks that the seeker wishes continuing counseling as well as the office's
recognition of need, so the approval records the wish (false for approvals recorded before: the
wish was never asked). A 求職登録's validity (docs/rules.md (p)) can be renewed elsewhere;
staff record that in registration_renewal. Each shipped office's stored profile gets the
shipped ``requirements`` section: every condition now carries the key phrase of its article
and the engine enforces only the conditions listed there.
"""
import json

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _shipped_requirements() -> dict[str, dict]:
    from hwdesk.paths import data_dir  # the shipped data, in a checkout or an installed wheel

    folder = data_dir() / "offices"
    out = {}
    for p in sorted(folder.glob("*.json")):
        raw = json.loads(p.read_text(encoding="utf-8"))
        out[raw["id"]] = raw["requirements"]
    return out


def _refresh_requirements(bind, requirements: dict[str, dict] | None) -> None:
    office = sa.table("office", sa.column("id", sa.String), sa.column("profile_json", sa.Text))
    for oid, pj in bind.execute(sa.select(office.c.id, office.c.profile_json)).all():
        raw = json.loads(pj)
        if requirements is None:  # down: drop what 0004 added
            req = raw.get("requirements", {})
            for key in ("service", "registration_valid", "termination", "agreement"):
                req.pop(key, None)
            for entry in req.values():
                if isinstance(entry, dict):
                    entry.pop("phrase", None)
        elif oid in requirements:
            raw["requirements"] = requirements[oid]
        else:
            continue
        bind.execute(office.update().where(office.c.id == oid).values(profile_json=json.dumps(raw, ensure_ascii=False)))


def upgrade() -> None:
    with op.batch_alter_table('approval') as batch:
        batch.add_column(sa.Column('wishes_continuing', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        'registration_renewal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seeker_id', sa.Integer(), nullable=False),
        sa.Column('renewed_on', sa.Date(), nullable=False),
        sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['recorded_by'], ['staff.id'], ),
        sa.ForeignKeyConstraint(['seeker_id'], ['seeker.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_registration_renewal_seeker', 'registration_renewal', ['seeker_id'], unique=False)
    _refresh_requirements(op.get_bind(), _shipped_requirements())


def downgrade() -> None:
    _refresh_requirements(op.get_bind(), None)
    op.drop_index('ix_registration_renewal_seeker', table_name='registration_renewal')
    op.drop_table('registration_renewal')
    with op.batch_alter_table('approval') as batch:
        batch.drop_column('wishes_continuing')
