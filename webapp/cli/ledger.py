"""`flask ledger verify`: every account reconciles with its entries, or the command says which not."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..services import ledger


@click.group("ledger")
def ledger_cli() -> None:
    """The credit ledger."""


@ledger_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Exit 0 when balance == sum(entries) >= 0 for every account; else list the accounts."""
    session = db.new_session()
    try:
        problems = ledger.verify(session)
        accounts = session.scalar(ledger.count_accounts())
    finally:
        session.close()
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} of {accounts} accounts do not reconcile")
    click.echo(f"ledger ok: {accounts} accounts reconcile")
