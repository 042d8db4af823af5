"""The app without the work that follows a credited action, for the benchmarks only.

It answers one question: how fast could POST /api/v1/actions be if statistics, leaderboards, streaks,
badges and challenges were folded somewhere else, and that folding cost nothing? The request still
authenticates, validates, checks fair play, scores, inserts the action and moves the ledger. It is a
ceiling for a design choice, never a way to serve: nothing here keeps the derived figures true.

`bench_actions.py --core-only` serves `create()`; `bench_statement_cost.py` uses `derived_work_off()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from flask import Flask
from sqlalchemy import event

from models import LedgerEntry
from webapp.services import actions
from webapp.services.statistics import rollups


def switch_off() -> list[Callable]:
    """Take out the hooks after a credit and the ledger's statistics hook; returns what was taken."""
    hooks = list(actions.AFTER_CREDIT)
    actions.AFTER_CREDIT.clear()
    event.remove(LedgerEntry, "after_insert", rollups._after_entry)
    return hooks


def switch_back(hooks: list[Callable]) -> None:
    actions.AFTER_CREDIT.extend(hooks)
    event.listen(LedgerEntry, "after_insert", rollups._after_entry)


@contextlib.contextmanager
def derived_work_off() -> Iterator[None]:
    hooks = switch_off()
    try:
        yield
    finally:
        switch_back(hooks)


def create() -> Flask:
    """The app as wsgi.py builds it, with the derived work off for the life of the process."""
    from wsgi import app

    switch_off()
    return app
