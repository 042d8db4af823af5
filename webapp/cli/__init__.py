"""Command-line interface (API.md "Operations"): db, seed, users; one line and non-zero on failure."""

from __future__ import annotations

from flask import Flask

from . import database, ledger, seed, users

GROUPS = [database.db_cli, seed.seed_cli, users.users_cli, ledger.ledger_cli]


def register_cli(app: Flask) -> None:
    for group in GROUPS:
        app.cli.add_command(group)
