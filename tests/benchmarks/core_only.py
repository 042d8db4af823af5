"""The app without the work that follows a credited action, for `bench_actions.py --core-only` only.

It answers one question: how fast could POST /api/v1/actions be if statistics, leaderboards, streaks,
badges and challenges were folded somewhere else, and that folding cost nothing? The request still
authenticates, validates, checks fair play, scores, inserts the action and moves the ledger. It is a
ceiling for a design choice, never a way to serve: nothing here keeps the derived figures true.
"""

from sqlalchemy import event

from models import LedgerEntry
from webapp.services import actions
from webapp.services.statistics import rollups
from wsgi import app

actions.AFTER_CREDIT.clear()
event.remove(LedgerEntry, "after_insert", rollups._after_entry)

__all__ = ["app"]
