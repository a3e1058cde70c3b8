"""audit trail and erasure hardening (département, erasable text, canonical time)

Revision ID: 0005
Revises: 0004

Existing audit rows keep their links (chain version 1, plain SHA-256); new rows are HMAC'd
under SIAO_AUDIT_KEY (version 2) and their free text goes to `auditnote`, beside the chain. Rows of households still in the database get their
département; the chain's head row is created if the trail is still empty.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('departement', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True)
        )
        batch_op.add_column(
            sa.Column('note_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column('chain_version', sa.Integer(), nullable=False, server_default='1')
        )
        batch_op.create_index(
            batch_op.f('ix_auditevent_departement'), ['departement'], unique=False
        )
    op.create_table('auditnote',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('household_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('salt', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('auditnote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditnote_household_id'), ['household_id'], unique=False)
    op.execute(
        "UPDATE auditevent SET departement = (SELECT household.departement FROM household "
        "WHERE household.id = auditevent.household_id) WHERE household_id IS NOT NULL"
    )
    op.execute(
        f"INSERT INTO audithead (id, seq, hash) SELECT 1, 0, '{GENESIS}' "
        "WHERE NOT EXISTS (SELECT 1 FROM audithead WHERE id = 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table('auditnote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditnote_household_id'))
    op.drop_table('auditnote')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_departement'))
        batch_op.drop_column('chain_version')
        batch_op.drop_column('note_digest')
        batch_op.drop_column('departement')
