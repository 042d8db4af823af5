"""Electing the one active scheduler among many processes and hosts.

PostgreSQL: a session-level `pg_try_advisory_lock` held on a dedicated, unpooled connection; the
server releases it when that connection dies (kill -9, host lost), and followers polling every few
seconds take over. It does not survive PgBouncer in transaction-pooling mode: point DATABASE_URL at
PostgreSQL itself, or use the lease (`--lock lease`).
SQLite (or `--lock lease`): a row in scheduler_leases that its holder renews every few seconds and
anyone may take once it has expired.

The lock only saves work: every job is a guarded sweep, so even two leaders at once (a lease that
expired under a frozen process) would move each campaign, write each notice and pay each bonus once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
import uuid
from typing import Protocol

from sqlalchemy import create_engine, or_, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from models import SchedulerLease, utcnow

log = logging.getLogger(__name__)

# A fixed 63-bit key: "LCDZ-SCH" in ASCII, so `pg_locks` shows who holds it (classid/objid halves).
ADVISORY_KEY = int.from_bytes(b"LCDZ-SCH", "big") & 0x7FFF_FFFF_FFFF_FFFF
LEASE_NAME = "scheduler"


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lock(Protocol):
    holder: str

    def acquire(self) -> bool:
        """Try once; True when this process now leads (or already did)."""

    def still_held(self) -> bool:
        """Keep leadership alive (renew, ping); False once it is lost."""

    def release(self) -> None:
        """Give leadership up so that a follower takes over at its next poll."""


class AdvisoryLock:
    """pg_try_advisory_lock on one connection of its own (NullPool, autocommit)."""

    def __init__(self, url: str, key: int = ADVISORY_KEY) -> None:
        self.key = key
        self.holder = holder_id()
        self.engine: Engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={"application_name": "carbon-scheduler"},
        )
        self.conn: Connection | None = None
        self.held = False

    def _connection(self) -> Connection:
        if self.conn is None or self.conn.closed:
            self.conn = self.engine.connect()
        return self.conn

    def _drop(self) -> None:
        self.held = False
        if self.conn is not None:
            with contextlib.suppress(DBAPIError):
                self.conn.invalidate()
                self.conn.close()
        self.conn = None

    def acquire(self) -> bool:
        if self.held:
            return self.still_held()
        try:
            self.held = bool(
                self._connection().execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            )
        except DBAPIError as error:
            log.warning("scheduler lock: database unavailable (%s)", error.__class__.__name__)
            self._drop()
        return self.held

    def still_held(self) -> bool:
        """The lock lives as long as its connection: ask the server that this backend still holds it."""
        if not self.held or self.conn is None:
            return False
        try:
            mine = self.conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid = :hi AND objid = :lo AND objsubid = 1"
                ),
                {"hi": self.key >> 32, "lo": self.key & 0xFFFF_FFFF},
            ).scalar()
        except DBAPIError:
            self._drop()
            return False
        self.held = bool(mine)
        return self.held

    def release(self) -> None:
        if self.conn is not None and self.held:
            with contextlib.suppress(DBAPIError):  # a dead connection has released it already
                self.conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        self._drop()
        self.engine.dispose()


class LeaseLock:
    """A renewable lease row; whoever finds it expired (or missing) takes it."""

    def __init__(self, engine: Engine, ttl: float, name: str = LEASE_NAME) -> None:
        self.name = name
        self.ttl = dt.timedelta(seconds=ttl)
        self.holder = holder_id()
        self.sessions = sessionmaker(bind=engine)

    def _claim(self, session: Session, now: dt.datetime, *, renew_only: bool) -> bool:
        who = SchedulerLease.holder == self.holder
        stmt = update(SchedulerLease).where(SchedulerLease.name == self.name)
        stmt = stmt.where(who if renew_only else or_(who, SchedulerLease.expires_at <= now))
        moved = session.execute(
            stmt.values(holder=self.holder, expires_at=now + self.ttl).execution_options(synchronize_session=False)
        ).rowcount
        if moved or renew_only:
            return bool(moved)
        if session.get(SchedulerLease, self.name) is not None:
            return False  # someone else holds a live lease
        session.add(SchedulerLease(name=self.name, holder=self.holder, acquired_at=now, expires_at=now + self.ttl))
        session.flush()
        return True

    def _attempt(self, *, renew_only: bool) -> bool:
        session = self.sessions()
        try:
            got = self._claim(session, utcnow(), renew_only=renew_only)
            session.commit()
            return got
        except IntegrityError:
            session.rollback()
            return False  # another process inserted the row first
        except DBAPIError as error:
            session.rollback()
            log.warning("scheduler lease: database busy or unavailable (%s)", error.__class__.__name__)
            return False
        finally:
            session.close()

    def acquire(self) -> bool:
        return self._attempt(renew_only=False)

    def still_held(self) -> bool:
        return self._attempt(renew_only=True)

    def release(self) -> None:
        """Expire our lease now, so that a follower need not wait for the time to run out."""
        session = self.sessions()
        try:
            session.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == self.name, SchedulerLease.holder == self.holder)
                .values(expires_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            session.commit()
        except DBAPIError:
            session.rollback()
        finally:
            session.close()


def make_lock(
    engine: Engine, url: str, kind: str, lease_seconds: float, *, key: int = ADVISORY_KEY, name: str = LEASE_NAME
) -> Lock:
    """`auto`: the advisory lock on PostgreSQL, the lease elsewhere (`key`/`name`: whose election)."""
    if kind == "auto":
        kind = "advisory" if engine.dialect.name == "postgresql" else "lease"
    if kind == "advisory":
        if engine.dialect.name != "postgresql":
            raise ValueError("the advisory lock needs PostgreSQL; use --lock lease")
        return AdvisoryLock(url, key)
    return LeaseLock(engine, lease_seconds, name)
