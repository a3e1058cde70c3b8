"""housing first and matching: the rules' proposal, the commission's recommendation and its
session, and what ranking reads in SQL (vulnerability, held back, a stored tie-breaker)

Revision ID: 0014
Revises: 0013
"""

import random
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed_place", TEXT(), nullable=True))
        batch_op.add_column(sa.Column("proposal_reason", TEXT(), nullable=True))
        batch_op.add_column(sa.Column("recommended_place", TEXT(), nullable=True))
        batch_op.add_column(sa.Column("vulnerability", TEXT(), nullable=True))
        batch_op.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "awaiting_reassessment", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column("tie_breaker", sa.Float(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            batch_op.f("ix_household_recommended_place"), ["recommended_place"], unique=False
        )
        batch_op.create_index(
            "ix_household_matching", ["departement", "stage", "recommended_place"], unique=False
        )
    # Each household's tie-breaker, drawn once (new ones draw theirs when created).
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM household"))]
    for household_id in ids:
        bind.execute(
            sa.text("UPDATE household SET tie_breaker = :t WHERE id = :i"),
            {"t": random.random(), "i": household_id},
        )
    with op.batch_alter_table("commissiondecision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("not_housing_reason", TEXT(), nullable=True))
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("members_present", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(sa.Column("proposed_place", TEXT(), nullable=True))
        batch_op.add_column(sa.Column("follows_proposal", sa.Boolean(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_commissiondecision_session_id"), ["session_id"], unique=False
        )


    op.create_table(
        'candidatesnapshot',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vacancy_id', TEXT(length=40), nullable=False),
        sa.Column('household_id', TEXT(length=36), nullable=False),
        sa.Column('proposed_rank', sa.Integer(), nullable=True),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', TEXT(length=120), nullable=False),
        sa.Column('policy_version', TEXT(length=120), nullable=False),
        sa.Column('criteria', sa.JSON(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('candidates', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_candidatesnapshot_vacancy_id', 'candidatesnapshot', ['vacancy_id'])
    op.create_index('ix_candidatesnapshot_household_id', 'candidatesnapshot', ['household_id'])


def downgrade() -> None:
    op.drop_table('candidatesnapshot')
    with op.batch_alter_table("commissiondecision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commissiondecision_session_id"))
        for name in (
            "follows_proposal",
            "proposed_place",
            "members_present",
            "session_id",
            "not_housing_reason",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_matching")
        batch_op.drop_index(batch_op.f("ix_household_recommended_place"))
        for name in (
            "tie_breaker",
            "awaiting_reassessment",
            "held_until",
            "vulnerability",
            "recommended_place",
            "proposal_reason",
            "proposed_place",
        ):
            batch_op.drop_column(name)
