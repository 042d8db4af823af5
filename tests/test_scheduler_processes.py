"""Real `flask scheduler run` processes on the test database: one leads, each transition, announcement and
bonus happens once, and when the leader is killed with -9 a follower takes over and catches up.

PostgreSQL elects with pg_try_advisory_lock; SQLite with the lease row. Poll, sweep and lease times are
shortened through the environment so that the whole dance takes seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from models import AuditEvent, Campaign, CampaignStatus, Notice, Role, utcnow
from webapp.extensions import db
from webapp.services import accounts, ledger

from .campaign_support import audits, bonus_entries, completions, count, log, make_campaign
from .carbon import make_type
from .conftest import PASSWORD, database_url, is_postgres

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
POLL, SWEEP, LEASE = 0.2, 0.3, 2.0


class Scheduler:
    """One `flask scheduler run` subprocess, its JSON log lines timestamped as they arrive."""

    def __init__(self, name: str) -> None:
        self.name = name
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "SECRET_KEY": "test-secret-key-not-for-production",
            "APP_ENV": "testing",
            "LOG_LEVEL": "INFO",
            "SCHEDULER_POLL_SECONDS": str(POLL),
            "SCHEDULER_SWEEP_SECONDS": str(SWEEP),
            "SCHEDULER_LEASE_SECONDS": str(LEASE),
        }
        self.proc = subprocess.Popen(
            [str(FLASK), "--app", "wsgi", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def first(self, text: str) -> float | None:
        return next((at for at, line in self.lines if text in line), None)

    def led_at(self) -> float | None:
        return self.first("scheduler elected leader")

    def kill9(self) -> float:
        self.proc.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        self.proc.wait(timeout=10)
        return killed

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()
        return self.proc.returncode

    def log(self) -> str:
        return "\n".join(f"[{self.name}] {line}" for _, line in self.lines[-40:])


def wait_for(condition: Callable[[], object], timeout: float, what: str, procs=()) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    logs = "\n".join(p.log() for p in procs)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def fresh(query: Callable):
    """Read with a short session of its own (never keep a transaction open beside the schedulers)."""
    with db.new_session() as session:
        return query(session)


def status_of(campaign_id: int) -> CampaignStatus:
    return fresh(lambda s: s.scalar(select(Campaign.status).where(Campaign.id == campaign_id)))


@pytest.fixture
def schedulers():
    started: list[Scheduler] = []

    def start(name: str) -> Scheduler:
        started.append(Scheduler(name))
        return started[-1]

    yield start
    for proc in started:
        proc.stop()


def test_two_schedulers_started_together_do_everything_exactly_once(app, committed, schedulers):
    session = committed
    bus = make_type(session, grams="100")
    resident = accounts.create_user(
        session,
        None,
        role=Role.RESIDENT,
        login="13500000001",
        password=PASSWORD,
        nickname="early bird",
        district="371402",
    )
    session.commit()
    now = utcnow()
    for minutes in (30, 20):  # logged before any campaign existed: only the catch-up sweep can pay the bonus
        log(session, resident, bus, "1", occurred_at=now - dt.timedelta(minutes=minutes))
    session.commit()
    missed = make_campaign(
        session,
        None,
        starts=now - dt.timedelta(hours=2),
        ends=now - dt.timedelta(hours=1),
        now=now - dt.timedelta(hours=3),
        name="停机期间",
    )
    challenge = make_campaign(
        session,
        None,
        starts=now - dt.timedelta(hours=1),
        ends=now + dt.timedelta(minutes=5),
        challenges=[{"type": bus.code, "count": 2, "bonus_credits": 300}],
        now=now - dt.timedelta(hours=2),
        name="挑战",
    )
    challenge_id = challenge.challenges[0].id

    a, b = schedulers("A"), schedulers("B")
    wait_for(lambda: a.led_at() or b.led_at(), 30, "a leader", (a, b))
    now = utcnow()
    live = make_campaign(
        session,
        None,
        starts=now + dt.timedelta(seconds=1.5),
        ends=now + dt.timedelta(seconds=4),
        now=now - dt.timedelta(minutes=1),
        name="实时",
    )
    wait_for(
        lambda: (
            status_of(live.id) == CampaignStatus.ENDED
            and status_of(missed.id) == CampaignStatus.ENDED
            and fresh(lambda s: completions(s, challenge_id))
        ),
        40,
        "the transitions",
        (a, b),
    )
    time.sleep(4 * SWEEP + 1)  # more sweeps by whoever leads: they must find nothing left to do

    leaders = [p for p in (a, b) if p.led_at() is not None]
    assert len(leaders) == 1, a.log() + b.log()
    with db.new_session() as s:
        assert notices_by_kind(s, live.id) == ["campaign_ended", "campaign_ending", "campaign_started"]
        assert notices_by_kind(s, missed.id) == ["campaign_ended"]  # no stale start notice after downtime
        for campaign in (live, missed):
            assert audits(s, "campaign.activated", campaign.id) == 1
            assert audits(s, "campaign.ended", campaign.id) == 1
        assert (completions(s, challenge_id), bonus_entries(s, challenge_id)) == (1, 1)
        assert count(s, Notice, Notice.challenge_id == challenge_id) == 1
        assert ledger.verify(s) == []
        activated = s.scalar(
            select(AuditEvent.data).where(AuditEvent.action == "campaign.activated", AuditEvent.target_id == live.id)
        )
    lateness = activated["late_seconds"]
    print(
        f"\n[{'postgresql' if is_postgres() else 'sqlite'}] leader {leaders[0].name}; "
        f"live campaign activated {lateness:.2f} s after starts_at"
    )
    assert lateness < POLL + SWEEP + 2
    assert a.stop() == 0 and b.stop() == 0


def notices_by_kind(session, campaign_id: int) -> list[str]:
    return sorted(str(k) for k in session.scalars(select(Notice.kind).where(Notice.campaign_id == campaign_id)))


def test_killing_the_leader_hands_over_to_the_follower_which_catches_up(app, committed, schedulers):
    first = schedulers("first")
    wait_for(first.led_at, 30, "the first scheduler to lead", (first,))
    second = schedulers("second")
    wait_for(lambda: second.first("scheduler started as a follower"), 30, "the second scheduler to start", (second,))
    time.sleep(3 * POLL + LEASE)  # long enough that it would have taken the lead if it could
    assert second.led_at() is None, second.log()

    killed = first.kill9()
    now = utcnow()
    # Falls due while nobody leads: the new leader must catch up.
    campaign = make_campaign(
        committed, None, starts=now, ends=now + dt.timedelta(minutes=10), now=now - dt.timedelta(minutes=1), name="交接"
    )
    took_over = wait_for(second.led_at, 20, "the follower to take over", (first, second))
    wait_for(lambda: status_of(campaign.id) == CampaignStatus.ACTIVE, 20, "the catch-up", (second,))
    takeover = took_over - killed
    print(
        f"\n[{'postgresql' if is_postgres() else 'sqlite'}] kill -9 of the leader: follower led after "
        f"{takeover:.2f} s (poll {POLL} s" + ("" if is_postgres() else f", lease {LEASE} s") + ")"
    )
    assert takeover < (POLL + 2 if is_postgres() else LEASE + POLL + 2)
    with db.new_session() as s:
        assert notices_by_kind(s, campaign.id) == ["campaign_started"]
        assert audits(s, "campaign.activated", campaign.id) == 1
    assert second.stop() == 0


def test_a_stopped_leader_releases_at_once(app, committed, schedulers):
    first = schedulers("first")
    wait_for(first.led_at, 30, "the first scheduler to lead", (first,))
    second = schedulers("second")
    wait_for(lambda: second.first("scheduler started as a follower"), 30, "the second to start", (second,))
    stopped = time.monotonic()
    assert first.stop() == 0
    took_over = wait_for(second.led_at, 10, "the follower to take over", (first, second))
    assert took_over - stopped < 2 + POLL  # released on SIGTERM: no lease expiry to wait for
    lines = [json.loads(line) for _, line in first.lines if line.startswith("{")]
    assert any(entry["msg"] == "scheduler stopped" for entry in lines)
