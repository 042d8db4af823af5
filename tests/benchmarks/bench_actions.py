"""Benchmark: POST /api/v1/actions against a bare one-row INSERT endpoint, same app, same server, with
`flask projector run` folding beside the load.

    python tests/benchmarks/bench_actions.py [--residents 300] [--seconds 10] [--connections 32]
                                             [--history 0..6] [--spread] [--json FILE]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1/carbon_bench, which
is dropped and recreated), gunicorn and wrk (apt-get install wrk). Prints requests/s and latency
percentiles of both endpoints, their ratio, and the projector's lag (age of the oldest unfolded row,
sampled every 0.2 s while the actions run). `--json FILE` writes the figures as one flat object.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from support import BIN, ROOT, app_env, flask, fresh_city_database, gunicorn, run_wrk

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


def lag_sampler(url: str, stop: threading.Event, samples: list[float]) -> threading.Thread:
    """Sample the projector's lag (seconds since the oldest unfolded row was written) until `stop`."""
    from sqlalchemy import create_engine, text

    from webapp.config import normalise_database_url  # importable once make_tokens has put ROOT on the path

    engine = create_engine(normalise_database_url(url))

    def run() -> None:
        with engine.connect() as conn:
            while not stop.is_set():
                age = conn.execute(
                    text("SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM projector_outbox")
                ).scalar()
                conn.commit()
                samples.append(float(age))
                stop.wait(0.2)
        engine.dispose()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
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
        "--without-projector",
        action="store_true",
        help="no projector beside the load: the request alone (the backlog then only grows)",
    )
    parser.add_argument("--json", metavar="FILE", help="write the figures to FILE as a flat JSON object")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench")
    env = app_env(url, BENCH_ENDPOINTS="true")
    fresh_city_database(url, env)
    tokens = make_tokens(env, args.residents, args.spread, min(args.history, 6))
    flask(env, "projector", "drain")  # the history is folded before the load starts
    print(
        f"gunicorn {args.workers} sync workers, wrk -t2 -c{args.connections} -d{args.seconds}s, "
        f"{args.residents} residents with {args.history} days of history, "
        f"{'11 districts x 6 types' if args.spread else 'one district, bus'}, PostgreSQL, "
        f"{'no projector' if args.without_projector else 'projector beside'}"
    )
    kinds = [TYPES[i % len(TYPES)] if args.spread else "bus" for i in range(args.residents)]
    lua_actions = LUA_ACTIONS % (",".join(f'"{t}"' for t in tokens), ",".join(f'"{k}"' for k in kinds))
    samples: list[float] = []
    command = [str(BIN / "flask"), "--app", "wsgi", "projector", "run"]
    projector = None if args.without_projector else subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        with gunicorn(env, args.workers) as port:
            run_wrk(port, LUA_BARE, 3, args.connections)  # warm-up: connections, caches
            run_wrk(port, lua_actions, 3, args.connections)
            bare = run_wrk(port, LUA_BARE, args.seconds, args.connections)
            stop = threading.Event()
            sampler = lag_sampler(url, stop, samples)
            ours = run_wrk(port, lua_actions, args.seconds, args.connections)
            stop.set()
            sampler.join()
    finally:
        if projector is not None:
            projector.terminate()
            projector.wait(timeout=60)
    figures = {
        "bare_rps": bare["rps"],
        "actions_rps": ours["rps"],
        "actions_p50_ms": ours["p50"],
        "actions_p90_ms": ours["p90"],
        "actions_p99_ms": ours["p99"],
        "actions_non_2xx": ours["non_2xx"],
        "ratio": round(ours["rps"] / bare["rps"], 3),
        "lag_p50_s": round(percentile(samples, 0.5), 3),
        "lag_p99_s": round(percentile(samples, 0.99), 3),
        "lag_max_s": round(max(samples, default=0.0), 3),
        "lag_samples": len(samples),
    }
    print(f"{'endpoint':<42}{'req/s':>10}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for name, row in (("POST /bench/insert-bare", bare), ("POST /api/v1/actions", ours)):
        print(
            f"{name:<42}{row['rps']:>10.1f}{row['p50']:>10.1f}{row['p90']:>10.1f}{row['p99']:>10.1f}"
            f"{row['non_2xx']:>10}"
        )
    print(f"ratio actions/bare: {figures['ratio']:.2f}")
    print(
        f"projector lag while loaded: p50 {figures['lag_p50_s']} s, p99 {figures['lag_p99_s']} s, "
        f"max {figures['lag_max_s']} s ({len(samples)} samples)",
        flush=True,
    )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
