"""`flask ledger verify`: every account reconciles with its entries, or the command says which not."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..services import expiry, ledger
from .common import report


@click.group("ledger")
def ledger_cli() -> None:
    """The credit ledger."""


@ledger_cli.command("verify")
@with_appcontext
def verify() -> None:
    """Exit 0 when balance == sum(entries) >= 0 and every expiry is FIFO-consistent; else list them."""
    session = db.new_session()
    try:
        problems = [str(p) for p in ledger.verify(session)] + expiry.verify(session)
        accounts = session.scalar(ledger.count_accounts())
    finally:
        session.close()
    report(problems, f"{len(problems)} problems in {accounts} accounts", f"ledger ok: {accounts} accounts reconcile")
