"""Scoring (API.md): CO2e from the factor in force, credits from CO2e × multiplier, cut by the cap.

CO2e is never multiplied; 1 base credit = 1 g CO2e avoided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from models import ActionType, User


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def co2e_grams(quantity: Decimal, grams_per_unit: Decimal) -> int:
    return round_half_up(quantity * grams_per_unit)


@dataclass(frozen=True)
class Boost:
    """What campaigns add to an action: a multiplier and the campaigns that gave it."""

    multiplier: Decimal = Decimal(1)
    campaign_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Score:
    co2e_grams: int
    credits: int
    capped: bool
    multiplier: Decimal
    campaign_ids: list[int]


def score(co2e: int, boost: Boost, cap_left: int) -> Score:
    wanted = round_half_up(Decimal(co2e) * boost.multiplier)
    credits = max(0, min(wanted, cap_left))
    return Score(co2e, credits, credits < wanted, boost.multiplier, list(boost.campaign_ids))


BoostRule = Callable[[Session, User, ActionType, dt.datetime], Boost]


def no_boost(session: Session, user: User, action_type: ActionType, occurred_at: dt.datetime) -> Boost:
    return Boost()


# Campaigns replace this hook with their rule (by the action's occurred_at).
BOOST_RULES: list[BoostRule] = [no_boost]


def boost_for(session: Session, user: User, action_type: ActionType, occurred_at: dt.datetime) -> Boost:
    """The highest multiplier any rule gives (the documented overlap rule)."""
    boosts = [rule(session, user, action_type, occurred_at) for rule in BOOST_RULES]
    return max(boosts, key=lambda b: b.multiplier, default=Boost())
