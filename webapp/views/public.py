"""Pages anyone may see: home, privacy notice, language and text-size switches, health checks, the
service worker."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
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


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker, from the site root so that its scope is the whole site (static/js/sw.js)."""
    script = Path(current_app.static_folder, "js", "sw.js").read_bytes()  # small: no open file left to a client
    response = current_app.response_class(script, mimetype="text/javascript")
    response.add_etag()
    response.make_conditional(request)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"  # a new version is picked up on the next visit
    return response


TEXT_SIZE_COOKIE = "text_size"
TEXT_SIZES = ("normal", "large")


@bp.route("/text-size/<size>", methods=["POST"])
@public
def set_text_size(size: str):
    """Large text is a browser preference (a cookie, a year): it applies before and after sign-in."""
    target = request.form.get("next", "")
    target = target if target.startswith("/") and not target.startswith("//") else url_for("public.home")
    response = redirect(target)
    if size not in TEXT_SIZES or not EmptyForm().validate_on_submit():
        return response
    if size == "large":
        response.set_cookie(
            TEXT_SIZE_COOKIE,
            "large",
            max_age=365 * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(TEXT_SIZE_COOKIE)
    return response


def large_text() -> bool:
    """Whether this browser asked for large text (base.html puts `large-text` on <html>)."""
    return has_request_context() and request.cookies.get(TEXT_SIZE_COOKIE) == "large"


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
