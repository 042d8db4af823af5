"""Reading the audit log: GET /api/v1/admin/audit and /admin/audit, admins only, filtered and paginated."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Role, User
from webapp.services import accounts

from .conftest import PASSWORD
from .pages import csrf_from


@pytest.fixture
def trail(session, make_user):
    """An admin and 5 events by two actors (account.created by the admin, then 4 token events)."""
    admin = make_user(Role.ADMIN)
    other = make_user(Role.OFFICIAL)
    for n in range(2):
        accounts.issue_token(session, other, f"t{n}")
    accounts.create_user(session, admin, role=Role.PUBLICITY, login="pub@example.com", password=PASSWORD)
    session.commit()
    return admin, other


def test_filters_by_actor_and_action_prefix(api, trail):
    admin, other = trail
    client = api(admin)
    body = client.get(f"/api/v1/admin/audit?actor={other.id}&action=token.").get_json()
    assert [e["action"] for e in body["items"]] == ["token.issued", "token.issued"]
    assert all(e["actor_id"] == other.id for e in body["items"])
    created = client.get(f"/api/v1/admin/audit?actor={admin.id}&action=account.created").get_json()["items"]
    assert len(created) == 1 and created[0]["after"]["role"] == "publicity" and created[0]["before"] is None


def test_filters_by_target_and_days(api, trail):
    admin, other = trail
    client = api(admin)
    by_target = client.get(f"/api/v1/admin/audit?target_type=User&target_id={other.id}").get_json()["items"]
    assert by_target and all(e["target_id"] == other.id for e in by_target)
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
    assert client.get(f"/api/v1/admin/audit?from={today}&to={today}").get_json()["items"]
    tomorrow = today + dt.timedelta(days=1)
    assert client.get(f"/api/v1/admin/audit?from={tomorrow}").get_json()["items"] == []


def test_pages_follow_the_cursor_newest_first_without_overlap(api, trail):
    client = api(trail[0])
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/admin/audit?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [e["id"] for e in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) >= 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30", "from"),
        ("actor=abc", "actor"),
        ("limit=0", "limit"),
        ("cursor=%%%", "cursor"),
        ("from=2026-06-02&to=2026-06-01", "from"),
        ("action=" + "x" * 61, "action"),
    ],
)
def test_bad_filters_are_422_with_the_field(api, trail, query, field):
    response = api(trail[0]).get(f"/api/v1/admin/audit?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.PUBLICITY, Role.MERCHANT, Role.RESIDENT])
def test_only_admins_read_the_log(api, make_user, role):
    client = api(make_user(role))
    assert client.get("/api/v1/admin/audit").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_the_admin_page_shows_before_and_after_and_filters(api, trail):
    admin, _ = trail
    client = api(admin)
    page = client.get(f"/admin/audit?actor={admin.id}&action=account.")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "account.created" in html and "token.issued" not in html
    assert "publicity" in html
    bad = client.get("/admin/audit?from=not-a-day")
    assert bad.status_code == 422 and 'role="alert"' in bad.get_data(as_text=True)


def test_an_admin_changes_a_staff_role_from_the_users_page(api, session, make_user):
    admin, staff = make_user(Role.ADMIN), make_user(Role.OFFICIAL)
    client = api(admin)
    html = client.get("/admin/users").get_data(as_text=True)
    assert f'action="/admin/users/{staff.id}/role"' in html
    token = csrf_from(html)
    response = client.client.post(f"/admin/users/{staff.id}/role", data={"csrf_token": token, "role": "publicity"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, staff.id).role == Role.PUBLICITY
    bad = client.client.post(f"/admin/users/{staff.id}/role", data={"csrf_token": token, "role": "resident"})
    assert bad.status_code == 302
    session.expire_all()
    assert session.get(User, staff.id).role == Role.PUBLICITY
