"""The migrations alone build the schema of the models, and undo it, on an empty database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.pool import NullPool

from models import Base
from webapp.cli.database import alembic_config
from webapp.config import normalise_database_url
from webapp.db import make_engine


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A brand-new database: a temporary SQLite file, or a temporary PostgreSQL database."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = make_url(normalise_database_url(base))
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_differences(url: str) -> list:
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_matches_the_models_and_downgrade_base_removes_everything(empty_database_url):
    config = alembic_config(empty_database_url)
    assert table_names(empty_database_url) == set()
    command.upgrade(config, "head")
    created, modelled = table_names(empty_database_url) - {"alembic_version"}, set(Base.metadata.tables)
    assert not modelled - created, f"tables without a migration: {sorted(modelled - created)}"
    assert not created - modelled, f"tables without a model: {sorted(created - modelled)}"
    differences = schema_differences(empty_database_url)
    assert differences == [], f"models and migrations differ (write a migration): {differences}"
    command.downgrade(config, "base")
    assert table_names(empty_database_url) == {"alembic_version"}


def test_each_revision_downgrades_and_upgrades_again(empty_database_url):
    config = alembic_config(empty_database_url)
    revisions = list(ScriptDirectory.from_config(config).walk_revisions("base", "heads"))
    command.upgrade(config, "head")
    for _ in revisions:
        command.downgrade(config, "-1")
    assert table_names(empty_database_url) == {"alembic_version"}
    command.upgrade(config, "head")
    assert schema_differences(empty_database_url) == []


def test_migration_history_has_one_base_and_one_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, "branched history: merge the heads"
    assert len(script.get_bases()) == 1


def test_migration_files_are_date_prefixed_with_a_slug():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    for revision in script.walk_revisions():
        name = os.path.basename(revision.path)
        stamp, time_part, rev, *slug = name.removesuffix(".py").split("_")
        assert len(stamp) == 8 and stamp.isdigit() and len(time_part) == 4 and time_part.isdigit(), name
        assert rev == revision.revision and slug, name
