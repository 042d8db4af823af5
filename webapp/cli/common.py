"""Running a command in one transaction, with a one-line error on failure."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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
