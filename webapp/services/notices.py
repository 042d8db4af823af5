"""Notices: campaign announcements (unique per campaign and kind) and a resident's inbox.

A broadcast reaches the residents of the districts its campaign covers. Texts are rendered in the
reader's language from the kind and the data stored here (see webapp.campaign_texts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Campaign, CampaignStatus, Challenge, ChallengeCompletion, Notice, NoticeKind, User, utcnow

from .campaign_rules import covers_district, credited_count

BANNER_RESULT_DAYS = 3
INBOX_LIMIT = 50


def broadcast(
    session: Session,
    campaign: Campaign,
    kind: NoticeKind,
    data: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Notice | None:
    """Write the campaign's notice of this kind, or nothing if it exists (the unique key decides)."""
    notice = Notice(kind=kind, campaign_id=campaign.id, data=data or {}, created_at=now or utcnow())
    try:
        with session.begin_nested():
            session.add(notice)
    except IntegrityError:
        return None
    return notice


def has_notice(session: Session, campaign: Campaign, kind: NoticeKind) -> bool:
    return session.scalar(select(Notice.id).where(Notice.campaign_id == campaign.id, Notice.kind == kind)) is not None


def of_campaign(session: Session, campaign: Campaign) -> list[Notice]:
    return list(session.scalars(select(Notice).where(Notice.campaign_id == campaign.id).order_by(Notice.id)))


@dataclass(frozen=True)
class InboxItem:
    notice: Notice
    campaign: Campaign | None
    challenge: Challenge | None


def _for_reader(user: User):
    """Broadcasts of campaigns covering the reader's district, and the reader's own notices."""
    return (
        select(Notice, Campaign, Challenge)
        .outerjoin(Challenge, Challenge.id == Notice.challenge_id)
        .outerjoin(Campaign, or_(Campaign.id == Notice.campaign_id, Campaign.id == Challenge.campaign_id))
        .where(or_(Notice.user_id == user.id, (Notice.campaign_id.is_not(None)) & covers_district(user.district_id)))
    )


def inbox(session: Session, user: User, limit: int = INBOX_LIMIT, before_id: int | None = None) -> list[InboxItem]:
    stmt = _for_reader(user).order_by(Notice.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Notice.id < before_id)
    return [InboxItem(n, c, ch) for n, c, ch in session.execute(stmt)]


@dataclass(frozen=True)
class Progress:
    challenge: Challenge
    done: int
    completed: bool


@dataclass(frozen=True)
class Banner:
    notice: Notice
    campaign: Campaign
    progress: list[Progress]


def banners(session: Session, user: User, now: dt.datetime | None = None) -> list[Banner]:
    """One banner per campaign: its latest announcement while it runs, its result for a few days after."""
    now = now or utcnow()
    rows = session.execute(
        _for_reader(user)
        .where(
            Notice.user_id.is_(None),
            or_(
                (Campaign.status == CampaignStatus.ACTIVE) & (Campaign.ends_at > now),
                (Notice.kind == NoticeKind.CAMPAIGN_ENDED)
                & (Notice.created_at > now - dt.timedelta(days=BANNER_RESULT_DAYS)),
            ),
        )
        .order_by(Notice.id.desc())
    ).all()
    shown: dict[int, Banner] = {}
    for notice, campaign, _challenge in rows:
        if campaign.id in shown:
            continue
        progress = []
        if notice.kind in (NoticeKind.CAMPAIGN_STARTED, NoticeKind.CAMPAIGN_ENDING):
            done = {c.challenge_id for c in _completions(session, user, campaign)}
            progress = [
                Progress(ch, min(credited_count(session, ch, user.id), ch.count), ch.id in done)
                for ch in campaign.challenges
            ]
        shown[campaign.id] = Banner(notice, campaign, progress)
    return list(shown.values())


def _completions(session: Session, user: User, campaign: Campaign):
    return session.scalars(
        select(ChallengeCompletion)
        .join(Challenge)
        .where(ChallengeCompletion.user_id == user.id, Challenge.campaign_id == campaign.id)
    ).all()


def export_for(session: Session, user: User) -> list[dict]:
    """Notices addressed to this resident alone (broadcasts are not personal data)."""
    rows = session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id))
    return [
        {"kind": str(n.kind), "campaign_id": n.campaign_id, "data": n.data, "created_at": n.created_at.isoformat()}
        for n in rows
    ]
