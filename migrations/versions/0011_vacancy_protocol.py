"""vacancy protocol: vacancies (one per VacancyWorkflow), proposals and stall alerts (issue 10)

Revision ID: 0011
Revises: 0010
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = sqlmodel.sql.sqltypes.AutoString
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('vacancy',
    sa.Column('id', S(length=40), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('departement', S(length=3), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('step', S(), nullable=False),
    sa.Column('declared_at', TZ, nullable=False),
    sa.Column('updated_at', TZ, nullable=False),
    sa.Column('filled_by', S(length=36), nullable=True),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vacancy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vacancy_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vacancy_departement'), ['departement'], unique=False)
        batch_op.create_index(batch_op.f('ix_vacancy_structure_id'), ['structure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vacancy_step'), ['step'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vacancy_id', S(length=40), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('household_id', S(length=36), nullable=False),
    sa.Column('status', S(), nullable=False),
    sa.Column('proposed_at', TZ, nullable=False),
    sa.Column('due_at', TZ, nullable=True),
    sa.Column('accepted_at', TZ, nullable=True),
    sa.Column('refused_by', S(), nullable=True),
    sa.Column('refusal_reason', S(), nullable=True),
    sa.Column('consequence', S(), nullable=True),
    sa.Column('parked_until', TZ, nullable=True),
    sa.Column('declined_after_accepting', sa.Boolean(), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=True),
    sa.Column('updated_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_vacancy_id'), ['vacancy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_status'), ['status'], unique=False)

    op.create_table('stallalert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vacancy_id', S(length=40), nullable=False),
    sa.Column('departement', S(length=3), nullable=False),
    sa.Column('household_id', S(length=36), nullable=True),
    sa.Column('reason', S(), nullable=False),
    sa.Column('recipient', S(), nullable=False),
    sa.Column('recipient_structure', S(length=120), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_at', TZ, nullable=False),
    sa.Column('raised_at', TZ, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stallalert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stallalert_vacancy_id'), ['vacancy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stallalert_departement'), ['departement'], unique=False)
        batch_op.create_index(batch_op.f('ix_stallalert_household_id'), ['household_id'], unique=False)


def downgrade() -> None:
    op.drop_table('stallalert')
    op.drop_table('proposal')
    op.drop_table('vacancy')
