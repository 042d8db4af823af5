"""stations: waste-sorting stations, their attendants (users.station_id) and the deposits they weigh

Revision ID: c4a9e7d2f318
Revises: b7e3c1a95d20
Create Date: 2026-12-07 02:30:00
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = 'c4a9e7d2f318'
down_revision = 'b7e3c1a95d20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_stations_district_id_districts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stations')),
    sa.UniqueConstraint('name', name=op.f('uq_stations_name'))
    )
    with op.batch_alter_table('stations') as batch_op:
        batch_op.create_index(batch_op.f('ix_stations_district_id'), ['district_id'], unique=False)
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('station_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_station_id'), ['station_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_station_id_stations'), 'stations', ['station_id'], ['id'], ondelete='RESTRICT')
    op.create_table('station_deposits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('attendant_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('action_type_id', sa.Integer(), nullable=False),
    sa.Column('weight_kg', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('local_day', sa.Date(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('weight_kg > 0', name=op.f('ck_station_deposits_weight_positive')),
    sa.ForeignKeyConstraint(['action_id'], ['actions.id'], name=op.f('fk_station_deposits_action_id_actions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['action_type_id'], ['action_types.id'], name=op.f('fk_station_deposits_action_type_id_action_types'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['attendant_id'], ['users.id'], name=op.f('fk_station_deposits_attendant_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resident_id'], ['users.id'], name=op.f('fk_station_deposits_resident_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['station_id'], ['stations.id'], name=op.f('fk_station_deposits_station_id_stations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station_deposits')),
    sa.UniqueConstraint('action_id', name=op.f('uq_station_deposits_action_id'))
    )
    with op.batch_alter_table('station_deposits') as batch_op:
        batch_op.create_index(batch_op.f('ix_station_deposits_attendant_id'), ['attendant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_station_deposits_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_station_deposits_station_day', ['station_id', 'local_day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('station_deposits') as batch_op:
        batch_op.drop_index('ix_station_deposits_station_day')
        batch_op.drop_index(batch_op.f('ix_station_deposits_resident_id'))
        batch_op.drop_index(batch_op.f('ix_station_deposits_attendant_id'))
    op.drop_table('station_deposits')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_station_id_stations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_station_id'))
        batch_op.drop_column('station_id')
    with op.batch_alter_table('stations') as batch_op:
        batch_op.drop_index(batch_op.f('ix_stations_district_id'))
    op.drop_table('stations')
