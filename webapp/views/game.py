"""The game pages on the phone: leaderboards, badges, the green family (create, join by code or QR,
leave, hand over), weekly recaps, the leaderboard opt-out, and the home page's game section."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from models import Role

from ..errors import DomainError
from ..extensions import db, limiter
from ..forms import EmptyForm
from ..security import roles_required, signed_in
from ..services import badges, families, gamification, leaderboards, recaps
from ..services.qr import qr_svg
from .forms_util import show_error

bp = Blueprint("game", __name__, url_prefix="/game")


class FamilyNameForm(FlaskForm):
    name = StringField(_l("Family name"), validators=[DataRequired(), Length(max=40)])


class JoinForm(FlaskForm):
    code = StringField(_l("Invite code"), validators=[DataRequired(), Length(max=40)])


class HandOverForm(FlaskForm):
    member = SelectField(_l("New founder"), coerce=int)


class BoardsSettingsForm(FlaskForm):
    hidden_from_boards = BooleanField(_l("Hide me from the leaderboards"))


@bp.app_template_global()
def game_panel() -> dict | None:
    """The home page's game section (level, tree, streak, badges, rank, latest recap)."""
    if not current_user.is_authenticated or current_user.role != Role.RESIDENT:
        return None
    return gamification.panel(db.session, current_user.user)


@bp.app_template_global()
def game_settings_form() -> BoardsSettingsForm | None:
    """The opt-out switch on the profile page."""
    if not current_user.is_authenticated or current_user.role != Role.RESIDENT:
        return None
    profile = gamification.profile_of(db.session, current_user.user)
    return BoardsSettingsForm(hidden_from_boards=profile.hidden_from_boards, formdata=None)


@bp.route("/leaderboards")
@signed_in
def boards():
    board = request.args.get("board", "residents")
    period = request.args.get("period", "week")
    if board not in leaderboards.BOARDS or period not in leaderboards.PERIODS:
        abort(404)
    result = leaderboards.standings(
        db.reads, current_user.user, board, period, cache_seconds=current_app.config["LEADERBOARD_CACHE_SECONDS"]
    )
    return render_template(
        "game/leaderboards.html", result=result, boards=leaderboards.BOARDS, periods=leaderboards.PERIODS
    )


@bp.route("/badges")
@roles_required(Role.RESIDENT)
def badge_page():
    earned = {b.badge_code: b for b in badges.earned(db.session, current_user.user)}
    return render_template(
        "game/badges.html",
        catalogue=badges.catalogue(),
        earned=earned,
        panel=gamification.panel(db.session, current_user.user),
    )


@bp.route("/recaps")
@roles_required(Role.RESIDENT)
def recap_page():
    return render_template(
        "game/recaps.html", recaps=recaps.recaps_of(db.session, current_user.user), catalogue=badges.catalogue()
    )


def _family_page(status: int = 200, **forms):
    user = current_user.user
    family = families.family_of(db.session, user)
    context: dict = {
        "create_form": forms.get("create_form") or FamilyNameForm(),
        "join_form": forms.get("join_form") or JoinForm(),
        "form": EmptyForm(),
    }
    if family is not None:
        view = families.overview(db.session, user)
        join_url = url_for("game.join_by_link", code=family.invite_code, _external=True) if family.invite_code else ""
        hand_over = HandOverForm()
        hand_over.member.choices = [
            SelectChoice(u.id, leaderboards.display_name(u) or _("A resident"))
            for _m, u in view["members"]
            if u.id != user.id
        ]
        context.update(
            view=view,
            join_url=join_url,
            qr=qr_svg(join_url) if join_url else "",
            code=families.display_code(family.invite_code),
            hand_over_form=hand_over,
            trees=gamification.trees(view["totals"]["all"]),
            member_levels=gamification.member_levels(db.session, [u for _m, u in view["members"]]),
            member_names={u.id: leaderboards.display_name(u) for _m, u in view["members"]},
        )
    return render_template("game/family.html", **context), status


@bp.route("/family")
@roles_required(Role.RESIDENT)
def family():
    return _family_page()


@bp.route("/family", methods=["POST"])
@roles_required(Role.RESIDENT)
def create_family():
    form = FamilyNameForm()
    if form.validate_on_submit():
        try:
            families.create(db.session, current_user.user, form.name.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Your green family is ready. Invite up to 7 more members with the code or QR code."), "success")
            return redirect(url_for("game.family"))
    return _family_page(422, create_form=form)


@bp.route("/family/join", methods=["POST"])
@roles_required(Role.RESIDENT)
@limiter.limit("20/hour")
def join_family():
    form = JoinForm()
    if form.validate_on_submit():
        try:
            family = families.join(db.session, current_user.user, form.code.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(_("Welcome to %(name)s!", name=family.name), "success")
            return redirect(url_for("game.family"))
    return _family_page(422, join_form=form)


@bp.route("/join/<code>")
@roles_required(Role.RESIDENT)
def join_by_link(code: str):
    """Where an invite QR code leads: shows the family and asks to confirm (a GET never joins)."""
    try:
        target = families.by_code(db.session, code)
    except DomainError:
        abort(404)
    form = JoinForm(code=families.normalise_code(code), formdata=None)
    return render_template("game/join.html", target=target, form=form)


def _post_and_return(action, message: str):
    if EmptyForm().validate_on_submit():
        try:
            action()
        except DomainError as error:
            flash(_(error.message), "error")
        else:
            flash(message, "success")
    return redirect(url_for("game.family"))


@bp.route("/family/leave", methods=["POST"])
@roles_required(Role.RESIDENT)
def leave_family():
    return _post_and_return(lambda: families.leave(db.session, current_user.user), _("You have left the family."))


@bp.route("/family/code", methods=["POST"])
@roles_required(Role.RESIDENT)
def renew_code():
    return _post_and_return(
        lambda: families.new_code(db.session, current_user.user),
        _("New invite code made; the old one no longer works."),
    )


@bp.route("/family/hand-over", methods=["POST"])
@roles_required(Role.RESIDENT)
def hand_over():
    member = request.form.get("member", type=int)
    if member is None:
        flash(_("Choose another member of your family."), "error")
        return redirect(url_for("game.family"))
    return _post_and_return(
        lambda: families.hand_over(db.session, current_user.user, member), _("The family has a new founder.")
    )


@bp.route("/settings", methods=["POST"])
@roles_required(Role.RESIDENT)
def settings():
    form = BoardsSettingsForm()
    if form.validate_on_submit():
        gamification.set_hidden(db.session, current_user.user, bool(form.hidden_from_boards.data))
        flash(
            _("You are hidden from the leaderboards.")
            if form.hidden_from_boards.data
            else _("You appear on the leaderboards again."),
            "success",
        )
    return redirect(url_for("resident.profile"))
