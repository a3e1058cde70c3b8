"""the 115 call log and the outreach coverage (issue 12, items 2 and 8): calls received and
answered per département and day (`callday`, one row a day, replaced by a new import), each
request a 115 call handler handled (`callrequest`, household linked when known); the veille
sociale's teams and centres (`outreachteam`) with the communes they cover (`outreachzone`), and
the commune of each first contact (`household.commune`) for the white zones

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "callday",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("departement", TEXT(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("imported_by", TEXT(length=80), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("departement", "day", name="uq_callday_departement_day"),
    )
    with op.batch_alter_table("callday", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callday_departement"), ["departement"], unique=False)

    op.create_table(
        "callrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("departement", TEXT(length=3), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("outcome", TEXT(), nullable=False),
        sa.Column("household_id", TEXT(length=36), nullable=True),
        sa.Column("recorded_by", TEXT(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("callrequest", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_callrequest_departement"), ["departement"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_callrequest_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_callrequest_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "outreachteam",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("departement", TEXT(length=3), nullable=False),
        sa.Column("name", TEXT(length=120), nullable=False),
        sa.Column("kind", TEXT(), nullable=False),
        sa.Column("operator", TEXT(length=120), nullable=True),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("evaluation_capacity", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", TEXT(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("departement", "name", name="uq_outreachteam_departement_name"),
    )
    with op.batch_alter_table("outreachteam", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreachteam_departement"), ["departement"], unique=False
        )

    op.create_table(
        "outreachzone",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("commune", TEXT(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["outreachteam.id"],
        ),
        sa.PrimaryKeyConstraint("team_id", "commune"),
    )
    with op.batch_alter_table("outreachzone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outreachzone_commune"), ["commune"], unique=False)

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.add_column(sa.Column("commune", TEXT(length=5), nullable=True))
        batch_op.create_index(batch_op.f("ix_household_commune"), ["commune"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_commune"))
        batch_op.drop_column("commune")
    with op.batch_alter_table("outreachzone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreachzone_commune"))
    op.drop_table("outreachzone")
    with op.batch_alter_table("outreachteam", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreachteam_departement"))
    op.drop_table("outreachteam")
    with op.batch_alter_table("callrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callrequest_household_id"))
        batch_op.drop_index(batch_op.f("ix_callrequest_day"))
        batch_op.drop_index(batch_op.f("ix_callrequest_departement"))
    op.drop_table("callrequest")
    with op.batch_alter_table("callday", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callday_departement"))
    op.drop_table("callday")
