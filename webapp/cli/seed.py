"""`flask seed city|demo`: load the city profile and the demo data, through the services."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from seeds import SEEDS_DIR, demo, load_profile

from ..services import city, methodology
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
    """Demo accounts of every role (idempotent); prints their logins."""
    with transaction() as session:
        logins = demo.load(session)
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD})")
    for role, login, nickname in logins:
        click.echo(f"  {role:<10} {login:<28} {nickname}")
