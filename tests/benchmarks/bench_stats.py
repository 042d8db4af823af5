"""Benchmark: GET /api/v1/stats/overview from the roll-ups against a direct GROUP BY over the actions.

    python tests/benchmarks/bench_stats.py [--residents 20000] [--actions 400000] [--requests 200] [--threads 4]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1/carbon_bench_stats, which
is dropped and recreated) and gunicorn. Seeds with `flask seed synthetic` (timed), serves the app
with gunicorn, asks for the overview of a whole year of every district from a few threads, and in
the same run computes the same figures straight from the actions table. Not part of the test suite:
figures go in the notes. The issue's scale is 500,000 residents / 10,000,000 actions.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from support import ROOT, app_env, flask, fresh_city_database, gunicorn, percentile, write_json

PASSWORD = "Bench-Official-2026"
UNTIL = "2025-12-31"  # the synthetic year ends here, so that 2025 is a whole calendar year
WINDOWS = {  # name: (from, to)
    "calendar year 2025": ("2025-01-01", "2025-12-31"),
    "365 days to 2025-12-30": ("2024-12-31", "2025-12-30"),
    "year to 2025-10-15": ("2025-01-01", "2025-10-15"),
    "300 days, unaligned": ("2025-02-15", "2025-12-11"),
}
SWEEP = """
import datetime as dt, time
from webapp import create_app
from webapp.extensions import db
from webapp.services.statistics import refresh_rollups
with create_app().app_context():
    started = time.perf_counter()
    refresh_rollups(db.session, dt.date(2025, 12, 30))
    db.session.commit()
    print(f"{time.perf_counter() - started:.1f}")
