"""Real concurrency: threads hitting the same rows through the whole HTTP stack, with real commits.

On PostgreSQL this exercises row locks and the guarded UPDATEs under READ COMMITTED; on SQLite the
same tests show that BEGIN IMMEDIATE serialises the writers.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from models import Action, IdempotencyRecord, Role
from webapp.services import accounts, ledger

from .carbon import make_type
from .conftest import PASSWORD
from .helpers import race

THREADS = 20


def _resident_with_token(session):
    user = accounts.create_user(
        session, None, role=Role.RESIDENT, login="13700000001", password=PASSWORD, nickname="racer", district="371402"
    )
    _, token = accounts.issue_token(session, user, "race")
    session.commit()
    return user, {"Authorization": f"Bearer {token}"}


def _race(app, n, request):
    """Start n requests at the same instant; return their status codes."""
    return [response.status_code for response in race(n, lambda i: request(app.test_client(), i))]


def test_twenty_parallel_requests_with_one_key_store_one_action(app, committed):
    action_type = make_type(committed, grams="100")
    user, headers = _resident_with_token(committed)
    payload = {"type": action_type.code, "quantity": 5, "occurred_at": dt.datetime.now(dt.UTC).isoformat()}

    def post(client, _i):
        return client.post("/api/v1/actions", json=payload, headers={**headers, "Idempotency-Key": "same-key"})

    statuses = _race(app, THREADS, post)
    committed.expire_all()
    assert Counter(statuses) == {201: THREADS}
    assert committed.scalar(select(func.count()).select_from(Action).where(Action.user_id == user.id)) == 1
    assert committed.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1
    assert ledger.account_for(committed, user).balance == 500
    assert ledger.verify(committed) == []


def test_parallel_actions_never_exceed_the_daily_cap(app, committed):
    action_type = make_type(committed, grams="100", cap_self=1000, max_q="50")
    user, headers = _resident_with_token(committed)
    now = dt.datetime.now(dt.UTC)

    def post(client, i):
        occurred = (now - dt.timedelta(seconds=i)).isoformat()
        return client.post(
            "/api/v1/actions", headers=headers, json={"type": action_type.code, "quantity": 3, "occurred_at": occurred}
        )

    statuses = _race(app, 8, post)
    committed.expire_all()
    assert Counter(statuses) == {201: 8}
    credits = committed.scalars(select(Action.credits).where(Action.user_id == user.id)).all()
    assert sum(credits) == 1000  # 8 × 300 wanted, the cap allows 1000 in the day
    assert sorted(credits, reverse=True)[:4] == [300, 300, 300, 100]
    assert ledger.account_for(committed, user).balance == 1000
    assert ledger.verify(committed) == []
