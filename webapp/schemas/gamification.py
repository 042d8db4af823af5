"""Leaderboards, badges, green families, game settings and weekly recaps."""

from flask import url_for
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from ..i18n import localized
from ..services import badges, families, leaderboards
from .common import StrictBoolean


def standing_name(standing: leaderboards.Standing) -> str:
    """A district in the reader's language, a nickname or family name, or "a resident" when masked."""
    if standing.district is not None:
        return localized(standing.district, "name")
    return standing.name if standing.name is not None else _("A resident")


class LeaderboardArgs(Schema):
    period = fields.String(load_default="week", validate=validate.OneOf(leaderboards.PERIODS))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class StandingOut(Schema):
    rank = fields.Integer(allow_none=True)
    name = fields.Function(standing_name)
    value = fields.Integer(
        allow_none=True, metadata={"description": "grams of CO2e (per active resident for districts)"}
    )
    residents = fields.Integer(allow_none=True)
    is_me = fields.Boolean()


class MeOut(StandingOut):
    hidden = fields.Boolean(metadata={"description": "you have opted out of the resident boards"})
    suppressed = fields.Boolean(metadata={"description": "fewer than 10 active residents: not ranked"})


class LeaderboardOut(Schema):
    board = fields.String()
    period = fields.String()
    period_key = fields.String()
    items = fields.List(fields.Nested(StandingOut))
    me = fields.Nested(MeOut, allow_none=True)


class BadgeOut(Schema):
    code = fields.String()
    name = fields.Function(lambda b: localized(b, "name"))
    description = fields.Function(lambda b: localized(b, "description"))
    icon = fields.Function(lambda b: url_for("static", filename=b.icon))


class EarnedBadgeOut(Schema):
    code = fields.String(attribute="badge_code")
    name = fields.Function(
        lambda b: (
            localized(badges.catalogue()[b.badge_code], "name") if b.badge_code in badges.catalogue() else b.badge_code
        )
    )
    awarded_at = fields.AwareDateTime()


class GameSettingsIn(Schema):
    hidden_from_boards = StrictBoolean(required=True)


class GameSettingsOut(Schema):
    hidden_from_boards = fields.Boolean()


class FamilyNameIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))


class FamilyJoinIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class HandOverIn(Schema):
    member_id = fields.Integer(required=True, strict=True)


class FamilyMemberOut(Schema):
    id = fields.Function(lambda row: row[1].id)
    nickname = fields.Function(lambda row: leaderboards.display_name(row[1]) or _("A resident"))
    joined_at = fields.Function(lambda row: row[0].joined_at.isoformat())


class FamilyOut(Schema):
    """Seen by its members only."""

    id = fields.Integer(attribute="family.id")
    name = fields.String(attribute="family.name")
    invite_code = fields.Function(lambda v: families.display_code(v["family"].invite_code))
    founder_id = fields.Integer(attribute="family.founder_id", allow_none=True)
    is_founder = fields.Boolean()
    member_count = fields.Integer(attribute="family.member_count")
    max_members = fields.Integer()
    members = fields.List(fields.Nested(FamilyMemberOut))
    totals = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "grams of CO2e avoided by members while members, per period"},
    )


class RecapOut(Schema):
    week_start = fields.Date()
    created_at = fields.AwareDateTime()
    data = fields.Dict()


class GameMeOut(Schema):
    level = fields.Raw(
        metadata={
            "description": "{code, number, name, min_grams, co2e_grams, progress, to_next_grams, "
            "next, max_level}: from lifetime CO2e avoided, never credits"
        }
    )
    streak_days = fields.Integer()
    best_streak_days = fields.Integer()
    badges = fields.List(fields.Raw(), metadata={"description": "[{code, name, awarded_at}]"})
