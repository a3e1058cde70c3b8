"""timeliness at the source: each evaluation, decision, placement and review keeps the due date it
met (or missed) and whether it was late, whatever the timers did; an orientation's answer too
(the server-set entry time is `recorded_at`, beside the caseworker's stated time)

Revision ID: 0016
Revises: 0015
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORDS = ('flashevaluation', 'indepthevaluation', 'commissiondecision', 'orientation',
           'placement', 'review')


def upgrade() -> None:
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('due_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('late', sa.Boolean(), nullable=True))
    with op.batch_alter_table('orientation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answer_late', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orientation', schema=None) as batch_op:
        batch_op.drop_column('answer_late')
        batch_op.drop_column('answer_due_at')
    for table in RECORDS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('late')
            batch_op.drop_column('due_at')
