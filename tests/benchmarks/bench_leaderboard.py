"""Benchmark: GET /api/v1/leaderboards/residents?period=week with many residents, under gunicorn, on
PostgreSQL; p50/p90/p99 from wrk at several concurrencies. Not part of the test suite.

    python tests/benchmarks/bench_leaderboard.py [--residents 500000] [--actions 5000000]
        [--seconds 20] [--connections 1,4,16] [--tokens 3000] [--reuse]

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1/carbon_bench_board) is dropped and rebuilt
unless --reuse finds it loaded (then only the measurements run again). Residents and actions come
from `flask seed synthetic` when seeds/synthetic.py exists, else from generate_series in SQL (ten
city weeks of actions, a skewed activity curve, 3% not credited, 2% of residents opted out). The
leaderboard aggregates are then built in SQL exactly as services.boards keeps them, sampled ranks
are checked against ROW_NUMBER(), and three reference timings are printed: the raw GROUP BY over
actions, a naive rank by COUNT(*), and the bucketed rank the endpoint uses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import random
import secrets
import subprocess
import sys
import time
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from support import BIN, ROOT, app_env, gunicorn, run_wrk, write_json

# (type code, lowest quantity, highest quantity) of the generated actions.
TYPES = [
    ("bus", 1, 15),
    ("bike_shared", 1, 8),
    ("walk", 2000, 9000),
    ("waste_paper", 0.5, 4),
    ("waste_plastic", 0.2, 2),
    ("waste_kitchen", 0.5, 3),
]
LUA = """
tokens = {%s}
counter = 0
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  return wrk.format("GET", "/api/v1/leaderboards/residents?period=week", {["Authorization"] = "Bearer " .. token})
end
"""
BUCKET_SQL = "value - value % (10 ^ greatest(0, length(value::text) - 3))::bigint"


def engine_for(url: str, database: str | None = None):
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    if database:
        parsed = parsed.set(database=database)
    return create_engine(parsed, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def step(label: str, conn, sql: str, **params) -> None:
    started = time.perf_counter()
    conn.execute(text(sql), params)
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


def load_people_and_actions(conn, env: dict, residents: int, actions: int) -> None:
    if (ROOT / "seeds" / "synthetic.py").exists():
        print("loading with flask seed synthetic", flush=True)
        subprocess.run(
            [
                str(BIN / "flask"),
                "--app",
                "wsgi",
                "seed",
                "synthetic",
                "--residents",
                str(residents),
                "--actions",
                str(actions),
                "--until",  # through today: the board read is this week's, and on a Monday only today is in it
                dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat(),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return
    districts = [r[0] for r in conn.execute(text("SELECT id FROM districts ORDER BY code"))]
    step(
        "residents",
        conn,
        f"""
        INSERT INTO users (id, role, phone, nickname, district_id, session_version, created_at, is_active)
        SELECT i, 'resident', '139' || lpad(i::text, 8, '0'), 'r' || i,
               (ARRAY{districts})[1 + i % {len(districts)}], 1, now() - interval '90 days', true
        FROM generate_series(1, :n) i""",
        n=residents,
    )
    conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), :n)"), {"n": residents})
    rows = []
    for k, (code, low, high) in enumerate(TYPES, 1):
        type_id, factor_id, grams = conn.execute(
            text(
                "SELECT t.id, f.id, f.grams_per_unit FROM action_types t JOIN emission_factors f "
                "ON f.code = t.factor_code AND f.valid_to IS NULL WHERE t.code = :c"
            ),
            {"c": code},
        ).one()
        rows.append(f"({k}, {type_id}, {factor_id}, {grams}, {low}, {high})")
    chunk = 1_000_000
    for start in range(0, actions, chunk):
        size = min(chunk, actions - start)
        step(
            f"actions {start + size:,}",
            conn,
            f"""
            WITH t(k, type_id, factor_id, gpu, qmin, qmax) AS (VALUES {", ".join(rows)}),
            g AS (SELECT 1 + floor(:n * power(random(), 1.6))::int AS uid, 1 + floor(random() * {len(TYPES)})::int AS k,
                         now() - random() * interval '70 days' AS at, random() AS r, random() AS s
                  FROM generate_series(1, :size)),
            q AS (SELECT g.*, t.type_id, t.factor_id, t.gpu,
                         round((t.qmin + g.r * (t.qmax - t.qmin))::numeric, 3) AS quantity FROM g JOIN t USING (k))
            INSERT INTO actions (user_id, action_type_id, factor_id, district_id, quantity, occurred_at, local_day,
                                 created_at, status, evidence, co2e_grams, credits, capped, multiplier, campaign_ids)
            SELECT uid, type_id, factor_id, (ARRAY{districts})[1 + uid % {len(districts)}], quantity, at,
                   (at AT TIME ZONE 'Asia/Shanghai')::date, at + interval '1 minute',
                   CASE WHEN s < 0.02 THEN 'pending' WHEN s < 0.03 THEN 'duplicate' ELSE 'credited' END, 'self',
                   round(quantity * gpu)::int, round(quantity * gpu)::int, false, 1, '[]'
            FROM q""",
            n=residents,
            size=size,
        )


def build_boards(conn) -> None:
    """The aggregates services.boards maintains, computed from the actions in one pass each."""
    print("building the leaderboard aggregates", flush=True)
    step("truncate", conn, "TRUNCATE board_scores, board_buckets, game_profiles")
    step(
        "opt-outs (2%)",
        conn,
        """
        INSERT INTO game_profiles (user_id, hidden_from_boards, streak, best_streak, counts, updated_at)
        SELECT id, true, 0, 0, '{}', now() FROM users WHERE role = 'resident' AND id % 50 = 0""",
    )
    hidden = (
        "SELECT user_id FROM game_profiles WHERE hidden_from_boards "
        "UNION SELECT id FROM users WHERE deleted_at IS NOT NULL"
    )
    periods = """CROSS JOIN LATERAL (VALUES ('all'), ('m' || to_char(a.local_day, 'YYYY-MM')),
                 ('w' || to_char(date_trunc('week', a.local_day)::date, 'YYYY-MM-DD'))) p(period)"""
    step(
        "resident scores",
        conn,
        f"""
        INSERT INTO board_scores (board, period, subject_id, value, members, listed, reached_at)
        SELECT 'resident', p.period, a.user_id, sum(a.co2e_grams), 0, a.user_id NOT IN ({hidden}), max(a.created_at)
        FROM actions a {periods}
        WHERE a.status = 'credited' AND a.co2e_grams > 0 GROUP BY p.period, a.user_id""",
    )
    step(
        "district scores",
        conn,
        f"""
        INSERT INTO board_scores (board, period, subject_id, value, members, listed, reached_at)
        SELECT 'district', p.period, a.district_id, sum(a.co2e_grams), count(DISTINCT a.user_id), true,
               max(a.created_at)
        FROM actions a {periods}
        WHERE a.status = 'credited' AND a.co2e_grams > 0 AND a.district_id IS NOT NULL
        GROUP BY p.period, a.district_id""",
    )
    step(
        "buckets",
        conn,
        f"""
        INSERT INTO board_buckets (board, period, bucket, n)
        SELECT board, period, {BUCKET_SQL}, count(*) FROM board_scores
        WHERE board = 'resident' AND listed GROUP BY 1, 2, 3""",
    )
    step("vacuum analyze", conn, "VACUUM ANALYZE board_scores, board_buckets, users, api_tokens, game_profiles")


def make_tokens(conn, week: str, count: int) -> list[str]:
    """Bearer tokens for residents spread over the whole week board (top, middle, bottom, absent)."""
    ids = [
        r[0]
        for r in conn.execute(
            text(
                "SELECT subject_id FROM board_scores JOIN users ON users.id = subject_id AND users.deleted_at IS NULL "
                "WHERE board = 'resident' AND period = :p ORDER BY random() LIMIT :n"
            ),
            {"p": week, "n": count},
        )
    ]
    tokens = []
    for user_id in ids:
        raw = "lcd_" + secrets.token_urlsafe(32)
        tokens.append(raw)
        conn.execute(
            text(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, last_used_at) "
                "VALUES (:u, 'bench', :h, now(), now())"
            ),
            {"u": user_id, "h": hashlib.sha256(raw.encode()).hexdigest()},
        )
    return tokens


def check_ranks(env: dict, conn, week: str, samples: int = 50) -> None:
    """The service's bucketed ranks equal ROW_NUMBER() over the full ordering, for sampled residents."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from models import Board
    from webapp import create_app
    from webapp.extensions import db
    from webapp.services import leaderboards

    expected = dict(
        conn.execute(
            text("""
        SELECT subject_id, rn FROM (SELECT subject_id,
            row_number() OVER (ORDER BY value DESC, reached_at, subject_id) rn FROM board_scores
            WHERE board = 'resident' AND period = :p AND listed) x"""),
            {"p": week},
        ).all()
    )
    rng = random.Random(1)
    sample = rng.sample(sorted(expected), min(samples, len(expected)))
    app = create_app()
    with app.app_context():
        for user_id in sample:
            rank = leaderboards.rank_of(db.session, Board.RESIDENT, week, user_id)[0]
            assert rank == expected[user_id], (user_id, rank, expected[user_id])
    print(f"  sampled ranks equal ROW_NUMBER(): {len(sample)} of {len(expected):,} listed residents", flush=True)


