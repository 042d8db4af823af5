"""Two real `flask projector run` processes on a backlog, the folding one killed with -9 mid-batch:
the other takes over, and afterwards every figure equals a rebuild, no bonus is paid twice and no
action is lost (PostgreSQL: the kill must happen while a fold transaction is open)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from models import Action, ActionStatus, ActionType, EntryKind, LedgerEntry, Role, StatActions
from webapp.extensions import db
from webapp.services import boards, game_state, ledger, projector
from webapp.services.statistics import verify as stats_verify

from .campaign_support import log, make_campaign
from .conftest import PASSWORD, database_url, is_postgres
from .game import real_commits  # noqa: F401 (a fixture)
from .helpers import make_user_factory

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"
pytestmark = pytest.mark.skipif(not is_postgres(), reason="kill -9 of a fold needs PostgreSQL's advisory locks")


def start(name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "APP_ENV": "testing",
        "PGAPPNAME": name,
    }
    return subprocess.Popen(
        [str(FLASK), "--app", "wsgi", "projector", "run", "--batch", "5", "--poll", "0.1", "--idle", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def folding(session, name: str) -> bool:
    """The process `name` has a fold transaction open (it holds the fold lock)."""
    return bool(
        session.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = :name "
                "AND l.objid = :lo AND l.classid = :hi"
            ),
            {"name": name, "lo": projector.FOLD_KEY & 0xFFFF_FFFF, "hi": projector.FOLD_KEY >> 32},
        ).scalar()
    )


def wait_for(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.005)
    return False


def test_a_projector_killed_mid_batch_loses_nothing_and_pays_nothing_twice(app, real_commits):  # noqa: F811
    session = real_commits
    make_user = make_user_factory(session, PASSWORD)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    bus = session.scalars(select(ActionType).where(ActionType.code == "bus")).one()
    campaign = make_campaign(
        session,
        make_user(Role.PUBLICITY),
        starts=now - dt.timedelta(days=3),
        ends=now + dt.timedelta(days=3),
        challenges=[{"type": "bus", "count": 3, "bonus_credits": 40}],
        now=now - dt.timedelta(days=4),
    )
    people = [make_user(Role.RESIDENT, district=("371402", "371403")[n % 2]) for n in range(30)]
    for minutes in range(12):
        for person in people:
            log(session, person, bus, "1", occurred_at=now - dt.timedelta(hours=2, minutes=-5 * minutes))
    session.commit()
    assert projector.backlog(session).rows == 360

    first = start("projector-a")
    try:
        assert wait_for(lambda: folding(session, "projector-a")), "the first projector never folded"
        second = start("projector-b")
        try:
            assert wait_for(lambda: folding(session, "projector-a"))
            first.send_signal(signal.SIGKILL)  # inside a fold transaction: it must roll back whole
            first.wait(timeout=10)
            assert projector.backlog(session).rows > 0
            assert wait_for(lambda: projector.backlog(session).rows == 0), "the second projector did not finish"
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=10)

    session.expire_all()
    credited = session.scalar(select(func.count()).where(Action.status == ActionStatus.CREDITED))
    assert credited == 360
    assert session.scalar(select(func.sum(StatActions.actions)).where(StatActions.kind == "d")) == credited
    bonuses = session.execute(
        select(LedgerEntry.account_id, func.count())
        .where(LedgerEntry.kind == EntryKind.BONUS, LedgerEntry.cause_id == campaign.challenges[0].id)
        .group_by(LedgerEntry.account_id)
    ).all()
    assert len(bonuses) == 30 and {n for _account, n in bonuses} == {1}
    assert ledger.verify(session) == []
    assert boards.verify(session) == [] and game_state.verify_profiles(session) == []
    problems = projector.settled(db.new_session, stats_verify.differences)
    assert problems == []
