"""Station attendants: a deposit is a verified waste action credited once, an attendant never credits
themself, the per-station daily cap holds (also under a race on PostgreSQL), and the API's 422s."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import Action, ActionStatus, Evidence, Role, StationDeposit, User
from webapp.errors import Conflict, Invalid, NotFound
from webapp.extensions import db
from webapp.services import ledger, members, stations

from .conftest import PASSWORD, is_postgres
from .helpers import login_body, make_user_factory, race_sessions


def _station(session, make_user, name="城区回收站"):
    admin = make_user(Role.ADMIN)
    station = stations.create_station(session, admin, name, "371402", "德城区新湖大街 1 号")
    attendant = make_user(Role.ATTENDANT)
    stations.assign_attendant(session, admin, attendant, station)
    session.commit()
    return station, attendant


def test_a_deposit_credits_the_resident_once_as_a_verified_station_action(session, make_user, resident):
    station, attendant = _station(session, make_user)
    code = members.member_code(session, resident)
    row = stations.deposit(session, attendant, code, "paper", "2.5", daily_cap_kg=500)
    action = session.get(Action, row.action_id)
    assert action.user_id == resident.id and action.status == ActionStatus.CREDITED
    assert action.evidence == Evidence.WASTE_STATION
    assert action.evidence_ref == f"station {station.id}, attendant {attendant.id}"
    assert action.credits > 0 and action.quantity == Decimal("2.500")
    assert (row.station_id, row.attendant_id, row.resident_id) == (station.id, attendant.id, resident.id)
    assert ledger.account_for(session, resident).balance == action.credits
    assert session.scalar(select(func.count()).select_from(Action).where(Action.user_id == resident.id)) == 1
    assert ledger.verify(session) == []


def test_an_attendant_cannot_credit_themself(session, make_user):
    _station_row, attendant = _station(session, make_user)
    own = members.member_code(session, attendant)
    with pytest.raises(Invalid) as refused:
        stations.deposit(session, attendant, own, "paper", "1", daily_cap_kg=500)
    assert "member_code" in refused.value.errors
    assert session.scalar(select(func.count()).select_from(StationDeposit)) == 0


def test_the_station_daily_cap_is_enforced(session, make_user, resident):
    _station_row, attendant = _station(session, make_user)
    code = members.member_code(session, resident)
    stations.deposit(session, attendant, code, "glass", "8", daily_cap_kg=10)
    with pytest.raises(Conflict, match="cap"):
        stations.deposit(session, attendant, code, "glass", "3", daily_cap_kg=10)
    stations.deposit(session, attendant, code, "glass", "2", daily_cap_kg=10)  # exactly up to the cap
    assert session.scalar(select(func.sum(StationDeposit.weight_kg))) == Decimal(10)


def test_unknown_member_codes_and_non_residents_are_404(session, make_user):
    _station_row, attendant = _station(session, make_user)
    with pytest.raises(NotFound):
        stations.deposit(session, attendant, "M-NOSUCHCODE22", "paper", "1", daily_cap_kg=500)


def test_api_deposit_201_and_422s_change_nothing(session, make_user, resident, api):
    _station_row, attendant = _station(session, make_user)
    code = members.member_code(session, resident)
    session.commit()
    client = api(attendant)
    ok = client.post("/api/v1/station/deposits", json={"member_code": code, "category": "paper", "weight_kg": 1.5})
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["category"] == "waste_paper"
    bad = [
        ({"member_code": code, "category": "gold", "weight_kg": 1}, "category"),
        ({"member_code": code, "category": "paper", "weight_kg": 999}, "weight_kg"),
        ({"member_code": code, "category": "paper", "weight_kg": -1}, "weight_kg"),
        ({"member_code": code, "category": "paper"}, "weight_kg"),
        ({"member_code": members.member_code(session, attendant), "category": "paper", "weight_kg": 1}, "member_code"),
    ]
    session.commit()
    for body, field in bad:
        response = client.post("/api/v1/station/deposits", json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert field in response.get_json()["errors"], response.get_json()
    assert session.scalar(select(func.count()).select_from(StationDeposit)) == 1
    assert api(resident).post("/api/v1/station/deposits", json={}).status_code == 403
    listed = api(make_user(Role.ADMIN)).get("/api/v1/admin/station-deposits")
    assert listed.status_code == 200 and len(listed.get_json()) == 1


@pytest.mark.skipif(not is_postgres(), reason="row locks race only on PostgreSQL")
def test_two_attendants_racing_past_the_daily_cap_the_cap_holds(app, committed):
    db.factory.configure(bind=db.engine, join_transaction_mode="conditional_savepoint")
    make_user = make_user_factory(committed, PASSWORD)
    station, first = _station(committed, make_user, name="竞速回收站")
    second = make_user(Role.ATTENDANT)
    stations.assign_attendant(committed, None, second, station)
    residents = [make_user(Role.RESIDENT) for _ in range(6)]
    codes = [members.member_code(committed, r) for r in residents]
    committed.commit()
    attendant_ids = [first.id, second.id]

    def work(session, i):
        attendant = session.get(User, attendant_ids[i % 2])
        stations.deposit(session, attendant, codes[i], "paper", "4", daily_cap_kg=10)

    outcomes = race_sessions(app, 6, work)
    committed.expire_all()
    assert outcomes.count("ok") == 2 and outcomes.count("Conflict") == 4, outcomes
    assert committed.scalar(select(func.sum(StationDeposit.weight_kg))) == Decimal(8)
    assert ledger.verify(committed) == []


def test_the_attendant_page_credits_by_typed_code_and_refuses_self_credit(session, make_user, resident, app):
    _station_row, attendant = _station(session, make_user)
    code, own = members.member_code(session, resident), members.member_code(session, attendant)
    session.commit()
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json=login_body(attendant, PASSWORD)).status_code == 200
    page = client.get("/station/")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    body = {"csrf_token": token, "category": "waste_paper", "weight_kg": "1"}
    refused = client.post("/station/", data={**body, "member_code": own})
    assert refused.status_code == 422
    done = client.post("/station/", data={**body, "member_code": code})
    assert done.status_code == 302
    assert session.scalar(select(func.count()).select_from(StationDeposit)) == 1


def test_the_admin_creates_a_station_and_its_attendant_and_lists_deposits(session, make_user, app):
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json=login_body(admin, PASSWORD)).status_code == 200
    page = client.get("/admin/stations/")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    bad = client.post("/admin/stations/", data={"csrf_token": token, "name": "", "district": "371402", "address": "x"})
    assert bad.status_code == 422
    made = {"csrf_token": token, "name": "河东回收站", "district": "371402", "address": "德城区河东路 2 号"}
    assert client.post("/admin/stations/", data=made).status_code == 302
    station = session.scalar(select(stations.Station).where(stations.Station.name == "河东回收站"))
    body = {"csrf_token": token, "station": str(station.id), "login": "keeper@example.com", "nickname": "值守"}
    assert client.post("/admin/stations/attendants", data={**body, "password": PASSWORD}).status_code == 302
    keeper = session.scalar(select(User).where(User.email == "keeper@example.com"))
    assert keeper.role == Role.ATTENDANT and keeper.station_id == station.id
    listed = client.get(f"/admin/stations/?station={station.id}&day=2026-12-07")
    assert listed.status_code == 200 and "没有投放记录" in listed.get_data(as_text=True)


def test_an_existing_attendant_moves_to_another_station_by_api_and_page(session, make_user, resident, api, app):
    first, attendant = _station(session, make_user)
    second = stations.create_station(session, make_user(Role.ADMIN), "河西回收站", "371402", "德城区河西路 3 号")
    session.commit()
    admin = make_user(Role.ADMIN)
    client = api(admin)
    moved = client.put(f"/api/v1/admin/stations/{second.id}/attendants/{attendant.id}")
    assert moved.status_code == 200 and moved.get_json() == {
        "user_id": attendant.id,
        "nickname": attendant.nickname,
        "station_id": second.id,
    }
    session.expire_all()
    assert attendant.station_id == second.id
    assert client.put(f"/api/v1/admin/stations/{first.id}/attendants/{resident.id}").status_code == 422
    assert client.put(f"/api/v1/admin/stations/999999/attendants/{attendant.id}").status_code == 404
    assert client.put(f"/api/v1/admin/stations/{first.id}/attendants/999999").status_code == 404
    assert api(attendant).put(f"/api/v1/admin/stations/{first.id}/attendants/{attendant.id}").status_code == 403
    session.expire_all()
    assert resident.role == Role.RESIDENT and resident.station_id is None and attendant.station_id == second.id

    page = client.get("/admin/stations/").get_data(as_text=True)
    assert 'data-test="assign-attendant"' in page and f"{attendant.nickname} (河西回收站)" in page
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    bad = {"csrf_token": token, "user": str(resident.id), "station": str(first.id)}
    assert client.post("/admin/stations/assign", data=bad).status_code == 422  # not in the attendant list
    back = {"csrf_token": token, "user": str(attendant.id), "station": str(first.id)}
    assert client.post("/admin/stations/assign", data=back).status_code == 302
    session.expire_all()
    assert attendant.station_id == first.id
