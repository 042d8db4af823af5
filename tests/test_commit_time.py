"""Shared counts (district roll-ups, district boards, bucket counts), queued by the projector's fold,
are written at COMMIT, merged:
they still equal a rebuild from the raw rows, also under parallel writers, and a rolled-back
savepoint or transaction takes its share with it."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from models import ActionType, District, Role, StatActions, StatRegistrations
from webapp.extensions import db
from webapp.services import accounts, boards, commit_time, projector
from webapp.services.actions import ActionInput, log_action
from webapp.services.statistics import refresh_rollups, rollups

from .conftest import PASSWORD, is_postgres
from .test_statistics_data import snapshot

NOW = dt.datetime(2026, 5, 12, 4, 0, tzinfo=dt.UTC)  # 12:00 in Dezhou


def bus(session, user, minutes: int = 0):
    """Log a bus trip and fold it in the same transaction: the fold is what queues the shared deltas."""
    logged = log_action(session, user, ActionInput("bus", Decimal(5), NOW - dt.timedelta(minutes=minutes)), now=NOW)
    projector.fold_all(session)
    return logged


def bus_type_id(session) -> int:
    return session.scalar(select(ActionType.id).where(ActionType.code == "bus"))


def daily_bus_actions(session) -> int:
    return session.scalar(select(func.coalesce(func.sum(StatActions.actions), 0)).where(StatActions.kind == "d"))


def test_deltas_wait_for_commit_and_are_written_merged(app, committed):
    residents = [
        accounts.create_user(
            committed, None, role=Role.RESIDENT, login=f"1370000010{i}", password=PASSWORD, district="371402"
        )
        for i in range(3)
    ]
    committed.commit()
    for user in residents:
        bus(committed, user)
    queued = commit_time.merged(committed.info[commit_time.PENDING])[rollups.ACTIONS]
    bus_id, district_id = bus_type_id(committed), residents[0].district_id
    assert {key: row["actions"] for key, row in queued.items()} == {
        ("d", dt.date(2026, 5, 12), district_id, bus_id): 3,
        ("m", dt.date(2026, 5, 1), district_id, bus_id): 3,
    }
    inserts: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO stat_actions"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        committed.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1  # three actions, one statement
    assert commit_time.PENDING not in committed.info
    assert daily_bus_actions(committed) == 3
    live = snapshot(committed)
    refresh_rollups(committed)
    assert snapshot(committed) == live
    assert boards.verify(committed) == []


def test_a_read_in_the_same_transaction_sees_what_is_queued(session, make_user):
    bus(session, make_user(Role.RESIDENT))
    assert session.info[commit_time.PENDING]
    assert daily_bus_actions(session) == 1  # the SELECT wrote the queue first
    assert commit_time.PENDING not in session.info


def test_a_rolled_back_savepoint_takes_its_share_with_it(session, make_user):
    kept, dropped = make_user(Role.RESIDENT), make_user(Role.RESIDENT)
    bus(session, kept)
    savepoint = session.begin_nested()
    bus(session, dropped, minutes=60)
    savepoint.rollback()
    assert daily_bus_actions(session) == 1
    live = snapshot(session)
    refresh_rollups(session)
    assert snapshot(session) == live
    assert boards.verify(session) == []


def test_a_rolled_back_transaction_writes_nothing_later(app, committed):
    user = accounts.create_user(
        committed, None, role=Role.RESIDENT, login="13700000201", password=PASSWORD, district="371402"
    )
    committed.commit()
    bus(committed, user)
    committed.rollback()
    assert commit_time.PENDING not in committed.info
    committed.commit()
    assert daily_bus_actions(committed) == 0


def test_parallel_residents_of_one_district_lose_no_count(app, committed):
    """Every thread adds to the same district rows and buckets; the sums must come out exact."""
    threads_n, each = 12, 3
    tokens = []
    for i in range(threads_n):
        user = accounts.create_user(
            committed,
            None,
            role=Role.RESIDENT,
            login=f"13700003{i:03d}",
            password=PASSWORD,
            nickname=f"p{i}",
            district="371402",
        )
        tokens.append(accounts.issue_token(committed, user, "race")[1])
    committed.commit()
    barrier = threading.Barrier(threads_n)
    statuses: list[int] = []

    def worker(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        for n in range(each):
            occurred = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=n)).isoformat()
            response = client.post(
                "/api/v1/actions",
                json={"type": "bus", "quantity": 5, "occurred_at": occurred},
                headers={"Authorization": f"Bearer {token}"},
            )
            statuses.append(response.status_code)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert statuses == [201] * (threads_n * each)
    projector.drain(db.new_session, limit=5)  # batches straddle residents
    committed.expire_all()
    assert daily_bus_actions(committed) == threads_n * each
    live = snapshot(committed)
    refresh_rollups(committed)
    assert snapshot(committed) == live
    assert boards.verify(committed) == []


def test_a_read_sees_rows_its_own_autoflush_queues(session, make_user):
    user = make_user(Role.RESIDENT)
    before = left_residents(session)
    user.deleted_at = NOW  # not flushed: the read's autoflush queues the registration's "left"
    assert left_residents(session) == before + 1


def test_a_change_flushed_only_by_commit_is_counted(session, make_user):
    user = make_user(Role.RESIDENT)
    other = session.scalar(select(District.id).where(District.id != user.district_id).limit(1))
    user.district_id = other  # nothing queued yet: COMMIT's own flush queues the move
    session.commit()
    live = snapshot(session)
    refresh_rollups(session)
    assert snapshot(session) == live


def left_residents(session) -> int:
    return session.scalar(select(func.coalesce(func.sum(StatRegistrations.left), 0)))


@pytest.mark.skipif(not is_postgres(), reason="table locks against row locks: PostgreSQL's")
def test_a_live_action_and_the_nightly_sweep_do_not_deadlock(app, committed):
    """A fold holds stat_masks rows and writes the other roll-ups at COMMIT; the sweep takes the fold
    lock and then stat_masks first, so it waits for the fold instead of deadlocking with it."""
    user = accounts.create_user(
        committed, None, role=Role.RESIDENT, login="13700009911", password=PASSWORD, district="371402"
    )
    committed.commit()
    now = dt.datetime.now(dt.UTC)
    log_action(committed, user, ActionInput("bus", Decimal(5), now - dt.timedelta(minutes=5)), now=now)
    projector.fold_all(committed)  # a fold in progress: masks written, shared rows queued for COMMIT
    errors: list[str] = []

    def sweep() -> None:
        with app.app_context():
            other = db.new_session()
            try:
                refresh_rollups(other, now.date() - dt.timedelta(days=1))
                other.commit()
            except Exception as error:  # reported below
                errors.append(f"sweep: {type(error).__name__}")
                other.rollback()
            finally:
                other.close()

    thread = threading.Thread(target=sweep)
    thread.start()
    time.sleep(1.0)  # the sweep now waits on a table lock
    committed.commit()
    thread.join(60)
    assert errors == []
    live = snapshot(committed)
    refresh_rollups(committed)
    assert snapshot(committed) == live
