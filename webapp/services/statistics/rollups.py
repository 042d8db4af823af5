"""Roll-ups folded from the raw rows they summarise.

Credited actions and ledger entries are folded by the projector (projector.ON_BATCH) after they
commit, a batch at a time: merged by key in memory, in the order they committed, and written with one
upsert per table, rows in key order; a resident's registration or erasure (insert/update events on
users) adds its share in its own transaction. Actions never leave `credited`, entries are never
changed, and erasure keeps a resident's actions and entries, so these tables are only ever added to.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

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
    StatReturns,
    User,
)
from models.statistics import CITY, NO_DISTRICT

from ...db import among
from .. import city as city_service
from .. import projector
from . import subjects
from .periods import (
    KINDS,
    ROLLING_COLUMNS,
    TO_DATE,
    ActiveDays,
    local_day,
    period_start,
    return_changes,
    rolling_changes,
)
from .sql import upsert

MASK_COLUMNS = [f"m{n}" for n in range(1, 13)]
MASK_KEY = ["subject", "year", "district_key", "user_id"]


def district_key(district_id: int | None) -> int:
    return NO_DISTRICT if district_id is None else district_id


def city_zone(executor: Session | Connection) -> zoneinfo.ZoneInfo:
    """The cached city zone (services.city); UTC while no city is loaded, as on a fresh database."""
    return city_service.city_zone(executor, fallback="UTC")


MASK_SPEC = (StatMask.__table__, MASK_KEY, {"bit_or": MASK_COLUMNS})
REACH = (StatReach.__table__, ("kind", "start", "district_key", "subject"), {"add": ("residents",)})
ACTIVE = (StatActive.__table__, ("kind", "start", "district_key"), {"add": tuple(ROLLING_COLUMNS)})
RETURNS = (
    StatReturns.__table__,
    ("kind", "start", "prev_kind", "prev_start", "district_key"),
    {"add": ("residents",)},
)
ACTIONS = (
    StatActions.__table__,
    ("kind", "start", "district_key", "action_type_id"),
    {"add": ("actions", "co2e_grams", "credits", "quantity_milli")},
)
LEDGER = (
    StatLedger.__table__,
    ("kind", "start", "district_key", "entry_kind"),
    {"add": ("entries", "amount", "new_holders")},
)
REGISTRATIONS = (StatRegistrations.__table__, ("day", "district_key"), {"add": ("joined", "left")})


class Fold:
    """One batch's changes to every roll-up, merged by key in memory, then written one upsert per table.

    The residents' masks are read once for the batch and kept up to date here as days become active,
    so each item sees what the items before it did, as if folded one at a time."""

    def __init__(self, session: Session, masks: dict[tuple[int, str, int], ActiveDays]) -> None:
        self.session = session
        self.state = masks
        self.masks: dict[tuple, dict] = {}
        self.tables: dict[str, dict[tuple, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))

    def add(self, spec: tuple, key: tuple, **measures: int) -> None:
        row = self.tables[spec[0].name][key]  # a plain dict: Counter.update costs twice as much here
        for column, n in measures.items():
            row[column] = row.get(column, 0) + n

    def record_days(self, user_id: int, dk: int, day: dt.date, names: list[str]) -> None:
        """Mark `day` active for this resident and these subjects; count them wherever they are new."""
        starts = [(kind, period_start(kind, day)) for kind in KINDS]
        for name in names:
            for key in (dk,) if dk == CITY else sorted((dk, CITY)):
                days = self.state.setdefault((user_id, name, key), ActiveDays())
                if days.has(day):
                    continue
                mask = self.masks.setdefault((name, day.year, key, user_id), dict.fromkeys(MASK_COLUMNS, 0))
                mask[f"m{day.month}"] |= 1 << (day.day - 1)
                for kind, start in starts:
                    if kind == "d" or not days.any_in_period(kind, day):  # the day itself is new
                        self.add(REACH, (kind, start, key, name), residents=1)
                if name == subjects.ALL:
                    for on, change in rolling_changes(days, day).items():
                        for kind in ("d", "m"):
                            self.add(ACTIVE, (kind, period_start(kind, on), key), **change)
                    self._returns(key, days, day)
                    for kind, first_kind in TO_DATE.items():  # a back-dated day can become the first
                        earliest = days.first_in(kind, day)
                        if earliest is None or day < earliest:
                            self.add(REACH, (first_kind, day, key, name), residents=1)
                        if earliest is not None and day < earliest:
                            self.add(REACH, (first_kind, earliest, key, name), residents=-1)
                days.add(day)

    def _returns(self, key: int, days: ActiveDays, day: dt.date) -> None:
        """The (day, previous day) pairs that `day` adds and moves, each by its day's and month's."""
        for on, before, n in return_changes(days, day):
            for kind in ("d", "m"):
                start = period_start(kind, on)
                for prev_kind in ("d", "m"):
                    self.add(RETURNS, (kind, start, prev_kind, period_start(prev_kind, before), key), residents=n)

    def write(self) -> None:
        """One statement per table, tables in a fixed order, rows in key order (upsert)."""
        table, keys, how = MASK_SPEC
        upsert(self.session, table, [dict(zip(keys, k, strict=True), **v) for k, v in self.masks.items()], keys, **how)
        for spec in (ACTIONS, ACTIVE, LEDGER, REACH, RETURNS):
            table, keys, how = spec
            columns = next(iter(how.values()))
            rows = [
                dict(zip(keys, k, strict=True), **{c: measures.get(c, 0) for c in columns})
                for k, measures in self.tables.get(table.name, {}).items()
            ]
            upsert(self.session, table, rows, keys, **how)


def load_masks(session: Session, pairs: set[tuple[int, int]], names: set[str]) -> dict:
    """The masks of these (resident, year) pairs, a year either side, as {(user, subject, key): days}."""
    state: dict[tuple[int, str, int], ActiveDays] = {}
    if not pairs:
        return state
    users = sorted({u for u, _y in pairs})
    years = sorted({y + d for _u, y in pairs for d in (-1, 0, 1)})
    m = StatMask.__table__.c
    rows = session.execute(
        select(StatMask.__table__).where(
            among(session, m.user_id, users), m.year.in_(years), m.subject.in_(sorted(names))
        )
    )
    for row in rows:
        months = [getattr(row, column) for column in MASK_COLUMNS]
        state.setdefault((row.user_id, row.subject, row.district_key), ActiveDays()).years[row.year] = months
    return state


def _milli(quantity: Decimal) -> int:
    return int((Decimal(quantity) * 1000).to_integral_value())


def fold_batch(session: Session, batch: projector.Batch) -> None:
    """projector.ON_BATCH: credited actions and every ledger entry, whichever service posted it, by
    district and city day; one read of owners, first entries and masks, one upsert per table."""
    zone = city_zone(session)
    accounts = sorted({e.account_id for e in batch.entries})
    owners, firsts = {}, {}
    if accounts:
        owners = {
            r.id: (r.user_id, r.district_id)
            for r in session.execute(
                select(CarbonAccount.id, CarbonAccount.user_id, User.district_id)
                .join(User, User.id == CarbonAccount.user_id)
                .where(among(session, CarbonAccount.id, accounts))
            )
        }
        firsts = dict(  # an account's first entry (one account's ids grow in commit order: its lock)
            session.execute(
                select(LedgerEntry.account_id, func.min(LedgerEntry.id))
                .where(among(session, LedgerEntry.account_id, accounts))
                .group_by(LedgerEntry.account_id)
            ).all()
        )
    days = {e.id: local_day(e.created_at, zone) for e in batch.entries}
    pairs, names = set(), set()
    for action in batch.actions:
        pairs.add((action.user_id, action.local_day.year))
        names.update(subjects.for_action(action.action_type))
    for entry in batch.entries:
        subject = subjects.LEDGER_SUBJECTS.get(entry.kind)
        if subject:
            pairs.add((owners[entry.account_id][0], days[entry.id].year))
            names.add(subject)
    fold = Fold(session, load_masks(session, pairs, names))
    seen: set[int] = set()
    for action, entry in batch.items:
        if action is not None:
            _fold_action(fold, action)
        if entry is not None:
            user_id, district_id = owners[entry.account_id]
            first = entry.account_id not in seen and firsts.get(entry.account_id) == entry.id
            seen.add(entry.account_id)
            _fold_entry(fold, entry, user_id, district_key(district_id), days[entry.id], first)
    fold.write()


def _fold_action(fold: Fold, action: Action) -> None:
    """A newly credited action (logged, or approved after review)."""
    dk = district_key(action.district_id)
    fold.record_days(action.user_id, dk, action.local_day, subjects.for_action(action.action_type))
    for kind in ("d", "m"):
        fold.add(
            ACTIONS,
            (kind, period_start(kind, action.local_day), dk, action.action_type_id),
            actions=1,
            co2e_grams=action.co2e_grams,
            credits=action.credits,
            quantity_milli=_milli(action.quantity),
        )


def _fold_entry(fold: Fold, entry: LedgerEntry, user_id: int, dk: int, day: dt.date, first: bool) -> None:
    for kind in ("d", "m"):
        fold.add(
            LEDGER,
            (kind, period_start(kind, day), dk, str(entry.kind)),
            entries=1,
            amount=entry.amount,
            new_holders=1 if first else 0,
        )
    subject = subjects.LEDGER_SUBJECTS.get(entry.kind)
    if subject:
        fold.record_days(user_id, dk, day, [subject])


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


def _apply_registrations(connection: Connection, change: Counter) -> None:
    rows: dict[tuple[dt.date, int], dict] = {}
    for (day, dk, column), n in change.items():
        if n:
            row = rows.setdefault((day, dk), {"day": day, "district_key": dk, "joined": 0, "left": 0})
            row[column] += n
    table, keys, how = REGISTRATIONS
    upsert(connection, table, list(rows.values()), keys, **how)


REGISTRATION_FIELDS = ("role", "district_id", "created_at", "deleted_at")


def _after_user_insert(_mapper: Any, connection: Connection, user: User) -> None:
    if user.role == Role.RESIDENT:
        zone = city_zone(connection)
        _apply_registrations(
            connection,
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
    _apply_registrations(connection, change)


def _keep_old_values(*_args: Any) -> None:
    """Registered only so that these attributes keep their previous value in the history."""


def install() -> None:
    """Hook the roll-ups into the projector and accounts (idempotent; explicit)."""
    if fold_batch not in projector.ON_BATCH:
        projector.ON_BATCH.append(fold_batch)
    if not event.contains(User, "after_insert", _after_user_insert):
        event.listen(User, "after_insert", _after_user_insert)
        event.listen(User, "after_update", _after_user_update)
        for name in REGISTRATION_FIELDS:
            event.listen(getattr(User, name), "set", _keep_old_values, active_history=True)
