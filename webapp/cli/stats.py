"""`flask stats verify|refresh`: the statistics roll-ups against the raw rows, by hand."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..services import projector, statistics
from ..services.statistics import verify as stats_verify
from .common import report, transaction


@click.group("stats")
def stats_cli() -> None:
    """Official statistics roll-ups."""


@stats_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Exit 0 when the folded roll-ups equal a rebuild from the raw rows (nothing is changed)."""
    problems = projector.settled(db.new_session, stats_verify.differences)
    report(problems, f"{len(problems)} roll-up rows differ from a rebuild", "statistics ok", limit=50)


@stats_cli.command("refresh")
@with_appcontext
def refresh() -> None:
    """Rebuild every roll-up from the raw rows (the backlog folded into it first)."""
    projector.drain(db.new_session)
    with transaction() as session:
        projector.snapshot(session)
        statistics.refresh_rollups(session)
    statistics.vacuum_rollups(db.engine)
    click.echo("statistics rebuilt")
