"""`flask partners create`: a transit or waste partner, its key and secret printed once as JSON."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from models import PartnerKind

from ..services import partners
from .common import transaction


@click.group("partners")
def partners_cli() -> None:
    """Partners that send signed records (transit trips, waste deposits)."""


@partners_cli.command("create")
@click.option("--kind", type=click.Choice([k.value for k in PartnerKind]), required=True)
@click.option("--name", required=True, help="Unique name of the partner.")
@with_appcontext
def create(kind: str, name: str) -> None:
    """Create a partner; prints {"key": ..., "secret": ...} (the secret is not shown again)."""
    with transaction() as session:
        partner = partners.create_partner(session, PartnerKind(kind), name)
        credentials = {"key": partner.key, "secret": partner.secret}
    click.echo(json.dumps(credentials))
