"""Bad input gets a clear JSON error with the right status, and never a 500."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import PASSWORD
from .pages import login, page_csrf

JSON = {"Content-Type": "application/json"}
ENDPOINTS = ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/tokens"]
FIELDS = ["phone", "email", "password", "nickname", "district", "consent", "language", "login", "name"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
json_objects = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), json_values, max_size=8)


def test_malformed_json_is_400_with_code_and_message(client):
    for body in ("{bad", '{"phone": ', "\xff\xfe", "[1, 2"):
        response = client.post("/api/v1/auth/register", data=body, headers=JSON)
        assert response.status_code == 400, body
        payload = response.get_json()
        assert payload["code"] == 400 and isinstance(payload["message"], str) and payload["message"]


def test_deeply_nested_json_is_400_not_500(client):
    body = "[" * 100_000 + "]" * 100_000
    assert client.post("/api/v1/auth/login", data=body, headers=JSON).status_code == 400


def test_wrong_types_are_422_naming_each_field(client):
    response = client.post(
        "/api/v1/auth/register",
        json={"phone": 13912345678, "password": ["x"], "nickname": {}, "district": 371402, "consent": "maybe"},
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422 and body["message"]
    assert {"phone", "password", "nickname", "district", "consent"} <= body["errors"].keys()


def test_a_json_array_instead_of_an_object_is_422(client):
    response = client.post("/api/v1/auth/login", json=["13912345678", PASSWORD])
    assert response.status_code == 422
    assert response.get_json()["code"] == 422


def test_nul_characters_are_422_not_a_database_error(client, register_payload):
    bad = [
        ("/api/v1/auth/login", {"login": "139\x0012345678", "password": PASSWORD}, "login"),
        ("/api/v1/auth/register", register_payload(nickname="a\x00b"), "nickname"),
        ("/api/v1/auth/register", register_payload(district="371402\x00"), "district"),
        ("/api/v1/auth/tokens", {"login": "x@y.cn", "password": PASSWORD, "name": "\x00"}, "name"),
    ]
    for path, body, field in bad:
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.get_json())
        assert field in response.get_json()["errors"]


def test_nul_in_a_form_or_query_is_422(client):
    assert client.get("/auth/login?next=/\x00").status_code == 422
    token = page_csrf(client, "/auth/login")
    form = {"csrf_token": token, "login": "139\x0012345678", "password": PASSWORD}
    assert client.post("/auth/login", data=form).status_code == 422


def test_unknown_api_url_is_404_json(client):
    for path in ("/api/v1/nope", "/api/v2/me", "/api/v1/auth/tokens/not-a-number"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json() == {"code": 404, "message": response.get_json()["message"]}


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_wrong_method_on_the_api_is_405_with_allow(client):
    response = client.get("/api/v1/auth/register")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert response.get_json()["code"] == 405


def test_wrong_method_with_a_session_but_no_csrf_is_still_405(client, resident):
    login(client, resident)
    response = client.delete("/api/v1/districts")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_wrong_method_on_a_page_is_405_with_allow(client):
    response = client.delete("/")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_post_to_an_unknown_page_is_404_not_a_csrf_error(client):
    assert client.post("/no-such-page").status_code == 404


def test_signed_out_page_redirects_to_login_with_next(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/me/")


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(ENDPOINTS), body=json_objects)
def test_random_json_objects_never_cause_a_server_error(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code < 500, (path, body, response.get_json())
    assert response.get_json()["code"] == response.status_code or response.status_code in (200, 201)