def reference_timings(conn, week: str, monday: str) -> None:
    bottom = conn.execute(
        text("""SELECT subject_id, value, reached_at FROM board_scores
        WHERE board = 'resident' AND period = :p AND listed ORDER BY value, reached_at DESC LIMIT 1"""),
        {"p": week},
    ).one()

    def timed(label: str, sql: str, **params) -> None:
        conn.execute(text(sql), params)  # warm
        started = time.perf_counter()
        for _ in range(5):
            conn.execute(text(sql), params).all()
        print(f"  {label}: {(time.perf_counter() - started) / 5 * 1000:.1f} ms", flush=True)

    print("reference timings (PostgreSQL only, mean of 5):", flush=True)
    timed(
        "raw GROUP BY over actions, top 20 of the week",
        """
        SELECT user_id, sum(co2e_grams) v FROM actions WHERE status = 'credited' AND local_day >= :d
        GROUP BY user_id ORDER BY v DESC LIMIT 20""",
        d=monday,
    )
    timed(
        "naive rank of the last resident: COUNT(*) of those ahead",
        """
        SELECT count(*) FROM board_scores WHERE board = 'resident' AND period = :p AND listed
        AND (value > :v OR (value = :v AND reached_at < :r))""",
        p=week,
        v=bottom.value,
        r=bottom.reached_at,
    )
    start = int(
        conn.execute(
            text(f"SELECT {BUCKET_SQL} FROM (SELECT CAST(:v AS bigint) AS value) x"),
            {"v": bottom.value},
        ).scalar()
    )
    timed(
        "bucketed rank of the last resident (the endpoint's two queries)",
        """
        SELECT (SELECT coalesce(sum(n), 0) FROM board_buckets WHERE board = 'resident' AND period = :p AND bucket > :b)
             + (SELECT count(*) FROM board_scores WHERE board = 'resident' AND period = :p AND listed
                AND value >= :b AND value < :e AND (value > :v OR (value = :v AND reached_at < :r)))""",
        p=week,
        b=start,
        e=start + 10 ** max(0, len(str(start)) - 3),
        v=bottom.value,
        r=bottom.reached_at,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=500_000)
    parser.add_argument("--actions", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", default="1,4,16")
    parser.add_argument("--tokens", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) * 2 + 1)
    parser.add_argument(
        "--threads", type=int, default=0, help="gthread workers with this many threads (keep-alive); 0: sync workers"
    )
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--json", help="also write the figures to this file as one flat JSON object")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench_board")
    name = make_url(url).database
    env = app_env(url)
    admin = engine_for(url, "postgres")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    db = engine_for(url)
    loaded = built = False
    if exists and args.reuse:
        with db.connect() as conn:
            loaded = bool(conn.execute(text("SELECT count(*) FROM actions")).scalar())
            built = loaded and bool(conn.execute(text("SELECT count(*) FROM board_buckets")).scalar())
    started = time.perf_counter()
    if not loaded:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        flask = [str(BIN / "flask"), "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*flask, "seed", "city"], cwd=ROOT, env=env, check=True, capture_output=True)
        print(f"loading {args.residents:,} residents and {args.actions:,} actions", flush=True)
        with db.connect() as conn:
            load_people_and_actions(conn, env, args.residents, args.actions)
    with db.connect() as conn:
        if not built:
            build_boards(conn)
        today = conn.execute(text("SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date")).scalar()
        monday = today - dt.timedelta(days=today.weekday())
        week = f"w{monday.isoformat()}"
        counts = conn.execute(
            text("""SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM actions),
            (SELECT count(*) FROM board_scores WHERE board = 'resident' AND period = :p)"""),
            {"p": week},
        ).one()
        print(
            f"{counts[0]:,} users, {counts[1]:,} actions, {counts[2]:,} residents on the board of {week} "
            f"(setup {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        check_ranks(env, conn, week)
        reference_timings(conn, week, monday.isoformat())
        conn.execute(text("DELETE FROM api_tokens WHERE name = 'bench'"))
        tokens = make_tokens(conn, week, args.tokens)
    results = []
    script = LUA % ",".join(f'"{t}"' for t in tokens)
    workers = f"{args.workers} sync workers"
    options: list[str] = []
    if args.threads:
        workers = f"{args.workers} gthread workers of {args.threads} threads"
        options = ["-k", "gthread", "--threads", str(args.threads)]
    with gunicorn(env, args.workers, *options) as port:
        run_wrk(port, script, 5, 8)  # warm-up: pools, caches, each worker's first requests
        for connections in (int(c) for c in args.connections.split(",")):
            results.append((connections, run_wrk(port, script, args.seconds, connections)))
    print(
        f"\nGET /api/v1/leaderboards/residents?period=week — gunicorn {workers}, "
        f"{len(tokens)} residents' bearer tokens in rotation, {args.seconds} s per row"
    )
    print(f"{'connections':>12}{'req/s':>10}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
    for connections, row in results:
        print(
            f"{connections:>12}{row['rps']:>10.1f}{row['p50']:>10.1f}{row['p90']:>10.1f}{row['p99']:>10.1f}"
            f"{row['non_2xx']:>10}"
        )
    figures = {"leaderboard residents": counts[0], "leaderboard actions": counts[1]}
    for connections, row in results:
        figures[f"leaderboard p99 ms at {connections} connections"] = row["p99"]
        figures[f"leaderboard req/s at {connections} connections"] = row["rps"]
        figures[f"leaderboard non-2xx at {connections} connections"] = row["non_2xx"]
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
