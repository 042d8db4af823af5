"""`flask seed city|demo`: load the city profile and the demo data, through the services."""

from __future__ import annotations

import datetime as dt
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from models import Role
from seeds import SEEDS_DIR, demo, load_profile, synthetic

from ..extensions import db
from ..services import city, methodology, projector, statistics
from .common import transaction


@click.group("seed")
def seed_cli() -> None:
    """Load seed data."""


@seed_cli.command("city")
@click.option("--profile", default=None, help="City profile (default: CITY_PROFILE).")
@with_appcontext
def seed_city(profile: str | None) -> None:
    """Load the city profile; running it again changes nothing."""
    name = profile or current_app.config["CITY_PROFILE"]
    try:
        data = load_profile(name)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    with transaction() as session:
        loaded, added = city.load_profile(session, data)
        click.echo(f"city {loaded.code}: {len(data['districts'])} districts ({added} new)")
        factors, types = methodology.load_catalogue(session, SEEDS_DIR / "methodology")
        click.echo(f"methodology: {factors} new factor versions, {types} new action types")


@seed_cli.command("demo")
@with_appcontext
def seed_demo() -> None:
    """Demo accounts of every role and a synthetic crowd (idempotent); prints their logins."""
    started = time.perf_counter()
    with transaction() as session:
        logins = demo.load(session)
        crowd = demo.crowd(session, demo.account_of(session, Role.PUBLICITY))
    projector.drain(db.new_session)  # the demo residents' badges, boards and figures at once
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD})")
    for role, login, nickname in logins:
        click.echo(f"  {role:<10} {login:<28} {nickname}")
    click.echo(
        "The admin sets up two-factor sign-in at the first sign-in: scan the QR code shown with an "
        "authenticator app and keep the recovery codes. Other staff may enable it from their "
        "'Two-factor sign-in' page."
    )
    if crowd:
        click.echo(
            f"Demo crowd: {crowd.residents} synthetic residents (no sign-in), {crowd.actions} actions over "
            f"{demo.CROWD_DAYS} days and a past campaign, so the dashboards show figures "
            f"({time.perf_counter() - started:.1f} s)"
        )


@seed_cli.command("synthetic")
@click.option("--residents", type=click.IntRange(1, 10_000_000), default=1000, show_default=True)
@click.option("--actions", "action_count", type=click.IntRange(0, 200_000_000), default=20_000, show_default=True)
@click.option("--days", type=click.IntRange(1, 1098), default=365, show_default=True, help="Days of history.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last city day (default: yesterday).")
@click.option("--seed", type=int, default=2026, show_default=True)
@with_appcontext
def seed_synthetic(residents: int, action_count: int, days: int, until: dt.datetime | None, seed: int) -> None:
    """Invented residents and a year of their actions (COPY on PostgreSQL), then the roll-ups in bulk."""
    started = time.perf_counter()
    with transaction() as session:
        last = until.date() if until else statistics.filters.today(session) - dt.timedelta(days=1)
        loaded = synthetic.load(session, synthetic.Plan(residents, action_count, last, days, seed))
        stored = time.perf_counter()
        steps = statistics.refresh_rollups(session)
    started_vacuum = time.perf_counter()
    statistics.vacuum_rollups(db.engine)
    steps["vacuum"] = time.perf_counter() - started_vacuum
    projector.drain(db.new_session)
    finished = time.perf_counter()
    click.echo(
        f"synthetic: {loaded.residents} residents, {loaded.actions} actions, {loaded.entries} ledger entries "
        f"up to {last}; rows {stored - started:.1f} s, roll-ups {finished - stored:.1f} s, "
        f"total {finished - started:.1f} s"
    )
    click.echo("roll-ups by step: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items()))
