"""No game page or endpoint shows another resident's phone or e-mail, and every nickname and family
name is escaped in HTML (a nickname like <script>alert(1)</script> never appears as markup)."""

from __future__ import annotations

import datetime as dt

from models import Role
from webapp.services import accounts, families, recaps

from .carbon import make_type
from .conftest import PASSWORD
from .game import credit
from .pages import login

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(2)">'
PHONE = "13911112222"
EMAIL = "secret.person@example.com"


def _world(session, make_user):
    walk = make_type(session, grams="100")
    viewer = make_user(nickname="viewer")
    scripty = make_user(login=PHONE, nickname=SCRIPT)
    mailer = accounts.create_user(
        session, None, role=Role.RESIDENT, login=EMAIL, password=PASSWORD, nickname=f"{IMG}&amp;", district="371402"
    )
    ours = families.create(session, viewer, f"{IMG} family")
    families.join(session, scripty, ours.invite_code)
    theirs = families.create(session, mailer, SCRIPT)
    now = dt.datetime.now(dt.UTC)
    for i, user in enumerate((viewer, scripty, mailer)):
        credit(session, user, walk.code, 3 + i, now - dt.timedelta(days=8, minutes=i))
        credit(session, user, walk.code, 3 + i, now - dt.timedelta(minutes=5 + i))
    recaps.weekly_recaps(session, now)
    session.commit()
    return viewer, theirs


def _pages(theirs) -> list[str]:
    pages = ["/me/", "/me/profile", "/game/family", "/game/badges", "/game/recaps", f"/game/join/{theirs.invite_code}"]
    pages += [
        f"/game/leaderboards?board={b}&period={p}"
        for b in ("residents", "districts", "teams")
        for p in ("week", "month", "all")
    ]
    return pages


def test_pages_escape_nicknames_and_family_names_and_hide_logins(client, session, make_user):
    viewer, theirs = _world(session, make_user)
    login(client, viewer)
    seen_escaped = set()
    for path in _pages(theirs):
        for language in ("en", "zh-CN"):
            response = client.get(path, headers={"Accept-Language": language})
            html = response.get_data(as_text=True)
            assert response.status_code == 200, path
            assert SCRIPT not in html and "<img src=x" not in html, f"unescaped markup on {path}"
            assert PHONE not in html and EMAIL not in html and "secret.person" not in html, f"login shown on {path}"
            if "&lt;script&gt;alert(1)&lt;/script&gt;" in html:
                seen_escaped.add(path.split("?")[0])
    assert {"/game/leaderboards", "/game/family", "/game/join/" + theirs.invite_code} <= seen_escaped


def test_api_endpoints_never_return_another_residents_login(api, session, make_user):
    viewer, _theirs = _world(session, make_user)
    client = api(viewer)
    paths = ["/api/v1/family", "/api/v1/game/me", "/api/v1/recaps", "/api/v1/game/settings", "/api/v1/badges"]
    paths += [
        f"/api/v1/leaderboards/{b}?period={p}"
        for b in ("residents", "districts", "teams")
        for p in ("week", "month", "all")
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/json"
        body = response.get_data(as_text=True)
        assert PHONE not in body and EMAIL not in body and "secret.person" not in body, path
    members = client.get("/api/v1/family").get_json()["members"]
    assert sorted(m["nickname"] for m in members) == sorted(["viewer", SCRIPT])
    assert set(members[0]) == {"id", "nickname", "joined_at"}
