"""stat_returns: each active day beside the previous one, for distinct residents over any window

Revision ID: f2c6a9d4b8e1
Revises: e5b7c9d1f2a4
Create Date: 2026-12-07 13:00:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = 'f2c6a9d4b8e1'
down_revision = 'e5b7c9d1f2a4'
branch_labels = None
depends_on = None

LONG_AGO = dt.date(1970, 1, 1)
HORIZON = 365


def upgrade() -> None:
    op.create_table('stat_returns',
    sa.Column('kind', sa.String(length=1), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('prev_kind', sa.String(length=1), nullable=False),
    sa.Column('prev_start', sa.Date(), nullable=False),
    sa.Column('district_key', sa.Integer(), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'start', 'prev_kind', 'prev_start', 'district_key',
                            name=op.f('pk_stat_returns'), postgresql_include=['residents'])
    )
    _backfill(op.get_bind())


def _backfill(bind) -> None:
    """The pairs of the active days already in the masks of "*" (the application's rule, restated here
    because a migration must not import the application)."""
    counts: dict = {}

    def pairs(key, days):
        previous = None
        for day in days:
            before = previous if previous is not None and (day - previous).days <= HORIZON else LONG_AGO
            for kind, start in (("d", day), ("m", day.replace(day=1))):
                for prev_kind, prev in (("d", before), ("m", before.replace(day=1))):
                    row = (kind, start, prev_kind, prev, key)
                    counts[row] = counts.get(row, 0) + 1
            previous = day

    current, days = None, []
    rows = bind.execute(sa.text(
        "SELECT district_key, user_id, year, " + ", ".join(f"m{n}" for n in range(1, 13)) +
        " FROM stat_masks WHERE subject = '*' ORDER BY district_key, user_id, year"
    ))
    for key, user_id, year, *months in rows:
        if (key, user_id) != current:
            if days:
                pairs(current[0], days)
            current, days = (key, user_id), []
        for month, bits in enumerate(months, start=1):
            days += [dt.date(year, month, n + 1) for n in range(bits.bit_length()) if bits >> n & 1]
    if days:
        pairs(current[0], days)
    table = sa.table('stat_returns', *[sa.column(c) for c in
                                       ('kind', 'start', 'prev_kind', 'prev_start', 'district_key', 'residents')])
    found = [{'kind': k, 'start': s, 'prev_kind': pk, 'prev_start': p, 'district_key': dk, 'residents': n}
             for (k, s, pk, p, dk), n in sorted(counts.items())]
    for offset in range(0, len(found), 5000):
        bind.execute(table.insert(), found[offset:offset + 5000])


def downgrade() -> None:
    op.drop_table('stat_returns')
