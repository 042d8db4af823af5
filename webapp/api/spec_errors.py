"""Every operation of the OpenAPI document states the error statuses it can answer, derived from what
the operation is (its roles, path, parameters, body, method, rate limits), so new endpoints are covered
without writing anything. The rules follow API.md "Conventions" and webapp/security.py."""

from __future__ import annotations

from apispec import BasePlugin
from flask import Flask
from flask_limiter.util import get_qualified_name

from ..extensions import limiter
from ..security import PUBLIC, UNSAFE_METHODS, allowed_roles

# Component responses flask-smorest registers for each status (name -> "$ref"), with the Error schema.
STATUS_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: "REQUEST_ENTITY_TOO_LARGE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
}


def error_statuses(app: Flask, rule, method: str, operation: dict) -> set[int]:
    """The error statuses `method` on `rule` can answer."""
    statuses = {401}  # a bad or revoked bearer token, on any route
    roles = allowed_roles(app, rule.endpoint, method.upper()) or frozenset()
    if PUBLIC not in roles:
        # a role gate; and an object of the caller's that is missing or named in the request (a family,
        # a voucher code), 404 also for another user's object (API.md: no IDOR hints)
        statuses |= {403, 404}
    if method.upper() in UNSAFE_METHODS:
        statuses |= {400, 409}  # CSRF token missing (cookie sessions); a state or idempotency conflict
    if rule.arguments:
        statuses |= {404, 422}  # no such object (or another user's); NUL or bad text in the path
    if operation.get("parameters"):
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413, 422}  # malformed JSON, a body over MAX_CONTENT_LENGTH, invalid fields
    if _rate_limited(app, rule.endpoint):
        statuses.add(429)
    return statuses


def _rate_limited(app: Flask, endpoint: str) -> bool:
    view = app.view_functions.get(endpoint)
    return bool(view and limiter.limit_manager.decorated_limits(get_qualified_name(view)))


class ErrorResponses(BasePlugin):
    """Adds the statuses of `error_statuses` to every operation, keeping any response a view documents."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app
        self.spec = None

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            documented = {str(status) for status in responses}  # flask-smorest keys them by int
            for status in sorted(error_statuses(self.app, rule, method, operation)):
                if str(status) not in documented:
                    responses[status] = STATUS_NAMES[status]
            self._optional_body(operation)

    def _optional_body(self, operation: dict) -> None:
        """A body whose schema requires no field may be left out: say so, as the parser accepts it."""
        body = operation.get("requestBody")
        if not body:
            return
        for content in body.get("content", {}).values():
            ref = content.get("schema", {}).get("$ref", "")
            schema = self.spec.components.schemas.get(ref.rpartition("/")[2])
            if schema is not None and not schema.get("required"):
                body["required"] = False


def install(app: Flask, spec) -> None:
    """Register the plugin on `spec` (flask-smorest builds the spec before the blueprints are added)."""
    plugin = ErrorResponses(app)
    plugin.init_spec(spec)
    spec.plugins.append(plugin)
