"""What campaigns do to credits: the multiplier rule and challenge bonuses.

Both go by the action's `occurred_at` inside the campaign's window (cut at `cancelled_at`), never by
`status`: a trip synced the next day still counts, and a late scheduler changes nobody's credits.
Overlap rule: the highest multiplier wins (multipliers never stack). CO2e is never multiplied.
A bonus is booked once per resident and challenge: a unique completion row, then a ledger entry
whose unique cause is ("challenge", id), so parallel actions or a parallel sweep cannot pay twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from models import (
    Action,
    ActionStatus,
    ActionType,
    Campaign,
    CampaignBudget,
    CampaignMultiplier,
    CampaignStatus,
    Challenge,
    ChallengeCompletion,
    EntryKind,
    Notice,
    NoticeKind,
    User,
    campaign_districts,
    utcnow,
)

from ..db import among
from . import badges, budgets, ledger, projector, scoring
from .actions import BACKDATING

log = logging.getLogger(__name__)

# Statuses whose window counts. Drafts never count; a cancelled campaign counts until `cancelled_at`.
COUNTING = (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.ENDED, CampaignStatus.CANCELLED)


def covers_moment(at: dt.datetime | ColumnElement) -> ColumnElement[bool]:
    """The campaign's effective window contains `at` (a value or a column)."""
    return and_(
        Campaign.status.in_(COUNTING),
        Campaign.starts_at <= at,
        Campaign.ends_at > at,
        or_(Campaign.cancelled_at.is_(None), Campaign.cancelled_at > at),
    )


def covers_district(district_id: int | ColumnElement | None) -> ColumnElement[bool]:
    """No district rows means every district."""
    listed = campaign_districts.c.campaign_id == Campaign.id
    return or_(
        ~exists().where(listed),
        exists().where(listed, campaign_districts.c.district_id == district_id),
    )


def campaign_boost(session: Session, user: User, action_type: ActionType, occurred_at: dt.datetime) -> scoring.Boost:
    """The highest multiplier among campaigns covering the moment, type and district; ties name them all.
    At x1 once the month's `damp` budget is damped; a campaign damped by its own budget is left out, so
    the next highest applies (docs/budget.md)."""
    rows = session.execute(
        _boost_statement(), {"type_id": action_type.id, "at": occurred_at, "district_id": user.district_id}
    ).all()
    if not rows:
        return scoring.Boost()
    if budgets.damped(session, occurred_at):
        return scoring.Boost()
    best = rows[0].factor
    return scoring.Boost(multiplier=best, campaign_ids=[r.id for r in rows if r.factor == best])


@functools.cache
def _boost_statement() -> Select:
    """Built once: scoring runs it for every action."""
    return (
        select(Campaign.id, CampaignMultiplier.factor)
        .join(CampaignMultiplier, CampaignMultiplier.campaign_id == Campaign.id)
        .outerjoin(CampaignBudget, CampaignBudget.campaign_id == Campaign.id)
        .where(
            CampaignMultiplier.action_type_id == bindparam("type_id"),
            covers_moment(bindparam("at")),
            covers_district(bindparam("district_id")),
            or_(CampaignBudget.damped_at.is_(None), CampaignBudget.damped_at > bindparam("at")),
        )
        .order_by(CampaignMultiplier.factor.desc(), Campaign.id)
    )


def credited_count(session: Session, challenge: Challenge, user_id: int) -> int:
    campaign = session.get(Campaign, challenge.campaign_id)
    return session.scalar(
        select(func.count())
        .select_from(Action)
        .where(
            Action.user_id == user_id,
            Action.action_type_id == challenge.action_type_id,
            Action.status == ActionStatus.CREDITED,
            Action.occurred_at >= campaign.starts_at,
            Action.occurred_at < campaign.effective_end,
        )
    )


