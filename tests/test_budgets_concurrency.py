"""Two admins setting the same month at once: exactly one budget; alert sweeps racing: each notice once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import BudgetPolicy, CreditBudget, Notice, NoticeKind, Role, User
from webapp.extensions import db
from webapp.services import budgets, ledger

from .conftest import PASSWORD, is_postgres
from .helpers import make_user_factory, race_sessions
from .test_budgets import NOW, at, earn

pytestmark = pytest.mark.skipif(not is_postgres(), reason="real concurrency needs PostgreSQL")


@pytest.fixture(autouse=True)
def _engine_bound_sessions(app):
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


@pytest.mark.parametrize("round_", range(3))
def test_two_admins_setting_the_same_month_exactly_one_wins(app, committed, round_):
    make_user = make_user_factory(committed, PASSWORD)
    ids = [make_user(Role.ADMIN).id for _ in range(2)]
    committed.commit()

    def work(session, i):
        budgets.set_budget(session, session.get(User, ids[i]), "2026-12", 1000 + i, BudgetPolicy.NOTIFY, NOW)

    outcomes = race_sessions(app, 2, work)
    assert sorted(outcomes) == ["Invalid", "ok"]
    assert committed.scalar(select(func.count()).select_from(CreditBudget)) == 1


def test_concurrent_alert_sweeps_post_each_notice_once(app, committed):
    make_user = make_user_factory(committed, PASSWORD)
    admins = [make_user(Role.ADMIN) for _ in range(2)]
    account = ledger.account_for(committed, make_user(Role.RESIDENT))
    budgets.set_budget(committed, admins[0], "2026-12", 1000, BudgetPolicy.NOTIFY, at(1))
    for day in range(1, 11):
        earn(committed, account, 110, at(day))
    committed.commit()

    outcomes = race_sessions(app, 3, lambda session, i: budgets.alert_due(session, NOW))
    assert outcomes == ["ok"] * 3
    refs = committed.execute(select(Notice.user_id, Notice.ref).where(Notice.kind == NoticeKind.BUDGET_ALERT)).all()
    assert len(refs) == len(set(refs)) == 6  # three levels for two admins
    assert committed.scalar(select(func.count()).select_from(Notice)) == 6
