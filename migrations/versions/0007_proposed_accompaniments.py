"""decisions: the accompaniments the rules proposed, on the household as in the pathway

Revision ID: 0007
Revises: 0006
(Existing rows get an empty list: the server default keeps the upgrade safe.)
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # `propose_accompaniment` was written to the pathway's state only; the household row now
    # takes every lasting effect of a decision (models/decisions.py Effects.onto).
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('proposed_accompaniments', sa.JSON(), nullable=False, server_default='[]')
        )


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('proposed_accompaniments')
