"""The yearly campaign calendar: templates from seeds/campaign_calendar.json, instantiated for a year
in one step with adjustable dates. One instance per (template, year): running it again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import ActionType, Campaign, CampaignStatus, User, utcnow
from seeds import SEEDS_DIR

from ..errors import Invalid
from ..messages import N_
from . import campaigns
from .city import city_zone

CALENDAR_FILE = SEEDS_DIR / "campaign_calendar.json"
FIRST_YEAR, LAST_YEAR = 2020, 2100
MAX_DAYS = 60


@dataclass(frozen=True)
class Template:
    code: str
    name: dict[str, str]
    description: dict[str, str]
    note: dict[str, str]
    date: dict[str, Any]
    days: int
    multipliers: dict[str, str] = field(default_factory=dict)
    challenges: list[dict[str, Any]] = field(default_factory=list)


@functools.cache
def templates(path: Path = CALENDAR_FILE) -> tuple[Template, ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return tuple(Template(**t) for t in raw["templates"])


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def default_start(template: Template, year: int, chosen: dict[str, dt.date]) -> dt.date:
    """The usual first day; `within` follows the (possibly adjusted) start of another template."""
    rule = template.date
    if rule["rule"] == "fixed":
        return dt.date(year, rule["month"], rule["day"])
    if rule["rule"] == "nth_weekday":
        return _nth_weekday(year, rule["month"], rule["weekday"], rule["n"])
    if rule["rule"] == "within":
        return chosen[rule["template"]] + dt.timedelta(days=rule["offset_days"])
    raise ValueError(f"unknown date rule {rule['rule']!r} in the campaign calendar")


@dataclass(frozen=True)
class Proposal:
    template: Template
    starts_on: dt.date
    days: int
    existing: Campaign | None

    @property
    def last_day(self) -> dt.date:
        return self.starts_on + dt.timedelta(days=self.days - 1)


@dataclass(frozen=True)
class Override:
    starts_on: dt.date | None = None
    days: int | None = None


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid.field("year", N_("Choose a year between 2020 and 2100."))


def propose(session: Session, year: int, overrides: dict[str, Override] | None = None) -> list[Proposal]:
    """Every template for the year, with its default (or adjusted) dates and the instance if it exists."""
    _check_year(year)
    overrides = overrides or {}
    unknown = set(overrides) - {t.code for t in templates()}
    if unknown:
        raise Invalid(
            N_("Some fields are not valid."),
            {"items": {c: [N_("Unknown calendar template.")] for c in sorted(unknown)}},
        )
    existing = {c.template_code: c for c in session.scalars(select(Campaign).where(Campaign.year == year))}
    chosen: dict[str, dt.date] = {}
    proposals = []
    for template in templates():
        wish = overrides.get(template.code, Override())
        start = wish.starts_on or default_start(template, year, chosen)
        days = wish.days or template.days
        if not 1 <= days <= MAX_DAYS:
            raise Invalid(N_("Some fields are not valid."), {"items": {template.code: [N_("Between 1 and 60 days.")]}})
        chosen[template.code] = start
        proposals.append(Proposal(template, start, days, existing.get(template.code)))
    return proposals


@dataclass(frozen=True)
class Skipped:
    code: str
    reason: str


def instantiate(
    session: Session,
    actor: User | None,
    year: int,
    overrides: dict[str, Override] | None = None,
    *,
    only: set[str] | None = None,
    status: CampaignStatus = CampaignStatus.SCHEDULED,
    now: dt.datetime | None = None,
) -> tuple[list[Campaign], list[Skipped]]:
    """Create the year's campaigns (all templates, or `only` these); existing or past ones are skipped."""
    campaigns.require_publicity(actor)
    now = now or utcnow()
    zone = city_zone(session)
    known = set(session.scalars(select(ActionType.code)))
    created, skipped = [], []
    for proposal in propose(session, year, overrides):
        template = proposal.template
        if only is not None and template.code not in only:
            continue
        if proposal.existing is not None:
            skipped.append(Skipped(template.code, N_("Already on the calendar.")))
            continue
        starts_at = dt.datetime.combine(proposal.starts_on, dt.time(), tzinfo=zone)
        ends_at = dt.datetime.combine(proposal.starts_on + dt.timedelta(days=proposal.days), dt.time(), tzinfo=zone)
        if starts_at < now - campaigns.START_TOLERANCE:
            skipped.append(Skipped(template.code, N_("These dates have passed.")))
            continue
        data = campaigns.CampaignInput(
            name=template.name["zh_CN"],
            name_en=template.name["en"],
            description=template.description["zh_CN"],
            description_en=template.description["en"],
            starts_at=starts_at,
            ends_at=ends_at,
            multipliers={c: f for c, f in template.multipliers.items() if c in known},
            challenges=[campaigns.ChallengeInput(**c) for c in template.challenges if c["type"] in known],
        )
        try:
            with session.begin_nested():
                campaign = campaigns.create(
                    session, actor, data, now=now, status=status, template=template.code, year=year
                )
        except IntegrityError:
            skipped.append(Skipped(template.code, N_("Already on the calendar.")))
            continue
        except Invalid as error:
            skipped.append(Skipped(template.code, error.message))
            continue
        created.append(campaign)
    return created, skipped
