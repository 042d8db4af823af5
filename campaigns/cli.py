"""`flask scheduler run|once|jobs`: the scheduler process (registered as an entry point; webapp never imports it)."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.extensions import db

from . import jobs
from .lock import make_lock
from .scheduler import SchedulerProcess, Settings


@click.group("scheduler")
def scheduler_cli() -> None:
    """The scheduler process."""


@scheduler_cli.command("run")
@click.option(
    "--poll",
    "poll_seconds",
    type=click.FloatRange(0.05, 300),
    default=2.0,
    show_default=True,
    envvar="SCHEDULER_POLL_SECONDS",
    help="Seconds between a follower's attempts to take the lead.",
)
@click.option(
    "--lease",
    "lease_seconds",
    type=click.FloatRange(1, 3600),
    default=15.0,
    show_default=True,
    envvar="SCHEDULER_LEASE_SECONDS",
    help="Lease lifetime with the lease lock (SQLite).",
)
@click.option(
    "--sweep",
    "sweep_seconds",
    type=click.FloatRange(0.1, 3600),
    default=15.0,
    show_default=True,
    envvar="SCHEDULER_SWEEP_SECONDS",
    help="Seconds between the campaign sweeps.",
)
@click.option(
    "--lock",
    "lock_kind",
    type=click.Choice(["auto", "advisory", "lease"]),
    default="auto",
    show_default=True,
    envvar="SCHEDULER_LOCK",
    help="auto: advisory lock on PostgreSQL, lease on SQLite; lease also works behind PgBouncer.",
)
@with_appcontext
def run(poll_seconds: float, lease_seconds: float, sweep_seconds: float, lock_kind: str) -> None:
    """Run the scheduler; one process leads at a time, the others wait to take over."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our job runner logs what each sweep did
    try:
        lock = make_lock(db.engine, app.config["DATABASE_URL"], lock_kind, lease_seconds)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    settings = Settings(poll_seconds=poll_seconds, lease_seconds=lease_seconds, sweep_seconds=sweep_seconds)
    SchedulerProcess(app, lock, settings).run()


@scheduler_cli.command("once")
@click.option("--job", "job_ids", multiple=True, help="Only these job ids (default: all).")
@with_appcontext
def once(job_ids: tuple[str, ...]) -> None:
    """Run every sweep once now, without the lock (they are idempotent), e.g. from cron on a small install."""
    known = {job.id: job for job in jobs.JOBS}
    unknown = set(job_ids) - set(known)
    if unknown:
        raise click.ClickException(f"unknown job ids: {', '.join(sorted(unknown))}")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for job in jobs.JOBS:
        if not job_ids or job.id in job_ids:
            click.echo(f"{job.id}: {jobs.run(app, job)}")


@scheduler_cli.command("jobs")
def list_jobs() -> None:
    """The declared jobs and their schedules."""
    for job in jobs.JOBS:
        when = (
            f"cron {job.cron} (city time)"
            if job.cron
            else f"every {job.every}" + ("" if job.every == "sweep" else " s")
        )
        click.echo(f"{job.id:<22} {when:<36} {job.doc}")
