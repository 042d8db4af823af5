"""The domain error tree and the one place that maps errors to HTTP, JSON and pages."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .validation_messages import translate_errors

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Raised by services; `status` says how the web layer reports it."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


class Invalid(DomainError):
    status = 422

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls(message, {name: [message]})


class Unauthenticated(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class InsufficientCredits(Conflict):
    pass


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json" and not request.accept_mimetypes.accept_html
    )


def error_response(status: int, message: str, errors: dict | None = None, headers=None) -> Response:
    body: dict = {"code": status, "message": message}
    if errors:
        body["errors"] = errors
    if wants_json():
        response = jsonify(body)
    else:
        response = Response(render_template("error.html", code=status, message=message), mimetype="text/html")
    response.status_code = status
    for name, value in headers or []:
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _translated_default(status: int) -> str:
    messages = {
        400: _("The request could not be read."),
        401: _("Please sign in first."),
        403: _("You do not have permission to do that."),
        404: _("Not found."),
        405: _("This method is not allowed here."),
        409: _("That conflicts with the current state."),
        413: _("The upload is too large."),
        422: _("Some fields are not valid."),
        429: _("Too many attempts; please wait a moment and try again."),
        500: _("Something went wrong on our side."),
        503: _("The service is briefly unavailable; please try again in a moment."),
    }
    return messages.get(status) or _("Error %(code)s", code=status)


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 401 and not wants_json():
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    errors = None
    data = getattr(exc, "data", None) or {}
    # webargs/flask-smorest put validation messages under data["messages"] by location.
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages and status == 422:
        errors = {}
        for location_errors in messages.values():
            if isinstance(location_errors, dict):
                errors.update(translate_errors(location_errors))
    message = _translated_default(status)
    if status == 400 and request.path.startswith("/api/") and request.is_json:
        message = _("Malformed JSON body.")
    headers = list(exc.get_headers()) if status == 405 else list((data.get("headers") or {}).items())
    return error_response(status, message, errors, headers)


def _domain_error(exc: DomainError) -> Response:
    return error_response(exc.status, _(exc.message), translate_errors(exc.errors))


def _validation_error(exc: ValidationError) -> Response:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return error_response(422, _translated_default(422), translate_errors(messages))


def _csrf_error(exc: CSRFError) -> Response:
    return error_response(400, _("The form expired or the CSRF token is missing; reload and try again."))


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, _translated_default(500))


def database_error(exc: DBAPIError) -> Response:
    """A lost or refused database connection is 503 with Retry-After: the pool replaces a connection the
    server closed at the next checkout (webapp.db), so a retry succeeds. Any other driver error is a
    bug, reported as 500."""
    if not (exc.connection_invalidated or isinstance(exc, (OperationalError, InterfaceError))):
        return _unexpected(exc)
    log.warning("database unavailable on %s %s: %s", request.method, request.path, type(exc.orig).__name__)
    return error_response(503, _translated_default(503), headers=[("Retry-After", "1")])


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(Exception, _unexpected)
