"""credit expiry and province export: the city's expiry policy, a reference on personal notices,
the provincial delivery log

Revision ID: b7e3c1a95d20
Revises: 6cad542e193a
Create Date: 2026-12-06 13:00:00
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = 'b7e3c1a95d20'
down_revision = 'b7e2c90f5d31'
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


    op.create_table('province_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('item', sa.String(length=80), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_province_deliveries_partner_id_partners'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_province_deliveries'))
    )
    op.create_index('ix_province_deliveries_period_created', 'province_deliveries', ['period', 'created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_province_deliveries_period_created', table_name='province_deliveries')
    op.drop_table('province_deliveries')
    with op.batch_alter_table('notices') as batch:
        batch.drop_constraint(op.f('uq_notices_user_id_kind_ref'), type_='unique')
        batch.drop_column('ref')
    with op.batch_alter_table('cities') as batch:
        batch.drop_constraint(op.f('ck_cities_expiry_range'), type_='check')
        batch.drop_column('credit_expiry_months')
