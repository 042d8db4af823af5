"""`flask province export --period 2026-11`: the month's signed batches for the provincial platform."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from models import utcnow

from ..errors import DomainError
from ..extensions import db
from ..services import province, province_delivery
from ..services.city import city_zone


@click.group("province")
def province_cli() -> None:
    """The export to the Shandong provincial platform."""


@province_cli.command("export")
@click.option("--period", required=True, help="a month that has ended, YYYY-MM")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="default: instance/province")
@with_appcontext
def export(period: str, out: Path | None) -> None:
    """Write (or finish writing) the period's batches, manifest.json and manifest.sig; one line on failure."""
    pseudonym_key = current_app.config.get("PROVINCE_PSEUDONYM_KEY")
    signing_key = current_app.config.get("PROVINCE_SIGNING_KEY")
    if not pseudonym_key or not signing_key:
        raise click.ClickException("PROVINCE_PSEUDONYM_KEY and PROVINCE_SIGNING_KEY must be set to export")
    keys = province.Keys(pseudonym_key.encode(), signing_key.encode())
    out = out or province_delivery.export_root(current_app.config, current_app.instance_path)
    session = db.new_session()
    try:
        today = utcnow().astimezone(city_zone(session)).date()
        result = province.export(session, period, keys, out, today)
    except DomainError as error:
        fields = ", ".join(error.errors or {})
        raise click.ClickException(f"{fields}: {error.message}" if fields else error.message) from None
    finally:
        session.close()
    if result.already:
        click.echo(f"{period} already exported in {result.directory}; nothing changed")
    else:
        click.echo(f"{period} exported to {result.directory}: {len(result.written)} files written")
