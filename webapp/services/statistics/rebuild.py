"""The sweep: recompute the roll-ups from the raw rows, in bulk, for the city days from `since`.

`refresh_rollups(session, since)` is what the scheduler runs (and `flask seed synthetic` after its
COPY). It locks the roll-up tables while it runs (PostgreSQL), so live writers wait instead of
adding twice. With `since` = yesterday it reads the last week of raw rows, the last year of
"who was active on which day" (for the rolling 365-day counts) and the current year's day masks;
`since=None` rebuilds everything from the first action. Both end equal to a direct aggregate.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from models import (
    Action,
    StatActions,
    StatActive,
    StatLedger,
    StatMask,
    StatReach,
    StatRegistrations,
    StatReturns,
    User,
)
from models.statistics import CITY, LONG_AGO, NO_DISTRICT, RETURNS_HORIZON

from .. import budgets, projector
from . import staging, subjects
from .periods import ROLLING, ROLLING_COLUMNS, TO_DATE, period_start
from .rollups import MASK_COLUMNS, MASK_KEY, city_zone, registration_footprint
from .sql import (
    const,
    day_bit,
    dialect_of,
    earliest,
    part,
    plus_days,
    start_of,
    upsert,
    upsert_from,
)
from .staging import ENTRIES, FACTS, NEXT

log = logging.getLogger(__name__)
BEGINNING = dt.date(1970, 1, 1)
FAR = dt.date(9999, 12, 31)
# stat_masks first, as the projector writes them
ROLLUP_TABLES = (
    "stat_masks, stat_registrations, stat_ledger, stat_reach, stat_active, stat_returns, stat_actions, stat_campaigns"
)


def refresh_rollups(session: Session, since: dt.date | None = None) -> dict[str, float]:
    """Make every roll-up equal to a direct aggregate of the raw rows again, from `since` on; returns
    the seconds each step took (also logged).

    The projector's backlog is folded first, in this transaction and under its lock, so that no row is
    counted by the rebuild and again by a later fold (the caller runs it in one snapshot on PostgreSQL).
    """
    projector.fold_all(session)
    dialect = dialect_of(session)
    if dialect == "postgresql":
        session.execute(text(f"LOCK TABLE {ROLLUP_TABLES} IN SHARE ROW EXCLUSIVE MODE"))
        session.execute(text("SET LOCAL work_mem = '256MB'"))
    first = since or BEGINNING
    connection = session.connection()
    for table in (FACTS, ENTRIES, NEXT):
        table.drop(connection, checkfirst=True)
        table.create(connection)
    year_ago = min(period_start("m", first) - dt.timedelta(days=max(ROLLING)), period_start("y", first))
    steps = [
        ("registrations", lambda: _registrations(session)),
        ("entries", lambda: staging.stage_entries(session, first, dialect)),
        ("facts", lambda: staging.stage_facts(session, year_ago, period_start("w", first))),
        ("action sums", lambda: _action_sums(session, first, dialect)),
        ("ledger sums", lambda: _ledger_sums(session, first, dialect)),
        ("masks", lambda: _masks(session, first, dialect)),
        ("reach", lambda: _reach(session, first, dialect)),
        ("active", lambda: _active(session, first, dialect)),
        ("returns", lambda: _returns(session, first, dialect)),
        ("campaigns", lambda: budgets.rebuild_issuance(session, since)),
    ]
    if dialect == "postgresql":
        if since is None:  # a resident's rows of one subject and year side by side: window counts read few pages
            steps.append(("cluster", lambda: session.execute(text("CLUSTER stat_masks USING pk_stat_masks"))))
        steps.append(("analyze", lambda: session.execute(text(f"ANALYZE {ROLLUP_TABLES}"))))
    timings: dict[str, float] = {}
    try:
        for name, step in steps:
            started = time.perf_counter()
            step()
            timings[name] = time.perf_counter() - started
    finally:
        for table in (FACTS, ENTRIES, NEXT):
            table.drop(connection)
    log.info("refresh_rollups since %s: %s", since, ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return timings


def vacuum_rollups(engine: Engine) -> None:
    """After a rebuild from the beginning (PostgreSQL): VACUUM ANALYZE the roll-ups, so that the window
    counts are index-only scans at once instead of after autovacuum's next round (outside a transaction)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM (ANALYZE) {ROLLUP_TABLES}"))


