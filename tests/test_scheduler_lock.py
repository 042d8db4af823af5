"""The election of one scheduler (advisory lock on PostgreSQL, lease row elsewhere) and the job setup."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
import time_machine
from sqlalchemy import select, text

from campaigns import jobs
from campaigns.lock import AdvisoryLock, LeaseLock, make_lock
from campaigns.scheduler import JOB_DEFAULTS, SchedulerProcess, Settings
from models import Campaign, CampaignStatus, utcnow
from webapp.extensions import db

from .campaign_support import make_campaign
from .conftest import is_postgres


def url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_a_lease_has_one_holder_until_released(app, committed):
    first, second = LeaseLock(db.engine, ttl=30), LeaseLock(db.engine, ttl=30)
    assert first.acquire()
    assert first.acquire()  # re-entrant for its holder
    assert not second.acquire()
    assert first.still_held() and not second.still_held()
    first.release()
    assert second.acquire()
    assert not first.still_held()
    second.release()


def test_an_expired_lease_is_taken_over_and_its_old_holder_steps_down(app, committed):
    first, second = LeaseLock(db.engine, ttl=5), LeaseLock(db.engine, ttl=5)
    with time_machine.travel(utcnow(), tick=False) as clock:
        assert first.acquire()
        clock.shift(dt.timedelta(seconds=4))
        assert not second.acquire()
        assert first.still_held()  # renewed: five more seconds
        clock.shift(dt.timedelta(seconds=6))
        assert second.acquire()
        assert not first.still_held()
        second.release()


@pytest.mark.skipif(not is_postgres(), reason="advisory locks are PostgreSQL's")
def test_the_advisory_lock_is_released_when_its_connection_dies(app):
    first, second = AdvisoryLock(url()), AdvisoryLock(url())
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.still_held()
        with db.engine.connect() as conn:  # the leader's backend dies, as with kill -9 of its process
            pid = first.conn.execute(text("SELECT pg_backend_pid()")).scalar()
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The backend exits just after the call returns: poll as a follower does.
        deadline = time.monotonic() + 5
        while not second.acquire() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert second.still_held()
        assert not first.still_held()
    finally:
        first.release()
        second.release()


def test_auto_picks_the_advisory_lock_on_postgresql_and_the_lease_elsewhere(app):
    lock = make_lock(db.engine, url(), "auto", 15)
    try:
        assert isinstance(lock, AdvisoryLock if is_postgres() else LeaseLock)
    finally:
        if isinstance(lock, AdvisoryLock):
            lock.release()
    assert isinstance(make_lock(db.engine, url(), "lease", 15), LeaseLock)
    if not is_postgres():
        with pytest.raises(ValueError):
            make_lock(db.engine, url(), "advisory", 15)


def test_every_job_is_a_catching_up_sweep_with_safe_defaults(app):
    assert JOB_DEFAULTS == {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
    ids = [job.id for job in jobs.JOBS]
    assert len(ids) == len(set(ids))
    assert {
        "campaigns.activate",
        "campaigns.remind",
        "campaigns.end",
        "challenges.award",
        "vouchers.expire",
        "ledger.reconcile",
        "statistics.rollups",
    } <= set(ids)
    scheduler = SchedulerProcess(app, LeaseLock(db.engine, 15), Settings(sweep_seconds=7)).build()
    assert scheduler._job_defaults == JOB_DEFAULTS  # no job overrides them
    planned = {job.id: job for job in scheduler.get_jobs()}
    assert set(planned) == {*ids, "scheduler.heartbeat"}
    for job_id in ids:
        assert planned[job_id].next_run_time is not None  # runs as soon as the scheduler leads: catch-up
    assert planned["campaigns.activate"].trigger.interval == dt.timedelta(seconds=7)
    assert planned["scheduler.heartbeat"].executor == "leader"


def test_a_job_run_commits_its_own_transaction(app, committed):
    now = utcnow()
    campaign = make_campaign(
        committed,
        None,
        starts=now - dt.timedelta(seconds=1),
        ends=now + dt.timedelta(hours=1),
        now=now - dt.timedelta(hours=1),
    )
    job = next(j for j in jobs.JOBS if j.id == "campaigns.activate")
    assert jobs.run(app, job) == 1
    with db.new_session() as other:
        assert other.scalar(select(Campaign.status).where(Campaign.id == campaign.id)) == CampaignStatus.ACTIVE
    assert jobs.run(app, job) == 0


def test_a_failing_job_is_logged_and_rolled_back_not_raised(app, caplog):
    def broken(session, now):
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="campaigns.jobs"):
        assert jobs.run(app, jobs.Job("test.broken", broken, every=1)) is None
    assert "job test.broken failed" in caplog.text
