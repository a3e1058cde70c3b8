"""a household recognised at its first contact names its earlier pathway: first-time requests
and returns after housing are counted from it

Revision ID: 0020
Revises: 0019
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_household_id', sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_household_previous_household_id'), ['previous_household_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_previous_household_id'))
        batch_op.drop_column('previous_household_id')
