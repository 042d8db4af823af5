"""Helpers for tests that drive the HTML pages: CSRF tokens from forms, cloned cookie jars."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from .conftest import PASSWORD
from .helpers import login_body

_CSRF_INPUT = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')


def csrf_from(html: str) -> str:
    """The hidden csrf_token of the first form in a rendered page."""
    match = _CSRF_INPUT.search(html)
    assert match, "no csrf_token input in the page"
    return match.group(1)


def page_csrf(client: FlaskClient, path: str = "/auth/register") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return csrf_from(response.get_data(as_text=True))


def clone(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of `client`'s session cookie, taken now."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, "the client has no session cookie to copy"
    other = app.test_client()
    other.set_cookie(name, cookie.value)
    return other


def login(client: FlaskClient, user, password: str = PASSWORD):
    return client.post("/api/v1/auth/login", json=login_body(user, password))


def me_status(client: FlaskClient) -> int:
    return client.get("/api/v1/me").status_code
