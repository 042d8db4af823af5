"""The backup drill (tools/backup_drill.sh, docs/operations.md) restores a whole copy and says so, and
fails loudly when the copy does not reconcile."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from .benchmarks import support
from .conftest import database_url, is_postgres

pytestmark = pytest.mark.skipif(not is_postgres(), reason="pg_dump and pg_restore drill a PostgreSQL database")


def _drill(url: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(support.ROOT / "tools" / "backup_drill.sh"), url, str(tmp_path / "backups")],
        cwd=support.ROOT,
        env={**os.environ, "FLASK": str(support.BIN / "flask")},
        capture_output=True,
        text=True,
        check=False,
    )


def test_drill_restores_a_copy_that_verifies_and_catches_a_broken_one(tmp_path):
    base = make_url(database_url())
    url = base.set(database=f"{base.database}_drill").render_as_string(hide_password=False)
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    env = support.app_env(plain)
    support.fresh_city_database(plain, env)
    support.flask(env, "seed", "demo")

    done = _drill(plain, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "drill ok" in done.stdout
    assert list((tmp_path / "backups").glob("carbon-*.dump"))

    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:  # a balance that no longer equals its entries: the copy must fail
        conn.execute(
            text("UPDATE carbon_accounts SET balance = balance + 1 WHERE id = (SELECT min(id) FROM carbon_accounts)")
        )
    engine.dispose()
    broken = _drill(plain, tmp_path)
    assert broken.returncode != 0
    assert "drill ok" not in broken.stdout
