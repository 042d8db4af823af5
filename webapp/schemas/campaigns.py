"""Campaigns, the yearly calendar and notices: input and output shapes (API.md "Campaigns")."""

from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from ..campaign_texts import badge_name, challenge_text, notice_text, pick, status_label
from ..i18n import localized

NAME = validate.Length(min=1, max=120)
TEXT = validate.Length(max=4000)
CODE = validate.Length(min=1, max=40)


class ChallengeIn(Schema):
    type = fields.String(required=True, validate=CODE)
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    bonus_credits = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=1_000_000))
    badge = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40))


class CampaignIn(Schema):
    """`name` and `description` in the city's language (Chinese); the `_en` ones default to them."""

    name = fields.String(required=True, validate=NAME)
    name_en = fields.String(load_default=None, validate=NAME)
    description = fields.String(load_default="", validate=TEXT)
    description_en = fields.String(load_default=None, validate=TEXT)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    districts = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        load_default=None,
        metadata={"description": "District codes; empty or missing: every district."},
    )
    multipliers = fields.Dict(
        keys=fields.String(validate=CODE),
        values=fields.Decimal(allow_nan=False),
        load_default=dict,
        metadata={"description": "Action type code -> factor (> 0, ≤ 10)."},
    )
    challenges = fields.List(fields.Nested(ChallengeIn), load_default=list, validate=validate.Length(max=20))


class CampaignPatchIn(Schema):
    """Only the fields sent change. Once started: texts, and ends_at moved later."""

    name = fields.String(validate=NAME)
    name_en = fields.String(validate=NAME)
    description = fields.String(validate=TEXT)
    description_en = fields.String(validate=TEXT)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    districts = fields.List(fields.String(validate=validate.Length(min=1, max=20)), allow_none=True)
    multipliers = fields.Dict(keys=fields.String(validate=CODE), values=fields.Decimal(allow_nan=False))
    challenges = fields.List(fields.Nested(ChallengeIn), validate=validate.Length(max=20))


class ChallengeOut(Schema):
    id = fields.Integer()
    type = fields.Function(lambda c: c.action_type.code)
    count = fields.Integer()
    bonus_credits = fields.Integer()
    badge = fields.String(attribute="badge_code", allow_none=True)
    badge_name = fields.Function(lambda c: badge_name(c.badge_code) if c.badge_code else None)
    text = fields.Function(challenge_text)


class CampaignOut(Schema):
    id = fields.Integer()
    status = fields.Function(lambda c: str(c.status))
    status_label = fields.Function(lambda c: status_label(c.status))
    name = fields.Function(lambda c: localized(c, "name"))
    name_zh = fields.String()
    name_en = fields.String()
    description = fields.Function(lambda c: localized(c, "description"))
    description_zh = fields.String()
    description_en = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    districts = fields.Function(
        lambda c: [d.code for d in c.districts], metadata={"description": "Empty: every district."}
    )
    multipliers = fields.Function(lambda c: {m.action_type.code: float(m.factor) for m in c.multipliers})
    challenges = fields.List(fields.Nested(ChallengeOut))
    template = fields.String(attribute="template_code", allow_none=True)
    year = fields.Integer(allow_none=True)
    activated_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)


class CampaignListOut(Schema):
    items = fields.List(fields.Nested(CampaignOut))
    next_cursor = fields.String(allow_none=True)


class TotalsOut(Schema):
    residents = fields.Integer(allow_none=True)
    actions = fields.Integer(allow_none=True)
    co2e_grams = fields.Integer(allow_none=True)
    days = fields.Float()
    suppressed = fields.Boolean()


class ParticipationOut(Schema):
    during = fields.Nested(TotalsOut)
    before = fields.Nested(TotalsOut, metadata={"description": "The four weeks before the start."})


class CalendarItemIn(Schema):
    template = fields.String(required=True, validate=CODE)
    starts_on = fields.Date(load_default=None)
    days = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=1, max=60))


class CalendarIn(Schema):
    items = fields.List(
        fields.Nested(CalendarItemIn),
        load_default=list,
        metadata={"description": "Adjusted dates; templates not listed keep their usual dates."},
    )
    only = fields.List(
        fields.String(validate=CODE),
        load_default=None,
        metadata={"description": "Instantiate only these templates (default: all)."},
    )
    status = fields.String(load_default="scheduled", validate=validate.OneOf(["scheduled", "draft"]))


class ProposalOut(Schema):
    template = fields.String(attribute="template.code")
    name = fields.Function(lambda p: pick(p.template.name))
    starts_on = fields.Date()
    last_day = fields.Date()
    days = fields.Integer()
    note = fields.Function(lambda p: pick(p.template.note))
    campaign_id = fields.Function(lambda p: p.existing.id if p.existing else None)


class SkippedOut(Schema):
    template = fields.String(attribute="code")
    reason = fields.Function(lambda s: _(s.reason))


class CalendarResultOut(Schema):
    created = fields.List(fields.Nested(CampaignOut))
    skipped = fields.List(fields.Nested(SkippedOut))


class NoticeOut(Schema):
    """item: services.notices.InboxItem."""

    id = fields.Integer(attribute="notice.id")
    kind = fields.Function(lambda i: str(i.notice.kind))
    campaign_id = fields.Function(lambda i: i.campaign.id if i.campaign else None)
    title = fields.Function(lambda i: notice_text(i.notice, i.campaign, i.challenge)[0])
    body = fields.Function(lambda i: notice_text(i.notice, i.campaign, i.challenge)[1])
    created_at = fields.AwareDateTime(attribute="notice.created_at")


class NoticeListOut(Schema):
    items = fields.List(fields.Nested(NoticeOut))
    next_cursor = fields.String(allow_none=True)
