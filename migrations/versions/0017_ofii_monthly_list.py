"""the monthly OFII list (R-FOLLOW-2): one list per département and month (unique, so a rerun
never makes a month twice) with the file's SHA-256, and its rows — only the fields the
instruction lists, each with its household so an erasure deletes it

Revision ID: 0017
Revises: 0016
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('ofiilist',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('departement', TEXT(length=3), nullable=False),
    sa.Column('month', TEXT(length=7), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('generated_by', TEXT(length=120), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('sha256', TEXT(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('departement', 'month', name='uq_ofiilist_month')
    )
    with op.batch_alter_table('ofiilist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ofiilist_departement'), ['departement'], unique=False)

    op.create_table('ofiilistrow',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('household_id', TEXT(length=36), nullable=False),
    sa.Column('last_name', TEXT(length=80), nullable=True),
    sa.Column('first_name', TEXT(length=80), nullable=True),
    sa.Column('nickname', TEXT(length=80), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('sex', TEXT(), nullable=False),
    sa.Column('administrative_situation', TEXT(), nullable=False),
    sa.Column('structure', TEXT(length=120), nullable=False),
    sa.Column('place_type', TEXT(), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['ofiilist.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ofiilistrow', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ofiilistrow_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ofiilistrow_household_id'), ['household_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ofiilistrow', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ofiilistrow_household_id'))
        batch_op.drop_index(batch_op.f('ix_ofiilistrow_list_id'))
    op.drop_table('ofiilistrow')
    with op.batch_alter_table('ofiilist', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ofiilist_departement'))
    op.drop_table('ofiilist')
