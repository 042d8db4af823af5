"""Timed campaign transitions and their announcements, each exactly once; live participation.

Each sweep moves what is due with one guarded statement
(`UPDATE campaigns SET status='active' WHERE status='scheduled' AND starts_at <= :now RETURNING id`):
only the transaction that moved a row writes its announcement, and the notice's unique
(campaign, kind) is a second guard. Running a sweep twice, late, or in two processes at once changes
nothing more; a scheduler that was down catches up on its first sweep.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import distinct, exists, func, select, update
from sqlalchemy.orm import Session

from models import Action, ActionStatus, Campaign, CampaignStatus, Notice, NoticeKind, utcnow

from . import accounts, notices

REMIND_BEFORE = dt.timedelta(hours=24)
BASELINE = dt.timedelta(weeks=4)
SMALL_CELL = 10  # fewer residents than this in a cell: the numbers are not shown (DESIGN invariant 7)


def _move(session: Session, source: CampaignStatus, target: CampaignStatus, due, values: dict) -> list[Campaign]:
    ids = (
        session.execute(
            update(Campaign)
            .where(Campaign.status == source, due)
            .values(status=target, version=Campaign.version + 1, **values)
            .returning(Campaign.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    return [session.get(Campaign, i, populate_existing=True) for i in sorted(ids)]


def activate_due(session: Session, now: dt.datetime | None = None) -> int:
    """scheduled -> active at starts_at, with the start announcement (skipped if it is already over)."""
    now = now or utcnow()
    moved = _move(
        session, CampaignStatus.SCHEDULED, CampaignStatus.ACTIVE, Campaign.starts_at <= now, {"activated_at": now}
    )
    for campaign in moved:
        if campaign.ends_at > now:
            notices.broadcast(session, campaign, NoticeKind.CAMPAIGN_STARTED, now=now)
        accounts.audit(
            session,
            None,
            "campaign.activated",
            campaign,
            late_seconds=round((now - campaign.starts_at).total_seconds(), 3),
        )
    return len(moved)


def remind_at(campaign: Campaign) -> dt.datetime:
    """A day before the end, or halfway through a campaign shorter than two days."""
    return max(campaign.ends_at - REMIND_BEFORE, campaign.starts_at + (campaign.ends_at - campaign.starts_at) / 2)


def remind_due(session: Session, now: dt.datetime | None = None) -> int:
    """The reminder before the end, once per campaign."""
    now = now or utcnow()
    running = session.scalars(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.ACTIVE,
            Campaign.ends_at > now,
            ~exists().where(Notice.campaign_id == Campaign.id, Notice.kind == NoticeKind.CAMPAIGN_ENDING),
        )
        .order_by(Campaign.id)
    ).all()
    written = 0
    for campaign in running:
        if remind_at(campaign) <= now and notices.broadcast(session, campaign, NoticeKind.CAMPAIGN_ENDING, now=now):
            written += 1
    return written


def end_due(session: Session, now: dt.datetime | None = None) -> int:
    """active -> ended at ends_at, with the result announcement."""
    now = now or utcnow()
    moved = _move(session, CampaignStatus.ACTIVE, CampaignStatus.ENDED, Campaign.ends_at <= now, {"finished_at": now})
    for campaign in moved:
        result = totals(session, campaign, campaign.starts_at, campaign.ends_at)
        notices.broadcast(session, campaign, NoticeKind.CAMPAIGN_ENDED, data=result.as_data(), now=now)
        accounts.audit(
            session, None, "campaign.ended", campaign, late_seconds=round((now - campaign.ends_at).total_seconds(), 3)
        )
    return len(moved)


@dataclass(frozen=True)
class Totals:
    """Credited actions in a window, of the campaign's types in its districts; None where suppressed."""

    residents: int | None
    actions: int | None
    co2e_grams: int | None
    days: float
    suppressed: bool

    def per_day(self, value: int | None) -> float | None:
        return None if value is None or self.days <= 0 else value / self.days

    def as_data(self) -> dict:
        if self.suppressed:
            return {"suppressed": True}
        return {"residents": self.residents, "actions": self.actions, "co2e_grams": self.co2e_grams}


def totals(session: Session, campaign: Campaign, start: dt.datetime, end: dt.datetime) -> Totals:
    days = max(0.0, (end - start).total_seconds() / 86400)
    if end <= start:
        return Totals(0, 0, 0, 0.0, False)
    stmt = select(
        func.count(distinct(Action.user_id)), func.count(Action.id), func.coalesce(func.sum(Action.co2e_grams), 0)
    ).where(Action.status == ActionStatus.CREDITED, Action.occurred_at >= start, Action.occurred_at < end)
    type_ids = {m.action_type_id for m in campaign.multipliers} | {c.action_type_id for c in campaign.challenges}
    if type_ids:
        stmt = stmt.where(Action.action_type_id.in_(type_ids))
    if campaign.districts:
        stmt = stmt.where(Action.district_id.in_([d.id for d in campaign.districts]))
    residents, count, co2e = session.execute(stmt).one()
    if 0 < residents < SMALL_CELL:
        return Totals(None, None, None, days, True)
    return Totals(int(residents), int(count), int(co2e), days, False)


@dataclass(frozen=True)
class Participation:
    during: Totals
    before: Totals


def participation(session: Session, campaign: Campaign, now: dt.datetime | None = None) -> Participation:
    """The campaign so far against the four weeks before it started."""
    now = now or utcnow()
    end = min(now, campaign.effective_end)
    return Participation(
        during=totals(session, campaign, campaign.starts_at, end),
        before=totals(session, campaign, campaign.starts_at - BASELINE, campaign.starts_at),
    )
