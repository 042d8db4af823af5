"""Fixtures: one app per run on a migrated database, a rolled-back transaction per test.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set. Tests that need real commits
across connections (concurrency) use `committed` instead of `session`.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from models import Base, Role
from seeds import SEEDS_DIR, load_profile
from webapp import create_app
from webapp.cli.database import alembic_config
from webapp.config import Config, normalise_database_url
from webapp.extensions import db, limiter
from webapp.services import accounts, city, ledger, methodology, projector

from .helpers import ApiClient, fresh_otp, make_user_factory, purge_audit_events
from .test_merchants_support import make_merchant, make_staff

PASSWORD = "Tidy-Bus-Lane-42"
TMP = Path(tempfile.mkdtemp(prefix="carbon-tests-"))


def _private_postgres_database() -> None:
    """Each pytest run gets its own fresh PostgreSQL database next to TEST_DATABASE_URL's, so that
    parallel runs never drop each other's schema; it is dropped again when the run ends."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith(("postgres", "postgresql")) or os.environ.get("CARBON_TEST_DB_PRIVATE"):
        return
    url = make_url(normalise_database_url(base))
    name = f"{url.database}_run{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    private = url.set(database=name).render_as_string(hide_password=False)
    os.environ["TEST_DATABASE_URL"] = private
    os.environ["CARBON_TEST_DB_PRIVATE"] = "1"

    def drop() -> None:
        db.engine and db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    atexit.register(drop)


_private_postgres_database()


def database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{TMP / 'test.db'}"


def is_postgres() -> bool:
    return database_url().startswith(("postgres", "postgresql"))


def _reset_database(url: str) -> None:
    """Start from an empty database; the schema then comes from the migrations only."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        with engine.begin() as conn:
            for table in inspect(conn).get_table_names():
                conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')


@pytest.fixture(scope="session")
def app():
    config = Config.from_env(
        {
            "APP_ENV": "testing",
            "DATABASE_URL": database_url(),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "RATELIMIT_ENABLED": "true",
        },
        instance_path=str(TMP / "instance"),
    )
    app = create_app(config)
    with app.app_context():
        _reset_database(config.DATABASE_URL)
        command.upgrade(alembic_config(app.config["DATABASE_URL"]), "head")
        session = db.new_session()
        city.load_profile(session, load_profile("dezhou"))
        methodology.load_catalogue(session, SEEDS_DIR / "methodology")
        session.commit()
        session.close()
        db.session.remove()
    return app


@pytest.fixture
def db_conn(app) -> Iterator:
    """Every session and request of the test shares one connection whose transaction is rolled back."""
    conn = db.engine.connect()
    outer = conn.begin()
    db.factory.configure(bind=conn, join_transaction_mode="create_savepoint")
    limiter.reset()
    try:
        yield conn
    finally:
        db.session.remove()
        outer.rollback()
        conn.close()
        db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture
def session(db_conn) -> Iterator[Session]:
    s = db.factory()
    yield s
    s.close()


@pytest.fixture
def committed(app) -> Iterator[Session]:
    """Real commits (for concurrency tests); every table but the city profile is emptied afterwards."""
    s = db.new_session()
    yield s
    s.rollback()
    assert ledger.verify(s) == [], "the ledger must reconcile after every test that commits"
    s.close()
    keep = {"cities", "districts", "alembic_version", "emission_factors", "action_types"}
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in keep]
    with db.engine.begin() as conn:
        # DELETE, not TRUNCATE ... CASCADE: a cascade would also empty the kept methodology tables,
        # which reference users (created_by).
        for table in tables:
            if table.name == "audit_events":
                purge_audit_events(conn)
            else:
                conn.execute(table.delete())


@pytest.fixture
def fold(session):
    """Run the projector to the end, as it would within seconds of the request (derived figures)."""

    def run() -> int:
        folder = db.factory()
        try:
            n = projector.fold_all(folder)
            folder.commit()
        finally:
            folder.close()
        session.expire_all()
        return n

    return run


@pytest.fixture
def client(app, db_conn):
    return app.test_client()


@pytest.fixture
def make_user(session):
    return make_user_factory(session, PASSWORD)


@pytest.fixture
def resident(make_user):
    return make_user(Role.RESIDENT)


@pytest.fixture
def api(app, db_conn):
    """A JSON client that signs in as a user and sends the CSRF header, like the web front end."""

    def build(user=None, password: str = PASSWORD) -> ApiClient:
        client = ApiClient(app.test_client())
        if user is not None:
            client.sign_in(user.phone or user.email, password, fresh_otp(user))
        return client

    return build


@pytest.fixture
def register_payload():
    def build(**overrides):
        payload = {
            "phone": "13912345678",
            "password": PASSWORD,
            "nickname": "绿色小达人",
            "district": "371402",
            "consent": True,
        }
        payload.update(overrides)
        return payload

    return build


__all__ = ["PASSWORD", "accounts", "is_postgres"]


@pytest.fixture
def shop(session):
    """An approved merchant (test_merchants_support.make_merchant)."""
    return make_merchant(session)


@pytest.fixture
def staff(session, make_user, shop):
    """A staff member of `shop`."""
    return make_staff(session, make_user, shop)
