"""The OpenAPI document states every status an operation can answer, and the API answers as it says:
405 with a correct Allow for an undeclared method, 404 for ids no row can have, strict JSON types."""

from __future__ import annotations

import re

import pytest

from models import Role
from webapp.routing import ROW_ID_MAX

METHODS = {"get", "post", "put", "patch", "delete"}
UNDECLARED = ["PUT", "PATCH", "DELETE", "POST", "GET", "TRACE"]
ARGUMENT = re.compile(r"<(?:([^<>:]+):)?[^<>]+>")


def _sample(match: re.Match) -> str:
    """A value the route's converter takes: the first choice of any(...), else 1."""
    converter = match.group(1) or ""
    return converter[4:].split(",")[0].strip() if converter.startswith("any(") else "1"


@pytest.fixture(scope="module")
def document(app):
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation, item.get("parameters", [])


def test_no_operation_hides_its_errors_behind_a_default_response(document):
    assert [(p, m) for p, m, op, _ in _operations(document) if "default" in op["responses"]] == []


def test_every_operation_states_the_errors_its_shape_implies(document):
    missing = []
    for path, method, operation, path_params in _operations(document):
        statuses = set(operation["responses"])
        needed = {"401"}
        if method != "get":
            needed |= {"400", "409"}
        if path_params:
            needed |= {"404", "422"}
        if "requestBody" in operation:
            needed |= {"400", "413", "422"}
        if operation.get("parameters"):
            needed.add("422")
        if operation.get("security") != [] and not needed <= statuses:
            missing.append((method.upper(), path, sorted(needed - statuses)))
    assert missing == []


def test_a_role_gated_operation_states_403_and_a_public_one_does_not(document):
    gated = document["paths"]["/api/v1/account"]["get"]["responses"]
    public = document["paths"]["/api/v1/districts"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(gated)
    assert "403" not in public


def test_a_rate_limited_operation_states_429(document):
    assert "429" in document["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "429" not in document["paths"]["/api/v1/districts"]["get"]["responses"]


def test_error_responses_point_at_the_error_envelope(document):
    error = document["components"]["responses"]["NOT_FOUND"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_undeclared_methods_answer_405_with_the_declared_ones(app, client):
    """Every API path, even with a bad bearer token: 405 and the declared methods in Allow, never 401."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = ARGUMENT.sub(_sample, rule.rule)
        declared = {m for r in app.url_map.iter_rules() if r.rule == rule.rule for m in r.methods}
        for method in UNDECLARED:
            if method in declared:
                continue
            response = client.open(path, method=method, headers={"Authorization": "Bearer not-a-token"})
            assert response.status_code == 405, (method, path, response.status_code)
            assert set(response.headers["Allow"].split(", ")) == declared, (method, path)


def test_an_id_beyond_the_database_integer_is_404_not_500(api, make_user):
    client = api(make_user(Role.RESIDENT))
    for path in (f"/api/v1/campaigns/{ROW_ID_MAX + 1}", f"/api/v1/rewards/{10**17}", "/api/v1/campaigns/007"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/api/v1/campaigns/{ROW_ID_MAX}").status_code == 404


@pytest.mark.parametrize("value", [0, 1, "true", None])
def test_game_settings_take_a_json_boolean_only(api, make_user, value):
    client = api(make_user(Role.RESIDENT))
    response = client.patch("/api/v1/game/settings", json={"hidden_from_boards": value})
    assert response.status_code == 422
    assert "hidden_from_boards" in response.get_json()["errors"]
    assert client.get("/api/v1/game/settings").get_json()["hidden_from_boards"] is False


def test_the_export_answers_as_its_documented_schema(document, api, make_user):
    client = api(make_user(Role.RESIDENT))
    body = client.get("/api/v1/me/export").get_json()
    schema = document["components"]["schemas"]["ExportOut"]
    assert set(body) == set(schema["properties"]) == set(schema["required"])
