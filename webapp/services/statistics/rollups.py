"""Roll-ups folded from the raw rows they summarise.

A credited action and a ledger entry are folded by the projector (projector.ON_ACTION, ON_ENTRY),
after they commit, one fold at a time and in the order they committed; a resident's registration or
erasure (insert/update events on users) adds its share in its own transaction. Actions never leave
`credited`, entries are never changed, and erasure keeps a resident's actions and entries, so these
tables are only ever added to. Shared totals are queued on the session and written at COMMIT,
merged over the batch and in key order (commit_time).
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, object_session

from models import (
    Action,
    CarbonAccount,
    LedgerEntry,
    Role,
    StatActions,
    StatActive,
    StatLedger,
    StatMask,
    StatReach,
    StatRegistrations,
    User,
)
from models.statistics import CITY, NO_DISTRICT

from .. import city as city_service
from .. import commit_time, projector
from . import subjects
from .periods import KINDS, ROLLING_COLUMNS, TO_DATE, ActiveDays, local_day, period_start, rolling_changes
from .sql import upsert

MASK_COLUMNS = [f"m{n}" for n in range(1, 13)]
MASK_KEY = ["subject", "year", "district_key", "user_id"]


def district_key(district_id: int | None) -> int:
    return NO_DISTRICT if district_id is None else district_id


def city_zone(executor: Session | Connection) -> zoneinfo.ZoneInfo:
    """The cached city zone (services.city); UTC while no city is loaded, as on a fresh database."""
    return city_service.city_zone(executor, fallback="UTC")


def mask_state(
    executor: Session | Connection, user_id: int, names: list[str], keys: set[int], years: list[int]
) -> dict[tuple[str, int], ActiveDays]:
    rows = executor.execute(
        _mask_statement(), {"user_id": user_id, "names": list(names), "keys": list(keys), "years": list(years)}
    )
    state: dict[tuple[str, int], ActiveDays] = {}
    for row in rows:
        months = [getattr(row, column) for column in MASK_COLUMNS]
        state.setdefault((row.subject, row.district_key), ActiveDays()).years[row.year] = months
    return state


REACH = commit_time.Spec(StatReach.__table__, ("kind", "start", "district_key", "subject"), add=("residents",))
ACTIVE = commit_time.Spec(StatActive.__table__, ("kind", "start", "district_key"), add=tuple(ROLLING_COLUMNS))
ACTIONS = commit_time.Spec(
    StatActions.__table__,
    ("kind", "start", "district_key", "action_type_id"),
    add=("actions", "co2e_grams", "credits", "quantity_milli"),
)
LEDGER = commit_time.Spec(
    StatLedger.__table__, ("kind", "start", "district_key", "entry_kind"), add=("entries", "amount", "new_holders")
)
REGISTRATIONS = commit_time.Spec(StatRegistrations.__table__, ("day", "district_key"), add=("joined", "left"))


@functools.cache
def _mask_statement() -> Select:
    """Built once: every credited action and ledger entry reads the resident's masks."""
    m = StatMask.__table__.c
    return select(StatMask.__table__).where(
        m.user_id == bindparam("user_id"),
        m.subject.in_(bindparam("names", expanding=True)),
        m.district_key.in_(bindparam("keys", expanding=True)),
        m.year.in_(bindparam("years", expanding=True)),
    )


def record_days(
    executor: Session | Connection, user_id: int, dk: int, day: dt.date, names: list[str], session: Session
) -> None:
    """Mark `day` active for this resident and these subjects; count them wherever they are new.

    The resident's masks are written now (read back by the next call); the shared counts at commit.
    """
    keys = {dk, CITY}
    state = mask_state(executor, user_id, names, keys, [day.year - 1, day.year, day.year + 1])
    masks: list[dict] = []
    reach: Counter = Counter()
    active: defaultdict[tuple[str, dt.date, int], Counter] = defaultdict(Counter)
    for name in names:
        for key in sorted(keys):
            days = state.get((name, key), ActiveDays())
            if days.has(day):
                continue
            masks.append(
                {
                    "subject": name,
                    "year": day.year,
                    "district_key": key,
                    "user_id": user_id,
                    **dict.fromkeys(MASK_COLUMNS, 0),
                    f"m{day.month}": 1 << (day.day - 1),
                }
            )
            for kind in KINDS:
                if not days.any_in_period(kind, day):
                    reach[(kind, period_start(kind, day), key, name)] += 1
            if name == subjects.ALL:
                for on, change in rolling_changes(days, day).items():
                    for kind in ("d", "m"):
                        active[(kind, period_start(kind, on), key)].update(change)
                for kind, first_kind in TO_DATE.items():  # a back-dated day can become the first
                    earliest = days.first_in(kind, day)
                    if earliest is None or day < earliest:
                        reach[(first_kind, day, key, name)] += 1
                    if earliest is not None and day < earliest:
                        reach[(first_kind, earliest, key, name)] -= 1
    upsert(executor, StatMask.__table__, masks, MASK_KEY, bit_or=MASK_COLUMNS)
    commit_time.add(
        session,
        REACH,
        [{"kind": k, "start": s, "district_key": d, "subject": n, "residents": v} for (k, s, d, n), v in reach.items()],
    )
    commit_time.add(
        session,
        ACTIVE,
        [
            {"kind": kind, "start": start, "district_key": key, **{c: change[c] for c in ROLLING_COLUMNS}}
            for (kind, start, key), change in active.items()
        ],
    )


def _milli(quantity: Decimal) -> int:
    return int((Decimal(quantity) * 1000).to_integral_value())


