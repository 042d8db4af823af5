"""Green families: create, invite by code or QR, at most 8 members, leave, hand over, dissolve."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Board, BoardScore, Role
from webapp.errors import Conflict, Forbidden, Invalid, NotFound
from webapp.services import families

from .carbon import make_type
from .game import city_time, credit
from .pages import csrf_from, login


def test_a_resident_founds_a_family_and_is_its_first_member(session, resident):
    family = families.create(session, resident, "  绿色   小家  ")
    assert family.name == "绿色 小家" and family.founder_id == resident.id and family.member_count == 1
    assert len(family.invite_code) == families.CODE_LENGTH
    assert families.family_of(session, resident).id == family.id
    with pytest.raises(Conflict):
        families.create(session, resident, "Second")


def test_only_residents_with_a_sensible_name_found_families(session, make_user, resident):
    with pytest.raises(Forbidden):
        families.create(session, make_user(Role.MERCHANT), "Shop family")
    with pytest.raises(Invalid):
        families.create(session, resident, "   ")
    with pytest.raises(Invalid):
        families.create(session, resident, "x" * 41)


def test_joining_by_code_accepts_the_displayed_form(session, make_user):
    founder, a, b = make_user(), make_user(), make_user()
    family = families.create(session, founder, "Home")
    shown = families.display_code(family.invite_code)
    assert shown.startswith("F-") and len(shown) == 11
    families.join(session, a, shown.lower())
    families.join(session, b, f" {family.invite_code[:4]} {family.invite_code[4:]} ")
    assert family.member_count == 3
    with pytest.raises(NotFound):
        families.join(session, make_user(), "F-ZZZZ-ZZZZ")


def test_the_ninth_member_is_refused(session, make_user):
    founder = make_user()
    family = families.create(session, founder, "Big family")
    for _ in range(7):
        families.join(session, make_user(), family.invite_code)
    assert family.member_count == 8
    ninth = make_user()
    with pytest.raises(Conflict, match="8 members"):
        families.join(session, ninth, family.invite_code)
    assert families.family_of(session, ninth) is None and family.member_count == 8


def test_a_member_leaves_and_the_founder_hands_over_on_leaving(session, make_user):
    founder, first, second = make_user(), make_user(), make_user()
    family = families.create(session, founder, "Moving")
    families.join(session, first, family.invite_code)
    families.join(session, second, family.invite_code)
    families.leave(session, second)
    assert family.member_count == 2 and families.family_of(session, second) is None
    families.leave(session, founder)
    assert family.founder_id == first.id and family.member_count == 1
    with pytest.raises(NotFound):
        families.leave(session, founder)


def test_the_last_member_leaving_dissolves_the_family_and_its_board_rows(session, resident):
    walk = make_type(session, grams="100")
    family = families.create(session, resident, "Short-lived")
    code = family.invite_code
    credit(session, resident, walk.code, 3, city_time(dt.date(2026, 6, 8)))
    families.leave(session, resident)
    assert family.dissolved_at is not None and family.invite_code is None and family.member_count == 0
    rows = session.query(BoardScore).filter_by(board=Board.TEAM.value, subject_id=family.id).all()
    assert rows and not any(r.listed for r in rows)
    with pytest.raises(NotFound):
        families.by_code(session, code)


def test_the_founder_hands_over_to_a_member_only(session, make_user):
    founder, member, outsider = make_user(), make_user(), make_user()
    family = families.create(session, founder, "Relay")
    families.join(session, member, family.invite_code)
    with pytest.raises(Forbidden):
        families.hand_over(session, member, founder.id)
    with pytest.raises(Invalid):
        families.hand_over(session, founder, outsider.id)
    with pytest.raises(Invalid):
        families.hand_over(session, founder, founder.id)
    families.hand_over(session, founder, member.id)
    assert family.founder_id == member.id
    old = family.invite_code
    families.new_code(session, member)
    assert family.invite_code != old
    with pytest.raises(NotFound):
        families.join(session, make_user(), old)


def test_family_totals_count_what_members_avoid_while_members(session, make_user):
    walk = make_type(session, grams="100")
    a, b = make_user(), make_user()
    monday = dt.date(2026, 6, 8)
    credit(session, b, walk.code, 9, city_time(monday, 8))  # before joining: not the family's
    family = families.create(session, a, "Counting")
    families.join(session, b, family.invite_code)
    credit(session, a, walk.code, 2, city_time(monday, 9))
    credit(session, b, walk.code, 3, city_time(monday, 10))
    assert families.totals(session, family, now=city_time(monday, 20)) == {"week": 500, "month": 500, "all": 500}


# --- pages and API ------------------------------------------------------------------------------------


def test_family_page_creates_shows_code_and_qr_and_joins_by_the_qr_link(app, client, session, make_user):
    founder, guest = make_user(nickname="founder"), make_user(nickname="guest")
    login(client, founder)
    page = client.get("/game/family").get_data(as_text=True)
    response = client.post("/game/family", data={"csrf_token": csrf_from(page), "name": "Qr family"})
    assert response.status_code == 302
    html = client.get("/game/family").get_data(as_text=True)
    family = families.family_of(session, founder)
    assert families.display_code(family.invite_code) in html and "<svg" in html
    join_link = f"/game/join/{family.invite_code}"
    assert join_link in html
    other = app.test_client()
    login(other, guest)
    confirm = other.get(join_link)
    assert confirm.status_code == 200 and families.family_of(session, guest) is None  # a GET never joins
    joined = other.post(
        "/game/family/join", data={"csrf_token": csrf_from(confirm.get_data(as_text=True)), "code": family.invite_code}
    )
    assert joined.status_code == 302 and families.family_of(session, guest).id == family.id
    assert other.get("/game/join/ZZZZZZZZ").status_code == 404


def test_family_page_leave_and_hand_over_buttons(client, session, make_user):
    founder, member = make_user(), make_user()
    family = families.create(session, founder, "Buttons")
    families.join(session, member, family.invite_code)
    session.commit()
    login(client, founder)
    token = csrf_from(client.get("/game/family").get_data(as_text=True))
    assert client.post("/game/family/hand-over", data={"csrf_token": token, "member": member.id}).status_code == 302
    session.expire_all()
    assert family.founder_id == member.id
    assert client.post("/game/family/leave", data={"csrf_token": token}).status_code == 302
    assert families.family_of(session, founder) is None


def test_family_api(api, session, make_user):
    founder, member = make_user(), make_user()
    one, two = api(founder), api(member)
    assert one.get("/api/v1/family").status_code == 404
    created = one.post("/api/v1/family", json={"name": "Api family"})
    assert created.status_code == 201
    body = created.get_json()
    assert body["name"] == "Api family" and body["is_founder"] and body["max_members"] == 8
    joined = two.post("/api/v1/family/join", json={"code": body["invite_code"]})
    assert joined.status_code == 200 and joined.get_json()["member_count"] == 2
    assert two.post("/api/v1/family/join", json={"code": body["invite_code"]}).status_code == 409
    assert two.post("/api/v1/family/hand-over", json={"member_id": founder.id}).status_code == 403
    assert one.post("/api/v1/family/hand-over", json={"member_id": member.id}).get_json()["founder_id"] == member.id
    assert two.post("/api/v1/family/code").status_code == 200
    assert one.post("/api/v1/family/leave").status_code == 204
    assert one.post("/api/v1/family/leave").status_code == 404
    assert one.post("/api/v1/family", json={}).status_code == 422


def test_the_ninth_member_gets_409_from_the_api(api, session, make_user):
    founder = make_user()
    family = families.create(session, founder, "Full")
    for _ in range(7):
        families.join(session, make_user(), family.invite_code)
    session.commit()
    response = api(make_user()).post("/api/v1/family/join", json={"code": family.invite_code})
    assert response.status_code == 409 and response.get_json()["code"] == 409