"""
DIRECT = """
SELECT a.district_id, a.action_type_id, count(*), sum(a.co2e_grams), count(DISTINCT a.user_id)
FROM actions a WHERE a.status = 'credited' AND a.local_day BETWEEN :first AND :last
GROUP BY a.district_id, a.action_type_id
"""
DIRECT_PARTICIPANTS = """
SELECT count(DISTINCT user_id) FROM actions WHERE status = 'credited' AND local_day BETWEEN :first AND :last
"""


def token(port: int) -> str:
    body = json.dumps({"login": "stats@bench.example", "password": PASSWORD, "name": "bench"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/tokens", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
        return json.loads(response.read())["token"]


def hammer(
    port: int, bearer: str, path: str, requests: int, threads: int, until: threading.Event | None = None
) -> tuple[list[float], dict]:
    """`requests` GETs of `path` spread over `threads` keep-alive connections (or, with `until`, at
    least that many and on until it is set): latencies in ms."""
    latencies: list[float] = []
    bodies: list[dict] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        done = 0
        while done < n or (until is not None and not until.is_set()):
            done += 1
            started = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {bearer}"})
            response = conn.getresponse()
            data = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status == 200, (response.status, data[:200])
            with lock:
                latencies.append(elapsed)
                if not bodies:
                    bodies.append(json.loads(data))
        conn.close()

    pool = [threading.Thread(target=worker, args=(requests // threads,)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, bodies[0]


def direct(url: str, first: str, last: str, repeat: int = 3) -> tuple[list[float], int, int]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), poolclass=NullPool)
    timings, co2e, participants = [], 0, 0
    with engine.connect() as conn:
        for _ in range(repeat):
            started = time.perf_counter()
            rows = conn.execute(text(DIRECT), {"first": first, "last": last}).all()
            participants = conn.execute(text(DIRECT_PARTICIPANTS), {"first": first, "last": last}).scalar()
            timings.append((time.perf_counter() - started) * 1000)
            co2e = sum(int(r[3]) for r in rows)
    engine.dispose()
    return timings, co2e, participants


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--actions", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="reuse the seeded database of an earlier run")
    parser.add_argument("--json", help="also write the figures to this file as one flat JSON object")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench_stats")
    env = app_env(url)
    seed_line, seed_seconds = "(reused)", 0.0
    if not args.keep:
        fresh_city_database(url, env)
        started = time.perf_counter()
        seed_line = flask(
            env,
            "seed",
            "synthetic",
            "--residents",
            str(args.residents),
            "--actions",
            str(args.actions),
            "--until",
            UNTIL,
        ).strip()
        seed_seconds = time.perf_counter() - started
        flask(env, "users", "create", "--role", "official", "--login", "stats@bench.example", "--password", PASSWORD)
    results = []
    with gunicorn(env, args.workers, "--timeout", "120") as port:
        bearer = token(port)
        for name, (first, last) in WINDOWS.items():
            path = f"/api/v1/stats/overview?from={first}&to={last}"
            hammer(port, bearer, path, args.threads * 5, args.threads)  # warm-up: connections, caches
            latencies, body = hammer(port, bearer, path, args.requests, args.threads)
            baseline, co2e, participants = direct(url, first, last)
            assert body["co2e_grams"] == co2e, (name, body["co2e_grams"], co2e)
            assert body["participants"] == participants, (name, body["participants"], participants)
            results.append((name, latencies, baseline))
        sweep, during = sweep_under_readers(env, port, bearer, args.threads)
    print(
        f"PostgreSQL, gunicorn {args.workers} sync workers, {args.threads} client threads, "
        f"{args.requests} requests per window, {os.cpu_count()} CPUs"
    )
    print(f"seed: {seed_line}  [wall {seed_seconds:.1f} s]")
    print(f"{'overview window':<26}{'p50 ms':>9}{'p99 ms':>9}{'direct GROUP BY ms (p50 of 3)':>32}{'ratio':>8}")
    for name, latencies, baseline in results:
        p50, p99, base = percentile(latencies, 50), percentile(latencies, 99), statistics.median(baseline)
        print(f"{name:<26}{p50:>9.1f}{p99:>9.1f}{base:>32.1f}{base / p50:>7.0f}x")
    print("figures equal: co2e_grams and participants of every window match the direct aggregate")
    print(f"nightly sweep refresh_rollups(since=2025-12-30): {sweep:.1f} s")
    print(
        f"overview (300 days, unaligned) while the sweep ran: {len(during)} requests, "
        f"p99 {percentile(during, 99):.1f} ms, max {max(during):.1f} ms"
    )
    figures = {
        "stats rows": args.actions,
        "seed s": round(seed_seconds, 1),
        "sweep s": round(sweep, 1),
        "overview during sweep p99 ms": round(percentile(during, 99), 1),
        "overview during sweep max ms": round(max(during), 1),
        "overview during sweep requests": len(during),
    }
    for name, latencies, _baseline in results:
        figures[f"overview p99 ms, {name}"] = round(percentile(latencies, 99), 1)
    figures["overview p99 ms, worst window"] = max(v for k, v in figures.items() if k.startswith("overview p99"))
    match = re.search(r"rows ([\d.]+) s, roll-ups ([\d.]+) s", seed_line)
    if match:
        print(f"seed breakdown: generate + COPY {match.group(1)} s, roll-ups {match.group(2)} s")
        figures.update({"seed rows s": float(match.group(1)), "seed roll-ups s": float(match.group(2))})
    write_json(args.json, figures)
    return 0


def sweep_under_readers(env: dict, port: int, bearer: str, threads: int) -> tuple[float, list[float]]:
    """The nightly sweep in its own process while `threads` readers ask for the unaligned window:
    the sweep's seconds and the readers' latencies meanwhile (they must keep answering)."""
    first, last = WINDOWS["300 days, unaligned"]
    done = threading.Event()
    sweep = subprocess.Popen([sys.executable, "-c", SWEEP], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    waiter = threading.Thread(target=lambda: (sweep.wait(), done.set()))
    waiter.start()
    during, _body = hammer(port, bearer, f"/api/v1/stats/overview?from={first}&to={last}", threads, threads, done)
    waiter.join()
    assert sweep.returncode == 0, "the sweep failed"
    return float(sweep.stdout.read().strip()), during


if __name__ == "__main__":
    raise SystemExit(main())
