"""Accounts API: register, sign in and out, CSRF token, bearer tokens, the caller's own data."""

from __future__ import annotations

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from models import Role, User

from ..errors import Unauthenticated
from ..extensions import db, limiter
from ..ratelimit import login_key
from ..schemas.accounts import CsrfOut, LoginIn, RegisterIn, TokenIn, TokenOut, UserOut, export_schema
from ..security import public, roles_required, sign_in, sign_out, signed_in
from ..services import accounts, privacy, two_factor

auth_blp = Blueprint("api_auth", __name__, url_prefix="/auth", description="Sign-up, sign-in and tokens")
me_blp = Blueprint("api_me", __name__, url_prefix="/me", description="The caller's own account")

LOGIN_LIMITS = {"deduct_when": lambda response: response.status_code == 401}  # only failures count


def _authenticate(data: dict) -> User:
    """Password, then for staff who enrolled the second factor (`otp`); admins must have enrolled."""
    user = accounts.authenticate(db.session, data["login"], data["password"])
    if two_factor.must_enrol(user):
        raise Unauthenticated(two_factor.ENROL_FIRST)
    if two_factor.required(user):
        two_factor.verify(db.session, user, data.get("otp"))
    return user


@auth_blp.route("/register", methods=["POST"])
@public
@auth_blp.arguments(RegisterIn)
@auth_blp.response(201, UserOut)
def register(data):
    """Register a resident (consent to the privacy notice required)."""
    return accounts.register_resident(db.session, accounts.Registration(**data))


@auth_blp.route("/login", methods=["POST"])
@public
@limiter.limit("30/minute", **LOGIN_LIMITS)
@limiter.limit("5/minute;20/hour", key_func=login_key, **LOGIN_LIMITS)
@auth_blp.arguments(LoginIn)
@auth_blp.response(200, UserOut)
def login(data):
    """Sign in with phone or e-mail; sets the session cookie."""
    user = _authenticate(data)
    sign_in(user)
    return user


@auth_blp.route("/logout", methods=["POST"])
@signed_in
@auth_blp.response(204)
def logout():
    """Sign out everywhere: every session of this account ends."""
    if current_user.via == "session":
        accounts.end_all_sessions(db.session, current_user.user)
        sign_out()
    return Response(status=204)


@auth_blp.route("/csrf", methods=["GET"])
@public
@auth_blp.response(200, CsrfOut)
def csrf_token():
    """The token to send as X-CSRFToken on unsafe requests made with the session cookie."""
    return {"csrf_token": generate_csrf()}


@auth_blp.route("/tokens", methods=["POST"])
@public
@limiter.limit("30/minute", **LOGIN_LIMITS)
@limiter.limit("5/minute;20/hour", key_func=login_key, **LOGIN_LIMITS)
@auth_blp.arguments(TokenIn)
@auth_blp.response(201, TokenOut)
def create_token(data):
    """A bearer token for a program; shown once, stored hashed."""
    user = _authenticate(data)
    token, raw = accounts.issue_token(db.session, user, data["name"])
    return {"id": token.id, "token": raw, "name": token.name}


@auth_blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@signed_in
@auth_blp.response(204)
def revoke_token(token_id: int):
    """Revoke one of your tokens."""
    accounts.revoke_token(db.session, current_user.user, token_id)
    return Response(status=204)


@me_blp.route("", methods=["GET"])
@signed_in
@me_blp.response(200, UserOut)
def me():
    """Who am I."""
    return current_user.user


@me_blp.route("/export", methods=["GET"])
@roles_required(Role.RESIDENT)
@me_blp.response(200, export_schema())
def export():
    """Everything stored about the caller, as JSON."""
    return privacy.export(db.session, current_user.user)


@me_blp.route("", methods=["DELETE"])
@roles_required(Role.RESIDENT)
@me_blp.response(204)
def delete_me():
    """Erase your personal data; the ledger stays under an anonymous account."""
    accounts.erase(db.session, current_user.user)
    sign_out()
    return Response(status=204)
