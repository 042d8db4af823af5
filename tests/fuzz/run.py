"""Fuzz the JSON API with schemathesis against its own OpenAPI document, as each role: every check, a
fixed seed and example count, on a fresh migrated and seeded database served by gunicorn.

    .venv/bin/python -m tests.fuzz.run                 # PostgreSQL (FUZZ_PG_URL), every role
    .venv/bin/python -m tests.fuzz.run --sqlite        # a temporary SQLite file instead
    .venv/bin/python -m tests.fuzz.run --roles resident --examples 5

Exit 0 when no check failed for any role; otherwise the failures are printed with a curl line to
replay each, and the server log is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pyotp
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from seeds.demo import ACCOUNTS, DEMO_PASSWORD
from tests.benchmarks.support import BIN, app_env, flask, gunicorn, recreate_database
from webapp.config import normalise_database_url

ROLES = ["resident", "admin", "merchant", "publicity", "official"]
# Writes that end the caller's own credentials; fuzzed last, once the rest of that role is done.
SELF_ENDING = "(DELETE /api/v1/me$)|(DELETE /api/v1/auth/tokens/)"
CONFIG = Path(__file__).with_name("schemathesis.toml")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def _enrol_staff(url: str, logins: dict[str, str]) -> dict[str, str]:
    """Staff sign in with a second factor: each staff login gets an authenticator secret, set here directly
    (tests/test_two_factor.py covers enrolment itself); residents have none."""
    secrets: dict[str, str] = {}
    engine = create_engine(normalise_database_url(url), poolclass=NullPool)
    with engine.begin() as conn:
        for role, login in logins.items():
            if role == "resident":
                continue
            secrets[login] = pyotp.random_base32()
            conn.execute(
                text(
                    "UPDATE users SET totp_secret = :secret, totp_enrolled_at = CURRENT_TIMESTAMP"
                    " WHERE phone = :login OR email = :login"
                ),
                {"secret": secrets[login], "login": login},
            )
    engine.dispose()
    return secrets


def _token(port: int, login: str, secret: str | None = None) -> str:
    otp = {"otp": pyotp.TOTP(secret).now()} if secret else {}
    body = json.dumps({"login": login, "password": DEMO_PASSWORD, "name": "fuzz", **otp}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/tokens", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own http server)
        return json.load(response)["token"]


def _logins() -> dict[str, str]:
    """The first demo account of each role."""
    logins: dict[str, str] = {}
    for role, login, _nickname, _district in ACCOUNTS:
        logins.setdefault(role.value, login)
    return logins


def _schemathesis(port: int, token: str, args: argparse.Namespace, select: list[str], report: Path) -> int:
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"http://127.0.0.1:{port}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--generation-deterministic",
        "--phases",
        args.phases,
        "--workers",
        str(args.workers),
        "--request-timeout",
        "20",
        "--no-color",
        "--output-truncate",
        "true",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        *select,
    ]
    return subprocess.run(command, check=False).returncode


def _database(args: argparse.Namespace, workdir: Path) -> tuple[str, str | None]:
    """The URL to serve, and the PostgreSQL database to drop afterwards (None for SQLite)."""
    if args.sqlite:
        return f"sqlite:///{workdir / 'fuzz.db'}", None
    url = make_url(args.pg_url).set(database=f"fuzz_api_{os.getpid()}")
    plain = url.render_as_string(hide_password=False)
    recreate_database(plain)
    return plain, plain


def _drop(url: str) -> None:
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles to fuzz as")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("FUZZ_EXAMPLES", "8")))
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--phases", default="examples,coverage,fuzzing")
    # One worker: schemathesis' threads race in CPython 3.11's `ast` (hypothesis describes lambdas with it),
    # which fails now and then with "AST constructor recursion depth mismatch".
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument("--pg-url", default=os.environ.get("FUZZ_PG_URL", DEFAULT_PG))
    args = parser.parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="fuzz-api-"))
    url, to_drop = _database(args, workdir)
    env = app_env(url, LOG_LEVEL="WARNING")
    failed: list[str] = []
    try:
        for command in (["db", "upgrade"], ["seed", "city"], ["seed", "demo"]):
            flask(env, *command)
        logins = _logins()
        secrets = _enrol_staff(url, logins)
        log_path = workdir / "server.log"
        with log_path.open("w") as log, gunicorn(env, 2, "--timeout", "60", log=log) as port:
            for role in args.roles.split(","):
                token = _token(port, logins[role], secrets.get(logins[role]))
                print(f"\n=== schemathesis as {role} ({time.monotonic() - started:.0f}s)", flush=True)
                passes = [
                    ("main", ["--exclude-name-regex", SELF_ENDING]),
                    ("last", ["--include-name-regex", SELF_ENDING]),
                ]
                for name, select in passes:
                    if _schemathesis(port, token, args, select, workdir / f"{role}-{name}.xml") != 0:
                        failed.append(f"{role} ({name})")
        if failed:
            print("\n--- server log (errors) ---")
            print("".join(line for line in log_path.open() if "ERROR" in line or "Traceback" in line)[-8000:])
    finally:
        if to_drop:
            _drop(to_drop)
    elapsed = time.monotonic() - started
    if failed:
        print(f"\nFUZZ FAILED as {', '.join(failed)} in {elapsed:.0f}s (reports in {workdir})")
        return 1
    print(f"\nfuzz: 0 failures as {args.roles} in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
