"""commission sessions: a sitting of the single or partnership commission, its members and
partners (the decisions taken in it name it: commissiondecision.session_id, 0014)

Revision ID: 0015
Revises: 0014
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('commissionsession',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('departement', TEXT(length=3), nullable=False),
    sa.Column('kind', TEXT(), nullable=False),
    sa.Column('held_on', sa.DateTime(timezone=True), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('partners', sa.JSON(), nullable=False),
    sa.Column('status', TEXT(), nullable=False),
    sa.Column('created_by', TEXT(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commissionsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commissionsession_departement'), ['departement'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('commissionsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commissionsession_departement'))
    op.drop_table('commissionsession')
