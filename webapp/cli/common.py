"""Running a command in one transaction, with a one-line error on failure; reporting a verify."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import click
from sqlalchemy.orm import Session

from ..errors import DomainError
from ..extensions import db


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """Commit when the block succeeds; otherwise roll back and exit 1 with the reason."""
    session = db.session
    try:
        yield session
        session.commit()
    except DomainError as error:
        session.rollback()
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in (error.errors or {}).items())
        raise click.ClickException(f"{error.message}{' (' + detail + ')' if detail else ''}") from None
    except LookupError as error:
        session.rollback()
        raise click.ClickException(str(error)) from None


def report(problems: Sequence[object], failed: str, ok: str, *, limit: int | None = None) -> None:
    """Print the problems (the first `limit` of them) to stderr and exit 1 with `failed`, else echo `ok`."""
    for problem in problems[:limit]:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(failed)
    click.echo(ok)
