"""timeline events carry their household's département: the annual report's monthly flows read
a département's events of a period from one covering index, without a join

Revision ID: 0019
Revises: 0018
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('timelineevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('departement', sa.String(length=3), nullable=True))
    op.execute(
        "UPDATE timelineevent SET departement = (SELECT household.departement FROM household "
        "WHERE household.id = timelineevent.household_id)"
    )
    op.create_index(
        'ix_timelineevent_flows', 'timelineevent', ['departement', 'occurred_at', 'action']
    )


def downgrade() -> None:
    op.drop_index('ix_timelineevent_flows', table_name='timelineevent')
    with op.batch_alter_table('timelineevent', schema=None) as batch_op:
        batch_op.drop_column('departement')
