"""Campaign budgets under concurrency: two admins setting one campaign's budget at once get exactly one
budget; alert sweeps racing on a `damp` budget post each notice once and damp it once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AuditEvent, BudgetPolicy, CampaignBudget, Notice, NoticeKind, Role, User
from webapp.extensions import db
from webapp.services import budgets, projector

from .campaign_support import log
from .carbon import make_type
from .conftest import PASSWORD, is_postgres
from .helpers import make_user_factory, race_sessions
from .test_campaign_budgets import campaign, day

pytestmark = pytest.mark.skipif(not is_postgres(), reason="real concurrency needs PostgreSQL")


@pytest.fixture(autouse=True)
def _engine_bound_sessions(app):
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")


@pytest.mark.parametrize("round_", range(3))
def test_two_admins_setting_the_same_campaigns_budget_exactly_one_wins(app, committed, round_):
    make_user = make_user_factory(committed, PASSWORD)
    ids = [make_user(Role.ADMIN).id for _ in range(2)]
    run = campaign(committed, make_user(Role.PUBLICITY))
    committed.commit()

    def work(session, i):
        admin = session.get(User, ids[i])
        budgets.set_campaign_budget(session, admin, run.id, 1000 + i, BudgetPolicy.NOTIFY, day(1))

    outcomes = race_sessions(app, 2, work)
    assert sorted(outcomes) == ["Invalid", "ok"]
    winner = outcomes.index("ok")
    rows = committed.execute(select(CampaignBudget.campaign_id, CampaignBudget.credits, CampaignBudget.actor_id)).all()
    assert [tuple(r) for r in rows] == [(run.id, 1000 + winner, ids[winner])]
    assert committed.scalar(select(func.count()).where(AuditEvent.action == "budget.set")) == 1


def test_concurrent_alert_sweeps_notify_once_and_damp_once(app, committed):
    make_user = make_user_factory(committed, PASSWORD)
    admins = [make_user(Role.ADMIN) for _ in range(2)]
    resident = make_user(Role.RESIDENT)
    bus = make_type(committed, grams="100")
    run = campaign(committed, make_user(Role.PUBLICITY), multipliers={bus.code: "2"})
    budget = budgets.set_campaign_budget(committed, admins[0], run.id, 500, BudgetPolicy.DAMP, day(0, 1))
    for d in range(4):
        log(committed, resident, bus, "1", occurred_at=day(d, 10))  # 100 above CO2e a day: 400 of 500
    projector.fold_all(committed)
    committed.commit()
    moment = day(4, 12)  # forecast 400 + 400 / 4.5 * 5.5 = 889 > 500

    outcomes = race_sessions(app, 3, lambda session, i: budgets.alert_due(session, moment))
    assert outcomes == ["ok"] * 3
    refs = committed.execute(select(Notice.user_id, Notice.ref).where(Notice.kind == NoticeKind.BUDGET_ALERT)).all()
    assert len(refs) == len(set(refs)) == 4  # 80% and the forecast, for two admins
    assert {ref for _, ref in refs} == {f"c{run.id}:80", f"c{run.id}:forecast"}
    damps = committed.execute(select(AuditEvent.target_id).where(AuditEvent.action == "budget.damp")).scalars().all()
    assert damps == [budget.id]
    committed.expire_all()
    assert committed.get(CampaignBudget, budget.id).damped_at == moment
