"""What the benchmark scripts share: the app's environment, a free port, a freshly created PostgreSQL
database (migrated, with the city loaded), `flask` commands, a gunicorn server of the app that is ready
when entered and stopped on exit, and a wrk run with its figures."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def app_env(url: str, **extra: str) -> dict[str, str]:
    """This process's environment for serving the app on `url`: no rate limits, quiet logs, plus `extra`."""
    return {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-secret-key-0123456789",
        "RATELIMIT_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def flask(env: dict, *args: str) -> str:
    """Run a `flask` command of the app with `env`; its standard output."""
    out = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout


def fresh_city_database(url: str, env: dict) -> None:
    """Drop and create the database, then migrate it and load the city profile."""
    recreate_database(url)
    flask(env, "db", "upgrade")
    flask(env, "seed", "city")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(url: str) -> None:
    """Drop and create the database named in `url` (a plain postgresql:// URL)."""
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


@contextlib.contextmanager
def gunicorn(env: dict, workers: int, *options: str, app: str = "wsgi:app", log=None) -> Iterator[int]:
    """Serve `app` with `workers` sync workers (its output to the file `log`, or nowhere); yields the port
    once /healthz answers."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), *options, app],
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
        cwd=tempfile.mkdtemp(prefix="bench-"),
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def run_wrk(port: int, script: str, seconds: int, connections: int) -> dict:
    """wrk with a Lua request script: requests/s, requests, latency percentiles in ms, non-2xx count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            fh.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": ms("50%"),
        "p90": ms("90%"),
        "p99": ms("99%"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def write_json(path: str | None, figures: dict[str, float]) -> None:
    """Write a benchmark's figures as one flat JSON object {figure: number} (for run_all.py)."""
    if path:
        Path(path).write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
