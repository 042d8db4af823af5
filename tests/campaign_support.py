"""Helpers for campaign and scheduler tests: campaigns at fixed instants, actions logged at a time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    Campaign,
    CampaignStatus,
    ChallengeCompletion,
    EntryKind,
    LedgerEntry,
    Notice,
    User,
)
from webapp.services import actions, campaigns
from webapp.services.actions import ActionInput

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# A Sunday morning in June, city time; campaigns in these tests start on the following days.
NOW = dt.datetime(2026, 6, 14, 9, 0, tzinfo=SHANGHAI)


def at(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> dt.datetime:
    """An instant relative to NOW, in UTC."""
    return (NOW + dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)).astimezone(dt.UTC)


def make_campaign(
    session: Session,
    actor: User | None,
    *,
    starts: dt.datetime,
    ends: dt.datetime,
    multipliers: dict | None = None,
    challenges: list | None = None,
    districts: list | None = None,
    now: dt.datetime | None = None,
    status: CampaignStatus = CampaignStatus.SCHEDULED,
    name: str = "低碳周",
) -> Campaign:
    """A campaign created through the service as of `now` (default: an hour before it starts)."""
    data = campaigns.CampaignInput(
        name=name,
        name_en="Low-carbon week",
        starts_at=starts,
        ends_at=ends,
        multipliers=multipliers or {},
        districts=districts,
        challenges=[campaigns.ChallengeInput(**c) for c in challenges or []],
    )
    campaign = campaigns.create(session, actor, data, now=now or starts - dt.timedelta(hours=1), status=status)
    session.commit()
    return campaign


def log(
    session: Session,
    user: User,
    action_type,
    quantity: str | float,
    occurred_at: dt.datetime,
    now: dt.datetime | None = None,
):
    data = ActionInput(type=action_type.code, quantity=Decimal(str(quantity)), occurred_at=occurred_at)
    return actions.log_action(session, user, data, now=now or occurred_at)


def count(session: Session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def notices_of(session: Session, campaign_id: int) -> list[str]:
    return sorted(str(k) for k in session.scalars(select(Notice.kind).where(Notice.campaign_id == campaign_id)))


def bonus_entries(session: Session, challenge_id: int) -> int:
    return count(
        session,
        LedgerEntry,
        LedgerEntry.kind == EntryKind.BONUS,
        LedgerEntry.cause_type == "challenge",
        LedgerEntry.cause_id == challenge_id,
    )


def completions(session: Session, challenge_id: int) -> int:
    return count(session, ChallengeCompletion, ChallengeCompletion.challenge_id == challenge_id)


def audits(session: Session, action: str, campaign_id: int) -> int:
    return count(
        session,
        AuditEvent,
        AuditEvent.action == action,
        AuditEvent.target_type == "Campaign",
        AuditEvent.target_id == campaign_id,
    )
