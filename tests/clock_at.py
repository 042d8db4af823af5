"""A pytest plugin: run the suite with the clock started at CLOCK_AT (an ISO moment) and ticking.

`CLOCK_AT=2026-12-13T16:04:00Z python -m pytest -p tests.clock_at` puts every test four minutes into a Monday,
city time, so that a test placing its actions "minutes ago" in this week or this month fails here
rather than in CI once a week. Tests that travel in time themselves still do (travels nest).
"""

from __future__ import annotations

import os

import time_machine

_travel: time_machine.travel | None = None


def pytest_configure(config) -> None:
    global _travel
    _travel = time_machine.travel(os.environ["CLOCK_AT"], tick=True)
    _travel.start()


def pytest_unconfigure(config) -> None:
    if _travel is not None:
        _travel.stop()
