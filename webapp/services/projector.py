"""The projector: folds committed actions and ledger entries into every derived figure, exactly once.

The request books the core only (action, balance, entry) and, in the same transaction, one outbox
row. A fold claims the oldest outbox rows, hands them to every batch hook as one `Batch` (items in
outbox order: one resident's rows are in the order their account lock committed them), deletes the
rows, and commits all of it together: a fold that dies leaves everything as it was. Each hook folds
the whole batch set-wise (a few reads, then one upsert per table) and must give what folding the
items one at a time, in order, would give. Folds never run side by side: on PostgreSQL each takes a
transaction advisory lock first; SQLite has one writer. Ids that commit out of order are harmless: a
row is folded when it is seen, not when its id passes a cursor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, event, exists, func, insert, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, selectinload

from models import Action, EntryKind, LedgerEntry, Outbox, User, utcnow

from ..db import among

# "LCDZ-PRJ" in ASCII: the key of the fold's transaction lock (pg_locks shows it).
FOLD_KEY = int.from_bytes(b"LCDZ-PRJ", "big") & 0x7FFF_FFFF_FFFF_FFFF
BATCH = 500
JOB_BATCH = 5000  # the scheduler folds one batch a second


@dataclass(frozen=True)
class Batch:
    """One fold's rows: (action, entry) per outbox row in outbox order (either may be None), and the
    actions' residents. Actions carry their type loaded."""

    items: list[tuple[Action | None, LedgerEntry | None]]
    users: dict[int, User]

    @property
    def actions(self) -> list[Action]:
        return [a for a, _e in self.items if a is not None]

    @property
    def entries(self) -> list[LedgerEntry]:
        return [e for _a, e in self.items if e is not None]


# Registered by statistics, gamification and campaigns (an explicit list, run in registration order).
ON_BATCH: list[Callable[[Session, Batch], None]] = []


def record(session: Session, *, action_id: int | None = None, entry_id: int | None = None) -> None:
    """Core side: one outbox row in the booking transaction (Core INSERT, no ORM object)."""
    session.execute(insert(Outbox), {"action_id": action_id, "entry_id": entry_id, "created_at": utcnow()})


def folded(session: Session, action_id) -> object:
    """SQL condition: the action is in the derived figures already (during a fold: folded before this
    batch, whose rows are still in the outbox)."""
    pending = select(Outbox.id).where(Outbox.action_id == action_id)
    return ~exists(pending.correlate_except(Outbox))


def lock(session: Session) -> None:
    """Keep other folds out until this transaction ends (PostgreSQL; SQLite serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FOLD_KEY})


def snapshot(session: Session) -> None:
    """Start this transaction as one snapshot (PostgreSQL REPEATABLE READ): what it folds, reads and
    rebuilds is then the same set of committed rows. Call before any statement of the transaction."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and isinstance(bind, Engine):  # a bound Connection (tests) keeps its own
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def fold(session: Session, limit: int = BATCH) -> int:
    """Fold up to `limit` of the oldest outbox rows; returns how many. The caller commits."""
    lock(session)
    rows = session.execute(select(Outbox.id, Outbox.action_id, Outbox.entry_id).order_by(Outbox.id).limit(limit)).all()
    if not rows:
        return 0
    action_ids = [r.action_id for r in rows if r.action_id is not None]
    entry_ids = [r.entry_id for r in rows if r.entry_id is not None]
    found = session.scalars(
        select(Action).where(among(session, Action.id, action_ids)).options(selectinload(Action.action_type))
    ).all()
    actions = {a.id: a for a in found}
    entries = {e.id: e for e in session.scalars(select(LedgerEntry).where(among(session, LedgerEntry.id, entry_ids)))}
    users = {u.id: u for u in session.scalars(select(User).where(among(session, User.id, {a.user_id for a in found})))}
    batch = Batch([(actions.get(r.action_id), entries.get(r.entry_id)) for r in rows], users)
    for hook in ON_BATCH:
        hook(session, batch)
    session.execute(delete(Outbox).where(among(session, Outbox.id, [r.id for r in rows])))
    session.flush()
    return len(rows)


def fold_all(session: Session, limit: int = BATCH) -> int:
    """Fold everything in this one transaction (tests, and sweeps that rebuild from the raw rows)."""
    total = 0
    while n := fold(session, limit):
        total += n
    return total


def drain(session_factory: Callable[[], Session], limit: int = BATCH, max_batches: int | None = None) -> int:
    """Fold until the outbox is empty (or `max_batches` ran), one committed transaction per batch;
    returns the rows folded."""
    total = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        session = session_factory()
        try:
            n = fold(session, limit)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        total += n
        if n < limit:
            break
    return total


def settled(
    session_factory: Callable[[], Session], check: Callable[[Session], list[str]], attempts: int = 5
) -> list[str]:
    """Drain, then run `check` in one snapshot that has no backlog, so folded figures and raw rows are
    the same set of commits (retried while actions keep arriving); always rolled back."""
    for _ in range(attempts):
        drain(session_factory)
        session = session_factory()
        try:
            snapshot(session)
            if backlog(session).rows == 0:
                return check(session)
        finally:
            session.rollback()
            session.close()
    return [f"the backlog did not empty in {attempts} attempts; run it again"]


@dataclass(frozen=True)
class Backlog:
    rows: int
    oldest_at: dt.datetime | None

    def lag_seconds(self, now: dt.datetime | None = None) -> float:
        if self.oldest_at is None:
            return 0.0
        return max(0.0, ((now or utcnow()) - self.oldest_at).total_seconds())

    def as_dict(self) -> dict:
        return {"backlog": self.rows, "lag_seconds": round(self.lag_seconds(), 3)}


def backlog(session: Session) -> Backlog:
    """What is committed but not folded yet: how many rows, and since when."""
    rows, oldest = session.execute(select(func.count(), func.min(Outbox.created_at))).one()
    return Backlog(int(rows), oldest)


def _entry_row(_mapper: Any, connection: Connection, entry: LedgerEntry) -> None:
    """Every ledger entry, whichever service posts it, gets its outbox row; an action's earn rides on
    the action's row (actions._book)."""
    if entry.kind == EntryKind.EARN and entry.cause_type == "action":
        return
    connection.execute(insert(Outbox), {"action_id": None, "entry_id": entry.id, "created_at": utcnow()})


def install() -> None:
    """Give ledger entries their outbox rows (idempotent; explicit)."""
    if not event.contains(LedgerEntry, "after_insert", _entry_row):
        event.listen(LedgerEntry, "after_insert", _entry_row)


install()
