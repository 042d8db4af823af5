"""Issuance budgets. The city's: one per city month, never in the past; issuance is the month's earn
and bonus entries. A campaign's (optional): one per campaign over its whole run; issuance is what the
campaign adds, its multiplier boosts and challenge bonuses, folded into `stat_campaigns` by the
projector. Both forecast the end of their period at the linear pace per elapsed city day with an
interval from the day-to-day variance (docs/budget.md); each alert (80%, 100%, forecast over) is
posted once per admin and period; a `damp` budget over its forecast is damped once.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics as stats
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Action,
    ActionStatus,
    BudgetPolicy,
    Campaign,
    CampaignBudget,
    CampaignIssuance,
    CampaignStatus,
    Challenge,
    CreditBudget,
    EntryKind,
    LedgerEntry,
    Notice,
    NoticeKind,
    Role,
    StatLedger,
    User,
)

from ..errors import Invalid, NotFound
from ..messages import N_
from ..routing import ROW_ID_MAX
from . import projector
from .accounts import audit
from .actions import BACKDATING
from .city import city_zone
from .settlement import current_month, month
from .statistics.sql import upsert

ISSUED_KINDS = (EntryKind.EARN, EntryKind.BONUS)
MAX_CREDITS = 2_000_000_000  # the column is a PostgreSQL integer
Z95 = 1.96
LEVELS = ("80", "100", "forecast")
EVERY_DAY = dt.date(1970, 1, 1)  # a rebuild's `since` that takes every row


def _check_credits(credits: int) -> None:
    if credits <= 0:
        raise Invalid.field("credits", N_("The budget must be a positive number of credits."))
    if credits > MAX_CREDITS:
        raise Invalid.field("credits", N_("A budget is at most 2,000,000,000 credits."))


def set_budget(
    session: Session, actor: User, raw_month: str, credits: int, policy: BudgetPolicy, now: dt.datetime
) -> CreditBudget:
    """Create the month's budget: not a past month, positive, and no second budget for the same month."""
    key = month(session, raw_month).label
    if key < current_month(session, now):
        raise Invalid.field("month", N_("A budget cannot start in a past month."))
    _check_credits(credits)
    taken = N_("This month already has a budget.")
    if session.scalar(select(CreditBudget.id).where(CreditBudget.month == key)) is not None:
        raise Invalid.field("month", taken)
    budget = CreditBudget(month=key, credits=credits, policy=policy, actor_id=actor.id)
    _add_once(session, budget, "month", taken)
    audit(session, actor, "budget.set", budget, after={"month": key, "credits": credits, "policy": str(policy)})
    return budget


def set_campaign_budget(
    session: Session, actor: User, campaign_id: int, credits: int, policy: BudgetPolicy, now: dt.datetime
) -> CampaignBudget:
    """Create a campaign's budget: a campaign that has not ended nor been cancelled, positive, and no
    second budget for the same campaign."""
    campaign = _open_campaign(session, campaign_id, now)
    _check_credits(credits)
    taken = N_("This campaign already has a budget.")
    if session.scalar(select(CampaignBudget.id).where(CampaignBudget.campaign_id == campaign.id)) is not None:
        raise Invalid.field("campaign_id", taken)
    budget = CampaignBudget(campaign_id=campaign.id, credits=credits, policy=policy, actor_id=actor.id)
    _add_once(session, budget, "campaign_id", taken)
    audit(
        session,
        actor,
        "budget.set",
        budget,
        after={"campaign_id": campaign.id, "credits": credits, "policy": str(policy)},
    )
    return budget


def _add_once(session: Session, budget: CreditBudget | CampaignBudget, field: str, taken: str) -> None:
    try:
        with session.begin_nested():  # a concurrent admin may have set it since the check
            session.add(budget)
    except IntegrityError:
        raise Invalid.field(field, taken) from None


def _open_campaign(session: Session, campaign_id: int, now: dt.datetime) -> Campaign:
    campaign = session.get(Campaign, campaign_id) if 0 < campaign_id <= ROW_ID_MAX else None
    if campaign is None:
        raise NotFound(N_("No such campaign."))
    if campaign.status == CampaignStatus.CANCELLED or campaign.effective_end <= now:
        raise Invalid.field("campaign_id", N_("This campaign has ended: its budget can no longer change."))
    return campaign


