"""household seniority: waiting since the request, lost only as a refusal's consequence says

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seniority_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_household_seniority_since'), ['seniority_since'], unique=False)
    op.execute("UPDATE household SET seniority_since = encountered_at")


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_seniority_since'))
        batch_op.drop_column('seniority_since')
