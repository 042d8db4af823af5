"""reward funding: each reward's declared value (fen) and funder, copied onto its vouchers

Revision ID: d1f3a8b6c2e4
Revises: c4d8e2f1a7b3
Create Date: 2026-12-07 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'd1f3a8b6c2e4'
down_revision = 'c4d8e2f1a7b3'
branch_labels = None
depends_on = None


def _funder() -> sa.Column:
    return sa.Column(
        'funded_by',
        sa.Enum('merchant', 'city', name='funder', native_enum=False, length=10),
        nullable=False,
        server_default='merchant',
    )


def upgrade() -> None:
    with op.batch_alter_table('rewards') as batch:
        batch.add_column(sa.Column('value_fen', sa.Integer(), nullable=True))
        batch.add_column(_funder())
        batch.create_check_constraint(op.f('ck_rewards_value_non_negative'), 'value_fen >= 0')
    with op.batch_alter_table('redemptions') as batch:
        batch.add_column(sa.Column('value_fen', sa.Integer(), nullable=True))
        batch.add_column(_funder())


def downgrade() -> None:
    with op.batch_alter_table('redemptions') as batch:
        batch.drop_column('funded_by')
        batch.drop_column('value_fen')
    with op.batch_alter_table('rewards') as batch:
        batch.drop_constraint(op.f('ck_rewards_value_non_negative'), type_='check')
        batch.drop_column('funded_by')
        batch.drop_column('value_fen')
