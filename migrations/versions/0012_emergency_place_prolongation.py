"""emergency places: prolongation of a night's shelter past the morning's release (issue 10)

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_until', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.drop_column('held_until')
