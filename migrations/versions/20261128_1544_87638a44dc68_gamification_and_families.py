"""gamification and families

Revision ID: 87638a44dc68
Revises: b59692b5a60d
Create Date: 2026-11-28 15:44:07.055338
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = '87638a44dc68'
down_revision = 'b59692b5a60d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('board_buckets',
    sa.Column('board', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('board', 'period', 'bucket', name=op.f('pk_board_buckets'))
    )
    op.create_table('board_scores',
    sa.Column('board', sa.String(length=10), nullable=False),
    sa.Column('period', sa.String(length=12), nullable=False),
    sa.Column('subject_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('reached_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('value >= 0 AND members >= 0', name=op.f('ck_board_scores_non_negative')),
    sa.PrimaryKeyConstraint('board', 'period', 'subject_id', name=op.f('pk_board_scores'))
    )
    with op.batch_alter_table('board_scores', schema=None) as batch_op:
        batch_op.create_index('ix_board_scores_rank', ['board', 'period', 'listed', sa.literal_column('value DESC'), 'reached_at', 'subject_id'], unique=False)

    op.create_table('game_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('hidden_from_boards', sa.Boolean(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=True),
    sa.Column('last_day', sa.Date(), nullable=True),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('best_streak', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('updated_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('streak >= 0 AND best_streak >= streak', name=op.f('ck_game_profiles_streaks')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_game_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_game_profiles'))
    )
    with op.batch_alter_table('game_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_game_profiles_first_day'), ['first_day'], unique=False)

    op.create_table('green_families',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('founder_id', sa.Integer(), nullable=True),
    sa.Column('invite_code', sa.String(length=16), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dissolved_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('member_count >= 0 AND member_count <= 8', name=op.f('ck_green_families_member_count_range')),
    sa.ForeignKeyConstraint(['founder_id'], ['users.id'], name=op.f('fk_green_families_founder_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_green_families')),
    sa.UniqueConstraint('invite_code', name=op.f('uq_green_families_invite_code'))
    )
    with op.batch_alter_table('green_families', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_green_families_founder_id'), ['founder_id'], unique=False)

    op.create_table('user_badges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('badge_code', sa.String(length=40), nullable=False),
    sa.Column('awarded_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_badges_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_badges')),
    sa.UniqueConstraint('user_id', 'badge_code', name=op.f('uq_user_badges_user_id_badge_code'))
    )
    op.create_table('weekly_recaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_weekly_recaps_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_recaps')),
    sa.UniqueConstraint('user_id', 'week_start', name=op.f('uq_weekly_recaps_user_id_week_start'))
    )
    op.create_table('family_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['family_id'], ['green_families.id'], name=op.f('fk_family_members_family_id_green_families'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_family_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_members')),
    sa.UniqueConstraint('user_id', name=op.f('uq_family_members_user_id'))
    )
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_members_family_id'), ['family_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_members_family_id'))

    op.drop_table('family_members')
    op.drop_table('weekly_recaps')
    op.drop_table('user_badges')
    with op.batch_alter_table('green_families', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_green_families_founder_id'))

    op.drop_table('green_families')
    with op.batch_alter_table('game_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_game_profiles_first_day'))

    op.drop_table('game_profiles')
    with op.batch_alter_table('board_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_board_scores_rank')

    op.drop_table('board_scores')
    op.drop_table('board_buckets')
