"""Leaderboards, badges, game settings, green families and weekly recaps."""

from __future__ import annotations

from flask import Response, current_app
from flask_login import current_user
from flask_smorest import Blueprint

from models import Role

from ..extensions import db, limiter
from ..i18n import current_language
from ..schemas.gamification import (
    BadgeOut,
    FamilyJoinIn,
    FamilyNameIn,
    FamilyOut,
    GameMeOut,
    GameSettingsIn,
    GameSettingsOut,
    HandOverIn,
    LeaderboardArgs,
    LeaderboardOut,
    RecapOut,
)
from ..security import public, roles_required, signed_in
from ..services import badges, families, gamification, leaderboards, ledger, recaps

blp = Blueprint("api_game", __name__, description="Leaderboards, badges and green families")


@blp.route("/leaderboards/<any(residents, districts, teams):board>", methods=["GET"])
@signed_in
@blp.arguments(LeaderboardArgs, location="query")
@blp.response(200, LeaderboardOut)
def leaderboard(args, board: str):
    """The top of a board by CO2e avoided (city week from Monday, month, or all time) and your own place.

    Nicknames only; residents who opted out, and actions not credited, are left out. Ties go to whoever
    reached the value first. Districts rank by CO2e per active resident (fewer than 10: not ranked)."""
    return leaderboards.standings(
        db.reads,
        current_user.user,
        board,
        args["period"],
        limit=args["limit"],
        cache_seconds=current_app.config["LEADERBOARD_CACHE_SECONDS"],
    )


@blp.route("/badges", methods=["GET"])
@public
@blp.response(200, BadgeOut(many=True))
def badge_catalogue():
    """Every badge there is to earn."""
    return list(badges.catalogue().values())


@blp.route("/game/me", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.response(200, GameMeOut)
def game_me():
    """Your level, current and best streak, and badges (as in GET /account)."""
    user = current_user.user
    return gamification.summary(db.session, user, ledger.account_for(db.session, user), language=current_language())


@blp.route("/game/settings", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.response(200, GameSettingsOut)
def get_settings():
    """Whether you appear on the resident leaderboards."""
    return gamification.profile_of(db.session, current_user.user)


@blp.route("/game/settings", methods=["PATCH"])
@roles_required(Role.RESIDENT)
@blp.arguments(GameSettingsIn)
@blp.response(200, GameSettingsOut)
def put_settings(data):
    """Opt out of (or back into) the resident leaderboards."""
    return gamification.set_hidden(db.session, current_user.user, data["hidden_from_boards"])


@blp.route("/family", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.response(200, FamilyOut)
def get_family():
    """Your green family: members, invite code and totals; 404 when you have none."""
    return families.overview(db.session, current_user.user)


@blp.route("/family", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.arguments(FamilyNameIn)
@blp.response(201, FamilyOut)
def create_family(data):
    """Found a green family (up to 8 members); you are its first member."""
    families.create(db.session, current_user.user, data["name"])
    return families.overview(db.session, current_user.user)


@blp.route("/family/join", methods=["POST"])
@roles_required(Role.RESIDENT)
@limiter.limit("20/hour")
@blp.arguments(FamilyJoinIn)
@blp.response(200, FamilyOut)
def join_family(data):
    """Join a family by its invite code; 409 when it is full or you are in a family already."""
    families.join(db.session, current_user.user, data["code"])
    return families.overview(db.session, current_user.user)


@blp.route("/family/leave", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.response(204)
def leave_family():
    """Leave your family (a leaving founder hands over to the longest-standing member)."""
    families.leave(db.session, current_user.user)
    return Response(status=204)


@blp.route("/family/hand-over", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.arguments(HandOverIn)
@blp.response(200, FamilyOut)
def hand_over(data):
    """The founder passes the role to another member."""
    families.hand_over(db.session, current_user.user, data["member_id"])
    return families.overview(db.session, current_user.user)


@blp.route("/family/code", methods=["POST"])
@roles_required(Role.RESIDENT)
@blp.response(200, FamilyOut)
def renew_code():
    """The founder replaces the invite code; the old one stops working."""
    families.new_code(db.session, current_user.user)
    return families.overview(db.session, current_user.user)


@blp.route("/recaps", methods=["GET"])
@roles_required(Role.RESIDENT)
@blp.response(200, RecapOut(many=True))
def list_recaps():
    """Your weekly recaps, newest first."""
    return recaps.recaps_of(db.session, current_user.user)