def award(session: Session, challenge: Challenge, user: User, now: dt.datetime | None = None) -> bool:
    """Book the bonus and badge once; False when this resident already has them.

    The caller holds the resident's account lock (ledger.lock_account), so the completion insert,
    the ledger entry and the personal notice form one unit.
    """
    now = now or utcnow()
    completion = ChallengeCompletion(
        challenge_id=challenge.id,
        user_id=user.id,
        bonus_credits=challenge.bonus_credits,
        badge_code=challenge.badge_code,
        completed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(completion)
    except IntegrityError:
        return False  # the other path (hook or sweep, another worker) got there first
    if challenge.bonus_credits:
        account = ledger.account_for(session, user)
        ledger.credit(
            session,
            account,
            EntryKind.BONUS,
            challenge.bonus_credits,
            ("challenge", challenge.id),
            reason=f"campaign {challenge.campaign_id}",
        )
    if challenge.badge_code:
        badges.award_badge(
            session,
            user,
            challenge.badge_code,
            now=now,
            data={"campaign_id": challenge.campaign_id, "challenge_id": challenge.id},
        )
    session.add(
        Notice(
            kind=NoticeKind.CHALLENGE_COMPLETED,
            user_id=user.id,
            challenge_id=challenge.id,
            data={
                "campaign_id": challenge.campaign_id,
                "bonus_credits": challenge.bonus_credits,
                "badge": challenge.badge_code,
            },
            created_at=now,
        )
    )
    session.flush()
    return True


def challenge_progress(session: Session, batch: projector.Batch) -> None:
    """projector.ON_BATCH: award every challenge the batch's credited actions complete (the bonus is an
    entry caused by the challenge, unique per account, so a fold run twice cannot pay twice). One
    statement finds the (resident, challenge) pairs the actions count for; counts go per challenge."""
    ids = [a.id for a in batch.actions]
    if not ids:
        return
    pairs = session.execute(
        select(Action.user_id, Challenge.id)
        .join(Challenge, Challenge.action_type_id == Action.action_type_id)
        .join(Campaign, Campaign.id == Challenge.campaign_id)
        .where(
            among(session, Action.id, ids),
            covers_moment(Action.occurred_at),
            covers_district(Action.district_id),
            ~exists().where(
                ChallengeCompletion.challenge_id == Challenge.id, ChallengeCompletion.user_id == Action.user_id
            ),
        )
        .distinct()
    ).all()
    wanted: dict[int, set[int]] = {}
    for user_id, challenge_id in pairs:
        wanted.setdefault(challenge_id, set()).add(user_id)
    for challenge_id in sorted(wanted):
        challenge = session.get(Challenge, challenge_id)
        campaign = session.get(Campaign, challenge.campaign_id)
        done = session.execute(
            select(Action.user_id)
            .where(
                Action.user_id.in_(sorted(wanted[challenge_id])),
                Action.action_type_id == challenge.action_type_id,
                Action.status == ActionStatus.CREDITED,
                Action.occurred_at >= campaign.starts_at,
                Action.occurred_at < campaign.effective_end,
            )
            .group_by(Action.user_id)
            .having(func.count(Action.id) >= challenge.count)
            .order_by(Action.user_id)
        ).scalars()
        for user_id in list(done):
            user = batch.users[user_id]
            ledger.lock_account(session, ledger.account_for(session, user))
            award(session, challenge, user)


def award_completed_challenges(session: Session, now: dt.datetime | None = None) -> int:
    """Sweep: residents who completed a challenge but have no completion yet (approved reviews,
    a hook that failed, campaigns created after the actions). Late-synced actions count too, so
    campaigns stay open to this sweep for the back-dating window after they end."""
    now = now or utcnow()
    challenges = session.scalars(
        select(Challenge)
        .join(Campaign, Campaign.id == Challenge.campaign_id)
        .where(
            Campaign.status.in_(COUNTING),
            Campaign.starts_at <= now,
            Campaign.ends_at > now - BACKDATING - dt.timedelta(days=1),
        )
        .order_by(Challenge.id)
    ).all()
    awarded = 0
    for challenge in challenges:
        campaign = session.get(Campaign, challenge.campaign_id)
        done = (
            session.execute(
                select(Action.user_id)
                .join(Campaign, Campaign.id == challenge.campaign_id)
                .where(
                    Action.action_type_id == challenge.action_type_id,
                    Action.status == ActionStatus.CREDITED,
                    Action.occurred_at >= campaign.starts_at,
                    Action.occurred_at < campaign.effective_end,
                    covers_district(Action.district_id),
                    ~exists().where(
                        ChallengeCompletion.challenge_id == challenge.id, ChallengeCompletion.user_id == Action.user_id
                    ),
                )
                .group_by(Action.user_id)
                .having(func.count(Action.id) >= challenge.count)
            )
            .scalars()
            .all()
        )
        for user_id in done:
            user = session.get(User, user_id)
            account = ledger.account_for(session, user)
            ledger.lock_account(session, account)
            if award(session, challenge, user, now):
                awarded += 1
    return awarded


def completions_of(session: Session, user: User) -> list[ChallengeCompletion]:
    return list(
        session.scalars(
            select(ChallengeCompletion).where(ChallengeCompletion.user_id == user.id).order_by(ChallengeCompletion.id)
        )
    )


def completions_export(session: Session, user: User) -> list[dict]:
    """The resident's completed challenges, for personal-data export."""
    return [
        {
            "challenge_id": c.challenge_id,
            "campaign_id": c.challenge.campaign_id,
            "bonus_credits": c.bonus_credits,
            "badge": c.badge_code,
            "completed_at": c.completed_at.isoformat(),
        }
        for c in completions_of(session, user)
    ]


def install() -> None:
    """Put the campaign rules into scoring and action logging (idempotent; explicit, no discovery)."""
    if campaign_boost not in scoring.BOOST_RULES:
        scoring.BOOST_RULES[:] = [r for r in scoring.BOOST_RULES if r is not scoring.no_boost] + [campaign_boost]
    if challenge_progress not in projector.ON_BATCH:
        projector.ON_BATCH.append(challenge_progress)
    if budgets.fold_campaigns not in projector.ON_BATCH:  # after the bonuses are booked
        projector.ON_BATCH.append(budgets.fold_campaigns)
