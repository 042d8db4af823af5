"""Campaigns as the Publicity Department writes them: create, edit, schedule, cancel, read.

Status moves draft -> scheduled -> active -> ended, or -> cancelled before it ends; the scheduler
does the timed moves (campaign_lifecycle). Once a campaign has started — by status or by clock,
since credits follow the clock — only what cannot rewrite credits already given may change: its
texts, and its end moved later. Ended and cancelled campaigns are read-only (409).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import Campaign, CampaignStatus, NoticeKind, Role, User, utcnow

from ..errors import Conflict, Forbidden, NotFound
from ..messages import N_
from . import accounts, campaign_rules, notices
from .campaign_checks import START_TOLERANCE, CampaignInput, ChallengeInput, apply, check, factor_value

__all__ = ["START_TOLERANCE", "CampaignInput", "ChallengeInput"]
FROZEN_ONCE_STARTED = frozenset({"starts_at", "districts", "multipliers", "challenges"})
OPEN = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE)
PUBLIC_STATUSES = (CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, CampaignStatus.ENDED)
ENDED_MESSAGE = N_("This campaign has ended; it can no longer be changed.")
CANCELLED_MESSAGE = N_("This campaign was cancelled; it can no longer be changed.")


def require_publicity(actor: User | None) -> None:
    if actor is not None and actor.role != Role.PUBLICITY:
        raise Forbidden(N_("Only the Publicity Department manages campaigns."))


def create(
    session: Session,
    actor: User | None,
    data: CampaignInput,
    *,
    now: dt.datetime | None = None,
    status: CampaignStatus = CampaignStatus.SCHEDULED,
    template: str | None = None,
    year: int | None = None,
) -> Campaign:
    """A new campaign, scheduled (the API) or a draft (the calendar, on request)."""
    require_publicity(actor)
    now = now or utcnow()
    resolved = check(session, data, now, new_start=True)
    campaign = Campaign(
        status=status,
        template_code=template,
        year=year,
        created_at=now,
        updated_at=now,
        created_by_id=actor.id if actor else None,
        starts_at=resolved["starts_at"],
    )
    apply(campaign, resolved, structure=True)
    session.add(campaign)
    session.flush()
    accounts.audit(session, actor, "campaign.created", campaign, before=None, after=snapshot(campaign))
    return campaign


def snapshot(campaign: Campaign) -> dict[str, Any]:
    """What the audit log keeps of a campaign: its status and every editable field."""
    return {"status": campaign.status, **dataclasses.asdict(current_input(campaign))}


def current_input(campaign: Campaign) -> CampaignInput:
    """The campaign as an input, to merge a partial edit into and compare with."""
    return CampaignInput(
        name=campaign.name_zh,
        name_en=campaign.name_en,
        description=campaign.description_zh,
        description_en=campaign.description_en,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        districts=[d.code for d in campaign.districts],
        multipliers={m.action_type.code: m.factor for m in campaign.multipliers},
        challenges=[
            ChallengeInput(c.action_type.code, c.count, c.bonus_credits, c.badge_code) for c in campaign.challenges
        ],
    )


def _changed(before: CampaignInput, changes: dict[str, Any]) -> set[str]:
    def norm(key: str, value: Any) -> Any:
        if key == "districts":
            return sorted(set(value or []))
        if key == "multipliers":
            return {k: factor_value(v) or v for k, v in (value or {}).items()}
        if key == "challenges":
            return [ChallengeInput(**c) if isinstance(c, dict) else c for c in value or []]
        return value

    return {k for k, v in changes.items() if norm(k, v) != norm(k, getattr(before, k))}


def started(campaign: Campaign, now: dt.datetime) -> bool:
    """Credits may already have been given: active, or scheduled with its start passed."""
    return campaign.status == CampaignStatus.ACTIVE or (
        campaign.status == CampaignStatus.SCHEDULED and campaign.starts_at <= now
    )


def is_over(campaign: Campaign, now: dt.datetime) -> bool:
    if campaign.status in (CampaignStatus.ENDED, CampaignStatus.CANCELLED):
        return True
    return campaign.status != CampaignStatus.DRAFT and campaign.ends_at <= now


def over_message(campaign: Campaign) -> str:
    return CANCELLED_MESSAGE if campaign.status == CampaignStatus.CANCELLED else ENDED_MESSAGE


def update_campaign(
    session: Session, actor: User, campaign_id: int, changes: dict[str, Any], *, now: dt.datetime | None = None
) -> Campaign:
    """A partial edit (PATCH). 409 once over, or for a frozen field once started; 422 for bad values."""
    require_publicity(actor)
    now = now or utcnow()
    campaign = get(session, campaign_id)
    if is_over(campaign, now):
        raise Conflict(over_message(campaign))
    before = current_input(campaign)
    before_snapshot = snapshot(campaign)
    changed = _changed(before, changes)
    live = started(campaign, now)
    if live:
        frozen = changed & FROZEN_ONCE_STARTED
        if frozen:
            raise Conflict(
                N_("Once a campaign has started, only its texts can change and its end can move later."),
                {f: [N_("Cannot change once the campaign has started.")] for f in sorted(frozen)},
            )
        if "ends_at" in changed and changes["ends_at"] < campaign.ends_at:
            raise Conflict(
                N_("Once a campaign has started, only its texts can change and its end can move later."),
                {"ends_at": [N_("The end can only move later once the campaign has started.")]},
            )
    merged = CampaignInput(**{**before.__dict__, **{k: changes[k] for k in changed}})
    if "challenges" in changed:
        merged.challenges = [ChallengeInput(**c) if isinstance(c, dict) else c for c in merged.challenges]
    resolved = check(session, merged, now, new_start=not live)
    _guard(session, campaign, now, structural=not live)
    apply(campaign, resolved, structure=not live)
    campaign.updated_at = now
    session.flush()
    accounts.audit(
        session,
        actor,
        "campaign.updated",
        campaign,
        fields=sorted(changed),
        before=before_snapshot,
        after=snapshot(campaign),
    )
    return campaign


def _guard(session: Session, campaign: Campaign, now: dt.datetime, *, structural: bool) -> None:
    """Claim the row as we saw it: a concurrent transition (or edit) makes this a 409, not a lost update."""
    stmt = update(Campaign).where(
        Campaign.id == campaign.id, Campaign.status == campaign.status, Campaign.version == campaign.version
    )
    if structural and campaign.status != CampaignStatus.DRAFT:
        stmt = stmt.where(Campaign.starts_at > now)
    result = session.execute(stmt.values(version=Campaign.version + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(N_("The campaign changed meanwhile; reload it and try again."))
    session.expire(campaign, ["version"])


def schedule(session: Session, actor: User, campaign_id: int, *, now: dt.datetime | None = None) -> Campaign:
    """A draft goes on the calendar: checked again, with its start still ahead."""
    require_publicity(actor)
    now = now or utcnow()
    campaign = get(session, campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise Conflict(N_("Only a draft can be scheduled."))
    check(session, current_input(campaign), now, new_start=True)
    _guard(session, campaign, now, structural=True)
    before = {"status": campaign.status}
    campaign.status = CampaignStatus.SCHEDULED
    campaign.updated_at = now
    session.flush()
    accounts.audit(session, actor, "campaign.scheduled", campaign, before=before, after={"status": campaign.status})
    return campaign


def cancel(session: Session, actor: User, campaign_id: int, *, now: dt.datetime | None = None) -> Campaign:
    """Stop a campaign before it ends. What it already gave stays; residents are told if it was running."""
    require_publicity(actor)
    now = now or utcnow()
    campaign = get(session, campaign_id)
    was_live = started(campaign, now)
    before = {"status": campaign.status}
    moved = session.execute(
        update(Campaign)
        .where(
            Campaign.id == campaign.id,
            Campaign.status.in_(OPEN),
            or_(Campaign.status == CampaignStatus.DRAFT, Campaign.ends_at > now),
        )
        .values(status=CampaignStatus.CANCELLED, cancelled_at=now, updated_at=now, version=Campaign.version + 1)
        .returning(Campaign.id)
        .execution_options(synchronize_session=False)
    ).first()
    if moved is None:
        session.refresh(campaign)
        raise Conflict(over_message(campaign))
    session.refresh(campaign)
    if was_live:
        notices.broadcast(session, campaign, NoticeKind.CAMPAIGN_CANCELLED, now=now)
    accounts.audit(
        session,
        actor,
        "campaign.cancelled",
        campaign,
        was_live=was_live,
        before=before,
        after={"status": campaign.status},
    )
    return campaign


def get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(N_("No such campaign."))
    return campaign


def visible(session: Session, campaign_id: int, viewer: User | None) -> Campaign:
    """Drafts and cancelled campaigns are the department's business only (404 for others)."""
    campaign = get(session, campaign_id)
    if campaign.status not in PUBLIC_STATUSES and (viewer is None or viewer.role != Role.PUBLICITY):
        raise NotFound(N_("No such campaign."))
    return campaign


def upcoming_query(now: dt.datetime | None = None):
    """Active and upcoming campaigns, soonest first."""
    now = now or utcnow()
    return (
        select(Campaign)
        .where(Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE)), Campaign.ends_at > now)
        .order_by(Campaign.starts_at, Campaign.id)
    )


def in_period(session: Session, start: dt.datetime, end: dt.datetime) -> list[Campaign]:
    """Every campaign overlapping [start, end), whatever its status (the department's calendar)."""
    return list(
        session.scalars(
            select(Campaign)
            .where(Campaign.starts_at < end, Campaign.ends_at > start)
            .order_by(Campaign.starts_at, Campaign.id)
        )
    )


# Explicit registration, no discovery: importing the campaigns service installs the scoring rule and
# the challenge hook (the app factory imports it through the campaigns API and pages).
campaign_rules.install()
