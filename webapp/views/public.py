"""Pages anyone may see: home, privacy notice, language switch, health checks."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from ..extensions import db
from ..forms import EmptyForm
from ..i18n import LANGUAGES
from ..security import public
from ..services import accounts, methodology, projector

bp = Blueprint("public", __name__)


@bp.route("/")
@public
def home():
    if current_user.is_authenticated:
        return redirect(url_for("resident.home"))
    return render_template("public/home.html")


@bp.route("/privacy")
@public
def privacy():
    return render_template("public/privacy.html", version=accounts.PRIVACY_NOTICE_VERSION)


@bp.route("/methodology")
@public
def methodology_page():
    return render_template(
        "public/methodology.html",
        types=methodology.published_types(db.session),
        equivalences=methodology.equivalence_sources(),
    )


@bp.route("/language/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code not in LANGUAGES or not EmptyForm().validate_on_submit():
        return redirect(url_for("public.home"))
    session["lang"] = code
    if current_user.is_authenticated:
        accounts.set_language(db.session, current_user.user, code)
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("public.home"))


@bp.route("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.route("/readyz")
@public
def readyz():
    try:
        lag = projector.backlog(db.session)  # answers only when the database does
    except Exception:  # any driver error means "not ready"
        db.session.rollback()
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up", projector=lag.as_dict())
