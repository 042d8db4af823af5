"""Browser hardening on every page: a strict CSP, nosniff, no framing, and a session cookie scripts cannot read."""

from __future__ import annotations

import pytest

from .pages import login


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    parts = [p.strip().split(None, 1) for p in policy.split(";") if p.strip()]
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


@pytest.mark.parametrize("path", ["/", "/auth/login", "/auth/register", "/privacy", "/api/docs"])
def test_pages_send_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = directives(response)
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp.get("script-src", "") and "'unsafe-eval'" not in csp.get("script-src", "")


def test_pages_forbid_sniffing_and_framing(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_api_responses_carry_nosniff_too(client):
    assert client.get("/api/v1/districts").headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/api/v1/me").headers["X-Content-Type-Options"] == "nosniff"


def session_cookie_header(response) -> str:
    cookies = [v for v in response.headers.getlist("Set-Cookie") if v.startswith("session=")]
    assert cookies, "no session cookie was set"
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax_on_a_page(client):
    cookie = session_cookie_header(client.get("/auth/register"))  # the form stores its CSRF secret
    attributes = {part.strip().split("=")[0].lower(): part for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].strip() == "SameSite=Lax"


def test_session_cookie_is_httponly_and_samesite_lax_after_sign_in(client, resident):
    cookie = session_cookie_header(login(client, resident))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # bounded by the absolute session lifetime


def test_inline_scripts_and_styles_are_absent_from_pages(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html and "<style>" not in html
