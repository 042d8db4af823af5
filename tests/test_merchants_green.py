"""Green purchases certified by merchants: claim codes used once, direct credit by member code,
the evidence_code route through POST /actions, and the per-merchant daily cap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import Action, ActionStatus, AuditEvent, Evidence, Family, GreenPurchaseClaim, MerchantStatus, utcnow
from webapp.errors import Conflict, Forbidden, Invalid, NotFound
from webapp.services import green_purchases, ledger, members, privacy, voucher_codes

from .test_merchants_support import (
    balance,
    make_merchant,
    make_purchase_type,
    make_staff,
)


@pytest.fixture
def purchase_type(session):
    return make_purchase_type(session)


def test_certify_gives_a_prefixed_claim_code_and_audits_it(session, staff, purchase_type):
    claim = green_purchases.certify(session, staff, purchase_type.code, "2")
    code = green_purchases.display(claim)
    assert code.startswith("GP-") and len(code) == 17
    assert claim.co2e_grams == 2000
    assert claim.expires_at - claim.created_at == green_purchases.CLAIM_LIFETIME
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "green_purchase.certified", AuditEvent.target_id == claim.id)
    ).one()
    assert event.actor_id == staff.id
    assert event.data["quantity"] == "2.000"


def test_a_claim_code_is_credited_once_as_a_verified_action(session, resident, staff, purchase_type):
    claim = green_purchases.certify(session, staff, purchase_type.code, Decimal(3))
    action, account = green_purchases.claim(session, resident, green_purchases.display(claim))
    assert action.status == ActionStatus.CREDITED
    assert action.evidence == Evidence.MERCHANT
    assert action.evidence_ref == green_purchases.display(claim)
    assert action.credits == 3000
    assert account.balance == 3000
    assert claim.action_id == action.id
    with pytest.raises(Conflict, match="already been claimed"):
        green_purchases.claim(session, resident, green_purchases.display(claim))
    assert balance(session, resident) == 3000
    assert ledger.verify(session) == []


def test_an_expired_claim_code_is_409(session, resident, staff, purchase_type):
    claim = green_purchases.certify(session, staff, purchase_type.code, "1")
    with pytest.raises(Conflict, match="expired"):
        green_purchases.claim(
            session, resident, green_purchases.display(claim), now=claim.expires_at + dt.timedelta(seconds=1)
        )


def test_unknown_or_mistyped_claim_codes(session, resident):
    with pytest.raises(Invalid):
        green_purchases.claim(session, resident, "GP-1234")
    unknown = voucher_codes.display(voucher_codes.new_code(), "GP")
    with pytest.raises(NotFound):
        green_purchases.claim(session, resident, unknown)


def test_only_purchase_types_can_be_certified_and_quantities_are_bounded(session, staff, purchase_type):
    travel = make_purchase_type(session, family=Family.TRAVEL)
    with pytest.raises(Invalid) as info:
        green_purchases.certify(session, staff, travel.code, "1")
    assert "category" in info.value.errors
    with pytest.raises(Invalid) as info:
        green_purchases.certify(session, staff, purchase_type.code, "11")
    assert "quantity" in info.value.errors


def test_a_pending_merchant_cannot_certify(session, make_user, purchase_type):
    pending = make_staff(session, make_user, make_merchant(session, status=MerchantStatus.PENDING))
    with pytest.raises(Conflict):
        green_purchases.certify(session, pending, purchase_type.code, "1")


def test_the_daily_cap_stops_certification_for_the_rest_of_the_city_day(session, make_user, purchase_type):
    staff = make_staff(session, make_user, make_merchant(session, cap=5000))
    now = dt.datetime(2026, 6, 1, 15, 0, tzinfo=dt.UTC)  # 23:00 in Dezhou
    green_purchases.certify(session, staff, purchase_type.code, "3", now=now)
    green_purchases.certify(session, staff, purchase_type.code, "2", now=now)
    with pytest.raises(Conflict, match="cap"):
        green_purchases.certify(session, staff, purchase_type.code, "1", now=now)
    # 16:00 UTC is midnight in Dezhou: a new city day
    green_purchases.certify(session, staff, purchase_type.code, "1", now=now + dt.timedelta(hours=1))


def test_staff_credit_a_resident_directly_by_member_code(session, resident, staff, purchase_type):
    code = members.member_code(session, resident)
    claim, action = green_purchases.certify_for_member(session, staff, purchase_type.code, "2", code.lower())
    assert claim.claimed_by_id == resident.id
    assert action.user_id == resident.id
    assert action.evidence == Evidence.MERCHANT
    assert balance(session, resident) == 2000
    with pytest.raises(NotFound):
        green_purchases.certify_for_member(session, staff, purchase_type.code, "2", "M-NOTACODE")


def test_staff_cannot_claim(session, staff, purchase_type):
    claim = green_purchases.certify(session, staff, purchase_type.code, "1")
    with pytest.raises(Forbidden):
        green_purchases.claim(session, staff, green_purchases.display(claim))


def test_api_certify_and_claim(session, resident, staff, purchase_type, api):
    response = api(staff).post("/api/v1/merchant/green-purchases", json={"category": purchase_type.code, "quantity": 2})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= {"claim_code", "expires_at"}
    client = api(resident)
    claimed = client.post("/api/v1/green-purchases/claim", json={"claim_code": body["claim_code"]})
    assert claimed.status_code == 201, claimed.get_json()
    result = claimed.get_json()
    assert set(result) >= {"id", "status", "co2e_grams", "credits", "capped", "multiplier", "campaign_ids", "balance"}
    assert result["status"] == "credited"
    assert result["balance"] == 2000
    again = client.post("/api/v1/green-purchases/claim", json={"claim_code": body["claim_code"]})
    assert again.status_code == 409
    assert api(staff).post("/api/v1/green-purchases/claim", json={"claim_code": body["claim_code"]}).status_code == 403
    assert (
        api(resident)
        .post("/api/v1/merchant/green-purchases", json={"category": purchase_type.code, "quantity": 2})
        .status_code
        == 403
    )


def test_api_certify_with_member_code_credits_at_once(session, resident, staff, purchase_type, api):
    code = members.member_code(session, resident)
    session.commit()
    response = api(staff).post(
        "/api/v1/merchant/green-purchases", json={"category": purchase_type.code, "quantity": 1, "member_code": code}
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["claimed"] is True
    assert response.get_json()["credits"] == 1000
    assert "nickname" not in response.get_json()
    assert balance(session, resident) == 1000


def test_claim_code_works_as_evidence_code_on_post_actions(session, resident, staff, purchase_type, api):
    claim = green_purchases.certify(session, staff, purchase_type.code, "2")
    session.commit()
    code = green_purchases.display(claim)
    body = {"type": purchase_type.code, "quantity": 2, "occurred_at": utcnow().isoformat(), "evidence_code": code}
    response = api(resident).post("/api/v1/actions", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "credited"
    assert response.get_json()["evidence"] == "merchant"
    assert api(resident).post("/api/v1/actions", json=body).status_code == 409
    session.expire_all()
    assert session.get(GreenPurchaseClaim, claim.id).action_id == response.get_json()["id"]


def test_evidence_code_cannot_claim_more_or_another_kind(session, resident, staff, purchase_type, api):
    claim = green_purchases.certify(session, staff, purchase_type.code, "1")
    other = make_purchase_type(session)
    session.commit()
    code = green_purchases.display(claim)
    now = utcnow().isoformat()
    client = api(resident)
    wrong_type = client.post(
        "/api/v1/actions", json={"type": other.code, "quantity": 1, "occurred_at": now, "evidence_code": code}
    )
    assert wrong_type.status_code == 422
    assert "evidence_code" in wrong_type.get_json()["errors"]
    too_many = client.post(
        "/api/v1/actions", json={"type": purchase_type.code, "quantity": 5, "occurred_at": now, "evidence_code": code}
    )
    assert too_many.status_code == 422
    assert "quantity" in too_many.get_json()["errors"]
    assert balance(session, resident) == 0
    assert session.scalar(select(func.count()).select_from(Action).where(Action.user_id == resident.id)) == 0
    ok = client.post(
        "/api/v1/actions", json={"type": purchase_type.code, "quantity": 1, "occurred_at": now, "evidence_code": code}
    )
    assert ok.status_code == 201


def test_claims_are_in_the_privacy_export(session, resident, staff, purchase_type):
    claim = green_purchases.certify(session, staff, purchase_type.code, "1")
    green_purchases.claim(session, resident, green_purchases.display(claim))
    export = privacy.export(session, resident)
    assert export["green_purchase_claims"][0]["claim_code"] == green_purchases.display(claim)
