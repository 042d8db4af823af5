"""The one declarative list of scheduled jobs. Each is an idempotent sweep over database state
(select what is due, move it with a guarded statement), never one job per row; each run opens its
own session in an app context and commits once. Every job also runs when a scheduler takes the lead,
so one that was down catches up at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from models import utcnow
from webapp.extensions import db
from webapp.services import (
    badges,
    budgets,
    campaign_lifecycle,
    campaign_rules,
    expiry,
    ledger,
    projector,
    recaps,
    redemptions,
    statistics,
)
from webapp.services.city import city_zone

log = logging.getLogger("campaigns.jobs")

Sweep = Callable[[Session, dt.datetime], Any]


@dataclass(frozen=True)
class Job:
    """`every`: seconds between runs, or "sweep" for the (configurable) fast interval; `cron`: city time."""

    id: str
    func: Sweep
    every: float | str | None = None
    cron: dict[str, Any] = field(default_factory=dict)
    doc: str = ""


def reconcile_ledger(session: Session, now: dt.datetime) -> int:
    """Nightly: every account's balance against the sum of its entries; mismatches are logged as errors."""
    problems = ledger.verify(session)
    for problem in problems:
        log.error(
            "ledger mismatch: %s",
            problem,
            extra={"fields": {"job": "ledger.reconcile", "account_id": problem.account_id}},
        )
    fifo = expiry.verify(session)
    for problem in fifo:
        log.error("expiry mismatch: %s", problem, extra={"fields": {"job": "ledger.reconcile"}})
    return len(problems) + len(fifo)


def expire_vouchers(session: Session, now: dt.datetime) -> int:
    return redemptions.expire_due_vouchers(session, now)


def fold_outbox(session: Session, now: dt.datetime) -> int:
    """Every second: fold one batch of committed actions and entries into the derived figures."""
    return projector.fold(session, projector.JOB_BATCH)


def refresh_statistics(session: Session, now: dt.datetime) -> int:
    """Nightly: the roll-ups from yesterday (city day) on, rebuilt from the raw rows, in one snapshot
    with the projector's backlog folded into it (a concurrent fold makes it fail and retry)."""
    projector.snapshot(session)
    yesterday = now.astimezone(city_zone(session)).date() - dt.timedelta(days=1)
    statistics.refresh_rollups(session, since=yesterday)
    return 0


JOBS: list[Job] = [
    Job("projector.fold", fold_outbox, every=1, doc="derived figures folded from the committed actions and entries"),
    Job(
        "campaigns.activate",
        campaign_lifecycle.activate_due,
        every="sweep",
        doc="scheduled -> active at starts_at, with the start announcement",
    ),
    Job(
        "campaigns.remind",
        campaign_lifecycle.remind_due,
        every="sweep",
        doc="the reminder a day before the end (halfway for short campaigns)",
    ),
    Job(
        "campaigns.end",
        campaign_lifecycle.end_due,
        every="sweep",
        doc="active -> ended at ends_at, with the result announcement",
    ),
    Job(
        "challenges.award",
        campaign_rules.award_completed_challenges,
        every=300,
        doc="catch-up: completed challenges without their bonus and badge",
    ),
    Job(
        "vouchers.expire",
        expire_vouchers,
        every=300,
        doc="issued vouchers past their expiry become expired, credits refunded once",
    ),
    Job(
        "ledger.reconcile",
        reconcile_ledger,
        cron={"hour": 3, "minute": 30},
        doc="balance == sum(entries) for every account; mismatches logged",
    ),
    # Statistics roll-ups: live writes keep them current; this nightly sweep re-derives them.
    Job(
        "statistics.rollups",
        refresh_statistics,
        cron={"hour": 2, "minute": 30},
        doc="roll-ups from yesterday on, rebuilt from the raw rows",
    ),
    Job(
        "badges.sweep",
        badges.sweep_badges,
        every=3600,
        doc="badges that time alone earns (one green year) and family badges",
    ),
    Job(
        "credits.expire",
        expiry.expire_due,
        every=3600,
        doc="credits of months past the city's expiry policy expire, FIFO, once per account and month",
    ),
    Job(
        "credits.warn",
        expiry.warn_due,
        every=3600,
        doc="the notice 30 days before credits expire, once per resident and month",
    ),
    Job(
        "budgets.alert",
        budgets.alert_due,
        every=300,
        doc="admins notified once per month at 80% and 100% of the issuance budget and when the forecast exceeds it",
    ),
    Job("recaps.weekly", recaps.weekly_recaps, every=3600, doc="last week's recaps still missing, in batches"),
]


def run(app: Flask, job: Job) -> Any:
    """One run of a job: its own session and transaction, committed once; failures are logged, not raised."""
    started = time.monotonic()
    with app.app_context():
        session = db.new_session()
        try:
            result = job.func(session, utcnow())
            session.commit()
        except Exception:  # a failed sweep must not stop the scheduler; the next run retries
            session.rollback()
            log.exception("job %s failed", job.id, extra={"fields": {"job": job.id}})
            return None
        finally:
            session.close()
    level = logging.INFO if result else logging.DEBUG
    log.log(
        level,
        "job %s done",
        job.id,
        extra={"fields": {"job": job.id, "result": result, "ms": round((time.monotonic() - started) * 1000, 1)}},
    )
    return result
