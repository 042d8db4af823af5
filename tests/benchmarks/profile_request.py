"""Where one request's CPU goes: cProfile over many POST /api/v1/actions (or leaderboard GETs) through
the Flask test client, on PostgreSQL, printed by own time and by cumulative time. Not a test.

    python tests/benchmarks/profile_request.py [--calls 1000] [--what actions|leaderboard] [--top 35]

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1/carbon_bench_profile) is dropped and
recreated.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import time

from bench_actions import make_tokens
from support import app_env, fresh_city_database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--what", choices=("actions", "leaderboard"), default="actions")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--statements", action="store_true", help="print the SQL one request sends, and stop")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench_profile")
    env = app_env(url)
    fresh_city_database(url, env)
    tokens = make_tokens(env, args.calls // 4 + 1, spread=False, history=1)
    from models import utcnow
    from webapp import create_app

    client = create_app().test_client()
    started = utcnow()

    def call(i: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
        if args.what == "leaderboard":
            response = client.get("/api/v1/leaderboards/residents?period=week", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return
        occurred = (started + dt.timedelta(microseconds=i)).isoformat()
        body = {"type": "bus", "quantity": 5, "occurred_at": occurred}
        response = client.post("/api/v1/actions", json=body, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)

    for i in range(min(200, args.calls)):  # warm-up
        call(i)
    if args.statements:
        return print_statements(lambda: call(args.calls))
    cpu = time.process_time()
    profile = cProfile.Profile()
    profile.enable()
    for i in range(args.calls):
        call(i)
    profile.disable()
    print(f"{args.what}: {(time.process_time() - cpu) * 1000 / args.calls:.2f} ms CPU per request under the profiler")
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


def print_statements(request) -> int:
    """Every statement one request sends to the database, in order (BEGIN and COMMIT included)."""
    from sqlalchemy import event

    from webapp.extensions import db

    sent: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        sent.append(" ".join(statement.split())[:160])

    engine = db.engine
    listeners = [
        ("before_cursor_execute", on_execute),
        ("begin", lambda conn: sent.append("BEGIN")),
        ("commit", lambda conn: sent.append("COMMIT")),
        ("rollback", lambda conn: sent.append("ROLLBACK")),
    ]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    request()
    for name, listener in listeners:
        event.remove(engine, name, listener)
    for number, statement in enumerate(sent, 1):
        print(f"{number:3} {statement}")
    print(f"{len(sent)} statements")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
