"""The published catalogue: golden cases computed by hand from seeds/methodology/factors.csv."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import ActionStatus, ActionType, EmissionFactor
from seeds import SEEDS_DIR
from webapp.services import actions, methodology
from webapp.services.actions import ActionInput

NOW = dt.datetime(2026, 6, 14, 1, 0, tzinfo=dt.UTC)


# (type, quantity, hand computation from factors.csv, expected grams)
GOLDEN = [
    ("bus", "5", "5 km × 10.34 g = 51.7", 52),
    ("bike_shared", "10", "10 km × 40.66 g = 406.6", 407),
    ("walk", "10000", "10000 steps × 0.006266 g = 62.66", 63),
    ("waste_paper", "2", "2 kg × 197.75 g = 395.5 (half up)", 396),
    ("waste_plastic", "0.5", "0.5 kg × 754.2 g = 377.1", 377),
    ("waste_kitchen", "1.5", "1.5 kg × 34.55 g = 51.825", 52),
    ("buy_own_bag", "2", "2 bags × 5 g = 10", 10),
    ("buy_e_receipt", "3", "3 receipts × 2.69 g = 8.07", 8),
    ("car", "10", "10 km × 0 g = 0 (counts for the travel share only)", 0),
]


@pytest.mark.parametrize(("code", "quantity", "_how", "grams"), GOLDEN)
def test_golden_cases_per_family(session, resident, code, quantity, _how, grams):
    data = ActionInput(type=code, quantity=Decimal(quantity), occurred_at=NOW)
    action, account = actions.log_action(session, resident, data, now=NOW)
    assert action.status == ActionStatus.CREDITED
    assert action.co2e_grams == grams
    assert action.credits == grams
    assert account.balance == grams


def test_purchases_needing_evidence_wait_without_it(session, resident):
    data = ActionInput(type="buy_appliance_grade1", quantity=Decimal(1), occurred_at=NOW)
    action, account = actions.log_action(session, resident, data, now=NOW)
    assert (action.status, action.credits, action.co2e_grams) == (ActionStatus.PENDING, 0, 30955)
    assert account.balance == 0


def test_every_type_has_a_factor_in_force_with_a_source(session):
    published = methodology.published_types(session, NOW)
    codes = {p.type.code for p in published}
    assert codes == set(session.scalars(select(ActionType.code).where(ActionType.active.is_(True))))
    families = {str(p.type.family) for p in published}
    assert families == {"travel", "waste", "purchase"}
    for p in published:
        assert p.factor.source.strip()
        assert p.factor.confidence in {"V", "S", "U"}
        assert p.type.daily_cap_self <= p.type.daily_cap_evidenced


def test_loading_the_catalogue_twice_changes_nothing(session):
    before = session.scalar(select(func.count()).select_from(EmissionFactor))
    assert methodology.load_catalogue(session, SEEDS_DIR / "methodology") == (0, 0)
    assert session.scalar(select(func.count()).select_from(EmissionFactor)) == before


@pytest.mark.parametrize(("language", "expected"), [("zh-CN", "公交"), ("en", "Bus ride")])
def test_methodology_page_shows_every_type_in_both_languages(client, session, language, expected):
    page = client.get("/methodology", headers={"Accept-Language": language}).get_data(as_text=True)
    assert expected in page
    for code in session.scalars(select(ActionType.code)):
        assert f'id="{code}"' in page
    assert "TRAVEL_BUS_PKM" in page
    assert "DESNZ" in page


def test_api_lists_the_catalogue_for_anyone(client):
    types = {t["code"]: t for t in client.get("/api/v1/action-types").get_json()}
    assert types["bus"]["grams_per_unit"] == 10.34
    assert types["bus"]["family"] == "travel"
    assert types["car"]["grams_per_unit"] == 0
    assert types["car"]["green_travel"] is False
