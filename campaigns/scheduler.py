"""The scheduler process: follow until elected, then run the JOBS on an APScheduler BlockingScheduler
until leadership is lost or the process is told to stop; then release the lock.

APScheduler 3 cannot share a job store between processes and drops firings missed by more than its
1 s default grace, so: one elected leader, an in-memory store rebuilt at every election, every job a
sweep that also runs at once on election (catch-up), misfire_grace_time=None, coalesce, one instance.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from . import jobs
from .lock import Lock

log = logging.getLogger("campaigns.scheduler")

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


@dataclass(frozen=True)
class Settings:
    poll_seconds: float = 2.0  # how often a follower tries to take the lead
    lease_seconds: float = 15.0  # lease lifetime (SQLite); renewed every third of it
    sweep_seconds: float = 15.0  # interval of the campaign sweeps
    workers: int = 4


class SchedulerProcess:
    def __init__(self, app: Flask, lock: Lock, settings: Settings, job_list: list[jobs.Job] | None = None) -> None:
        self.app = app
        self.lock = lock
        self.settings = settings
        self.jobs = jobs.JOBS if job_list is None else job_list
        self.zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
        self.stopping = threading.Event()
        self.current: BlockingScheduler | None = None

    def run(self) -> None:
        """Until stopped: follow (poll the lock), lead (run the jobs), and follow again if the lead is lost."""
        self._handle_signals()
        log.info("scheduler started as a follower", extra={"fields": {"holder": self.lock.holder}})
        try:
            while not self.stopping.is_set():
                if self.lock.acquire():
                    self._lead()
                else:
                    self.stopping.wait(self.settings.poll_seconds)
        finally:
            self.lock.release()
            log.info("scheduler stopped", extra={"fields": {"holder": self.lock.holder}})

    def _heartbeat_seconds(self) -> float:
        return max(0.2, min(self.settings.poll_seconds, self.settings.lease_seconds / 3))

    def build(self) -> BlockingScheduler:
        scheduler = BlockingScheduler(
            timezone=self.zone,
            job_defaults=JOB_DEFAULTS,
            executors={"default": ThreadPoolExecutor(self.settings.workers), "leader": ThreadPoolExecutor(1)},
        )
        now = dt.datetime.now(self.zone)
        for job in self.jobs:
            if job.cron:
                trigger, options = "cron", dict(job.cron)
            else:
                seconds = self.settings.sweep_seconds if job.every == "sweep" else float(job.every)
                trigger, options = "interval", {"seconds": seconds}
            scheduler.add_job(
                jobs.run,
                trigger,
                args=(self.app, job),
                id=job.id,
                name=job.doc,
                next_run_time=now,
                replace_existing=True,
                **options,
            )
        # Leadership is checked on its own thread, so that a long job never delays the lease renewal.
        scheduler.add_job(
            self._keep_lead,
            "interval",
            seconds=self._heartbeat_seconds(),
            id="scheduler.heartbeat",
            executor="leader",
            replace_existing=True,
        )
        return scheduler

    def _lead(self) -> None:
        log.info("scheduler elected leader", extra={"fields": {"holder": self.lock.holder}})
        self.current = self.build()
        if not self.stopping.is_set():
            self.current.start()  # blocks until shutdown: stop signal or lost lead
        self.current = None
        if not self.stopping.is_set():
            log.warning("scheduler lost the lead; following again", extra={"fields": {"holder": self.lock.holder}})

    def _keep_lead(self) -> None:
        if not self.lock.still_held():
            self._stop_current()

    def _stop_current(self) -> None:
        scheduler = self.current
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    def stop(self) -> None:
        self.stopping.set()
        # Not from the signal handler's own frame: shutdown takes the scheduler's locks.
        threading.Thread(target=self._stop_current, name="scheduler-stop", daemon=True).start()

    def _handle_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())
