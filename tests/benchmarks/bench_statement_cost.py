"""Benchmark: what one statement and one request cost in this process, layer by layer, on PostgreSQL.

    python tests/benchmarks/bench_statement_cost.py [--calls 3000]

The throughput of POST /api/v1/actions against the bare endpoint is set by CPU per request, so this
prints the CPU (process time) and wall time per call of the same small statements through each
layer: psycopg alone, SQLAlchemy Core, the ORM. Then it does the same for whole requests through the
Flask test client: no database, the bare endpoint, a credited action, and the same action without
the work after a credit (as `bench_actions.py --core-only` serves it). It needs PostgreSQL
(BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1/carbon_bench_cost, dropped and
recreated). Not a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable

from bench_actions import make_tokens
from support import app_env, fresh_city_database


def measure(calls: int, work: Callable[[int], object]) -> tuple[float, float]:
    """CPU and wall milliseconds per call, after a warm-up (statement caches, prepared statements)."""
    for i in range(min(200, calls)):
        work(i)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(calls):
        work(i)
    return (time.process_time() - cpu) * 1000 / calls, (time.perf_counter() - wall) * 1000 / calls


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench_cost")
    env = app_env(url, BENCH_ENDPOINTS="true")
    fresh_city_database(url, env)
    tokens = make_tokens(env, 2 * (args.calls // 5 + 1), spread=False)  # also puts env and ROOT in place
    from sqlalchemy import bindparam, func, insert, select

    from models import AuditEvent, Role, User, utcnow
    from webapp import create_app
    from webapp.extensions import db

    app = create_app()
    rows: list[tuple[str, float, float]] = []
    with app.app_context():
        session = db.session
        user_id = session.scalar(select(func.min(User.id)).where(User.role == Role.RESIDENT))
        connection = session.connection()
        driver = connection.connection.driver_connection
        users = User.__table__
        core_select = select(users).where(users.c.id == bindparam("id"))
        orm_select = select(User).where(User.id == bindparam("id"))
        core_insert = insert(AuditEvent.__table__)

        def orm_insert(_i: int) -> None:
            session.add(AuditEvent(action="bench.insert", data={}))
            session.flush()

        for name, work in [
            (
                "SELECT a user: psycopg",
                lambda _i: driver.execute("SELECT * FROM users WHERE id = %s", (user_id,)).fetchone(),
            ),
            ("SELECT a user: SQLAlchemy Core", lambda _i: connection.execute(core_select, {"id": user_id}).first()),
            ("SELECT a user: ORM entity", lambda _i: session.execute(orm_select, {"id": user_id}).scalar_one()),
            (
                "INSERT a row: SQLAlchemy Core",
                lambda _i: connection.execute(
                    core_insert, {"action": "bench.insert", "data": {}, "created_at": utcnow()}
                ),
            ),
            ("INSERT a row: ORM add + flush", orm_insert),
        ]:
            rows.append((name, *measure(args.calls, work)))
        session.rollback()
    client = app.test_client()
    started = utcnow()

    half = len(tokens) // 2

    def action(first: int) -> Callable[[int], None]:
        def work(i: int) -> None:
            occurred = (started + dt.timedelta(microseconds=i)).isoformat()
            token = tokens[first + i % half]
            response = client.post(
                "/api/v1/actions",
                json={"type": "bus", "quantity": 5, "occurred_at": occurred},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 201, response.get_data(as_text=True)

        return work

    for name, work, calls in [
        ("request: GET /healthz (no database)", lambda _i: client.get("/healthz"), args.calls),
        ("request: POST /bench/insert-bare", lambda _i: client.post("/bench/insert-bare", json={}), args.calls),
        ("request: POST /api/v1/actions", action(0), half * 4),
    ]:
        rows.append((name, *measure(calls, work)))
    print(f"PostgreSQL, one process, {args.calls} calls each after a warm-up")
    print(f"{'what':<42}{'CPU ms':>10}{'wall ms':>10}")
    for name, cpu, wall in rows:
        print(f"{name:<42}{cpu:>10.3f}{wall:>10.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
