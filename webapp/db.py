"""Engine and request-scoped session; the request (or job) owns the transaction; `among`, the id list
that reads the same on both databases; `pg_array`, a whole array as one text parameter."""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import select
import threading
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from flask import Flask, g
from sqlalchemy import Text, any_, bindparam, cast, create_engine, event, exc
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement


def dialect_of(executor: Any) -> str:
    """The database's name ("postgresql", "sqlite") behind a Session or a Connection."""
    bind = executor.get_bind() if hasattr(executor, "get_bind") else executor
    return bind.dialect.name


def among(session: Session, column: Any, values: Iterable) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL one array parameter (`= ANY(:p::type[])`): a fold's thousands of
    ids then make neither a statement with one placeholder each, which the driver builds and parses and
    the server plans anew for every batch, nor one SQL text per list length."""
    values = sorted(set(values))
    if dialect_of(session) == "postgresql":
        # A typed array, not pg_array text: PostgreSQL would cast that text again for every row a
        # filter tests (a fold ran 5 times slower).
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def array_parameter(name: str, element_type: Any) -> ColumnElement:
    """`CAST(:name AS type[])` for a parameter given as `pg_array` text. Only where PostgreSQL
    evaluates it once, as `unnest(...)` in FROM: in a WHERE filter the cast runs again for each row."""
    return cast(bindparam(name, type_=Text), ARRAY(element_type))


_CONTROL = re.compile("[\x00-\x1f]")


def pg_array(values: Sequence) -> str:
    """The text form of a PostgreSQL array (`{1,2}`, `{"a","b"}`) of ints, strings, dates, times,
    decimals, booleans, enums or None, for `array_parameter`. The driver adapts a list element by
    element with a quoting test on each: 14 ms for 10,000 ints, 24 ms for dates, a tenth of a fold's
    time. Joined here: 2.7 ms for the ints, 1 ms for the strings."""
    kinds = {type(value) for value in values}
    if kinds <= {int}:
        return "{" + ",".join(map(str, values)) + "}"
    if kinds <= {dt.date}:
        return "{" + ",".join(map(dt.date.isoformat, values)) + "}"
    if kinds <= {str} and not _CONTROL.search("".join(values)):
        # JSON escapes only " and \ (no control characters here), with a backslash, as arrays do.
        return "{" + json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))[1:-1] + "}"
    return "{" + ",".join(map(_array_element, values)) + "}"


def _array_element(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, enum.Enum):
        return _array_element(value.value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):  # and datetime
        value = value.isoformat()
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"no array text for {type(value).__name__}")


def _sqlite_pragmas(engine: Engine) -> None:
    """WAL, foreign keys, and BEGIN IMMEDIATE so that SQLite serialises writers (no lost updates)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _read_only(engine: Engine) -> None:
    """Every connection of a replica engine refuses writes: PostgreSQL read-only transactions,
    SQLite query_only (and a plain deferred BEGIN, never the writer lock)."""
    sqlite = engine.dialect.name == "sqlite"

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA query_only=ON" if sqlite else "SET default_transaction_read_only = on")
        cursor.close()
        if not sqlite:
            dbapi_conn.commit()


def make_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False}, **kwargs)
        if read_only:
            _sqlite_reader(engine)
        else:
            _sqlite_pragmas(engine)
    else:
        pooled = {"pool_size": 10, "max_overflow": 20} if "poolclass" not in kwargs else {}
        engine = create_engine(url, **{**pooled, **kwargs})
        _checked_on_checkout(engine)
    if read_only:
        _read_only(engine)
    return engine


def _checked_on_checkout(engine: Engine) -> None:
    """A pooled PostgreSQL connection the server has closed is replaced before the request uses it,
    without a round trip for the ones that are alive (`pool_pre_ping` pings every checkout: a fifth of
    a leaderboard read's statements). An idle connection receives nothing unless the server ends it
    (a restart, `pg_terminate_backend`, `idle_session_timeout`): it sends the FATAL error and closes,
    so the socket turns readable. Only then is the connection pinged, and replaced if the ping fails."""

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if not has_input(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the driver's error for a closed connection
            raise exc.DisconnectionError(f"closed by the server: {error}") from error


def has_input(dbapi_conn: Any) -> bool:
    """Whether the server sent anything to an idle connection (or it is closed on our side)."""
    if dbapi_conn.closed:
        return True
    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _sqlite_reader(engine: Engine) -> None:
    """A reader of a WAL database: autocommit off in the driver, plain BEGIN (no writer lock)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


class Database:
    """Holds the engine and a session scoped to the Flask app context."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.replica_engine: Engine | None = None
        self.factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.factory, scopefunc=_context_id)
        self.read_factory = sessionmaker(expire_on_commit=False)
        self.replica = scoped_session(self.read_factory, scopefunc=_context_id)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.factory.configure(bind=self.engine)
        self.bind_replica(app.config.get("DATABASE_REPLICA_URL"))
        app.extensions["database"] = self
        app.teardown_appcontext(self._remove)

    def bind_replica(self, url: str | None) -> None:
        """Point statistics and leaderboard reads at a read-only engine on `url` (None: the primary)."""
        self.replica.remove()
        if self.replica_engine is not None:
            self.replica_engine.dispose()
        self.replica_engine = make_engine(url, read_only=True) if url else None
        self.read_factory.configure(bind=self.replica_engine)

    @property
    def reads(self) -> scoped_session:
        """The session for dashboard reads: the replica's when one is set, else the request's own."""
        return self.replica if self.replica_engine is not None else self.session

    def _remove(self, _exc: BaseException | None) -> None:
        self.session.remove()
        self.replica.remove()

    def new_session(self) -> Session:
        """A session outside any request, for CLI commands, jobs and threads."""
        return self.factory()


def _context_id() -> int:
    try:
        return id(g._get_current_object())
    except RuntimeError:  # outside an app context: one session per thread
        return threading.get_ident()
