"""Helpers for the game tests: credited actions at a frozen moment, and a working
`committed` session (the shared fixture's teardown leaves an invalid join mode on SQLAlchemy 2.1)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from models import Evidence
from seeds import SEEDS_DIR
from webapp.extensions import db
from webapp.services import actions, methodology, projector

CITY = ZoneInfo("Asia/Shanghai")
_refs = itertools.count(1)


def city_time(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A moment on a city day, in UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CITY).astimezone(dt.UTC)


def credit(session, user, type_code: str, quantity, at: dt.datetime, *, verified: bool = True):
    """Log an action at `at` with the clock frozen there, and let the projector fold it, as it does within
    seconds; verified evidence skips the velocity hold."""
    evidence = actions.Verified(Evidence.TRANSIT, f"ref-{next(_refs)}") if verified else None
    with time_machine.travel(at, tick=False):
        action, _account = actions.log_action(
            session,
            user,
            actions.ActionInput(type=type_code, quantity=Decimal(str(quantity)), occurred_at=at),
            evidence=evidence,
            now=at,
        )
        projector.fold_all(session)
    return action


@pytest.fixture
def real_commits(app, request):
    """`committed`, after restoring the session factory's default join mode, with the seeded factors
    back in place (on PostgreSQL the shared fixture's TRUNCATE ... CASCADE of users also empties
    emission_factors, which refers to users)."""
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    session = request.getfixturevalue("committed")
    methodology.load_catalogue(session, SEEDS_DIR / "methodology")
    session.commit()
    return session