def _budget(session: Session, model: type, budget_id: int) -> CreditBudget | CampaignBudget:
    # Lock the budget's row only: a campaign budget eager-joins its campaign (an outer join), and
    # PostgreSQL refuses FOR UPDATE on the nullable side of one.
    budget = session.get(model, budget_id, with_for_update={"of": model})
    if budget is None:
        raise NotFound(N_("No such budget."))
    return budget


def _check_open(session: Session, budget: CreditBudget | CampaignBudget, now: dt.datetime) -> None:
    """Budgets of past months and ended campaigns are the record: they no longer change."""
    if isinstance(budget, CampaignBudget):
        _open_campaign(session, budget.campaign_id, now)
    elif budget.month < current_month(session, now):
        raise Invalid.field("month", N_("A past month's budget is kept as the record: it can no longer change."))


def change_budget(
    session: Session, actor: User, model: type, budget_id: int, credits: int, policy: BudgetPolicy, now: dt.datetime
) -> CreditBudget | CampaignBudget:
    """New credits or policy for a budget still running or to come. It lifts a damping: the next sweep
    (every 5 minutes) damps again if the forecast still exceeds the new figure."""
    budget = _budget(session, model, budget_id)
    _check_open(session, budget, now)
    _check_credits(credits)
    before = {"credits": budget.credits, "policy": str(budget.policy), "damped_at": budget.damped_at}
    budget.credits, budget.policy, budget.damped_at = credits, policy, None
    session.flush()
    audit(session, actor, "budget.changed", budget, before=before, after={"credits": credits, "policy": str(policy)})
    return budget


def delete_budget(session: Session, actor: User, model: type, budget_id: int, now: dt.datetime) -> None:
    """Remove a budget still running or to come (its campaigns go back to their multipliers)."""
    budget = _budget(session, model, budget_id)
    _check_open(session, budget, now)
    audit(
        session,
        actor,
        "budget.deleted",
        budget,
        before={"credits": budget.credits, "policy": str(budget.policy), **_period(budget)},
    )
    session.delete(budget)
    session.flush()


def _period(budget: CreditBudget | CampaignBudget) -> dict:
    return {"campaign_id": budget.campaign_id} if isinstance(budget, CampaignBudget) else {"month": budget.month}


def budgets(session: Session) -> list[CreditBudget]:
    return list(session.scalars(select(CreditBudget).order_by(CreditBudget.month.desc())))


def budget_for(session: Session, now: dt.datetime) -> CreditBudget | None:
    key = current_month(session, now)
    return session.scalar(select(CreditBudget).where(CreditBudget.month == key))


@dataclass(frozen=True)
class Pace:
    """A budget's period so far: issued against the budget, and the forecast of the period's end."""

    issued: int
    share: float  # issued / budget
    days_elapsed: float
    days_total: float
    forecast: int
    forecast_low: int
    forecast_high: int
    over_forecast: bool
    reached: tuple[str, ...]  # the alert levels reached: "80", "100", "forecast"


