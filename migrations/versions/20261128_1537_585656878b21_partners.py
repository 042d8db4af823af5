"""partners: partner keys, seen signatures, and (partner_id, external_id) on actions

Revision ID: 585656878b21
Revises: 84abda2bc705
Create Date: 2026-11-28 15:37:58.401455
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = '585656878b21'
down_revision = '84abda2bc705'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partners',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('transit', 'waste', name='partner_kind', native_enum=False, length=12), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partners')),
    sa.UniqueConstraint('key', name=op.f('uq_partners_key')),
    sa.UniqueConstraint('name', name=op.f('uq_partners_name'))
    )
    op.create_table('partner_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_signatures_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_signatures')),
    sa.UniqueConstraint('partner_id', 'signature', name=op.f('uq_partner_signatures_partner_id_signature'))
    )
    with op.batch_alter_table('partner_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_signatures_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_actions_partner_external', ['partner_id', 'external_id'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_actions_partner_id_partners'), 'partners', ['partner_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    with op.batch_alter_table('actions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_actions_partner_id_partners'), type_='foreignkey')
        batch_op.drop_index('ix_actions_partner_external')
        batch_op.drop_column('external_id')
        batch_op.drop_column('partner_id')

    with op.batch_alter_table('partner_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_signatures_created_at'))

    op.drop_table('partner_signatures')
    op.drop_table('partners')
