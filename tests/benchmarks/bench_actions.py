"""Benchmark: POST /api/v1/actions against a bare one-row INSERT endpoint, same app, same server.

    python tests/benchmarks/bench_actions.py [--residents 2000] [--seconds 15] [--connections 32]
                                             [--history 0..6] [--spread] [--core-only]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1/carbon_bench, which
is dropped and recreated), gunicorn and wrk (apt-get install wrk). Prints requests/s and latency
percentiles of both endpoints and their ratio. Not part of the test suite: figures go in the notes.

--core-only measures a second server as well, serving tests/benchmarks/core_only.py: the same app with
the work after a credit (statistics, leaderboards, streaks, badges, challenges) switched off, with as
many residents again (same history) so that neither run sees the other's actions. It is the ceiling of
moving that work out of the request, not a mode of the product.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from support import ROOT, app_env, fresh_city_database, gunicorn, run_wrk

LUA_ACTIONS = """
tokens = {%s}
kinds = {%s}
counter = 0
request = function()
  counter = counter + 1
  local i = (counter %% #tokens) + 1
  local token = tokens[i]
  local now = os.date("!%%Y-%%m-%%dT%%H:%%M:%%S+00:00")
  local body = string.format('{"type":"%%s","quantity":5,"occurred_at":"%%s"}', kinds[i], now)
  return wrk.format("POST", "/api/v1/actions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
"""
LUA_BARE = """
request = function()
  return wrk.format("POST", "/bench/insert-bare", {["Content-Type"] = "application/json"}, "{}")
end
"""


DISTRICTS = [
    "371402",
    "371403",
    "371422",
    "371423",
    "371424",
    "371425",
    "371426",
    "371427",
    "371428",
    "371481",
    "371482",
]
TYPES = ["bus", "bike_shared", "bike_own", "waste_paper", "waste_plastic", "buy_own_bag"]


def make_tokens(env: dict, residents: int, spread: bool, history: int = 0) -> list[str]:
    """Residents with a token each; with `history`, each has logged that many days before today,
    as in a city that has been running (account, game profile and roll-up rows exist)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import datetime as dt
    from decimal import Decimal

    from models import Role, utcnow
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import accounts, actions, passwords

    app = create_app()
    passwords.configure(time_cost=1, memory_cost_kib=1024)
    tokens = []
    with app.app_context():
        session = db.new_session()
        for i in range(residents):
            user = accounts.create_user(
                session,
                None,
                role=Role.RESIDENT,
                login=f"139{i:08d}",
                password="Bench-Password-2026",
                nickname=f"b{i}",
                district=DISTRICTS[i % len(DISTRICTS)] if spread else DISTRICTS[0],
            )
            tokens.append(accounts.issue_token(session, user, "bench")[1])
            kind = TYPES[i % len(TYPES)] if spread else "bus"
            for days in range(history, 0, -1):
                occurred = utcnow() - dt.timedelta(days=days)
                actions.log_action(session, user, actions.ActionInput(kind, Decimal(5), occurred))
            if i % 200 == 199:
                session.commit()
        session.commit()
        session.close()
    return tokens


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument(
        "--history", type=int, default=0, help="days (up to 6) each resident logged before today; 0: all are new"
    )
    parser.add_argument(
        "--spread",
        action="store_true",
        help="residents across all districts and six action types (default: one district, bus)",
    )
    parser.add_argument(
        "--core-only",
        action="store_true",
        help="also measure the app without the work after a credit (a ceiling, see above)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench")
    env = app_env(url, BENCH_ENDPOINTS="true")
    fresh_city_database(url, env)
    servers = [("wsgi:app", "")] + ([("tests.benchmarks.core_only:create()", " (core only)")] if args.core_only else [])
    tokens = make_tokens(env, args.residents * len(servers), args.spread, min(args.history, 6))
    print(
        f"gunicorn {args.workers} sync workers, wrk -t2 -c{args.connections} -d{args.seconds}s, "
        f"{args.residents} residents with {args.history} days of history, "
        f"{'11 districts x 6 types' if args.spread else 'one district, bus'}, PostgreSQL"
    )
    print(f"{'endpoint':<42}{'req/s':>10}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for number, (app, label) in enumerate(servers):
        mine = range(number * args.residents, (number + 1) * args.residents)
        kinds = [TYPES[i % len(TYPES)] if args.spread else "bus" for i in mine]
        lua_actions = LUA_ACTIONS % (",".join(f'"{tokens[i]}"' for i in mine), ",".join(f'"{k}"' for k in kinds))
        with gunicorn(env, args.workers, app=app) as port:
            run_wrk(port, LUA_BARE, 3, args.connections)  # warm-up: connections, caches
            run_wrk(port, lua_actions, 3, args.connections)
            bare = run_wrk(port, LUA_BARE, args.seconds, args.connections)
            ours = run_wrk(port, lua_actions, args.seconds, args.connections)
        for name, row in (("POST /bench/insert-bare" + label, bare), ("POST /api/v1/actions" + label, ours)):
            print(
                f"{name:<42}{row['rps']:>10.1f}{row['p50']:>10.1f}{row['p90']:>10.1f}{row['p99']:>10.1f}"
                f"{row['non_2xx']:>10}"
            )
        print(f"ratio actions/bare{label}: {ours['rps'] / bare['rps']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
