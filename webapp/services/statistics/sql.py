"""SQL that differs between PostgreSQL and SQLite: upserts and calendar expressions over dates."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, Integer, Table, cast, extract, func, literal, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

BATCH = 1000


def dialect_of(executor: Any) -> str:
    bind = executor.get_bind() if hasattr(executor, "get_bind") else executor
    return bind.dialect.name


def insert_for(dialect: str):
    """INSERT with ON CONFLICT for PostgreSQL or SQLite."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def dialect_insert(executor: Any):
    """INSERT with ON CONFLICT for the database of a Session or Connection."""
    return insert_for(dialect_of(executor))


def _on_conflict(
    stmt: Any, table: Table, keys: list[str], add: list[str], bit_or: list[str], latest: list[str] = ()
) -> Any:
    changes = {c: table.c[c] + stmt.excluded[c] for c in add}
    changes |= {c: table.c[c].op("|", return_type=Integer)(stmt.excluded[c]) for c in bit_or}
    changes |= {c: stmt.excluded[c] for c in latest}
    return stmt.on_conflict_do_update(index_elements=keys, set_=changes)


def upsert(
    executor: Any,
    table: Table,
    rows: list[dict],
    keys: Iterable[str],
    *,
    add: Iterable[str] = (),
    bit_or: Iterable[str] = (),
    latest: Iterable[str] = (),
) -> None:
    """Insert rows, or on a key conflict add to (or OR bits into, or replace `latest` of) the existing row.

    Rows are written in key order, so that concurrent writers lock shared rows in one order.
    """
    if not rows:
        return
    keys = tuple(keys)
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    stmt = _upsert_statement(dialect_of(executor), table, keys, tuple(add), tuple(bit_or), tuple(latest))
    for offset in range(0, len(rows), BATCH):
        executor.execute(stmt, rows[offset : offset + BATCH])


@functools.cache
def _upsert_statement(dialect: str, table: Table, keys: tuple, add: tuple, bit_or: tuple, latest: tuple) -> Any:
    """Built once per shape: the hot path then skips constructing and compiling it."""
    return _on_conflict(insert_for(dialect)(table), table, list(keys), list(add), list(bit_or), list(latest))


def upsert_from(
    executor: Any,
    table: Table,
    columns: list[str],
    query: Any,
    keys: Iterable[str],
    *,
    add: Iterable[str] = (),
    bit_or: Iterable[str] = (),
) -> None:
    """INSERT ... SELECT with the same conflict rule as `upsert` (the SELECT must have a WHERE:
    SQLite needs it to tell the upsert clause from a join)."""
    stmt = dialect_insert(executor)(table).from_select(columns, query)
    executor.execute(_on_conflict(stmt, table, list(keys), list(add), list(bit_or)))


def const(value: Any, type_: Any = None) -> ColumnElement:
    """A constant rendered inline, so that PostgreSQL sees the same expression in SELECT and GROUP BY."""
    return literal(value, type_, literal_execute=True)


def part(field: str, day: ColumnElement, dialect: str) -> ColumnElement:
    """Year, month or day of a date as an integer (PostgreSQL's EXTRACT is numeric, date_part is fast)."""
    if dialect == "postgresql":
        return cast(func.date_part(const(field), day), Integer)
    return cast(extract(field, day), Integer)


def day_bit(day: ColumnElement, dialect: str) -> ColumnElement:
    return const(1, Integer).op("<<", return_type=Integer)(part("day", day, dialect) - const(1, Integer))


def start_of(kind: str, day: ColumnElement, dialect: str) -> ColumnElement:
    """The first day of the day / ISO week / month / year containing `day`, as a date."""
    if kind == "d":
        return day
    if dialect == "postgresql":
        unit = {"w": "week", "m": "month", "y": "year"}[kind]
        return cast(func.date_trunc(const(unit), day), Date)
    modifiers = {"w": ("weekday 0", "-6 days"), "m": ("start of month",), "y": ("start of year",)}[kind]
    return type_coerce(func.date(day, *map(const, modifiers)), Date)


def plus_days(day: ColumnElement, days: int, dialect: str) -> ColumnElement:
    if dialect == "postgresql":
        return type_coerce(day + const(days, Integer), Date)
    return type_coerce(func.date(day, const(f"{days:+d} days")), Date)


def earliest(a: ColumnElement, b: ColumnElement, dialect: str) -> ColumnElement:
    """The smaller of two dates (NULLs excluded by the caller)."""
    return type_coerce((func.least if dialect == "postgresql" else func.min)(a, b), Date)


def local_date(instant: ColumnElement, zone: str) -> ColumnElement:
    """The city day of a UTC timestamp, on PostgreSQL (SQLite has no time zones: done in Python)."""
    return cast(func.timezone(const(zone), instant), Date)