def _registrations(session: Session) -> None:
    """Every resident's registration footprint, recounted (the users table is small beside actions)."""
    zone = city_zone(session)
    total: Counter = Counter()
    rows = session.execute(
        select(User.role, User.district_id, User.created_at, User.deleted_at).where(User.role == "resident")
    ).yield_per(20_000)
    for row in rows:
        total.update(registration_footprint(row.role, row.district_id, row.created_at, row.deleted_at, zone))
    by_day: dict[tuple, dict] = {}
    for (day, dk, column), n in total.items():
        by_day.setdefault((day, dk), {"day": day, "district_key": dk, "joined": 0, "left": 0})[column] += n
    session.execute(delete(StatRegistrations))
    upsert(session, StatRegistrations.__table__, list(by_day.values()), ["day", "district_key"], add=["joined", "left"])


def _refill_sums(
    session: Session, model: type, first: dt.date, columns: list[str], query_for: Callable[[str, dt.date], Select]
) -> None:
    """Delete `model`'s day rows from `first` and month rows from its month, then insert them again from
    `query_for(kind, low)`: the grouped sums of kind "d" or "m" over the raw rows from `low` on."""
    month = first.replace(day=1)
    session.execute(
        delete(model).where(
            or_(
                and_(model.kind == "d", model.start >= first),
                and_(model.kind == "m", model.start >= month),
            )
        )
    )
    for kind, low in (("d", first), ("m", month)):
        session.execute(model.__table__.insert().from_select(columns, query_for(kind, low)))


def _action_sums(session: Session, first: dt.date, dialect: str) -> None:
    dk = func.coalesce(Action.district_id, const(NO_DISTRICT, Integer))
    sums = [
        func.count(),
        func.sum(Action.co2e_grams),
        func.sum(Action.credits),
        func.sum(cast(func.round(Action.quantity * const(1000, Integer)), BigInteger)),
    ]

    def query_for(kind: str, low: dt.date) -> Select:
        start = start_of(kind, Action.local_day, dialect)
        return (
            select(const(kind, String), start, dk, Action.action_type_id, *sums)
            .where(Action.status == "credited", Action.local_day >= low)
            .group_by(start, dk, Action.action_type_id)
        )

    columns = ["kind", "start", "district_key", "action_type_id", "actions", "co2e_grams", "credits", "quantity_milli"]
    _refill_sums(session, StatActions, first, columns, query_for)


def _ledger_sums(session: Session, first: dt.date, dialect: str) -> None:
    e = ENTRIES.c

    def query_for(kind: str, low: dt.date) -> Select:
        start = start_of(kind, e.day, dialect)
        return (
            select(
                const(kind, String),
                start,
                e.district_key,
                e.entry_kind,
                func.count(),
                func.sum(e.amount),
                func.sum(e.first),
            )
            .where(e.day >= low)
            .group_by(start, e.district_key, e.entry_kind)
        )

    columns = ["kind", "start", "district_key", "entry_kind", "entries", "amount", "new_holders"]
    _refill_sums(session, StatLedger, first, columns, query_for)


def _masks(session: Session, first: dt.date, dialect: str) -> None:
    """Forget the bits from `first` on, then OR them in again from the staged facts."""
    keep = (1 << (first.day - 1)) - 1
    month_column = StatMask.__table__.c[f"m{first.month}"]
    later = [StatMask.__table__.c[f"m{n}"] for n in range(first.month + 1, 13)]
    touched = or_(month_column.op("&", return_type=Integer)(~keep) != 0, *[c != 0 for c in later])
    session.execute(
        update(StatMask)
        .where(StatMask.year == first.year, touched)
        .values({month_column: month_column.op("&", return_type=Integer)(keep), **dict.fromkeys(later, 0)})
    )
    session.execute(delete(StatMask).where(StatMask.year > first.year))
    session.execute(delete(StatMask).where(*[StatMask.__table__.c[c] == 0 for c in MASK_COLUMNS]))
    for source, key in _distinct_facts(first):
        day = source.c.day
        month, bit, year = part("month", day, dialect), day_bit(day, dialect), part("year", day, dialect)
        months = [func.sum(case((month == const(n, Integer), bit), else_=const(0, Integer))) for n in range(1, 13)]
        by_key = [source.c.district_key] if key is None else []
        query = (
            select(source.c.subject, year, source.c.district_key if key is None else key, source.c.user_id, *months)
            .where(day >= first)
            .group_by(source.c.subject, year, *by_key, source.c.user_id)
        )
        if first == BEGINNING:  # nothing left to merge with: a plain INSERT is much cheaper
            session.execute(StatMask.__table__.insert().from_select(MASK_KEY + MASK_COLUMNS, query))
        else:
            upsert_from(session, StatMask.__table__, MASK_KEY + MASK_COLUMNS, query, MASK_KEY, bit_or=MASK_COLUMNS)


