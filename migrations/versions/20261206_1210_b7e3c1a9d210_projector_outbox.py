"""projector outbox

Revision ID: b7e3c1a9d210
Revises: 6cad542e193a
Create Date: 2026-12-06 12:10:00
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = 'b7e3c1a9d210'
down_revision = '6cad542e193a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'projector_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('entry_id', sa.Integer(), nullable=True),
        sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_projector_outbox')),
    )
    op.create_index('ix_projector_outbox_action_id', 'projector_outbox', ['action_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_projector_outbox_action_id', table_name='projector_outbox')
    op.drop_table('projector_outbox')
