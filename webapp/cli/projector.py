"""`flask projector run|drain|status`: the process that folds committed actions and entries into the
derived figures (statistics, leaderboards, streaks, badges, challenge bonuses).

Several `run` processes may be started: they elect one leader like the scheduler (campaigns.lock),
and each fold also takes the fold lock, so two folds never overlap even while a lease changes hands.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from campaigns.lock import make_lock

from ..extensions import db
from ..services import projector

log = logging.getLogger("webapp.projector")
RUN_KEY = int.from_bytes(b"LCDZ-PRR", "big") & 0x7FFF_FFFF_FFFF_FFFF  # the election of `projector run`


@click.group("projector")
def projector_cli() -> None:
    """Fold the derived figures from the committed actions and ledger entries."""


@projector_cli.command("drain")
@click.option("--batch", type=click.IntRange(1, 100_000), default=projector.BATCH, show_default=True)
@with_appcontext
def drain(batch: int) -> None:
    """Fold everything committed so far, then exit 0."""
    started = time.perf_counter()
    folded = projector.drain(db.new_session, batch)
    click.echo(f"projector: {folded} rows folded in {time.perf_counter() - started:.1f} s")


@projector_cli.command("status")
@with_appcontext
def status() -> None:
    """The backlog: rows not folded yet and the age of the oldest."""
    found = projector.backlog(db.session)
    click.echo(f"backlog {found.rows} rows, oldest {found.lag_seconds():.1f} s")


@projector_cli.command("run")
@click.option("--batch", type=click.IntRange(1, 100_000), default=projector.BATCH, show_default=True)
@click.option("--idle", "idle_seconds", type=click.FloatRange(0.01, 60), default=0.2, show_default=True)
@click.option("--poll", "poll_seconds", type=click.FloatRange(0.05, 300), default=2.0, show_default=True)
@click.option("--lease", "lease_seconds", type=click.FloatRange(1, 3600), default=15.0, show_default=True)
@click.option("--lock", "lock_kind", type=click.Choice(["auto", "advisory", "lease"]), default="auto")
@with_appcontext
def run(batch: int, idle_seconds: float, poll_seconds: float, lease_seconds: float, lock_kind: str) -> None:
    """Fold continuously; one process leads at a time, the others wait to take over."""
    url = current_app.config["DATABASE_URL"]
    try:
        lock = make_lock(db.engine, url, lock_kind, lease_seconds, key=RUN_KEY, name="projector")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    log.info("projector started", extra={"fields": {"holder": lock.holder}})
    try:
        while not stopping.is_set():
            if not lock.acquire():
                stopping.wait(poll_seconds)
                continue
            if projector.drain(db.new_session, batch, max_batches=20) == 0:
                stopping.wait(idle_seconds)
    finally:
        lock.release()
        log.info("projector stopped", extra={"fields": {"holder": lock.holder}})
