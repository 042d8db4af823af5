"""Faults the platform must ride out: database connections lost under load, and Redis unreachable.

A lost database connection costs at most the request in flight on each worker (503 with Retry-After,
never a 500); the pool's checkout replaces a connection the server closed (webapp.db), so the worker
serves again without a restart, and the ledger still reconciles. Redis down: the rate limits fall back to each worker's
memory (they fail open to per-process counting, README "Rate limits"), and no request fails.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from models import Action, LedgerEntry
from webapp.db import has_input, make_engine
from webapp.services import actions as actions_service

from .benchmarks import support
from .conftest import PASSWORD, TMP, database_url, is_postgres

WORKERS = 3
CLIENTS = 6
KILLS = 2


def _post(port: int, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(raw) if is_json and raw else {}
    finally:
        conn.close()


def _resident_token(port: int, i: int) -> str:
    login = f"1390000{i:04d}"
    status, _ = _post(
        port,
        "/api/v1/auth/register",
        {"phone": login, "password": PASSWORD, "nickname": f"f{i}", "district": "371402", "consent": True},
    )
    assert status == 201
    status, body = _post(port, "/api/v1/auth/tokens", {"login": login, "password": PASSWORD, "name": "faults"})
    assert status == 201
    return body["token"]


def _terminate_backends(admin, database: str) -> int:
    with admin.connect() as conn:
        return len(
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :db AND pid <> pg_backend_pid()"
                ),
                {"db": database},
            ).all()
        )


@pytest.mark.skipif(not is_postgres(), reason="terminating server backends is PostgreSQL's; see the 503 test")
def test_terminated_backends_cost_at_most_one_request_per_worker_and_the_ledger_reconciles():
    base = make_url(database_url())
    url = base.set(database=f"{base.database}_faults").render_as_string(hide_password=False)
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    env = support.app_env(plain)
    support.fresh_city_database(plain, env)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    results: list[tuple[float, int]] = []
    stop = threading.Event()
    try:
        with support.gunicorn(env, WORKERS) as port:
            tokens = [_resident_token(port, i) for i in range(CLIENTS)]

            def log_actions(token: str) -> None:
                while not stop.is_set():
                    occurred = dt.datetime.now(dt.UTC).isoformat()
                    try:
                        status, _ = _post(
                            port,
                            "/api/v1/actions",
                            {"type": "bus", "quantity": "1", "occurred_at": occurred},
                            {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
                        )
                    except OSError:  # a dropped connection counts as a failed request
                        status = 0
                    results.append((time.monotonic(), status))

            clients = [threading.Thread(target=log_actions, args=(t,)) for t in tokens]
            for client in clients:
                client.start()
            killed_at = []
            for _ in range(KILLS):
                time.sleep(1.5)
                assert _terminate_backends(admin, make_url(url).database) > 0
                killed_at.append(time.monotonic())
            time.sleep(2.0)
            stop.set()
            for client in clients:
                client.join(timeout=30)
        failures = [status for _, status in results if status != 201]
        recovered = [status for at, status in results if at > killed_at[-1] + 1.0]
        assert len(results) > 50, "the load did not run"
        assert set(failures) <= {503}, f"failed requests other than 503: {sorted(set(failures))}"
        assert len(failures) <= WORKERS * KILLS
        assert recovered and all(status == 201 for status in recovered), "a worker did not serve again"
    finally:
        stop.set()
        admin.dispose()
    # `flask ledger verify` exits non-zero (check=True raises) when an account does not reconcile.
    support.flask(env, "ledger", "verify")


def test_lost_connection_is_503_with_retry_after_and_changes_nothing(api, resident, session, monkeypatch):
    client = api(resident)

    def lost(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)

    monkeypatch.setattr(actions_service.scoring, "boost_for", lost)
    counts = select(func.count(Action.id)), select(func.count(LedgerEntry.id))
    before = [session.scalar(q) for q in counts]
    response = client.post(
        "/api/v1/actions",
        json={"type": "bus", "quantity": "1", "occurred_at": dt.datetime.now(dt.UTC).isoformat()},
        headers={"Idempotency-Key": "lost-1"},
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.get_json()["code"] == 503
    assert [session.scalar(q) for q in counts] == before


@pytest.mark.skipif(not is_postgres(), reason="terminating server backends is PostgreSQL's")
def test_a_connection_the_server_closed_is_replaced_on_checkout_and_a_live_one_costs_no_ping(monkeypatch):
    engine = make_engine(database_url(), pool_size=1, max_overflow=0)
    admin = create_engine(make_url(database_url()), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    try:
        pids = []
        for _ in range(3):
            with engine.connect() as conn:
                pids.append(conn.scalar(text("SELECT pg_backend_pid()")))
        assert len(set(pids)) == 1 and pings == [], "a live pooled connection must be reused, unpinged"
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pids[0]})
        deadline = time.monotonic() + 5
        while not has_input(engine.pool._pool.queue[0].dbapi_connection) and time.monotonic() < deadline:
            time.sleep(0.01)
        with engine.connect() as conn:  # no OperationalError: the dead one was replaced before use
            replaced = conn.scalar(text("SELECT pg_backend_pid()"))
        assert replaced != pids[0]
        assert pings == [1], "only the connection the server closed is pinged"
    finally:
        engine.dispose()
        admin.dispose()


REDIS_DOWN_PROBE = """
import json
from webapp import create_app
from webapp.config import Config
config = Config.from_env(instance_path={instance!r})
client = create_app(config).test_client()
body = {{"login": "13900009999", "password": "wrong-password-1"}}
statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(12)]
print(json.dumps({{"login": statuses, "readyz": client.get("/readyz").status_code}}))
"""


def test_redis_unreachable_limits_fall_back_to_memory_and_nothing_fails():
    # Its own process: the limiter is a module-level extension, and this app must not rebind it.
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens there: Redis is down
        "LOG_LEVEL": "ERROR",
    }
    probe = REDIS_DOWN_PROBE.format(instance=str(TMP / "instance-redis-down"))
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=support.ROOT, env=env, capture_output=True, text=True, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert 500 not in seen["login"]
    assert seen["login"][0] == 401
    assert 429 in seen["login"], "the login limit must still hold per worker while Redis is down"
    assert seen["readyz"] == 200
