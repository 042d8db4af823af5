"""`flask game verify|rebuild|sweep|recaps`: the leaderboard aggregates and the game's sweeps, by hand.

`rebuild` is run once after upgrading a database that already holds actions (the credit hook keeps
the aggregates from then on); `verify` says whether they still equal a recomputation.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from models import utcnow

from ..extensions import db
from ..services import badges, boards, game_state, projector, recaps
from .common import report, transaction


@click.group("game")
def game_cli() -> None:
    """Leaderboards, badges and weekly recaps."""


@game_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Exit 0 when the folded leaderboards and game profiles equal a recomputation from the actions."""
    problems = projector.settled(db.new_session, lambda s: boards.verify(s) + game_state.verify_profiles(s))
    failed = f"{len(problems)} leaderboard rows or profiles differ from the actions"
    report(problems, failed, "leaderboards and profiles ok", limit=50)


@game_cli.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Recompute every leaderboard aggregate from the credited actions (the backlog folded first)."""
    projector.drain(db.new_session)
    with transaction() as session:
        projector.snapshot(session)
        projector.fold_all(session)
        rows = boards.rebuild(session, utcnow())
    click.echo(f"leaderboards rebuilt: {rows} rows")


@game_cli.command("sweep")
@with_appcontext
def sweep() -> None:
    """Award the badges that time alone earns (what the scheduler job does)."""
    with transaction() as session:
        awarded = badges.sweep_badges(session)
    click.echo(f"badges awarded: {awarded}")


@game_cli.command("recaps")
@with_appcontext
def weekly() -> None:
    """Write the missing recaps of last week (what the scheduler job does, to the end)."""
    total = 0
    while True:
        with transaction() as session:
            written = recaps.weekly_recaps(session)
        total += written
        if not written:
            break
    click.echo(f"weekly recaps written: {total}")
