"""Synthetic residents and a year of their green actions, for dashboards and load tests.

Invented but plausible: residents spread over the districts roughly by population, each with a
habit (bus commuter, cyclist, walker, driver, recycler) and an activity level with a long tail;
cycling falls in winter, trips peak at commuting hours on weekdays, waste is sorted in the evening.
Credited actions earn one ledger entry each (balance = sum of entries). Residents get no password:
nobody can sign in as them. PostgreSQL gets the rows by COPY; SQLite by batched INSERTs (small N).
The roll-ups are then rebuilt in bulk (webapp.services.statistics.refresh_rollups).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import Action, ActionType, Base, CarbonAccount, EmissionFactor, LedgerEntry, User
from webapp.services import city as city_service
from webapp.services.scoring import round_half_up

# fmt: off
# Share of residents by district code (rough shares of Dezhou's population).
DISTRICT_WEIGHTS = {"371402": 16, "371403": 10, "371422": 8, "371423": 6, "371424": 9, "371425": 11,
                    "371426": 8, "371427": 9, "371428": 7, "371481": 11, "371482": 9}
# Habit -> (share of residents, {type: weight}).
HABITS = {
    "commuter": (35, {"bus": 60, "walk": 15, "bike_shared": 8, "taxi": 5, "waste_kitchen": 6, "waste_paper": 4,
                      "buy_own_bag": 2}),
    "cyclist": (18, {"bike_own": 45, "bike_shared": 20, "bus": 12, "walk": 8, "car": 5, "waste_plastic": 5,
                     "waste_paper": 5}),
    "walker": (15, {"walk": 60, "bus": 15, "taxi": 5, "waste_kitchen": 10, "buy_e_receipt": 5, "buy_own_bag": 5}),
    "driver": (20, {"car": 45, "taxi": 10, "motorbike": 5, "nev_car": 6, "bus": 14, "walk": 8,
                    "waste_paper": 6, "buy_led": 3, "buy_appliance_grade1": 1, "buy_water_saving": 2}),
    "recycler": (12, {"waste_kitchen": 25, "waste_paper": 20, "waste_plastic": 15, "waste_glass": 8,
                      "waste_metal": 6, "waste_textile": 6, "buy_secondhand": 5, "bus": 10, "walk": 5}),
}
TYPICAL = {"bus": 6.5, "bike_own": 3.5, "bike_shared": 2.5, "walk": 6500, "car": 11, "taxi": 7, "motorbike": 6,
           "nev_car": 15, "waste_paper": 1.5, "waste_plastic": 0.5, "waste_metal": 0.4, "waste_glass": 1.2,
           "waste_textile": 2.0, "waste_kitchen": 1.0}
# fmt: on
SEASON = {1: 0.45, 2: 0.5, 3: 0.85, 4: 1.15, 5: 1.2, 6: 1.0, 7: 0.8, 8: 0.85, 9: 1.2, 10: 1.15, 11: 0.8, 12: 0.5}
BIKES = {"bike_own", "bike_shared"}
ERASED = 0.01
PENDING = 0.2  # of the types that need evidence: still waiting for review


@dataclass(frozen=True)
class Boost:
    """A past campaign in the history: more actions on its days, and its multipliers on their credits."""

    campaign_id: int
    first: dt.date
    last: dt.date
    rate: float  # actions on its days, against an ordinary day
    multipliers: dict[str, Decimal]  # action type code -> multiplier


@dataclass(frozen=True)
class Plan:
    residents: int
    actions: int
    last: dt.date
    days: int = 365
    seed: int = 2026
    boost: Boost | None = None


@dataclass(frozen=True)
class Kind:
    """What generation needs of an action type, as plain values (no ORM access in the hot loop)."""

    id: int
    family: str
    evidence: bool
    cap: int
    factor_id: int
    grams_micro: int  # grams per unit x 10^6 (the factor's exact Numeric(14, 6))
    low: int  # quantities in thousandths of a unit
    high: int
    step: int
    typical: float


@dataclass
class Catalogue:
    kinds: dict[str, Kind]
    districts: list[tuple[int, int]]  # (district id, weight)
    zone: object


def _catalogue(session: Session) -> Catalogue:
    kinds = {}
    for t in session.scalars(select(ActionType)):
        factor = session.scalars(
            select(EmissionFactor)
            .where(EmissionFactor.code == t.factor_code)
            .order_by(EmissionFactor.valid_from.desc())
        ).first()  # newest: close enough
        kinds[t.code] = Kind(
            t.id,
            str(t.family),
            t.needs_evidence,
            t.daily_cap_evidenced if t.needs_evidence else t.daily_cap_self,
            factor.id,
            int(factor.grams_per_unit * 1_000_000),
            int(t.min_quantity * 1000),
            int(t.max_quantity * 1000),
            int(t.step * 1000),
            TYPICAL.get(t.code, 1.0),
        )
    districts = [(d.id, DISTRICT_WEIGHTS.get(d.code, 5)) for d in city_service.districts(session)]
    return Catalogue(kinds, districts, city_service.city_zone(session))


NULL = "\\N"  # COPY's NULL; the SQLite path turns it into None


def _mixes(cat: Catalogue) -> dict[str, list[tuple[list[Kind], list[float]]]]:
    """Per habit and month: the types and their cumulative weights (bikes follow the seasons)."""
    found = {}
    for habit, (_share, mix) in HABITS.items():
        per_month = [([], [])]
        for month in range(1, 13):
            kinds, cumulative, total = [], [], 0.0
            for code, weight in mix.items():
                total += weight * (SEASON[month] if code in BIKES else 1.0)
                kinds.append(cat.kinds[code])
                cumulative.append(total)
            per_month.append((kinds, cumulative))
        found[habit] = per_month
    return found


def _calendar(
    first: dt.date, last: dt.date, zone, boost: Boost | None = None
) -> tuple[list[str], list[str], list[int], list[float]]:
    """Per day: ISO date, UTC offset, month (negative on weekends), cumulative weight (seasons, quieter
    weekends, busier campaign days)."""
    isos, offsets, months, cumulative, total = [], [], [], [], 0.0
    day = first
    while day <= last:
        busier = boost.rate if boost and boost.first <= day <= boost.last else 1.0
        total += SEASON[day.month] * (1.0 if day.weekday() < 5 else 0.8) * busier
        isos.append(day.isoformat())
        offsets.append(dt.datetime.combine(day, dt.time(12), zone).isoformat()[19:])
        months.append(day.month if day.weekday() < 5 else -day.month)  # negative: a weekend day
        cumulative.append(total)
        day += dt.timedelta(days=1)
    return isos, offsets, months, cumulative


def _hour(rng: random.Random, family: str, weekday_commute: bool) -> int:
    if family == "travel" and weekday_commute:
        return (7, 8, 8, 17, 18)[rng.randrange(5)]
    return rng.randrange(18, 22) if family == "waste" else rng.randrange(7, 22)


def generate(
    plan: Plan, cat: Catalogue, first_user: int, first_action: int, first_entry: int, first_account: int
) -> Iterator[tuple[str, tuple]]:
    """Rows, as ("user" | "account" | "action" | "entry", column values), resident by resident."""
    rng = random.Random(plan.seed)
    rand, gauss, randrange = rng.random, rng.gauss, rng.randrange
    first = plan.last - dt.timedelta(days=plan.days - 1)
    isos, offsets, months, cumulative = _calendar(first, plan.last, cat.zone, plan.boost)
    boosted, multipliers, campaign_ids = _boost(plan, cat, first)
    mixes, habits = _mixes(cat), list(HABITS)
    habit_weights = [HABITS[h][0] for h in habits]
    levels = [rng.lognormvariate(0, 1.1) for _ in range(plan.residents)]
    scale = plan.actions / sum(levels)
    district_ids, district_weights = zip(*cat.districts, strict=True)
    action_id, entry_id = first_action, first_entry
    for n in range(plan.residents):
        user_id, account_id = first_user + n, first_account + n
        district = rng.choices(district_ids, district_weights)[0]
        offset = int(rand() ** 2 * (plan.days + 40)) - 60  # days after `first`; most joined early
        joined_at = f"{first + dt.timedelta(days=offset)} {randrange(8, 23):02d}:00:00{offsets[max(offset, 0)]}"
        erased = rand() < ERASED
        deleted_at = f"{isos[-1]} 12:00:00{offsets[-1]}" if erased else NULL
        phone, nickname = (NULL, "") if erased else (f"199{user_id:08d}", f"居民{user_id}")
        active = "f" if erased else "t"
        user = (user_id, "resident", phone, nickname, district, 1, "2026-11", joined_at, joined_at, active, deleted_at)
        yield "user", user
        per_month = mixes[rng.choices(habits, habit_weights)[0]]
        count = int(levels[n] * scale)
        count += rand() < levels[n] * scale - count
        low = cumulative[offset - 1] if offset > 0 else 0.0
        span = cumulative[-1] - low
        picks = sorted(bisect.bisect_left(cumulative, low + rand() * span) for _ in range(count))
        balance = co2e_total = 0
        for index in picks:
            kinds, weights = per_month[abs(months[index])]
            kind = kinds[bisect.bisect_left(weights, rand() * weights[-1])]
            steps = round(kind.typical * math.exp(gauss(0, 0.45)) * 1000 / kind.step)
            milli = min(max(steps * kind.step, kind.low), kind.high)
            co2e = (milli * kind.grams_micro + 500_000_000) // 1_000_000_000  # half up
            hour = _hour(rng, kind.family, months[index] > 0 and rand() < 0.6)
            at = f"{isos[index]} {hour:02d}:{randrange(60):02d}:{randrange(60):02d}{offsets[index]}"
            pending = kind.evidence and rand() < PENDING
            multiplier = multipliers.get(kind.id, 1) if index in boosted else 1
            wanted = round_half_up(co2e * Decimal(multiplier))
            credits = 0 if pending else min(wanted, kind.cap)
            capped = "t" if 0 < credits < wanted else "f"
            given = campaign_ids if multiplier != 1 else "[]"
            evidence = "merchant" if kind.evidence and kind.family == "purchase" else "self"
            status, reason = ("pending", "evidence_required") if pending else ("credited", NULL)
            quantity = f"{milli / 1000:.3f}"
            row = (action_id, user_id, kind.id, kind.factor_id, district, quantity, at, isos[index], at, status)
            yield "action", (*row, evidence, co2e, credits, capped, multiplier, given, reason)
            if credits:
                balance += credits
                yield "entry", (entry_id, account_id, "earn", credits, balance, "action", action_id, at)
                entry_id += 1
            co2e_total += 0 if pending else co2e
            action_id += 1
        yield "account", (account_id, user_id, balance, balance, 0, co2e_total, 0, joined_at)


def _boost(plan: Plan, cat: Catalogue, first: dt.date) -> tuple[set[int], dict[int, Decimal], str]:
    """The campaign's day indexes, its multipliers by type id, and its campaign_ids value."""
    if plan.boost is None:
        return set(), {}, "[]"
    boost = plan.boost
    days = {(boost.first - first).days + n for n in range((boost.last - boost.first).days + 1)}
    multipliers = {cat.kinds[code].id: Decimal(m) for code, m in boost.multipliers.items()}
    return days, multipliers, f"[{boost.campaign_id}]"


