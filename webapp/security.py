"""Who is asking: sessions with a per-user version, bearer tokens, role gates (default deny), CSRF."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, request, session
from flask_login import AnonymousUserMixin, UserMixin, current_user, login_user, logout_user
from sqlalchemy import inspect

from models import Role, User, utcnow

from .errors import Invalid
from .extensions import csrf, db, login_manager
from .messages import N_
from .services import accounts as accounts_service

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
SIGNED_IN = "signed-in"
ALL_ROLES = frozenset(Role)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints registered by extensions, which cannot carry our decorator.
EXTENSION_ENDPOINTS = {"static": PUBLIC, "api-docs.openapi_json": PUBLIC}
PENDING_KEY = "pending_2fa"  # the password step passed, the second factor not yet
PENDING_SECONDS = 300


class Principal(UserMixin):
    """The signed-in user as flask-login sees it; the id carries the session version."""

    def __init__(self, user: User, via: str = "session") -> None:
        self.user = user
        self.via = via

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return self.user.is_active and self.user.deleted_at is None

    def has_role(self, *roles: Role) -> bool:
        return self.user.role in roles

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)

    def loaded(self, name: str) -> Any:
        """An attribute as already loaded, never by a query: error pages and the access log still work
        after the database connection is lost mid-request."""
        return inspect(self.user).dict.get(name)


class Anonymous(AnonymousUserMixin):
    role = None
    language = None

    def loaded(self, _name: str) -> None:
        return None

    def has_role(self, *roles: Role) -> bool:
        return False


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Declare who may call a view: roles, or PUBLIC, or SIGNED_IN. Undeclared views are denied."""

    allowed = frozenset(roles)

    def decorate(view: F) -> F:
        view.allowed_roles = allowed  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: F) -> F:
    return roles_required(PUBLIC)(view)


def signed_in(view: F) -> F:
    return roles_required(SIGNED_IN)(view)


def allowed_roles(app: Flask, endpoint: str, method: str) -> frozenset | None:
    """The roles a route admits, or None when it declares nothing (and is therefore denied)."""
    if endpoint in EXTENSION_ENDPOINTS:
        return frozenset({EXTENSION_ENDPOINTS[endpoint]})
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method_name = "get" if method == "HEAD" else method.lower()
        view = getattr(view_class, method_name, None)
    return getattr(view, "allowed_roles", None)


def _authorise() -> None:
    if request.endpoint is None or request.method == "OPTIONS":
        return  # 404 / 405 / CORS preflight are answered by Flask itself
    roles = allowed_roles(current_app, request.endpoint, request.method)
    if roles is None:
        log.error("route %s declares no roles: denied", request.endpoint)
        abort(403)
    if PUBLIC in roles:
        return
    if not current_user.is_authenticated:
        abort(401)
    if SIGNED_IN in roles or current_user.role in roles:
        return
    abort(403)


def _authenticate_bearer() -> None:
    header = request.headers.get("Authorization", "")
    if not header or request.routing_exception is not None:
        return  # no view will run: the 404 / 405 answers whatever the credentials
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401)
    user = accounts_service.user_for_token(db.session, token.strip())
    if user is None:
        abort(401)
    g._login_user = Principal(user, via="token")


def _enforce_session_timeouts() -> None:
    if not current_user.is_authenticated or current_user.via != "session":
        return
    now = utcnow().timestamp()
    cfg = current_app.config
    auth_at = session.get("auth_at", 0)
    seen_at = session.get("seen_at", 0)
    if now - auth_at > cfg["SESSION_ABSOLUTE_HOURS"] * 3600 or now - seen_at > cfg["SESSION_IDLE_MINUTES"] * 60:
        logout_user()
        session.clear()
        g._login_user = login_manager.anonymous_user()
        return
    if now - seen_at > 30:
        session["seen_at"] = now


def _protect_csrf() -> None:
    """Every unsafe request carried by a cookie needs the token; bearer and signed partner calls do not."""
    if request.method not in UNSAFE_METHODS or request.routing_exception is not None:
        return  # no view will run: let the 404 / 405 answer
    if getattr(current_user, "via", None) == "token" or request.headers.get("X-Partner-Key"):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "csrf_exempt", False):
        return
    if request.path.startswith("/api/") and not current_user.is_authenticated:
        # Anonymous JSON endpoints (register, login, tokens) accept only application/json,
        # which a cross-site form cannot send; there is no ambient credential to ride on.
        return
    csrf.protect()


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


def _refuse_nul_input() -> None:
    """PostgreSQL cannot store or compare NUL in text: refuse it as bad input (422), not a 500."""
    fields = [k for k, v in request.args.items(multi=True) if _has_nul([k, v])]
    fields += [k for k, v in (request.view_args or {}).items() if _has_nul(v)]
    fields += [k for k, v in request.form.items(multi=True) if _has_nul([k, v])]
    if request.is_json:
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except RecursionError:
            abort(400)  # nested too deep for the JSON parser: malformed
        except ValueError:
            body = None  # the API parser answers malformed JSON with 400
        if isinstance(body, dict):
            fields += [str(k).replace("\x00", "") or "_schema" for k, v in body.items() if _has_nul([k, v])]
        elif _has_nul(body):
            fields.append("_schema")
    if fields:
        raise Invalid(N_("Some fields are not valid."), {f: [N_("Not a valid string.")] for f in fields})


def sign_in(user: User) -> None:
    """A fresh session for a successful sign-in (no fixation)."""
    language = session.get("lang")
    session.clear()
    login_user(Principal(user))
    now = utcnow().timestamp()
    session["auth_at"] = now
    session["seen_at"] = now
    if language:
        session["lang"] = language
    session.permanent = True


def begin_second_step(user: User, purpose: str) -> None:
    """After the password: remember who is half-way ('verify' a code or 'enrol'), without signing in."""
    language = session.get("lang")
    session.clear()
    session[PENDING_KEY] = {"id": user.id, "v": user.session_version, "at": utcnow().timestamp(), "for": purpose}
    if language:
        session["lang"] = language


def pending_user(purpose: str) -> User | None:
    """The account waiting for its second step, while fresh (5 minutes) and not revoked meanwhile."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or data.get("for") != purpose:
        return None
    if utcnow().timestamp() - data.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    user = db.session.get(User, data.get("id"))
    if user is None or user.session_version != data.get("v") or not user.is_active or user.deleted_at is not None:
        return None
    return user


def sign_out() -> None:
    """End this session; the language choice outlives it."""
    language = getattr(current_user, "language", None) or session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language


def _load_session_user(user_id: str) -> Principal | None:
    raw_id, _, version = user_id.partition(":")
    try:
        user = db.session.get(User, int(raw_id))
        version_number = int(version)
    except ValueError:
        return None
    if user is None or user.session_version != version_number or user.deleted_at is not None:
        return None
    return Principal(user)


def init_security(app: Flask) -> None:
    login_manager.user_loader(_load_session_user)
    login_manager.anonymous_user = Anonymous
    login_manager.session_protection = None  # the session version does the revoking
    app.before_request(_authenticate_bearer)
    app.before_request(_enforce_session_timeouts)
    app.before_request(_authorise)
    app.before_request(_protect_csrf)
    app.before_request(_refuse_nul_input)
