"""Benchmark: the actions table as it is against the same table partitioned by month (issue 13 item 4).

    python tests/benchmarks/bench_partitioning.py [--rows 1000000] [--residents 20000] [--json FILE]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1/carbon_bench_partitioning,
dropped and recreated, migrated). Two copies of `actions` get the same rows (a year, generated in SQL):
`plain` is `LIKE actions INCLUDING ALL`; `monthly` is partitioned by RANGE (local_day), one partition a
month, with the same indexes (the primary key and the partner uniqueness then have to include
local_day). Timed on each, warm, median of many: the statements the request and the pages run (one
INSERT per transaction; a resident's history, newest first; the fair-play read of one resident's day),
the nightly sweep's scan of one month, and removing the oldest month (DELETE against DROP partition).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import app_env, fresh_city_database, write_json

FIRST = dt.date(2025, 12, 1)
MONTHS = 12
INDEXES = [  # as on actions (models/actions.py), unique ones with the partition key added
    "CREATE INDEX ON {t} (user_id, action_type_id, local_day)",
    "CREATE INDEX ON {t} (user_id, id)",
    "CREATE INDEX ON {t} (status, id)",
    "CREATE INDEX ON {t} (user_id, occurred_at)",
    "CREATE UNIQUE INDEX ON {t} (partner_id, external_id{key})",
]
FILL = """
INSERT INTO {t} (id, user_id, action_type_id, factor_id, district_id, quantity, occurred_at, local_day,
                 created_at, status, evidence, co2e_grams, credits, capped, multiplier, campaign_ids)
SELECT n, 1 + (n::bigint * 7919) %% %(residents)s, 1 + n %% 20, %(factor)s, NULL, 5,
       %(first)s::date + (n %% 365) + interval '8 hours', %(first)s::date + (n %% 365),
       %(first)s::date + (n %% 365) + interval '8 hours', 'credited', 'self', 52, 52, false, 1, '[]'
FROM generate_series(1, %(rows)s) AS n
"""


def timed(cursor, sql: str, params=(), repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        cursor.execute(sql, params)
        if cursor.description:
            cursor.fetchall()
    return (time.perf_counter() - started) * 1000 / repeat


def median_ms(cursor, sql: str, params_list: list) -> float:
    return statistics.median(timed(cursor, sql, p) for p in params_list)


def build(conn, rows: int, residents: int) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT min(id) FROM emission_factors")
        (factor_id,) = cur.fetchone()  # LIKE copies no foreign keys: only the values matter
        cur.execute("CREATE TABLE plain (LIKE actions INCLUDING ALL)")
        cur.execute(
            "CREATE TABLE monthly (LIKE actions INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
            "PARTITION BY RANGE (local_day)"
        )
        cur.execute("ALTER TABLE monthly ADD PRIMARY KEY (id, local_day)")
        for m in range(MONTHS + 1):
            start = dt.date(FIRST.year + (FIRST.month - 1 + m) // 12, (FIRST.month - 1 + m) % 12 + 1, 1)
            end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
            cur.execute(
                f"CREATE TABLE monthly_{start:%Y%m} PARTITION OF monthly FOR VALUES FROM ('{start}') TO ('{end}')"
            )
        for index in INDEXES:
            cur.execute(index.format(t="monthly", key=", local_day"))
        params = {"residents": residents, "factor": factor_id, "first": FIRST, "rows": rows}
        for table in ("plain", "monthly"):
            started = time.perf_counter()
            cur.execute(FILL.format(t=table), params)
            print(f"{table}: {rows} rows in {time.perf_counter() - started:.1f} s", flush=True)
        cur.execute("ANALYZE plain")
        cur.execute("ANALYZE monthly")
    conn.commit()


def measure(conn, rows: int, residents: int, samples: int) -> dict[str, float]:
    rng = random.Random(13)
    users = [rng.randrange(1, residents + 1) for _ in range(samples)]
    days = [FIRST + dt.timedelta(days=rng.randrange(365)) for _ in range(samples)]
    month = (dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    figures: dict[str, float] = {}
    with conn.cursor() as cur:
        for table in ("plain", "monthly"):
            history = f"SELECT id, local_day, co2e_grams FROM {table} WHERE user_id = %s ORDER BY id DESC LIMIT 30"
            figures[f"{table} history ms"] = median_ms(cur, history, [(u,) for u in users])
            day = (
                f"SELECT count(*), coalesce(sum(credits), 0) FROM {table} "
                "WHERE user_id = %s AND action_type_id = 1 AND local_day = %s"
            )
            figures[f"{table} fair-play day ms"] = median_ms(cur, day, list(zip(users, days, strict=True)))
            sweep = (
                f"SELECT action_type_id, count(*), sum(co2e_grams) FROM {table} "
                "WHERE local_day BETWEEN %s AND %s GROUP BY 1"
            )
            figures[f"{table} month scan ms"] = median_ms(cur, sweep, [month] * 5)
            insert = (
                f"INSERT INTO {table} (id, user_id, action_type_id, factor_id, quantity, occurred_at, local_day, "
                "created_at, status, evidence, co2e_grams, credits, capped, multiplier, campaign_ids) "
                "VALUES (%s, %s, 1, 1, 5, now(), %s, now(), 'credited', 'self', 52, 52, false, 1, '[]')"
            )
            inserts = []
            for n in range(samples):
                started = time.perf_counter()
                cur.execute(insert, (rows + 1 + n, users[n], dt.date(2026, 11, 15)))
                conn.commit()
                inserts.append((time.perf_counter() - started) * 1000)
            figures[f"{table} insert+commit ms"] = statistics.median(inserts)
        started = time.perf_counter()
        cur.execute("DELETE FROM plain WHERE local_day < %s", (dt.date(2026, 1, 1),))
        conn.commit()
        figures["plain drop oldest month ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        cur.execute("ALTER TABLE monthly DETACH PARTITION monthly_202512")
        cur.execute("DROP TABLE monthly_202512")
        conn.commit()
        figures["monthly drop oldest month ms"] = (time.perf_counter() - started) * 1000
    return {k: round(v, 3) for k, v in figures.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--json", metavar="FILE", help="write the figures to FILE as a flat JSON object")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/carbon_bench_partitioning")
    fresh_city_database(url, app_env(url))
    with psycopg.connect(url) as conn:
        build(conn, args.rows, args.residents)
        figures = measure(conn, args.rows, args.residents, args.samples)
    for name, value in figures.items():
        print(f"{name:<34} {value:>10.3f}")
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
