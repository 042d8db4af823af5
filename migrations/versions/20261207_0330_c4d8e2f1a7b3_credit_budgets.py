"""credit budgets: one monthly issuance budget per city month

Revision ID: c4d8e2f1a7b3
Revises: c4a9e7d2f318
Create Date: 2026-12-07 03:30:00
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = 'c4d8e2f1a7b3'
down_revision = 'c4a9e7d2f318'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credit_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('credits', sa.Integer(), nullable=False),
    sa.Column('policy', sa.Enum('notify', 'damp', name='budget_policy', native_enum=False, length=10), nullable=False),
    sa.Column('damped_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('credits > 0', name=op.f('ck_credit_budgets_credits_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_credit_budgets_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_budgets')),
    sa.UniqueConstraint('month', name=op.f('uq_credit_budgets_month'))
    )


def downgrade() -> None:
    op.drop_table('credit_budgets')
