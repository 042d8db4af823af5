"""Merchants joining and being decided on, rewards published and edited (images checked by their
bytes), the monthly settlement and the city's credit liability; API, CLI and admin pages."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Merchant, MerchantStatus, Reward, Role, User, utcnow
from webapp.errors import Conflict, Forbidden, Invalid
from webapp.services import merchants, redemptions, rewards, settlement

from .pages import csrf_from, login
from .test_merchants_support import OTHER, fund, make_merchant, make_reward, make_staff

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def application(**overrides):
    body = {
        "name": "绿叶生鲜超市",
        "district": "371402",
        "address": "德州市德城区东风中路 1 号",
        "category": "supermarket",
        "contact_name": "李四",
        "contact_phone": "0534-2345678",
    }
    return {**body, **overrides}


# --- applying and deciding ----------------------------------------------------------------------


def test_a_merchant_applies_and_waits_pending(session, api):
    response = api().post("/api/v1/merchants/applications", json=application())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "pending"
    merchant = session.get(Merchant, response.get_json()["id"])
    assert merchant.status == MerchantStatus.PENDING
    assert merchant.district.code == "371402"
    assert api().post("/api/v1/merchants/applications", json=application()).status_code == 409


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("district", "999999"),
        ("category", "casino"),
        ("contact_phone", "call me"),
        ("name", "x"),
    ],
)
def test_a_bad_application_is_422_naming_the_field(session, api, field, value):
    response = api().post("/api/v1/merchants/applications", json=application(**{field: value}))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert session.scalar(select(func.count()).select_from(Merchant).where(Merchant.name == application()["name"])) == 0


def test_the_application_form_creates_a_pending_merchant(session, client):
    token = csrf_from(client.get("/merchants/apply").get_data(as_text=True))
    response = client.post("/merchants/apply", data={**application(name="表单商户"), "csrf_token": token})
    assert response.status_code == 302
    assert session.scalar(select(Merchant).where(Merchant.name == "表单商户")).status == MerchantStatus.PENDING


def test_admin_decides_through_the_api_and_every_decision_is_audited(session, make_user, api):
    shop = make_merchant(session, status=MerchantStatus.PENDING)
    admin = api(make_user(Role.ADMIN))
    assert admin.post(f"/api/v1/admin/merchants/{shop.id}/suspend", json={}).status_code == 409
    for decision, status in [("approve", "approved"), ("suspend", "suspended"), ("reinstate", "approved")]:
        response = admin.post(f"/api/v1/admin/merchants/{shop.id}/{decision}", json={"note": "checked"})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
    assert admin.post(f"/api/v1/admin/merchants/{shop.id}/approve", json={}).status_code == 409
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "Merchant", AuditEvent.target_id == shop.id)
    ).all()
    assert actions == ["merchant.approve", "merchant.suspend", "merchant.reinstate"]
    assert [m["id"] for m in admin.get("/api/v1/admin/merchants?status=approved").get_json()] == [shop.id]
    assert api(make_user(Role.MERCHANT)).post(f"/api/v1/admin/merchants/{shop.id}/suspend", json={}).status_code == 403


def test_admin_creates_staff_for_a_merchant_and_sets_its_cap(session, make_user, api):
    shop = make_merchant(session)
    admin = api(make_user(Role.ADMIN))
    response = admin.post(
        f"/api/v1/admin/merchants/{shop.id}/staff",
        json={"login": "counter@shop.example", "password": "Tidy-Bus-Lane-42", "nickname": "收银"},
    )
    assert response.status_code == 201, response.get_json()
    assert session.get(User, response.get_json()["id"]).merchant_id == shop.id
    capped = admin.post(f"/api/v1/admin/merchants/{shop.id}/cap", json={"daily_issuance_cap": 5000})
    assert capped.get_json()["daily_issuance_cap"] == 5000
    assert admin.post(f"/api/v1/admin/merchants/{shop.id}/cap", json={"daily_issuance_cap": -1}).status_code == 422


def test_the_cli_attaches_staff_to_a_merchant_it_creates_approved(app, session, db_conn):
    runner = app.test_cli_runner()
    args = ["users", "create", "--role", "merchant", "--login", "till@shop.example", "--password", "Tidy-Bus-Lane-42"]
    result = runner.invoke(args=[*args, "--merchant", "新开小店"])
    assert result.exit_code == 0, result.output
    shop = session.scalar(select(Merchant).where(Merchant.name == "新开小店"))
    assert shop.status == MerchantStatus.APPROVED
    assert session.scalar(select(User).where(User.email == "till@shop.example")).merchant_id == shop.id
    second = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "merchant",
            "--login",
            "till2@shop.example",
            "--password",
            "Tidy-Bus-Lane-42",
            "--merchant",
            "新开小店",
        ]
    )
    assert second.exit_code == 0, second.output
    assert session.scalar(select(func.count()).select_from(Merchant).where(Merchant.name == "新开小店")) == 1
    wrong = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "official",
            "--login",
            "o@x.example",
            "--password",
            "Tidy-Bus-Lane-42",
            "--merchant",
            "新开小店",
        ]
    )
    assert wrong.exit_code != 0


def test_admin_pages_list_decide_and_create_staff(session, client, make_user):
    shop = make_merchant(session, status=MerchantStatus.PENDING)
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/merchants/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert shop.name in html
    token = csrf_from(html)
    response = client.post(f"/admin/merchants/{shop.id}/approve", data={"csrf_token": token, "back": "list"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Merchant, shop.id).status == MerchantStatus.APPROVED
    detail = client.get(f"/admin/merchants/{shop.id}")
    assert detail.status_code == 200
    created = client.post(
        f"/admin/merchants/{shop.id}/staff",
        data={
            "csrf_token": csrf_from(detail.get_data(as_text=True)),
            "login": "13900000077",
            "nickname": "店员",
            "password": "Tidy-Bus-Lane-42",
        },
    )
    assert created.status_code == 302
    assert session.scalar(select(User).where(User.phone == "13900000077")).merchant_id == shop.id


def test_staff_without_a_merchant_see_why_and_cannot_act(session, client, make_user, api):
    orphan = make_user(Role.MERCHANT)
    login(client, orphan)
    assert "administrator" in client.get("/merchant/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    response = api(orphan).post(
        "/api/v1/merchant/rewards",
        json={
            "title": "x",
            "cost": 1,
            "stock": 1,
            "valid_from": utcnow().isoformat(),
            "valid_until": (utcnow() + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 409


# --- rewards ------------------------------------------------------------------------------------


def test_staff_publish_edit_and_pause_a_reward_through_the_api(session, staff, make_user, api):
    now = utcnow()
    client = api(staff)
    body = {
        "title": "帆布袋",
        "title_en": "Canvas bag",
        "cost": 800,
        "stock": 20,
        "per_resident_limit": 2,
        "valid_from": now.isoformat(),
        "valid_until": (now + dt.timedelta(days=30)).isoformat(),
    }
    created = client.post("/api/v1/merchant/rewards", json=body)
    assert created.status_code == 201, created.get_json()
    reward_id = created.get_json()["id"]
    english = api().get(f"/api/v1/rewards/{reward_id}", headers={"Accept-Language": "en"}).get_json()
    assert english["title"] == "Canvas bag"
    chinese = api().get(f"/api/v1/rewards/{reward_id}").get_json()
    assert chinese["title"] == "帆布袋"
    assert chinese["stock_left"] == 20
    paused = client.patch(f"/api/v1/merchant/rewards/{reward_id}", json={"active": False, "stock": 5})
    assert paused.status_code == 200
    assert paused.get_json()["active"] is False and paused.get_json()["stock_left"] == 5
    rival = api(make_staff(session, make_user, make_merchant(session)))
    assert rival.patch(f"/api/v1/merchant/rewards/{reward_id}", json={"active": True}).status_code == 404
    assert [r["id"] for r in client.get("/api/v1/merchant/rewards").get_json()] == [reward_id]


@pytest.mark.parametrize(
    "change",
    [
        {"cost": 0},
        {"stock": -1},
        {"per_resident_limit": 0},
        {"valid_until": "2020-01-01T00:00:00+08:00"},
        {"valid_from": "2030-01-01T00:00:00"},
        {"title": ""},
        {"value_fen": -1},
        {"value_fen": 100_000_001},
        {"value_fen": "500"},
    ],
)
def test_a_bad_reward_is_422_and_stores_nothing(session, staff, api, change):
    now = utcnow()
    body = {
        "title": "帆布袋",
        "cost": 800,
        "stock": 20,
        "valid_from": now.isoformat(),
        "valid_until": (now + dt.timedelta(days=30)).isoformat(),
        **change,
    }
    response = api(staff).post("/api/v1/merchant/rewards", json=body)
    assert response.status_code == 422, response.get_json()
    assert session.scalar(select(func.count()).select_from(Reward).where(Reward.merchant_id == staff.merchant_id)) == 0


@pytest.mark.parametrize(("data", "kind"), [(PNG, "png"), (JPEG, "jpg"), (WEBP, "webp")])
def test_images_are_recognised_by_their_bytes(session, staff, tmp_path, data, kind):
    reward = make_reward(session, staff)
    rewards.set_image(session, staff, reward.id, data, tmp_path)
    assert reward.image_name.endswith("." + kind)
    path, mimetype = rewards.image_file(tmp_path, reward.image_name)
    assert path.read_bytes() == data
    assert mimetype.startswith("image/")


@pytest.mark.parametrize("data", [b"<svg onload=alert(1)>", b"GIF89a" + b"\x00" * 20, PNG + b"\x00" * (1024 * 1024)])
def test_other_files_and_big_images_are_refused(session, staff, tmp_path, data):
    reward = make_reward(session, staff)
    with pytest.raises(Invalid) as info:
        rewards.set_image(session, staff, reward.id, data, tmp_path)
    assert "image" in info.value.errors
    assert list(tmp_path.iterdir()) == []


def test_image_names_are_never_paths(tmp_path):
    assert rewards.image_file(tmp_path, "../secret_key") is None
    assert rewards.image_file(tmp_path, "a" * 32 + ".html") is None


def test_the_reward_page_uploads_an_image_that_is_then_served(app, session, client, staff, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "REWARD_UPLOAD_DIR", str(tmp_path))
    login(client, staff)
    token = csrf_from(client.get("/merchant/rewards/new").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "title": "节能灯",
        "cost": "300",
        "stock": "5",
        "per_resident_limit": "1",
        "valid_from": "2026-01-01T00:00",
        "valid_until": "2099-01-01T00:00",
        "image": (io.BytesIO(PNG), "lamp.png"),
    }
    response = client.post("/merchant/rewards/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    reward = session.scalar(select(Reward).where(Reward.title_zh == "节能灯"))
    served = client.get(f"/rewards/images/{reward.image_name}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.get_data() == PNG
    served.close()
    assert [p.name for p in tmp_path.iterdir()] == [reward.image_name]
    bad = {**form, "title": "坏图", "csrf_token": token, "image": (io.BytesIO(b"<html>"), "x.png")}
    refused = client.post("/merchant/rewards/new", data=bad, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert session.scalar(select(func.count()).select_from(Reward).where(Reward.title_zh == "坏图")) == 0


# --- settlement and liability -------------------------------------------------------------------


def _fulfilled_at(session, staff, resident, reward, moment):
    redemption, _ = redemptions.redeem(session, resident, reward.id, now=moment - dt.timedelta(hours=1))
    redemptions.fulfil(session, staff, redemption.code, now=moment)
    return redemption


def test_settlement_counts_vouchers_fulfilled_in_the_city_month(session, staff, resident, make_user, api):
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    reward = make_reward(session, staff, cost=100, stock=10, limit=10, now=start, days=120)
    fund(session, resident, 1000)
    march_first = _fulfilled_at(session, staff, resident, reward, dt.datetime(2026, 2, 28, 16, 30, tzinfo=dt.UTC))
    _fulfilled_at(session, staff, resident, reward, dt.datetime(2026, 3, 15, 4, 0, tzinfo=dt.UTC))
    _fulfilled_at(session, staff, resident, reward, dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC))  # 1 April
    rival = make_staff(session, make_user, make_merchant(session, district=OTHER))
    _fulfilled_at(
        session,
        rival,
        resident,
        make_reward(session, rival, now=start, days=120),
        dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
    )
    session.commit()
    body = api(staff).get("/api/v1/merchant/settlement?month=2026-03").get_json()
    assert (body["count"], body["credits"]) == (2, 200)
    assert body["items"][0]["redemption_id"] == march_first.id
    assert body["starts_at"].startswith("2026-02-28T16:00:00")
    assert api(staff).get("/api/v1/merchant/settlement?month=2026-04").get_json()["count"] == 1
    assert api(staff).get("/api/v1/merchant/settlement?month=2026-13").status_code == 422
    response = api(staff).get("/api/v1/merchant/settlement.csv?month=2026-03")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["merchant", "month", "redemption_id", "voucher_code"]
    assert len(rows) == 4 and rows[-1][5:7] == ["TOTAL", "200"]
    text = response.get_data(as_text=True)
    assert resident.nickname not in text and resident.phone not in text
    page = api(staff).get("/merchant/settlement?month=2026-03")
    assert page.status_code == 200


def test_csv_cells_cannot_become_formulas(session, staff, resident):
    reward = make_reward(session, staff, title="=HYPERLINK(1)")
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    redemptions.fulfil(session, staff, redemption.code)
    statement = settlement.statement(session, staff, settlement.current_month(session))
    assert "'=HYPERLINK(1)" in settlement.statement_csv(session, statement)


def test_liability_adds_resident_credits_and_unfulfilled_vouchers(session, staff, resident, make_user, api, client):
    admin = make_user(Role.ADMIN)
    before = api(admin).get("/api/v1/admin/merchants/liability").get_json()  # other tests' data, if any
    reward = make_reward(session, staff, cost=300, stock=10, limit=10)
    fund(session, resident, 1000)
    first, _ = redemptions.redeem(session, resident, reward.id)
    redemptions.redeem(session, resident, reward.id)
    redemptions.fulfil(session, staff, first.code)
    session.commit()
    body = api(admin).get("/api/v1/admin/merchants/liability").get_json()
    assert body["resident_credits"] - before["resident_credits"] == 400
    assert body["outstanding_count"] - before["outstanding_count"] == 1
    assert body["outstanding_credits"] - before["outstanding_credits"] == 300
    assert body["total"] - before["total"] == 700
    line = next(m for m in body["merchants"] if m["merchant"]["id"] == staff.merchant_id)
    assert (line["fulfilled_count"], line["fulfilled_credits"]) == (1, 300)
    assert (line["outstanding_count"], line["outstanding_credits"]) == (1, 300)
    login(client, admin)
    page = client.get("/admin/merchants/liability")
    assert page.status_code == 200
    assert f'data-test="total-liability">{body["total"]}<' in page.get_data(as_text=True)
    assert api(staff).get("/api/v1/admin/merchants/liability").status_code == 403


def test_admin_service_refuses_non_admins(session, staff, make_user):
    with pytest.raises(Forbidden):
        merchants.decide(session, staff, staff.merchant_id, "suspend")
    with pytest.raises(Conflict):
        merchants.decide(session, make_user(Role.ADMIN), staff.merchant_id, "approve")
