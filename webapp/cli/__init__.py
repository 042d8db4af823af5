"""Command-line interface (API.md "Operations"): db, seed, users, ledger, partners, game, projector,
stats, province; one line and non-zero on failure. The scheduler's `flask scheduler` comes from the
campaigns package's entry point."""

from __future__ import annotations

from flask import Flask

from . import database, game, ledger, partners, projector, province, seed, stats, users

GROUPS = [
    database.db_cli,
    seed.seed_cli,
    users.users_cli,
    ledger.ledger_cli,
    partners.partners_cli,
    game.game_cli,
    projector.projector_cli,
    stats.stats_cli,
    province.province_cli,
]


def register_cli(app: Flask) -> None:
    for group in GROUPS:
        app.cli.add_command(group)
