"""Every route states its roles, and the running app enforces exactly them (DESIGN invariant 8).

The matrix is built from app.url_map at test time, so routes added later are walked automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import Flask

from models import Role
from webapp.security import PUBLIC, SIGNED_IN, UNSAFE_METHODS, allowed_roles

from .conftest import PASSWORD
from .helpers import login_body

KNOWN_MARKERS = {PUBLIC, SIGNED_IN, *Role}
PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
DUMMIES = {"int": "1", "float": "1.0", "uuid": "00000000-0000-4000-8000-000000000000"}


def concrete_path(rule_text: str) -> str:
    """The rule with dummy values: 1 for numbers, 'x' for strings and paths."""

    def fill(match: re.Match) -> str:
        converter = match.group("converter") or "default"
        if converter == "any":
            return match.group("args").split(",")[0].strip().strip("'\"")
        return DUMMIES.get(converter, "x")

    return PLACEHOLDER.sub(fill, rule_text)


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, path) for every rule and method; OPTIONS is answered by Flask itself."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"OPTIONS"}):
            found.append((rule.endpoint, method, concrete_path(rule.rule)))
    return found


@dataclass
class Browsers:
    """One signed-in test client per role, replaced after any request that may have changed it."""

    app: Flask
    make_user: object
    clients: dict = field(default_factory=dict)

    def get(self, role: Role | None):
        if role not in self.clients:
            client = self.app.test_client()
            headers = {}
            if role is not None:
                user = self.make_user(role)
                response = client.post("/api/v1/auth/login", json=login_body(user, PASSWORD))
                assert response.status_code == 200, (role, response.get_json())
                headers["X-CSRFToken"] = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
            self.clients[role] = (client, headers)
        return self.clients[role]

    def call(self, role: Role | None, method: str, path: str):
        client, headers = self.get(role)
        response = client.open(path, method=method, headers=headers)
        if method in UNSAFE_METHODS and response.status_code not in (401, 403):
            del self.clients[role]  # it may have signed out, erased itself, or changed its settings
        return response


# Partner routes pass the role gate (@public), then demand an HMAC signature (tests/test_partners.py):
# to every browser here, anonymous or signed in, they answer a JSON 401 (HEAD: the status alone).
# The province's pull routes are signed the same way.
PARTNER_SIGNED = ("/api/v1/partner/", "/api/v1/province/")


def partner_problems(browsers: Browsers, method: str, path: str) -> list[str]:
    problems = []
    for role in [None, *Role]:
        response = browsers.call(role, method, path)
        code = 401 if method == "HEAD" else (response.get_json(silent=True) or {}).get("code")
        if response.status_code != 401 or code != 401:
            problems.append(f"{describe(role, method, path, response)}: expected a JSON 401 without a signature")
    return problems


def describe(role, method, path, response) -> str:
    return f"{role or 'anonymous'} {method} {path} -> {response.status_code}"


def check_anonymous(declared, method, path, response) -> str | None:
    if PUBLIC in declared:
        if response.status_code in (401, 403):
            return "public route refused an anonymous visitor"
        return None
    if path.startswith("/api/"):
        if response.status_code != 401:
            return "expected 401"
        if method != "HEAD" and response.get_json() != {"code": 401, "message": response.get_json()["message"]}:
            return "expected a JSON 401 body"
        return None
    if response.status_code != 302 or urlsplit(response.headers.get("Location", "")).path != "/auth/login":
        return "expected a redirect to /auth/login"
    return None


def check_role(declared, role, response) -> str | None:
    admitted = PUBLIC in declared or SIGNED_IN in declared or role in declared
    if admitted and response.status_code in (401, 403):
        return f"declared for {sorted(map(str, declared))} but refused"
    if not admitted and response.status_code != 403:
        return f"not declared for {role}: expected 403"
    return None


def test_every_route_declares_its_roles(app):
    problems = []
    for endpoint, method, path in routes(app):
        declared = allowed_roles(app, endpoint, method)
        if not declared:
            problems.append(f"{method} {path} ({endpoint}) declares no roles")
        elif not declared <= KNOWN_MARKERS:
            problems.append(f"{method} {path} declares unknown markers {declared - KNOWN_MARKERS}: teach this test")
    assert not problems, "\n".join(problems)


def test_every_route_admits_exactly_its_declared_roles(app, make_user, db_conn):
    browsers = Browsers(app, make_user)
    problems, walked = [], 0
    for endpoint, method, path in routes(app):
        declared = allowed_roles(app, endpoint, method)
        if not declared:
            continue  # reported by test_every_route_declares_its_roles
        if path.startswith(PARTNER_SIGNED):
            problems += partner_problems(browsers, method, path)
            walked += 1
            continue
        response = browsers.call(None, method, path)
        problem = check_anonymous(declared, method, path, response)
        if problem:
            problems.append(f"{describe(None, method, path, response)}: {problem}")
        for role in Role:
            response = browsers.call(role, method, path)
            assert response.status_code < 500, describe(role, method, path, response)
            problem = check_role(declared, role, response)
            if problem:
                problems.append(f"{describe(role, method, path, response)}: {problem}")
        walked += 1
    assert walked >= 20, "the matrix walked suspiciously few routes"
    assert not problems, "\n".join(problems)


def test_matrix_covers_known_routes(app):
    walked = {(endpoint, method) for endpoint, method, _ in routes(app)}
    assert {
        ("api_me.delete_me", "DELETE"),
        ("api_auth.register", "POST"),
        ("admin.users", "POST"),
        ("public.home", "GET"),
        ("api_auth.revoke_token", "DELETE"),
    } <= walked


def test_concrete_path_fills_every_converter():
    assert concrete_path("/a/<int:id>/b/<code>/c/<path:rest>") == "/a/1/b/x/c/x"
    assert concrete_path("/v/<any(week, month):period>/<uuid:u>") == ("/v/week/00000000-0000-4000-8000-000000000000")
    assert concrete_path("/api/v1/me") == "/api/v1/me"


def test_an_undeclared_view_is_denied(app, client, monkeypatch):
    def undeclared():
        return "should never be served"

    monkeypatch.setitem(app.view_functions, "public.healthz", undeclared)
    assert allowed_roles(app, "public.healthz", "GET") is None
    response = client.get("/healthz")
    assert response.status_code == 403


def test_unknown_endpoint_has_no_declaration(app):
    assert allowed_roles(app, "no.such.endpoint", "GET") is None
