"""`flask seed synthetic`: residents and actions in bulk, a consistent ledger, roll-ups built after."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from models import Action, ActionStatus, LedgerEntry, User
from webapp.services import statistics
from webapp.services.statistics import Scope, Window

from .test_statistics_data import direct, raw_rows, snapshot


def test_seed_synthetic_loads_rows_and_builds_roll_ups_equal_to_the_raw_rows(app, committed):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "seed",
            "synthetic",
            "--residents",
            "120",
            "--actions",
            "3000",
            "--days",
            "90",
            "--until",
            "2026-06-30",
            "--seed",
            "3",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "120 residents" in result.output and "roll-ups" in result.output
    assert committed.scalar(select(func.count()).select_from(User)) == 120
    actions = committed.scalar(select(func.count()).select_from(Action))
    assert 2800 <= actions <= 3200
    credited = committed.scalar(
        select(func.count()).select_from(Action).where(Action.status == ActionStatus.CREDITED, Action.credits > 0)
    )
    assert committed.scalar(select(func.count()).select_from(LedgerEntry)) == credited
    raw = raw_rows(committed)
    window = Window(dt.date(2026, 4, 2), dt.date(2026, 6, 30))
    got = statistics.overview(committed, Scope(window), threshold=1)
    want = direct(raw, window.first, window.last, None)
    for field in ("residents", "participants", "actions_total", "co2e_grams", "active_residents"):
        assert got[field] == want[field], field
    share = got["green_travel_share"]["value"]
    assert 0.4 < share < 0.95  # drivers and taxis make the share realistic, not 100 %
    live = snapshot(committed)
    statistics.refresh_rollups(committed)
    assert snapshot(committed) == live
    committed.rollback()
    # A second run adds more residents after the first ones (explicit ids, sequences moved on).
    again = runner.invoke(args=["seed", "synthetic", "--residents", "5", "--actions", "50", "--days", "10"])
    assert again.exit_code == 0, again.output
    assert committed.scalar(select(func.count()).select_from(User)) == 125
