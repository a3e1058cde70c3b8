"""alert recipient code (the policy-failure alert's coordinator named as the rules name it)

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Alert.recipient is typed by models.vocab.Recipient: one code for the SIAO coordinator,
    # "siao_coordinator" (the rules' `escalate: {to: …}`), where policy failures said "coordinator".
    op.execute(
        sa.text("UPDATE alert SET recipient = 'siao_coordinator' WHERE recipient = 'coordinator'")
    )


def downgrade() -> None:
    pass  # both codes meant the same recipient: nothing to undo
