"""campaigns and notices: campaigns, districts, multipliers, challenges, completions, notices, scheduler lease

Revision ID: b59692b5a60d
Revises: 585656878b21
Create Date: 2026-11-28 15:39:13.015112
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = 'b59692b5a60d'
down_revision = '585656878b21'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('scheduler_leases',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('acquired_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_scheduler_leases'))
    )
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name_zh', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description_zh', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'active', 'ended', 'cancelled', name='campaign_status', native_enum=False, length=12), nullable=False),
    sa.Column('template_code', sa.String(length=40), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activated_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_campaigns_window')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('template_code', 'year', name=op.f('uq_campaigns_template_code_year'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index('ix_campaigns_starts_at_ends_at', ['starts_at', 'ends_at'], unique=False)
        batch_op.create_index('ix_campaigns_status_starts_at', ['status', 'starts_at'], unique=False)

    op.create_table('campaign_districts',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_districts_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_campaign_districts_district_id_districts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('campaign_id', 'district_id', name=op.f('pk_campaign_districts'))
    )
    op.create_table('campaign_multipliers',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('action_type_id', sa.Integer(), nullable=False),
    sa.Column('factor', sa.Numeric(precision=6, scale=3), nullable=False),
    sa.CheckConstraint('factor > 0 AND factor <= 10', name=op.f('ck_campaign_multipliers_factor_range')),
    sa.ForeignKeyConstraint(['action_type_id'], ['action_types.id'], name=op.f('fk_campaign_multipliers_action_type_id_action_types'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_multipliers_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'action_type_id', name=op.f('pk_campaign_multipliers'))
    )
    with op.batch_alter_table('campaign_multipliers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_multipliers_action_type_id'), ['action_type_id'], unique=False)

    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('action_type_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('bonus_credits', sa.Integer(), nullable=False),
    sa.Column('badge_code', sa.String(length=40), nullable=True),
    sa.CheckConstraint('bonus_credits >= 0', name=op.f('ck_challenges_bonus_non_negative')),
    sa.CheckConstraint('count > 0', name=op.f('ck_challenges_count_positive')),
    sa.ForeignKeyConstraint(['action_type_id'], ['action_types.id'], name=op.f('fk_challenges_action_type_id_action_types'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_challenges_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_action_type_id'), ['action_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('challenge_completions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('bonus_credits', sa.Integer(), nullable=False),
    sa.Column('badge_code', sa.String(length=40), nullable=True),
    sa.Column('completed_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_completions_challenge_id_challenges'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_challenge_completions_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenge_completions')),
    sa.UniqueConstraint('challenge_id', 'user_id', name=op.f('uq_challenge_completions_challenge_id_user_id'))
    )
    with op.batch_alter_table('challenge_completions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenge_completions_user_id'), ['user_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('campaign_started', 'campaign_ending', 'campaign_ended', 'campaign_cancelled', 'challenge_completed', name='notice_kind', native_enum=False, length=24), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('challenge_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(campaign_id IS NOT NULL AND user_id IS NULL) OR (campaign_id IS NULL AND user_id IS NOT NULL)', name=op.f('ck_notices_broadcast_or_personal')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_notices_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_notices_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('campaign_id', 'kind', name=op.f('uq_notices_campaign_id_kind')),
    sa.UniqueConstraint('user_id', 'challenge_id', name=op.f('uq_notices_user_id_challenge_id'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_created_at')

    op.drop_table('notices')
    with op.batch_alter_table('challenge_completions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_completions_user_id'))

    op.drop_table('challenge_completions')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenges_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_challenges_action_type_id'))

    op.drop_table('challenges')
    with op.batch_alter_table('campaign_multipliers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_multipliers_action_type_id'))

    op.drop_table('campaign_multipliers')
    op.drop_table('campaign_districts')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index('ix_campaigns_status_starts_at')
        batch_op.drop_index('ix_campaigns_starts_at_ends_at')

    op.drop_table('campaigns')
    op.drop_table('scheduler_leases')