def next_ids(session: Session) -> tuple[int, int, int, int]:
    def after(column) -> int:
        return (session.scalar(select(func.max(column))) or 0) + 1

    return after(User.id), after(Action.id), after(LedgerEntry.id), after(CarbonAccount.id)


def fix_sequences(session: Session) -> None:
    """COPY with explicit ids leaves PostgreSQL's sequences behind: move them past the new rows."""
    for table in ("users", "carbon_accounts", "actions", "ledger_entries"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )


# fmt: off
COLUMNS = {
    "user": ("users", ["id", "role", "phone", "nickname", "district_id", "session_version", "consent_version",
                       "consented_at", "created_at", "is_active", "deleted_at"]),
    "account": ("carbon_accounts", ["id", "user_id", "balance", "lifetime_earned", "lifetime_redeemed",
                                    "co2e_grams", "version", "created_at"]),
    "action": ("actions", ["id", "user_id", "action_type_id", "factor_id", "district_id", "quantity", "occurred_at",
                           "local_day", "created_at", "status", "evidence", "co2e_grams", "credits", "capped",
                           "multiplier", "campaign_ids", "reason"]),
    "entry": ("ledger_entries", ["id", "account_id", "kind", "amount", "balance_after", "cause_type", "cause_id",
                                 "created_at"]),
}
# fmt: on
ORDER = ("user", "account", "action", "entry")  # foreign keys