def _distinct_facts(since: dt.date) -> list[tuple]:
    """The facts by district (already distinct), and citywide (distinct again without the district,
    so that a resident who moved counts once): each day once per resident, so SUM of bits is OR."""
    f = FACTS.c
    citywide = select(f.subject, f.user_id, f.day).where(f.day >= since).distinct().subquery()
    return [(FACTS, None), (citywide, const(CITY, Integer))]


def _reach(session: Session, first: dt.date, dialect: str) -> None:
    """Distinct residents per period: days and weeks from the facts, months and years from the masks."""
    starts = {kind: period_start(kind, first) for kind in ("d", "w", "m", "y")}
    session.execute(
        delete(StatReach).where(or_(*[and_(StatReach.kind == k, StatReach.start >= s) for k, s in starts.items()]))
    )
    f = FACTS.c
    columns = ["kind", "start", "district_key", "subject", "residents"]
    for kind in ("d", "w"):
        for keyed in (True, False):  # by district, then citywide
            start = start_of(kind, f.day, dialect).label("start")
            keys = [f.district_key] if keyed else []
            people = select(start, *keys, f.subject, f.user_id).where(f.day >= starts[kind]).distinct().subquery()
            key = people.c.district_key if keyed else const(CITY, Integer)
            query = select(const(kind, String), people.c.start, key, people.c.subject, func.count()).group_by(
                people.c.start, *([people.c.district_key] if keyed else []), people.c.subject
            )
            session.execute(StatReach.__table__.insert().from_select(columns, query))
    _to_date(session, first, dialect)
    m = StatMask.__table__.c
    active_months = [func.sum(case((m[c] != 0, const(1, Integer)), else_=const(0, Integer))) for c in MASK_COLUMNS]
    rows = session.execute(
        select(m.subject, m.district_key, m.year, func.count(), *active_months)
        .where(m.year >= first.year)
        .group_by(m.subject, m.district_key, m.year)
    )
    found = []
    for subject, key, year, in_year, *in_months in rows:
        found.append(
            {"kind": "y", "start": dt.date(year, 1, 1), "district_key": key, "subject": subject, "residents": in_year}
        )
        found += [
            {"kind": "m", "start": dt.date(year, n, 1), "district_key": key, "subject": subject, "residents": count}
            for n, count in enumerate(in_months, 1)
            if count and dt.date(year, n, 1) >= starts["m"]
        ]
    upsert(session, StatReach.__table__, found, columns[:4], add=["residents"])


def _to_date(session: Session, first: dt.date, dialect: str) -> None:
    """Residents ("*") by their first active day in each week, month and year that contains `first` or
    comes after it (their running sum answers "from the 1st of ... to any day")."""
    f = FACTS.c
    everyone = f.subject == const(subjects.ALL, String)
    columns = ["kind", "start", "district_key", "subject", "residents"]
    for kind, first_kind in TO_DATE.items():
        low = period_start(kind, first)
        session.execute(delete(StatReach).where(StatReach.kind == first_kind, StatReach.start >= low))
        for keyed in (True, False):
            keys = [f.district_key] if keyed else []
            firsts = (
                select(*keys, f.user_id, func.min(f.day).label("day"))
                .where(everyone, f.day >= low)
                .group_by(*keys, f.user_id, start_of(kind, f.day, dialect))
                .subquery()
            )
            key = firsts.c.district_key if keyed else const(CITY, Integer)
            query = select(
                const(first_kind, String), firsts.c.day, key, const(subjects.ALL, String), func.count()
            ).group_by(firsts.c.day, *([firsts.c.district_key] if keyed else []))
            session.execute(StatReach.__table__.insert().from_select(columns, query))


