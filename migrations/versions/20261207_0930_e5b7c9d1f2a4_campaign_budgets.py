"""campaign budgets: an optional budget per campaign and the roll-up of the credits campaigns add

Revision ID: e5b7c9d1f2a4
Revises: d1f3a8b6c2e4
Create Date: 2026-12-07 09:30:00
"""

import datetime as dt
import json
import zoneinfo

import sqlalchemy as sa
from alembic import op

import models.base

revision = 'e5b7c9d1f2a4'
down_revision = 'd1f3a8b6c2e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaign_budgets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('credits', sa.Integer(), nullable=False),
    sa.Column('policy', sa.Enum('notify', 'damp', name='budget_policy', native_enum=False, length=10), nullable=False),
    sa.Column('damped_at', models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('credits > 0', name=op.f('ck_campaign_budgets_credits_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_campaign_budgets_actor_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                            name=op.f('fk_campaign_budgets_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_budgets')),
    sa.UniqueConstraint('campaign_id', name=op.f('uq_campaign_budgets_campaign_id'))
    )
    op.create_table('stat_campaigns',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('actions', sa.BigInteger(), nullable=False),
    sa.Column('boost', sa.BigInteger(), nullable=False),
    sa.Column('bonus', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('campaign_id', 'day', name=op.f('pk_stat_campaigns'))
    )
    _backfill(op.get_bind())


def _backfill(bind) -> None:
    """What campaigns added before this revision: boosts (credits above the action's CO2e, for each
    campaign the action names) and challenge bonuses by the city day they were paid."""
    sums: dict = {}

    def add(key, actions=0, boost=0, bonus=0):
        old = sums.get(key, (0, 0, 0))
        sums[key] = (old[0] + actions, old[1] + boost, old[2] + bonus)

    for ids, day, boost in bind.execute(sa.text(
        "SELECT campaign_ids, local_day, credits - co2e_grams FROM actions "
        "WHERE status = 'credited' AND credits > co2e_grams"
    )):
        for campaign_id in (json.loads(ids) if isinstance(ids, str) else ids) or []:
            add((campaign_id, _date(day)), actions=1, boost=boost)
    zone_name = bind.execute(sa.text("SELECT timezone FROM cities ORDER BY id LIMIT 1")).scalar()
    zone = zoneinfo.ZoneInfo(zone_name or "UTC")
    for campaign_id, created_at, amount in bind.execute(sa.text(
        "SELECT c.campaign_id, e.created_at, e.amount FROM ledger_entries e "
        "JOIN challenges c ON c.id = e.cause_id WHERE e.kind = 'bonus' AND e.cause_type = 'challenge'"
    )):
        moment = created_at if isinstance(created_at, dt.datetime) else dt.datetime.fromisoformat(created_at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        add((campaign_id, moment.astimezone(zone).date()), bonus=amount)
    if sums:
        table = sa.table(
            'stat_campaigns', sa.column('campaign_id'), sa.column('day', sa.Date()), sa.column('actions'),
            sa.column('boost'), sa.column('bonus'),
        )
        op.bulk_insert(table, [
            {'campaign_id': c, 'day': d, 'actions': a, 'boost': b, 'bonus': n}
            for (c, d), (a, b, n) in sorted(sums.items())
        ])


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def downgrade() -> None:
    op.drop_table('stat_campaigns')
    op.drop_table('campaign_budgets')
