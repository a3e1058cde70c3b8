"""a place says whether it is reserved to the Prefect (contingent préfectoral): the State quota
of a pension de famille or résidence accueil is told apart from its other places

Revision ID: 0021
Revises: 0020
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('state_quota', sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table('place', schema=None) as batch_op:
        batch_op.drop_column('state_quota')
