"""DATABASE_REPLICA_URL: statistics and leaderboard reads go to the read-only replica engine; writes never do."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from models import Action, Role
from webapp.config import Config, ConfigError
from webapp.extensions import db

from .conftest import database_url
from .test_actions_api import NOW, body, make_type

WRITES = ("insert", "update", "delete", "create", "alter", "drop")


@pytest.fixture
def replica(app, db_conn):
    """The replica points at the test database through a second, read-only connection; every
    statement it runs is recorded."""
    db.bind_replica(database_url())
    statements: list[str] = []

    @event.listens_for(db.replica_engine, "before_cursor_execute")
    def record(_conn, _cursor, statement, *_args):
        statements.append(statement.strip().lower())

    try:
        yield statements
    finally:
        db.bind_replica(None)


def test_the_replica_url_is_validated_like_the_primary():
    env = {"APP_ENV": "testing", "SECRET_KEY": "x" * 20}
    assert Config.from_env(env).DATABASE_REPLICA_URL == ""
    replica = Config.from_env({**env, "DATABASE_REPLICA_URL": "postgresql://reader@replica/carbon"})
    assert replica.as_flask()["DATABASE_REPLICA_URL"] == "postgresql+psycopg://reader@replica/carbon"
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL"):
        Config.from_env({**env, "DATABASE_REPLICA_URL": "mysql://replica/carbon"})


def test_without_a_replica_reads_share_the_request_session(app, db_conn):
    assert db.replica_engine is None and db.reads is db.session


@pytest.mark.parametrize(
    "path",
    ["/api/v1/stats/overview", "/api/v1/stats/districts", "/api/v1/stats/timeseries", "/api/v1/stats/export.csv"],
)
def test_statistics_read_from_the_replica(replica, api, make_user, path):
    response = api(make_user(Role.OFFICIAL)).get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert any(s.startswith("select") for s in replica), path
    assert not [s for s in replica if s.startswith(WRITES)]


def test_official_dashboard_reads_from_the_replica(replica, client, make_user):
    from .helpers import ApiClient

    official = make_user(Role.OFFICIAL)
    ApiClient(client).sign_in(official.phone or official.email, "Tidy-Bus-Lane-42")
    assert client.get("/official/").status_code == 200
    assert any("stat" in s for s in replica if s.startswith("select"))


@pytest.mark.parametrize("board", ["residents", "districts", "teams"])
def test_leaderboards_read_from_the_replica(replica, api, resident, board):
    response = api(resident).get(f"/api/v1/leaderboards/{board}?period=week")
    assert response.status_code == 200, response.get_json()
    assert any("board" in s for s in replica if s.startswith("select")), replica


def test_logging_an_action_never_touches_the_replica(replica, session, resident, api):
    import time_machine

    with time_machine.travel(NOW, tick=False):
        action_type = make_type(session, grams="100")
        response = api(resident).post("/api/v1/actions", json=body(action_type))
    assert response.status_code == 201, response.get_json()
    assert replica == []
    assert session.scalar(select(func.count()).select_from(Action).where(Action.user_id == resident.id)) == 1


def test_the_replica_refuses_writes(replica):
    with pytest.raises(DBAPIError, match=r"(?i)read-only|readonly"):
        db.reads.execute(text("UPDATE users SET nickname = nickname WHERE id = -1"))
    db.reads.rollback()