def after_credit(session: Session, user: User, action: Action) -> None:
    """projector.ON_ACTION: count a newly credited action (logged, or approved after review)."""
    dk = district_key(action.district_id)
    record_days(session, action.user_id, dk, action.local_day, subjects.for_action(action.action_type), session)
    measures = {
        "actions": 1,
        "co2e_grams": action.co2e_grams,
        "credits": action.credits,
        "quantity_milli": _milli(action.quantity),
    }
    commit_time.add(
        session,
        ACTIONS,
        [
            {
                "kind": kind,
                "start": period_start(kind, action.local_day),
                "district_key": dk,
                "action_type_id": action.action_type_id,
                **measures,
            }
            for kind in ("d", "m")
        ],
    )


def _owner(session: Session, entry: LedgerEntry) -> tuple[int, int | None]:
    known = projector.memo(session, "entry_owner")
    if entry.account_id not in known:
        row = session.execute(_owner_statement(), {"account_id": entry.account_id}).one()
        known[entry.account_id] = (row.user_id, row.district_id)
    return known[entry.account_id]


@functools.cache
def _owner_statement() -> Select:
    return (
        select(CarbonAccount.user_id, User.district_id)
        .join(User, User.id == CarbonAccount.user_id)
        .where(CarbonAccount.id == bindparam("account_id"))
    )


@functools.cache
def _earlier_statement() -> Select:
    """An entry of the same account before this one (one account's ids grow in commit order: its lock)."""
    e = LedgerEntry.__table__.c
    return select(e.id).where(e.account_id == bindparam("account_id"), e.id < bindparam("id")).limit(1)


def fold_entry(session: Session, entry: LedgerEntry) -> None:
    """projector.ON_ENTRY: every ledger entry, whichever service posted it, by the owner's district and day."""
    user_id, district_id = _owner(session, entry)
    day = local_day(entry.created_at, city_zone(session))
    dk = district_key(district_id)
    seen = projector.memo(session, "entry_accounts")  # an account folded earlier in this batch: not its first
    first = (
        entry.account_id not in seen
        and session.execute(_earlier_statement(), {"account_id": entry.account_id, "id": entry.id}).first() is None
    )
    seen[entry.account_id] = True
    measures = {"entries": 1, "amount": entry.amount, "new_holders": 1 if first else 0}
    commit_time.add(
        session,
        LEDGER,
        [
            {
                "kind": kind,
                "start": period_start(kind, day),
                "district_key": dk,
                "entry_kind": str(entry.kind),
                **measures,
            }
            for kind in ("d", "m")
        ],
    )
    subject = subjects.LEDGER_SUBJECTS.get(entry.kind)
    if subject:
        record_days(session, user_id, dk, day, [subject], session)


def registration_footprint(
    role: Role | str | None,
    district_id: int | None,
    created_at: dt.datetime | None,
    deleted_at: dt.datetime | None,
    zone: zoneinfo.ZoneInfo,
) -> Counter:
    """What one user adds to stat_registrations: joined on the day of sign-up, left on erasure."""
    footprint: Counter = Counter()
    if role != Role.RESIDENT or created_at is None:
        return footprint
    dk = district_key(district_id)
    footprint[(local_day(created_at, zone), dk, "joined")] += 1
    if deleted_at is not None:
        footprint[(local_day(deleted_at, zone), dk, "left")] += 1
    return footprint


def _apply_registrations(session: Session, change: Counter) -> None:
    rows: dict[tuple[dt.date, int], dict] = {}
    for (day, dk, column), n in change.items():
        if n:
            row = rows.setdefault((day, dk), {"day": day, "district_key": dk, "joined": 0, "left": 0})
            row[column] += n
    commit_time.add(session, REGISTRATIONS, list(rows.values()))


REGISTRATION_FIELDS = ("role", "district_id", "created_at", "deleted_at")


def _after_user_insert(_mapper: Any, connection: Connection, user: User) -> None:
    if user.role == Role.RESIDENT:
        zone = city_zone(connection)
        _apply_registrations(
            object_session(user),
            registration_footprint(user.role, user.district_id, user.created_at, user.deleted_at, zone),
        )


def _after_user_update(_mapper: Any, connection: Connection, user: User) -> None:
    state = inspect(user)
    histories = {name: state.attrs[name].history for name in REGISTRATION_FIELDS}
    if not any(h.has_changes() for h in histories.values()):
        return
    old = {
        name: (h.deleted[0] if h.deleted else None) if h.has_changes() else getattr(user, name)
        for name, h in histories.items()
    }  # a change with nothing deleted was a change from None
    zone = city_zone(connection)
    change = registration_footprint(user.role, user.district_id, user.created_at, user.deleted_at, zone)
    change.subtract(registration_footprint(old["role"], old["district_id"], old["created_at"], old["deleted_at"], zone))
    _apply_registrations(object_session(user), change)


def _keep_old_values(*_args: Any) -> None:
    """Registered only so that these attributes keep their previous value in the history."""


def install() -> None:
    """Hook the roll-ups into the projector and accounts (idempotent; explicit)."""
    if after_credit not in projector.ON_ACTION:
        projector.ON_ACTION.append(after_credit)
        projector.ON_ENTRY.append(fold_entry)
    if not event.contains(User, "after_insert", _after_user_insert):
        event.listen(User, "after_insert", _after_user_insert)
        event.listen(User, "after_update", _after_user_update)
        for name in REGISTRATION_FIELDS:
            event.listen(getattr(User, name), "set", _keep_old_values, active_history=True)
