"""SQL that differs between PostgreSQL and SQLite: upserts and calendar expressions over dates."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, Integer, Row, Table, cast, extract, func, literal, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from ...db import array_parameter, dialect_of, pg_array

BATCH = 1000
UNNEST_BATCH = 10_000  # rows per statement when the parameters are arrays


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
    returning: Iterable[str] = (),
) -> list[Row]:
    """Insert rows, or on a key conflict add to (or OR bits into, or replace `latest` of) the existing row;
    returns the `returning` columns of every row written (none when not asked).

    Rows are written in key order, so that concurrent writers lock shared rows in one order. On
    PostgreSQL, rows with distinct keys go as one statement per page whose parameters are one array
    per column (INSERT ... SELECT FROM unnest(...)): the SQL stays short, so the driver neither
    builds nor parses one placeholder per value, and the server plans one statement, not one per row.
    """
    if not rows:
        return []
    keys, returning = tuple(keys), tuple(returning)
    rows = sorted(rows, key=lambda row: tuple(row[k] for k in keys))
    shape = (keys, tuple(add), tuple(bit_or), tuple(latest), returning)
    columns = tuple(rows[0])
    if dialect_of(executor) == "postgresql" and _distinct_keys(rows, keys) and _same_columns(rows, columns):
        stmt, size = _unnest_statement(table, columns, *shape), UNNEST_BATCH

        def params(page: list[dict]) -> Any:
            return {f"a_{c}": pg_array([row[c] for row in page]) for c in columns}
    else:
        stmt, size = _upsert_statement(dialect_of(executor), table, *shape), BATCH

        def params(page: list[dict]) -> Any:
            return page

    written: list[Row] = []
    for offset in range(0, len(rows), size):
        result = executor.execute(stmt, params(rows[offset : offset + size]))
        if returning:
            written.extend(result.all())
    return written


def _distinct_keys(rows: list[dict], keys: tuple) -> bool:
    """ON CONFLICT DO UPDATE may touch a row only once per statement."""
    return len({tuple(row[k] for k in keys) for row in rows}) == len(rows)


def _same_columns(rows: list[dict], columns: tuple) -> bool:
    return all(len(row) == len(columns) and all(c in row for c in columns) for row in rows)


@functools.cache
def _upsert_statement(
    dialect: str, table: Table, keys: tuple, add: tuple, bit_or: tuple, latest: tuple, returning: tuple = ()
) -> Any:
    """Built once per shape: the hot path then skips constructing and compiling it."""
    stmt = _on_conflict(insert_for(dialect)(table), table, list(keys), list(add), list(bit_or), list(latest))
    return stmt.returning(*[table.c[c] for c in returning]) if returning else stmt


@functools.cache
def _unnest_statement(
    table: Table, columns: tuple, keys: tuple, add: tuple, bit_or: tuple, latest: tuple, returning: tuple
) -> Any:
    """INSERT INTO t (columns) SELECT * FROM unnest(CAST(:a_c AS type[]), ...) ON CONFLICT ..."""
    arrays = [array_parameter(f"a_{c}", table.c[c].type) for c in columns]
    source = func.unnest(*arrays).table_valued(*columns).render_derived()
    stmt = postgresql.insert(table).from_select(list(columns), select(*[source.c[c] for c in columns]))
    stmt = _on_conflict(stmt, table, list(keys), list(add), list(bit_or), list(latest))
    return stmt.returning(*[table.c[c] for c in returning]) if returning else stmt


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