def _python(kind: str, values: tuple) -> dict:
    """A COPY row as INSERT parameters (the slow SQLite path)."""
    row = {}
    for column, value in zip(COLUMNS[kind][1], values, strict=True):
        if value == NULL:
            value = None
        elif column.endswith("_at") or column == "occurred_at":
            value = dt.datetime.fromisoformat(value)
        elif column == "local_day":
            value = dt.date.fromisoformat(value)
        elif column in ("is_active", "capped"):
            value = value == "t"
        elif column == "quantity":
            value = Decimal(value)
        elif column == "campaign_ids":
            value = json.loads(value)
        elif column == "multiplier":
            value = Decimal(value)
        row[column] = value
    return row


def _skip_foreign_key_checks(session: Session) -> None:
    """The rows are consistent by construction; checking each reference triples the COPY time.
    Only a superuser may switch the checks off (this transaction only); others simply wait longer."""
    try:
        with session.begin_nested():
            session.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError:
        pass


@dataclass
class Loaded:
    residents: int
    actions: int
    entries: int


def load(session: Session, plan: Plan) -> Loaded:
    """Generate and store the rows (COPY on PostgreSQL, batched INSERTs on SQLite); no roll-ups."""
    cat = _catalogue(session)
    counts = dict.fromkeys(ORDER, 0)
    rows = generate(plan, cat, *next_ids(session))
    if session.get_bind().dialect.name != "postgresql":
        tables = {kind: Base.metadata.tables[COLUMNS[kind][0]] for kind in ORDER}
        pending: dict[str, list[dict]] = {kind: [] for kind in ORDER}
        for kind, row in rows:
            counts[kind] += 1
            pending[kind].append(_python(kind, row))
        for kind in ORDER:
            for offset in range(0, len(pending[kind]), 5000):
                session.execute(tables[kind].insert(), pending[kind][offset : offset + 5000])
        return Loaded(counts["user"], counts["action"], counts["entry"])
    _skip_foreign_key_checks(session)
    scratch = Path(tempfile.mkdtemp(prefix="synthetic-"))
    files = {kind: (scratch / f"{kind}.tsv").open("w", encoding="utf-8") for kind in ORDER}
    for kind, row in rows:
        counts[kind] += 1
        files[kind].write("\t".join(map(str, row)) + "\n")
    cursor = session.connection().connection.dbapi_connection.cursor()
    for kind in ORDER:
        files[kind].close()
        table, columns = COLUMNS[kind]
        with (
            (scratch / f"{kind}.tsv").open("rb") as source,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        (scratch / f"{kind}.tsv").unlink()
    scratch.rmdir()
    session.execute(text("SET LOCAL session_replication_role = origin"))  # checks on again (if they were off)
    fix_sequences(session)
    return Loaded(counts["user"], counts["action"], counts["entry"])
