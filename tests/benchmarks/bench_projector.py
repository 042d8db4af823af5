"""Benchmark: how fast the projector folds a backlog of committed actions (actions/s).

    python tests/benchmarks/bench_projector.py [--residents 300] [--actions 3000] [--batch 5000] [--json FILE]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1/carbon_bench_projector,
which is dropped and recreated). Logs the actions through the service (verified trips over the last
six days, 11 districts, six types), each with its outbox row, then times `projector.drain` in this
process: fold rate = outbox rows / seconds. `--json FILE` writes the figures as one flat object.
Not part of the test suite. For the goal's 50,000: --residents 5000 --actions 50000. `--profile FILE`
writes a cProfile of the fold.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

from bench_actions import DISTRICTS, TYPES
from support import ROOT, app_env, fresh_city_database


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--actions", type=int, default=3000)
    parser.add_argument("--batch", type=int, help="outbox rows per fold (default: the scheduler job's JOB_BATCH)")
    parser.add_argument("--json", metavar="FILE", help="write the figures to FILE as a flat JSON object")
    parser.add_argument("--profile", metavar="FILE", help="profile the fold with cProfile into FILE (pstats)")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench_projector")
    env = app_env(url)
    fresh_city_database(url, env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from models import Evidence, Role, utcnow
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import accounts, actions, passwords, projector

    app = create_app()
    passwords.configure(time_cost=1, memory_cost_kib=1024)
    with app.app_context():
        session = db.new_session()
        people = [
            accounts.create_user(
                session,
                None,
                role=Role.RESIDENT,
                login=f"138{i:08d}",
                password="Bench-Password-2026",
                nickname=f"p{i}",
                district=DISTRICTS[i % len(DISTRICTS)],
            )
            for i in range(args.residents)
        ]
        session.commit()
        started = time.perf_counter()
        now = utcnow()
        for n in range(args.actions):
            person = people[n % len(people)]
            step = dt.timedelta(minutes=6 * 24 * 60 * len(people) / args.actions)  # each resident's in order
            occurred = now - dt.timedelta(days=6) + step * (n // len(people))
            evidence = actions.Verified(Evidence.TRANSIT, f"bench-{n}")
            data = actions.ActionInput(TYPES[n % len(TYPES)], Decimal(5), occurred)
            actions.log_action(session, person, data, evidence=evidence, now=now)
            if n % 500 == 499:
                session.commit()
        session.commit()
        logged = time.perf_counter() - started
        backlog = projector.backlog(session).rows
        session.close()
        batch = args.batch or projector.JOB_BATCH
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        folded = projector.drain(db.new_session, batch)
        seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
    figures = {
        "actions": args.actions,
        "outbox_rows": backlog,
        "batch": batch,
        "fold_seconds": round(seconds, 3),
        "fold_actions_per_s": round(folded / seconds, 1),
        "log_actions_per_s_one_process": round(args.actions / logged, 1),
    }
    print(f"PostgreSQL, one process, {args.residents} residents, batch {batch}")
    print(f"logged {args.actions} actions in {logged:.1f} s; folded {folded} outbox rows in {seconds:.1f} s")
    print(f"fold rate: {figures['fold_actions_per_s']} actions/s", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if folded == backlog else 1


if __name__ == "__main__":
    raise SystemExit(main())
