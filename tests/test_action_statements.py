"""A budget of SQL statements for logging one action through the API: the hot path of the platform.

Not a timing: a count, the same on every machine. It fails when a change adds a query per action
(a hook that reads what it already has, a lookup that could be joined), which is what made
POST /api/v1/actions slow before (docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import event

from models import Role
from webapp.extensions import db
from webapp.services import accounts

# A resident's second action of a day: token, type and factor, account lock, fair-play checks,
# campaigns, then the booking (action, balance, entry, outbox row). The booking is one statement on
# PostgreSQL (WITH ... RETURNING), four on SQLite: 6 and 9 since 2026-12-07 (9 on both before; 20
# when the request also folded everything derived, which is now the projector's).
BUDGET = {"postgresql": 6, "sqlite": 9}
DEZHOU = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_a_credited_action_stays_within_its_statement_budget(app, db_conn, session, make_user):
    user = make_user(Role.RESIDENT)
    _, token = accounts.issue_token(session, user, "budget")
    session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    now = dt.datetime.now(DEZHOU)
    first = max(now.replace(hour=0, minute=0, second=0, microsecond=0), now - dt.timedelta(hours=2))

    def post(occurred: dt.datetime):  # both on today's city day (a minute ahead is within the tolerance)
        return client.post(
            "/api/v1/actions", json={"type": "bus", "quantity": 3, "occurred_at": occurred.isoformat()}, headers=headers
        )

    assert post(first).status_code == 201  # the first of the day creates the account, profile and day masks
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = post(first + dt.timedelta(minutes=1))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 201 and response.get_json()["status"] == "credited"
    assert len(statements) <= BUDGET[engine.dialect.name], "\n".join(s.split("\n")[0][:100] for s in statements)