def _active(session: Session, first: dt.date, dialect: str) -> None:
    """The rolling counts' changes on the days from `first` on (and their months from its month on).

    Each active day d of a resident adds 1 on d and takes it away on min(d + L, next active day).
    """
    month = period_start("m", first)
    session.execute(
        delete(StatActive).where(
            or_(
                and_(StatActive.kind == "d", StatActive.start >= first),
                and_(StatActive.kind == "m", StatActive.start >= month),
            )
        )
    )
    f = FACTS.c
    everyone = f.subject == const(subjects.ALL, String)
    per_district = select(f.district_key, f.user_id, f.day).where(everyone)
    citywide = select(const(CITY, Integer).label("district_key"), f.user_id, f.day).where(everyone).distinct()
    for source in (per_district.subquery(), citywide.subquery()):
        resident = {"partition_by": [source.c.district_key, source.c.user_id], "order_by": source.c.day}
        next_day, prev_day = func.lead(source.c.day).over(**resident), func.lag(source.c.day).over(**resident)
        columns = ["district_key", "day", "next_day", "prev_day"]
        query = select(source.c.district_key, source.c.day, next_day, prev_day)
        session.execute(NEXT.insert().from_select(columns, query))
    n = NEXT.c
    changes: defaultdict[tuple[str, dt.date, int], Counter] = defaultdict(Counter)

    def add(key: int, day: dt.date, column: str, count: int) -> None:
        for kind, low in (("d", first), ("m", month)):
            if day >= low and day < FAR:
                changes[(kind, period_start(kind, day), key)][column] += count

    starts = session.execute(select(n.district_key, n.day, func.count()).group_by(n.district_key, n.day))
    for key, day, count in starts:
        for column in ROLLING_COLUMNS:
            add(key, day, column, count)
    for length, column in zip(ROLLING, ROLLING_COLUMNS, strict=True):
        end = earliest(plus_days(n.day, length, dialect), func.coalesce(n.next_day, const(FAR, Date)), dialect)
        for key, day, count in session.execute(select(n.district_key, end, func.count()).group_by(n.district_key, end)):
            add(key, day, column, -count)
    rows = [
        {"kind": kind, "start": start, "district_key": key, **{c: change[c] for c in ROLLING_COLUMNS}}
        for (kind, start, key), change in changes.items()
        if any(change.values())
    ]
    upsert(session, StatActive.__table__, rows, ["kind", "start", "district_key"], add=ROLLING_COLUMNS)


def _returns(session: Session, first: dt.date, dialect: str) -> None:
    """Each active day with the previous one (stat_tmp_next, staged by _active), from the month of
    `first`: the day rows are counted from the pairs, the month rows summed from the day rows."""
    month = period_start("m", first)
    session.execute(delete(StatReturns).where(StatReturns.start >= month))
    n = NEXT.c
    far = or_(n.prev_day.is_(None), plus_days(n.prev_day, RETURNS_HORIZON, dialect) < n.day)
    before = case((far, const(LONG_AGO, Date)), else_=n.prev_day)
    columns = ["kind", "start", "prev_kind", "prev_start", "district_key", "residents"]
    pairs = (
        select(const("d", String), n.day, const("d", String), before, n.district_key, func.count())
        .where(n.day >= month)
        .group_by(n.day, before, n.district_key)
    )
    session.execute(StatReturns.__table__.insert().from_select(columns, pairs))
    r = StatReturns.__table__.c
    for kind, prev_kind in (("d", "m"), ("m", "d"), ("m", "m")):
        start, prev = start_of(kind, r.start, dialect), start_of(prev_kind, r.prev_start, dialect)
        query = (
            select(const(kind, String), start, const(prev_kind, String), prev, r.district_key, func.sum(r.residents))
            .where(r.kind == "d", r.prev_kind == "d", r.start >= month)
            .group_by(start, prev, r.district_key)
        )
        session.execute(StatReturns.__table__.insert().from_select(columns, query))
