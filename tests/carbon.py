"""Helpers for carbon-account tests: a private action type with a round factor."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from models import ActionType, EmissionFactor, Family

_n = itertools.count(1)
EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def make_type(
    session: Session,
    *,
    grams: str = "100",
    family: Family = Family.TRAVEL,
    unit: str = "km",
    min_q: str = "0.5",
    max_q: str = "50",
    cap_self: int = 1000,
    cap_evidenced: int = 3000,
    needs_evidence: bool = False,
    green_travel: bool | None = True,
) -> ActionType:
    n = next(_n)
    code = f"test_type_{n}"
    factor = EmissionFactor(
        code=f"TEST_FACTOR_{n}",
        version=1,
        grams_per_unit=Decimal(grams),
        unit=unit,
        baseline_zh="基准",
        baseline_en="baseline",
        formula="q × g",
        source="test source",
        year=2026,
        confidence="V",
        valid_from=EPOCH,
    )
    action_type = ActionType(
        code=code,
        family=family,
        name_zh=f"测试{n}",
        name_en=f"Test {n}",
        unit=unit,
        unit_zh=unit,
        unit_en=unit,
        factor_code=factor.code,
        min_quantity=Decimal(min_q),
        max_quantity=Decimal(max_q),
        step=Decimal("0.1"),
        daily_cap_self=cap_self,
        daily_cap_evidenced=cap_evidenced,
        needs_evidence=needs_evidence,
        green_travel=green_travel if family == Family.TRAVEL else None,
        sort=900 + n,
    )
    session.add_all([factor, action_type])
    session.commit()
    return action_type
