"""Engine and request-scoped session; the request (or job) owns the transaction."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker


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


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False}, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    options = {"pool_pre_ping": True, **kwargs}
    if "poolclass" not in kwargs:
        options.update(pool_size=10, max_overflow=20)
    return create_engine(url, **options)


class Database:
    """Holds the engine and a session scoped to the Flask app context."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.factory = sessionmaker(expire_on_commit=False)
        self.session = scoped_session(self.factory, scopefunc=_context_id)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.factory.configure(bind=self.engine)
        app.extensions["database"] = self
        app.teardown_appcontext(self._remove)

    def _remove(self, _exc: BaseException | None) -> None:
        self.session.remove()

    def new_session(self) -> Session:
        """A session outside any request, for CLI commands, jobs and threads."""
        return self.factory()


def _context_id() -> int:
    try:
        return id(g._get_current_object())
    except RuntimeError:  # outside an app context: one session per thread
        return threading.get_ident()