def pace(
    session: Session,
    credits: int,
    days: dict[dt.date, int],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> Pace:
    """Issuance per city day (`days`) over the period [start, end) as of `now`, against `credits`."""
    zone = city_zone(session)
    issued = sum(days.values())
    total = (end - start).total_seconds() / 86400
    elapsed = min(total, max(0.0, (min(now, end) - start).total_seconds() / 86400))
    first, today = start.astimezone(zone).date(), now.astimezone(zone).date()
    complete = [days.get(first + dt.timedelta(d), 0) for d in range(int(elapsed)) if first + dt.timedelta(d) < today]
    point, low, high = forecast(issued, complete, elapsed, total)
    share = issued / credits
    over = point > credits
    reached = tuple(level for level, hit in zip(LEVELS, (share >= 0.8, share >= 1.0, over), strict=True) if hit)
    return Pace(issued, share, elapsed, total, point, low, high, over, reached)


class _PaceFigures:
    """The pace's figures read as the holder's own (the API's fields and the templates read them so)."""

    pace: Pace

    def __getattr__(self, name: str):
        if name == "pace":
            raise AttributeError(name)
        return getattr(self.pace, name)


@dataclass(frozen=True)
class Status(_PaceFigures):
    """The city's budget for the current month."""

    id: int
    month: str
    budget: int
    policy: BudgetPolicy
    pace: Pace
    damped_at: dt.datetime | None = None

    @property
    def days_in_month(self) -> int:
        return round(self.pace.days_total)


def daily_issuance(session: Session, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """Credits issued (earn and bonus entries) per city day from `first` to `last`, read from the daily
    ledger roll-up: a few hundred rows a month however many entries (it trails the ledger by the
    projector's lag, seconds)."""
    t = StatLedger
    rows = session.execute(
        select(t.start, func.sum(t.amount))
        .where(
            t.kind == "d",
            t.entry_kind.in_([str(kind) for kind in ISSUED_KINDS]),
            t.start >= first,
            t.start <= last,
        )
        .group_by(t.start)
    )
    return {day: int(amount or 0) for day, amount in rows}


def forecast(issued: int, daily: list[int], elapsed: float, total: float) -> tuple[int, int, int]:
    """Period-end issuance at the pace so far, with a 95% interval (see docs/budget.md)."""
    remaining = max(0.0, total - elapsed)
    if elapsed <= 0:
        return issued, issued, issued
    point = issued + issued / elapsed * remaining
    spread = stats.stdev(daily) if len(daily) >= 2 else 0.0
    # Remaining days vary day to day (remaining * s^2) and the pace itself is estimated (remaining^2 s^2 / n).
    n = max(len(daily), 1)
    half = Z95 * spread * math.sqrt(remaining + remaining * remaining / n)
    return round(point), max(issued, round(point - half)), round(point + half)


def status(session: Session, now: dt.datetime) -> Status | None:
    """The current month's budget against issuance so far and the forecast, or None without a budget."""
    budget = budget_for(session, now)
    if budget is None:
        return None
    zone = city_zone(session)
    window = month(session, budget.month)
    start, end = window.starts_at, window.ends_at
    last = (min(now, end) - dt.timedelta(microseconds=1)).astimezone(zone).date()
    days = daily_issuance(session, start.astimezone(zone).date(), last)
    return Status(
        budget.id,
        budget.month,
        budget.credits,
        budget.policy,
        pace(session, budget.credits, days, start, end, now),
        budget.damped_at,
    )


@dataclass(frozen=True)
class CampaignSpend(_PaceFigures):
    """A campaign's budget against what the campaign has added so far (boosts and bonuses)."""

    id: int  # the budget's
    campaign: Campaign
    budget: int
    policy: BudgetPolicy
    boost: int
    bonus: int
    pace: Pace
    damped_at: dt.datetime | None = None

    @property
    def campaign_id(self) -> int:
        return self.campaign.id


def campaign_issuance(session: Session, campaign_id: int) -> dict[dt.date, tuple[int, int]]:
    """(boost, bonus) per city day the campaign added, from the roll-up."""
    t = CampaignIssuance
    rows = session.execute(select(t.day, t.boost, t.bonus).where(t.campaign_id == campaign_id))
    return {day: (int(boost), int(bonus)) for day, boost, bonus in rows}


def campaign_spend(session: Session, budget: CampaignBudget, now: dt.datetime) -> CampaignSpend:
    campaign = budget.campaign
    per_day = campaign_issuance(session, campaign.id)
    days = {day: boost + bonus for day, (boost, bonus) in per_day.items()}
    return CampaignSpend(
        budget.id,
        campaign,
        budget.credits,
        budget.policy,
        sum(b for b, _ in per_day.values()),
        sum(n for _, n in per_day.values()),
        pace(session, budget.credits, days, campaign.starts_at, campaign.effective_end, now),
        budget.damped_at,
    )


def campaign_budgets(session: Session) -> list[CampaignBudget]:
    """Every campaign budget, the latest campaign first."""
    return list(
        session.scalars(
            select(CampaignBudget)
            .join(Campaign, Campaign.id == CampaignBudget.campaign_id)
            .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
        )
    )


def campaign_spends(session: Session, now: dt.datetime) -> list[CampaignSpend]:
    return [campaign_spend(session, budget, now) for budget in campaign_budgets(session)]


def budgetable_campaigns(session: Session, now: dt.datetime) -> list[Campaign]:
    """Campaigns a budget can be set for: not ended, not cancelled, and without one yet."""
    return list(
        session.scalars(
            select(Campaign)
            .where(
                Campaign.status.in_([CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE]),
                Campaign.ends_at > now,
                ~Campaign.id.in_(select(CampaignBudget.campaign_id)),
            )
            .order_by(Campaign.starts_at, Campaign.id)
        )
    )


def _damp(session: Session, model: type, budget_id: int, policy: BudgetPolicy, current: Pace, now: dt.datetime) -> None:
    """A `damp` budget whose forecast exceeds it is damped once (guarded UPDATE), audited."""
    if policy != BudgetPolicy.DAMP or not current.over_forecast:
        return
    moved = session.execute(
        update(model).where(model.id == budget_id, model.damped_at.is_(None)).values(damped_at=now)
    ).rowcount
    if moved:
        budget = session.get(model, budget_id, populate_existing=True)
        audit(session, None, "budget.damp", budget, forecast=current.forecast, budget=budget.credits)


def damped(session: Session, moment: dt.datetime) -> bool:
    """Whether campaign multipliers are at x1 for an action at `moment` (its month's budget is damped)."""
    key = current_month(session, moment)
    return (
        session.scalar(
            select(CreditBudget.id).where(
                CreditBudget.month == key, CreditBudget.damped_at.is_not(None), CreditBudget.damped_at <= moment
            )
        )
        is not None
    )


def damped_since(session: Session, now: dt.datetime) -> dt.datetime | None:
    """When this month's campaigns went to x1, or None (what the campaign page tells residents)."""
    budget = budget_for(session, now)
    return budget.damped_at if budget is not None and budget.damped_at and budget.damped_at <= now else None


def damped_campaigns(session: Session, now: dt.datetime) -> dict[int, dt.datetime]:
    """Campaign id -> when its own budget damped its multipliers (the campaign page shows it)."""
    rows = session.execute(
        select(CampaignBudget.campaign_id, CampaignBudget.damped_at).where(CampaignBudget.damped_at <= now)
    )
    return dict(rows.all())


def _alerting_campaigns(session: Session, now: dt.datetime) -> list[CampaignBudget]:
    """Campaign budgets whose campaign has started and can still add credits: running, or ended within
    the back-dating window (a trip synced late still gets the multiplier)."""
    return list(
        session.scalars(
            select(CampaignBudget)
            .join(Campaign, Campaign.id == CampaignBudget.campaign_id)
            .where(Campaign.starts_at <= now, Campaign.ends_at > now - BACKDATING - dt.timedelta(days=1))
            .order_by(CampaignBudget.id)
        )
    )


def alert_due(session: Session, now: dt.datetime) -> int:
    """Post each reached alert level once per admin and period (the unique (user, kind, ref) decides)
    for the city's month and each campaign with a budget; damp `damp` budgets over their forecast."""
    admins = list(session.scalars(select(User.id).where(User.role == Role.ADMIN, User.deleted_at.is_(None))))
    written = 0
    current = status(session, now)
    if current is not None and current.reached:
        _damp(session, CreditBudget, current.id, current.policy, current.pace, now)
        data = {
            "month": current.month,
            "issued": current.issued,
            "budget": current.budget,
            "forecast": current.forecast,
        }
        written += _post(session, admins, current.month, current.reached, data)
    for budget in _alerting_campaigns(session, now):
        spend = campaign_spend(session, budget, now)
        if not spend.reached:
            continue
        _damp(session, CampaignBudget, budget.id, budget.policy, spend.pace, now)
        campaign = spend.campaign
        data = {
            "campaign_id": campaign.id,
            "campaign_zh": campaign.name_zh,
            "campaign_en": campaign.name_en,
            "issued": spend.issued,
            "budget": spend.budget,
            "forecast": spend.forecast,
        }
        written += _post(session, admins, f"c{campaign.id}", spend.reached, data)
    return written


def _post(session: Session, admins: list[int], period: str, levels: tuple[str, ...], data: dict) -> int:
    written = 0
    for level in levels:
        ref = f"{period}:{level}"
        have = set(
            session.scalars(select(Notice.user_id).where(Notice.kind == NoticeKind.BUDGET_ALERT, Notice.ref == ref))
        )
        for user_id in admins:
            if user_id in have:
                continue
            try:
                with session.begin_nested():
                    session.add(
                        Notice(kind=NoticeKind.BUDGET_ALERT, user_id=user_id, ref=ref, data={"level": level, **data})
                    )
                written += 1
            except IntegrityError:  # a concurrent run wrote it first
                pass
    return written


class _Issuance:
    """stat_campaigns rows being summed: (campaign, city day) -> actions, boost, bonus."""

    def __init__(self) -> None:
        self.sums: dict[tuple[int, dt.date], list[int]] = {}

    def boost(self, campaign_ids, day: dt.date, credits: int) -> None:
        for campaign_id in campaign_ids or ():
            row = self.sums.setdefault((campaign_id, day), [0, 0, 0])
            row[0] += 1
            row[1] += credits

    def bonus(self, campaign_id: int, day: dt.date, credits: int) -> None:
        self.sums.setdefault((campaign_id, day), [0, 0, 0])[2] += credits

    def rows(self) -> list[dict]:
        """The rows in key order, rows of zeros left out."""
        return [
            {"campaign_id": c, "day": d, "actions": a, "boost": b, "bonus": n}
            for (c, d), (a, b, n) in sorted(self.sums.items())
            if a or b or n
        ]


def fold_campaigns(session: Session, batch: projector.Batch) -> None:
    """projector.ON_BATCH: what each campaign added, per city day: the boost of credited actions that
    name it (credits above CO2e: a multiplier of 1 or a cap that bit add nothing) and its challenges'
    bonus entries. One read of the bonuses' challenges, one upsert."""
    issuance = _Issuance()
    for action in batch.actions:
        if action.status == ActionStatus.CREDITED and action.credits > action.co2e_grams:
            issuance.boost(action.campaign_ids, action.local_day, action.credits - action.co2e_grams)
    bonuses = [e for e in batch.entries if e.kind == EntryKind.BONUS and e.cause_type == "challenge"]
    if bonuses:
        zone = city_zone(session)
        owner = dict(
            session.execute(
                select(Challenge.id, Challenge.campaign_id).where(Challenge.id.in_({e.cause_id for e in bonuses}))
            ).all()
        )
        for entry in bonuses:
            if entry.cause_id in owner:
                issuance.bonus(owner[entry.cause_id], entry.created_at.astimezone(zone).date(), entry.amount)
    upsert(
        session, CampaignIssuance.__table__, issuance.rows(), ("campaign_id", "day"), add=("actions", "boost", "bonus")
    )


def _rebuilt(session: Session, first: dt.date) -> _Issuance:
    """`stat_campaigns` from city day `first` on, recomputed from the raw actions and ledger entries."""
    issuance = _Issuance()
    boosted = session.execute(
        select(Action.campaign_ids, Action.local_day, Action.credits - Action.co2e_grams).where(
            Action.status == ActionStatus.CREDITED, Action.credits > Action.co2e_grams, Action.local_day >= first
        )
    )
    for ids, day, boost in boosted:
        issuance.boost(ids, day, boost)
    zone = city_zone(session)
    bonuses = session.execute(
        select(Challenge.campaign_id, LedgerEntry.created_at, LedgerEntry.amount)
        .join(Challenge, Challenge.id == LedgerEntry.cause_id)
        .where(
            LedgerEntry.kind == EntryKind.BONUS,
            LedgerEntry.cause_type == "challenge",
            LedgerEntry.created_at >= dt.datetime.combine(first, dt.time(), zone),  # city midnight of `first`
        )
    )
    for campaign_id, created_at, amount in bonuses:
        issuance.bonus(campaign_id, created_at.astimezone(zone).date(), amount)
    return issuance


def rebuild_issuance(session: Session, since: dt.date | None = None) -> None:
    """Make `stat_campaigns` equal to the raw rows again from `since` on (part of the roll-up rebuild)."""
    first = since or EVERY_DAY
    session.execute(delete(CampaignIssuance).where(CampaignIssuance.day >= first))
    rows = _rebuilt(session, first).rows()
    if rows:
        session.execute(insert(CampaignIssuance), rows)


def issuance_differences(session: Session) -> list[str]:
    """Rows where the folded `stat_campaigns` and a rebuild from the raw rows differ."""
    t = CampaignIssuance
    folded = {
        tuple(r)
        for r in session.execute(select(t.campaign_id, t.day, t.actions, t.boost, t.bonus))
        if r.actions or r.boost or r.bonus
    }
    rebuilt = {tuple(row.values()) for row in _rebuilt(session, EVERY_DAY).rows()}
    return [f"stat_campaigns: folded {row}, not in the rebuild" for row in sorted(folded - rebuilt)] + [
        f"stat_campaigns: rebuilt {row}, not folded" for row in sorted(rebuilt - folded)
    ]
