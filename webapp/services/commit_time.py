"""Additive upserts of hot shared rows, written just before COMMIT instead of when they arise.

A district's statistics and leaderboard rows, and the leaderboard's bucket counts, are shared by
every resident. The projector folds a whole batch of actions in one transaction, and registrations
add to the day's row in theirs; written when they arise, those rows would be written once per action
and held locked for the rest of the transaction. So their deltas wait on the session: merged by
key, dropped with a rolled-back savepoint or transaction, and written in key order by one statement
per table in `before_commit`, or earlier, before a statement of the same transaction reads or
rewrites one of those tables. Only sums, bitwise ORs and latest timestamps are deferred, never a
value the writer reads back. Commit through `Session.commit()` (as the request and every job do):
`before_commit` cannot tell which transaction commits, so committing the root's own handle while a
savepoint is open would skip the write.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, scoped_session
from sqlalchemy.sql.util import find_tables

PENDING = "commit_time_upserts"
DEFERRED: set[Table] = set()  # every table a Spec defers
WRITTEN = "commit_time_written"  # what was written inside a savepoint, queued again if it rolls back


@dataclass(frozen=True)
class Spec:
    table: Table
    keys: tuple[str, ...]
    add: tuple[str, ...] = ()
    bit_or: tuple[str, ...] = ()
    latest: tuple[str, ...] = ()  # replaced by the newest value (e.g. a timestamp)

    def __post_init__(self) -> None:
        DEFERRED.add(self.table)


def add(session: Session, spec: Spec, rows: list[dict]) -> None:
    """Queue rows to be added to `spec.table` when the session commits."""
    if isinstance(session, scoped_session):
        session = session()
    if rows:
        tag = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING, []).append((tag, spec, rows))


def merged(items: list[tuple[Any, Spec, list[dict]]]) -> dict[Spec, dict[tuple, dict]]:
    out: dict[Spec, dict[tuple, dict]] = {}
    for _tag, spec, rows in items:
        by_key = out.setdefault(spec, {})
        for row in rows:
            key = tuple(row[k] for k in spec.keys)
            have = by_key.get(key)
            if have is None:
                by_key[key] = dict(row)
                continue
            for column in spec.add:
                have[column] += row[column]
            for column in spec.bit_or:
                have[column] |= row[column]
            for column in spec.latest:
                have[column] = max(have[column], row[column])
    return out


def write(session: Session) -> None:
    """Write what is queued now: one statement per table, tables and rows in a fixed order."""
    items = session.info.pop(PENDING, None)
    if not items:
        return
    from .statistics.sql import upsert  # statistics imports this module

    savepoint = session.get_nested_transaction()
    if savepoint is not None:
        session.info.setdefault(WRITTEN, []).append((savepoint, items))

    for spec, rows in sorted(merged(items).items(), key=lambda item: item[0].table.name):
        upsert(
            session, spec.table, list(rows.values()), spec.keys, add=spec.add, bit_or=spec.bit_or, latest=spec.latest
        )


def _within(tag: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while tag is not None:
        if tag is ended:
            return True
        tag = tag.parent
    return False


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.get_nested_transaction() is None:  # not a savepoint's release
        session.flush()  # rows still to be flushed queue their share first (also when nothing is queued yet)
        write(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # committed (and written) or rolled back (and dropped): start afresh
        session.info.pop(WRITTEN, None)
        session.info.pop(PENDING, None)


@event.listens_for(Session, "do_orm_execute")
def _before_touching(state: ORMExecuteState) -> None:
    """A statement of this transaction that reads or rewrites a deferred table sees its rows first,
    including the rows its own autoflush queues (SQLAlchemy autoflushes after this hook).

    Another additive INSERT needs no such care: additions commute.
    """
    session = state.session
    if not (session.info.get(PENDING) or session.new or session.dirty or session.deleted):
        return
    if state.is_insert and getattr(state.statement, "select", None) is None:
        return
    if _touches_deferred(state.statement):
        if session.autoflush:
            session.flush()
        write(session)


_TOUCHES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # statement -> bool; statements built once hit


def _touches_deferred(statement: Any) -> bool:
    known = _TOUCHES.get(statement)
    if known is None:
        tables = find_tables(statement, check_columns=True, include_joins=True, include_selects=True, include_crud=True)
        known = _TOUCHES[statement] = bool(DEFERRED.intersection(tables))
    return known


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    undone: list = []
    for savepoint, items in session.info.pop(WRITTEN, []):
        if _within(savepoint, previous):
            undone += items  # their rows went with the savepoint: queue again what was outside it
        else:
            session.info.setdefault(WRITTEN, []).append((savepoint, items))
    kept = [item for item in [*undone, *session.info.pop(PENDING, [])] if not _within(item[0], previous)]
    if kept:
        session.info[PENDING] = kept
