"""Campaigns API (API.md "Campaigns"): the public list, the department's writes, the calendar, notices."""

from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import and_, or_

from models import Campaign, CampaignStatus, Role

from ..errors import Invalid
from ..extensions import db
from ..messages import N_
from ..schemas.campaigns import (
    CalendarIn,
    CalendarResultOut,
    CampaignIn,
    CampaignListOut,
    CampaignOut,
    CampaignPatchIn,
    NoticeListOut,
    ParticipationOut,
    ProposalOut,
)
from ..security import public, roles_required
from ..services import campaign_calendar, campaign_lifecycle, campaigns, notices
from .common import IDEMPOTENCY_DOC, PageArgs, decode_cursor, encode_cursor, idempotent

blp = Blueprint("api_campaigns", __name__, description="Campaigns, the yearly calendar and notices")


def _viewer():
    return current_user.user if current_user.is_authenticated else None


def _campaign_input(data: dict) -> campaigns.CampaignInput:
    challenges = [campaigns.ChallengeInput(**c) for c in data.pop("challenges", [])]
    return campaigns.CampaignInput(**data, challenges=challenges)


@blp.route("/campaigns", methods=["GET"])
@public
@blp.arguments(PageArgs, location="query")
@blp.response(200, CampaignListOut)
def list_campaigns(args):
    """Active and upcoming campaigns, soonest first."""
    stmt = campaigns.upcoming_query()
    after_id = decode_cursor(args.get("cursor"))
    if after_id is not None:
        last = db.session.get(Campaign, after_id)
        if last is None:
            raise Invalid.field("cursor", N_("Invalid cursor."))
        stmt = stmt.where(
            or_(Campaign.starts_at > last.starts_at, and_(Campaign.starts_at == last.starts_at, Campaign.id > last.id))
        )
    rows = list(db.session.scalars(stmt.limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[: args["limit"]]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more else None}


@blp.route("/campaigns", methods=["POST"])
@roles_required(Role.PUBLICITY)
@blp.doc(parameters=[IDEMPOTENCY_DOC])
@idempotent
@blp.arguments(CampaignIn)
@blp.response(201, CampaignOut)
def create_campaign(data):
    """Schedule a campaign: multipliers per action type, challenges, districts (all by default)."""
    return campaigns.create(db.session, current_user.user, _campaign_input(data))


@blp.route("/campaigns/<int:campaign_id>", methods=["GET"])
@public
@blp.response(200, CampaignOut)
def get_campaign(campaign_id: int):
    """One campaign (drafts and cancelled ones only for the Publicity Department)."""
    return campaigns.visible(db.session, campaign_id, _viewer())


@blp.route("/campaigns/<int:campaign_id>", methods=["PATCH"])
@roles_required(Role.PUBLICITY)
@blp.arguments(CampaignPatchIn)
@blp.response(200, CampaignOut)
def patch_campaign(data, campaign_id: int):
    """Edit while not ended (409 after). Once started only the texts change and the end moves later."""
    return campaigns.update_campaign(db.session, current_user.user, campaign_id, data)


@blp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@roles_required(Role.PUBLICITY)
@blp.response(200, CampaignOut)
def cancel_campaign(campaign_id: int):
    """Cancel before the end (409 once ended); credits already given are kept."""
    return campaigns.cancel(db.session, current_user.user, campaign_id)


@blp.route("/campaigns/<int:campaign_id>/schedule", methods=["POST"])
@roles_required(Role.PUBLICITY)
@blp.response(200, CampaignOut)
def schedule_campaign(campaign_id: int):
    """Put a draft on the calendar (draft -> scheduled)."""
    return campaigns.schedule(db.session, current_user.user, campaign_id)


@blp.route("/campaigns/<int:campaign_id>/participation", methods=["GET"])
@roles_required(Role.PUBLICITY)
@blp.response(200, ParticipationOut)
def participation(campaign_id: int):
    """Residents, actions and CO2e so far against the four weeks before (cells < 10 residents suppressed)."""
    return campaign_lifecycle.participation(db.session, campaigns.get(db.session, campaign_id))


@blp.route("/campaign-calendar/<int:year>", methods=["GET"])
@roles_required(Role.PUBLICITY)
@blp.response(200, ProposalOut(many=True))
def calendar(year: int):
    """The yearly calendar's templates with their usual dates for the year, and what already exists."""
    return campaign_calendar.propose(db.session, year)


@blp.route("/campaign-calendar/<int:year>", methods=["POST"])
@roles_required(Role.PUBLICITY)
@blp.arguments(CalendarIn)
@blp.response(201, CalendarResultOut)
@blp.alt_response(200, schema=CalendarResultOut, description="Nothing new: everything was skipped.")
def instantiate_calendar(data, year: int):
    """Create the year's campaigns in one step, with adjusted dates; existing or past ones are skipped."""
    overrides = {i["template"]: campaign_calendar.Override(i["starts_on"], i["days"]) for i in data["items"]}
    created, skipped = campaign_calendar.instantiate(
        db.session,
        current_user.user,
        year,
        overrides,
        only=set(data["only"]) if data["only"] is not None else None,
        status=CampaignStatus(data["status"]),
    )
    result = {"created": created, "skipped": skipped}
    return (result, 201) if created else (result, 200)


@blp.route("/notices", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.arguments(PageArgs, location="query")
@blp.response(200, NoticeListOut)
def list_notices(args):
    """Your inbox: campaign announcements for your district and your own notices, newest first."""
    items = notices.inbox(db.session, current_user.user, args["limit"] + 1, decode_cursor(args.get("cursor")))
    more = len(items) > args["limit"]
    items = items[: args["limit"]]
    return {"items": items, "next_cursor": encode_cursor(items[-1].notice.id) if more else None}
