"""What a campaign must satisfy, all at once (422 naming each bad field), and how it is written.

Multipliers are > 0 and at most 10 (3 decimals); a challenge is 1-1000 actions of a known type for a
bonus, a badge of the catalogue (services.badges), or both; the end is after the start, in the future,
at most a year later; a new start is not in the past.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ActionType, Campaign, CampaignMultiplier, Challenge, District

from ..errors import Invalid
from ..messages import N_
from . import badges

START_TOLERANCE = dt.timedelta(minutes=5)
LONGEST = dt.timedelta(days=366)
MAX_MULTIPLIER = Decimal(10)
MAX_CHALLENGES = 20


@dataclass(frozen=True)
class ChallengeInput:
    type: str
    count: int
    bonus_credits: int = 0
    badge: str | None = None


@dataclass
class CampaignInput:
    """`name`/`description` are in the city's language (Chinese); the English ones default to them."""

    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    name_en: str | None = None
    description: str = ""
    description_en: str | None = None
    districts: list[str] | None = None
    multipliers: dict[str, Any] = field(default_factory=dict)
    challenges: list[ChallengeInput] = field(default_factory=list)


def factor_value(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or not 0 < value <= MAX_MULTIPLIER or value != value.quantize(Decimal("0.001")):
        return None
    return value


def _types(session: Session, codes: set[str]) -> dict[str, ActionType]:
    rows = session.scalars(select(ActionType).where(ActionType.code.in_(codes)))
    return {t.code: t for t in rows}


def check(session: Session, data: CampaignInput, now: dt.datetime, *, new_start: bool) -> dict[str, Any]:
    """Every rule at once; Invalid (422) lists each bad field. Returns the resolved rows."""
    errors: dict[str, Any] = {}
    name, name_en = " ".join(data.name.split()), " ".join((data.name_en or data.name).split())
    if not 1 <= len(name) <= 120:
        errors["name"] = [N_("A name has 1 to 120 characters.")]
    if not 1 <= len(name_en) <= 120:
        errors["name_en"] = [N_("A name has 1 to 120 characters.")]
    for key in ("description", "description_en"):
        if len(getattr(data, key) or "") > 4000:
            errors[key] = [N_("A description has at most 4000 characters.")]
    starts_at, ends_at = data.starts_at, data.ends_at
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid.field("starts_at", N_("Give the time with its UTC offset."))
    if ends_at <= starts_at:
        errors["ends_at"] = [N_("The end must be after the start.")]
    elif ends_at - starts_at > LONGEST:
        errors["ends_at"] = [N_("A campaign lasts at most a year.")]
    elif ends_at <= now:
        errors["ends_at"] = [N_("The end must be in the future.")]
    if new_start and starts_at < now - START_TOLERANCE:
        errors["starts_at"] = [N_("The start must not be in the past.")]
    codes = set(data.districts or [])
    districts = list(session.scalars(select(District).where(District.code.in_(codes)).order_by(District.code)))
    if len(districts) != len(codes):
        errors["districts"] = [N_("Unknown district.")]
    wanted = set(data.multipliers) | {c.type for c in data.challenges}
    types = _types(session, wanted)
    bad_multipliers: dict[str, list[str]] = {}
    factors: dict[str, Decimal] = {}
    for code, raw in data.multipliers.items():
        value = factor_value(raw)
        if code not in types:
            bad_multipliers[code] = [N_("Unknown action type.")]
        elif value is None:
            bad_multipliers[code] = [N_("A multiplier is greater than 0 and at most 10, with up to 3 decimals.")]
        else:
            factors[code] = value
    if bad_multipliers:
        errors["multipliers"] = bad_multipliers
    bad_challenges: dict[str, dict[str, list[str]]] = {}
    known_badges = set(badges.badge_codes()) if data.challenges else set()
    if len(data.challenges) > MAX_CHALLENGES:
        errors["challenges"] = [N_("At most 20 challenges.")]
    for i, ch in enumerate(data.challenges):
        problems: dict[str, list[str]] = {}
        if ch.type not in types:
            problems["type"] = [N_("Unknown action type.")]
        if not 1 <= ch.count <= 1000:
            problems["count"] = [N_("Between 1 and 1000 actions.")]
        if not 0 <= ch.bonus_credits <= 1_000_000:
            problems["bonus_credits"] = [N_("Between 0 and 1000000 credits.")]
        if ch.badge is not None and ch.badge not in known_badges:
            problems["badge"] = [N_("Unknown badge.")]
        if not ch.bonus_credits and not ch.badge:
            problems["bonus_credits"] = [N_("Give a bonus, a badge or both.")]
        if problems:
            bad_challenges[str(i)] = problems
    if bad_challenges:
        errors.setdefault("challenges", bad_challenges)
    if errors:
        raise Invalid(N_("Some fields are not valid."), errors)
    return {
        "name_zh": name,
        "name_en": name_en,
        "description_zh": (data.description or "").strip(),
        "description_en": (data.description_en if data.description_en is not None else data.description or "").strip(),
        "starts_at": starts_at.astimezone(dt.UTC),
        "ends_at": ends_at.astimezone(dt.UTC),
        "districts": districts,
        "factors": {types[c]: f for c, f in factors.items()},
        "challenges": [(types[c.type], c) for c in data.challenges],
    }


def apply(campaign: Campaign, resolved: dict[str, Any], *, structure: bool) -> None:
    for key in ("name_zh", "name_en", "description_zh", "description_en", "ends_at"):
        setattr(campaign, key, resolved[key])
    if not structure:
        return
    campaign.starts_at = resolved["starts_at"]
    campaign.districts = resolved["districts"]
    current = {m.action_type_id: m for m in campaign.multipliers}
    factors = {t.id: f for t, f in resolved["factors"].items()}
    campaign.multipliers = [m for m in campaign.multipliers if m.action_type_id in factors]
    for type_id, factor in factors.items():
        if type_id in current:
            current[type_id].factor = factor
        else:
            campaign.multipliers.append(CampaignMultiplier(action_type_id=type_id, factor=factor))
    campaign.challenges = [
        Challenge(action_type_id=t.id, count=c.count, bonus_credits=c.bonus_credits, badge_code=c.badge)
        for t, c in resolved["challenges"]
    ]
