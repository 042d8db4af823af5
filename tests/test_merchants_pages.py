"""The phone pages: catalogue, redeeming, the voucher with its QR code, cancelling; the counter
(reward and status, never the resident), certifying a purchase, claiming it; no inline scripts."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from models import GreenPurchaseClaim, Redemption, RedemptionStatus
from webapp.services import green_purchases, members, redemptions, voucher_codes

from .pages import csrf_from, login
from .test_merchants_support import balance, fund, make_merchant, make_purchase_type, make_reward, make_staff

TEMPLATES = Path(__file__).resolve().parent.parent / "webapp" / "templates"


def test_catalogue_page_lists_rewards_for_anyone(session, client, staff):
    reward = make_reward(session, staff, title="竹牙刷")
    html = client.get("/rewards/").get_data(as_text=True)
    assert "竹牙刷" in html
    assert f'data-reward="{reward.id}"' in html
    assert "/merchants/apply" in html


def test_a_resident_redeems_on_the_phone_sees_the_voucher_and_cancels_it(session, client, resident, staff):
    reward = make_reward(session, staff, cost=200, title="竹牙刷")
    fund(session, resident, 500)
    login(client, resident)
    page = client.get("/rewards/")
    assert 'data-test="redeem"' in page.get_data(as_text=True)
    response = client.post(f"/rewards/{reward.id}/redeem", data={"csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    redemption = session.scalars(select(Redemption).where(Redemption.user_id == resident.id)).one()
    assert response.headers["Location"].endswith(f"/rewards/vouchers/{redemption.id}")
    voucher = client.get(f"/rewards/vouchers/{redemption.id}").get_data(as_text=True)
    assert "<svg" in voucher
    assert voucher_codes.display(redemption.code) in voucher
    assert balance(session, resident) == 300
    cancelled = client.post(f"/rewards/vouchers/{redemption.id}/cancel", data={"csrf_token": csrf_from(voucher)})
    assert cancelled.status_code == 302
    assert balance(session, resident) == 500
    assert "竹牙刷" in client.get("/rewards/vouchers").get_data(as_text=True)


def test_another_residents_voucher_page_is_404(session, client, resident, make_user, staff):
    reward = make_reward(session, staff)
    fund(session, resident, 500)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    session.commit()
    login(client, make_user())
    assert client.get(f"/rewards/vouchers/{redemption.id}").status_code == 404


def test_the_counter_shows_reward_and_status_but_not_the_resident(session, client, resident, staff):
    reward = make_reward(session, staff, title="帆布袋")
    fund(session, resident, 500)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    session.commit()
    login(client, staff)
    code = voucher_codes.display(redemption.code)
    page = client.get(f"/merchant/counter?code={code.lower()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "帆布袋" in html and 'data-test="fulfil"' in html
    assert resident.nickname not in html and resident.phone not in html
    assert "js/scan.js" in html
    done = client.post("/merchant/counter/fulfil", data={"csrf_token": csrf_from(html), "code": code})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Redemption, redemption.id).status == RedemptionStatus.FULFILLED
    again = client.get(f"/merchant/counter?code={code}").get_data(as_text=True)
    assert 'data-test="fulfil"' not in again


def test_the_counter_answers_404_for_another_merchants_voucher(session, client, resident, staff, make_user):
    reward = make_reward(session, staff)
    fund(session, resident, 500)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    rival = make_staff(session, make_user, make_merchant(session))
    login(client, rival)
    page = client.get(f"/merchant/counter?code={voucher_codes.display(redemption.code)}")
    assert page.status_code == 404
    assert 'data-test="voucher"' not in page.get_data(as_text=True)


def test_staff_certify_a_purchase_and_the_resident_claims_it(session, client, staff, resident, app):
    purchase = make_purchase_type(session)
    login(client, staff)
    form = client.get("/merchant/green-purchases")
    assert purchase.code in form.get_data(as_text=True)
    response = client.post(
        "/merchant/green-purchases",
        data={"csrf_token": csrf_from(form.get_data(as_text=True)), "category": purchase.code, "quantity": "2"},
    )
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    claim = session.scalars(select(GreenPurchaseClaim).where(GreenPurchaseClaim.merchant_id == staff.merchant_id)).one()
    code = green_purchases.display(claim)
    assert code in shown and "<svg" in shown
    resident_browser = app.test_client()
    login(resident_browser, resident)
    page = resident_browser.get("/rewards/claim").get_data(as_text=True)
    claimed = resident_browser.post("/rewards/claim", data={"csrf_token": csrf_from(page), "claim_code": code})
    assert claimed.status_code == 302
    assert balance(session, resident) == 2000
    again = resident_browser.post("/rewards/claim", data={"csrf_token": csrf_from(page), "claim_code": code})
    assert again.status_code == 409


def test_staff_credit_by_member_code_from_the_page(session, client, staff, resident):
    purchase = make_purchase_type(session)
    code = members.member_code(session, resident)
    session.commit()
    login(client, staff)
    token = csrf_from(client.get("/merchant/green-purchases").get_data(as_text=True))
    response = client.post(
        "/merchant/green-purchases",
        data={"csrf_token": token, "category": purchase.code, "quantity": "1", "member_code": code},
    )
    assert response.status_code == 302
    assert balance(session, resident) == 1000


def test_merchant_home_rewards_and_settlement_pages_render(session, client, staff):
    make_reward(session, staff, title="节水龙头")
    login(client, staff)
    for path in (
        "/merchant/",
        "/merchant/rewards",
        "/merchant/rewards/new",
        "/merchant/settlement",
        "/merchant/counter",
        "/merchant/green-purchases",
    ):
        assert client.get(path).status_code == 200, path
    assert "节水龙头" in client.get("/merchant/rewards").get_data(as_text=True)


def test_the_edit_page_pauses_and_resumes(session, client, staff):
    reward = make_reward(session, staff)
    login(client, staff)
    page = client.get(f"/merchant/rewards/{reward.id}/edit")
    assert page.status_code == 200
    token = csrf_from(page.get_data(as_text=True))
    client.post(f"/merchant/rewards/{reward.id}/active", data={"csrf_token": token, "active": "0"})
    session.expire_all()
    assert reward.active is False
    client.post(f"/merchant/rewards/{reward.id}/active", data={"csrf_token": token, "active": "1"})
    session.expire_all()
    assert reward.active is True


def test_templates_have_no_inline_scripts_or_handlers():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=", re.IGNORECASE)
    for folder in ("merchant", "rewards"):
        for path in (TEMPLATES / folder).glob("*.html"):
            assert not inline.search(path.read_text(encoding="utf-8")), path


def test_scan_script_is_served_locally(client):
    response = client.get("/static/js/scan.js")
    assert response.status_code == 200
    assert "BarcodeDetector" in response.get_data(as_text=True)
    response.close()
