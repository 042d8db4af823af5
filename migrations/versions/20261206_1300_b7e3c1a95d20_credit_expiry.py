"""credit expiry: the city's expiry policy and a reference on personal notices

Revision ID: b7e3c1a95d20
Revises: 6cad542e193a
Create Date: 2026-12-06 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'b7e3c1a95d20'
down_revision = '6cad542e193a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cities') as batch:
        batch.add_column(sa.Column('credit_expiry_months', sa.Integer(), nullable=True))
        batch.create_check_constraint(
            op.f('ck_cities_expiry_range'), 'credit_expiry_months IS NULL OR credit_expiry_months BETWEEN 1 AND 120'
        )
    with op.batch_alter_table('notices') as batch:
        batch.add_column(sa.Column('ref', sa.String(length=20), nullable=True))
        batch.create_unique_constraint(op.f('uq_notices_user_id_kind_ref'), ['user_id', 'kind', 'ref'])


def downgrade() -> None:
    with op.batch_alter_table('notices') as batch:
        batch.drop_constraint(op.f('uq_notices_user_id_kind_ref'), type_='unique')
        batch.drop_column('ref')
    with op.batch_alter_table('cities') as batch:
        batch.drop_constraint(op.f('ck_cities_expiry_range'), type_='check')
        batch.drop_column('credit_expiry_months')
