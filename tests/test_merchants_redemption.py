"""Redeeming, cancelling, expiring and fulfilling vouchers (invariant 4), services and API."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from models import (
    AuditEvent,
    EntryKind,
    LedgerEntry,
    MerchantStatus,
    Redemption,
    RedemptionStatus,
    Reward,
    Role,
    utcnow,
)
from webapp.errors import Conflict, Forbidden, InsufficientCredits, Invalid, NotFound
from webapp.services import ledger, merchants, redemptions, rewards, voucher_codes

from .test_merchants_support import (
    OTHER,
    balance,
    fund,
    make_merchant,
    make_reward,
    make_staff,
)

CODE_RE = re.compile(r"^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$")


def _state(session, user, reward):
    session.expire_all()
    stock = session.get(Reward, reward.id).stock
    count = session.scalar(select(func.count()).select_from(Redemption).where(Redemption.user_id == user.id))
    entries = session.scalar(
        select(func.count())
        .select_from(LedgerEntry)
        .where(LedgerEntry.account_id == ledger.account_for(session, user).id)
    )
    return balance(session, user), stock, count, entries


# --- redeeming ---------------------------------------------------------------------------------


def test_redeem_takes_credits_and_one_from_stock_and_issues_a_voucher(session, resident, staff):
    reward = make_reward(session, staff, cost=300, stock=5)
    fund(session, resident, 1000)
    redemption, account = redemptions.redeem(session, resident, reward.id)
    session.commit()
    assert account.balance == 700
    assert session.get(Reward, reward.id).stock == 4
    assert redemption.status == RedemptionStatus.ISSUED
    assert redemption.cost == 300
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.account_id == account.id, LedgerEntry.cause_type == "redemption")
    ).one()
    assert (entry.kind, entry.amount, entry.cause_id) == (EntryKind.REDEEM, -300, redemption.id)
    assert account.lifetime_redeemed == 300
    assert ledger.verify(session) == []


def test_voucher_code_is_grouped_checked_and_from_the_unambiguous_alphabet(session, resident, staff):
    reward = make_reward(session, staff, stock=3, limit=3)
    fund(session, resident, 1000)
    codes = {redemptions.redeem(session, resident, reward.id)[0].code for _ in range(3)}
    assert len(codes) == 3
    for code in codes:
        shown = voucher_codes.display(code)
        assert CODE_RE.match(shown)
        assert voucher_codes.normalise(shown.lower()) == code
        assert voucher_codes.normalise(" " + shown.replace("-", " ") + " ") == code
    assert voucher_codes.RANDOM_LENGTH * 4.9 >= 50  # log2(30) > 4.9: at least 50 random bits


def test_a_single_mistyped_character_is_caught_by_the_check_character():
    code = voucher_codes.new_code()
    for i in range(len(code)):
        for char in voucher_codes.ALPHABET:
            if char != code[i]:
                assert voucher_codes.normalise(code[:i] + char + code[i + 1 :]) is None


def test_voucher_expires_with_the_reward_at_the_latest(session, resident, staff):
    now = utcnow()
    reward = make_reward(session, staff, now=now, days=2)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id, now=now)
    assert redemption.expires_at == reward.valid_until
    long_reward = make_reward(session, staff, now=now, days=365)
    redemption, _ = redemptions.redeem(session, resident, long_reward.id, now=now)
    assert redemption.expires_at == now + redemptions.VOUCHER_LIFETIME


def test_too_few_credits_is_409_and_changes_nothing(session, resident, staff):
    reward = make_reward(session, staff, cost=500)
    fund(session, resident, 499)
    before = _state(session, resident, reward)
    with pytest.raises(InsufficientCredits):
        redemptions.redeem(session, resident, reward.id)
    assert _state(session, resident, reward) == before


def test_no_stock_is_409_and_changes_nothing(session, resident, staff):
    reward = make_reward(session, staff, stock=0)
    fund(session, resident, 1000)
    before = _state(session, resident, reward)
    with pytest.raises(Conflict, match="out of stock"):
        redemptions.redeem(session, resident, reward.id)
    assert _state(session, resident, reward) == before


def test_the_per_resident_limit_is_409_and_changes_nothing(session, resident, staff):
    reward = make_reward(session, staff, limit=2)
    fund(session, resident, 1000)
    redemptions.redeem(session, resident, reward.id)
    redemptions.redeem(session, resident, reward.id)
    before = _state(session, resident, reward)
    with pytest.raises(Conflict, match="limit"):
        redemptions.redeem(session, resident, reward.id)
    assert _state(session, resident, reward) == before


def test_a_cancelled_voucher_no_longer_counts_against_the_limit(session, resident, staff):
    reward = make_reward(session, staff, limit=1)
    fund(session, resident, 1000)
    first, _ = redemptions.redeem(session, resident, reward.id)
    redemptions.cancel(session, resident, first.id)
    second, _ = redemptions.redeem(session, resident, reward.id)
    assert second.status == RedemptionStatus.ISSUED


def test_a_reward_outside_its_window_cannot_be_redeemed(session, resident, staff):
    now = utcnow()
    reward = make_reward(session, staff, now=now)
    fund(session, resident, 1000)
    with pytest.raises(Conflict):
        redemptions.redeem(session, resident, reward.id, now=reward.valid_until + dt.timedelta(seconds=1))
    with pytest.raises(Conflict):
        redemptions.redeem(session, resident, reward.id, now=reward.valid_from - dt.timedelta(seconds=1))


def test_staff_cannot_redeem(session, staff):
    reward = make_reward(session, staff)
    with pytest.raises(Forbidden):
        redemptions.redeem(session, staff, reward.id)


# --- cancelling and expiry ----------------------------------------------------------------------


def test_cancel_refunds_credits_and_stock_once(session, resident, staff):
    reward = make_reward(session, staff, cost=250, stock=3)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    assert balance(session, resident) == 750
    redemptions.cancel(session, resident, redemption.id)
    session.commit()
    assert balance(session, resident) == 1000
    assert session.get(Reward, reward.id).stock == 3
    assert redemption.status == RedemptionStatus.CANCELLED
    with pytest.raises(Conflict):
        redemptions.cancel(session, resident, redemption.id)
    assert balance(session, resident) == 1000
    refund = session.scalars(
        select(LedgerEntry).where(LedgerEntry.kind == EntryKind.REFUND, LedgerEntry.cause_id == redemption.id)
    ).one()
    assert (refund.amount, refund.cause_type, refund.cause_id) == (250, "redemption", redemption.id)
    assert ledger.account_for(session, resident).lifetime_redeemed == 0
    assert ledger.verify(session) == []


def test_another_residents_voucher_cannot_be_cancelled(session, resident, make_user, staff):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    with pytest.raises(NotFound):
        redemptions.cancel(session, make_user(Role.RESIDENT), redemption.id)


def test_a_fulfilled_voucher_cannot_be_cancelled(session, resident, staff):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    redemptions.fulfil(session, staff, redemption.code)
    with pytest.raises(Conflict, match="fulfilled"):
        redemptions.cancel(session, resident, redemption.id)
    assert balance(session, resident) == 900


def test_expiry_sweep_refunds_due_vouchers_once_and_leaves_the_others(session, resident, staff):
    now = utcnow()
    short = make_reward(session, staff, cost=100, stock=5, now=now, days=1)
    long = make_reward(session, staff, cost=200, stock=5, now=now, days=60)
    fund(session, resident, 1000)
    due, _ = redemptions.redeem(session, resident, short.id, now=now)
    later, _ = redemptions.redeem(session, resident, long.id, now=now)
    used, _ = redemptions.redeem(session, resident, make_reward(session, staff, cost=50, now=now).id, now=now)
    redemptions.fulfil(session, staff, used.code, now=now)
    assert balance(session, resident) == 650
    sweep_at = now + dt.timedelta(days=2)
    assert redemptions.expire_due_vouchers(session, sweep_at) == 1
    assert redemptions.expire_due_vouchers(session, sweep_at) == 0
    session.commit()
    session.expire_all()
    assert balance(session, resident) == 750
    assert session.get(Redemption, due.id).status == RedemptionStatus.EXPIRED
    assert session.get(Redemption, later.id).status == RedemptionStatus.ISSUED
    assert session.get(Redemption, used.id).status == RedemptionStatus.FULFILLED
    assert session.get(Reward, short.id).stock == 5
    assert ledger.verify(session) == []


def test_an_expired_voucher_cannot_be_fulfilled_even_before_the_sweep(session, resident, staff):
    now = utcnow()
    reward = make_reward(session, staff, now=now, days=1)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id, now=now)
    with pytest.raises(Conflict, match="expired"):
        redemptions.fulfil(session, staff, redemption.code, now=now + dt.timedelta(days=2))


# --- fulfilling at the counter ------------------------------------------------------------------


def test_fulfil_once_then_409(session, resident, staff):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    shown = voucher_codes.display(redemption.code)
    done = redemptions.fulfil(session, staff, shown.lower())
    assert done.status == RedemptionStatus.FULFILLED
    assert done.fulfilled_by_id == staff.id
    with pytest.raises(Conflict, match="already been fulfilled"):
        redemptions.fulfil(session, staff, shown)
    assert (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "voucher.fulfilled", AuditEvent.target_id == redemption.id)
        )
        == 1
    )


def test_another_merchants_voucher_is_404(session, resident, staff, make_user):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    rival = make_staff(session, make_user, make_merchant(session))
    with pytest.raises(NotFound):
        redemptions.fulfil(session, rival, redemption.code)
    with pytest.raises(NotFound):
        redemptions.at_counter(session, rival, redemption.code)
    session.expire_all()
    assert session.get(Redemption, redemption.id).status == RedemptionStatus.ISSUED


def test_a_mistyped_code_is_422_and_an_unknown_one_404(session, staff):
    with pytest.raises(Invalid):
        redemptions.fulfil(session, staff, "ABCD-EFGH")
    body = voucher_codes.random_code(11)
    with pytest.raises(NotFound):
        redemptions.fulfil(session, staff, body + voucher_codes.check_character(body))


def test_a_cancelled_voucher_cannot_be_fulfilled(session, resident, staff):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    redemptions.cancel(session, resident, redemption.id)
    with pytest.raises(Conflict, match="cancelled"):
        redemptions.fulfil(session, staff, redemption.code)


def test_staff_without_a_merchant_can_do_nothing(session, make_user):
    with pytest.raises(Conflict, match="not attached"):
        redemptions.fulfil(session, make_user(Role.MERCHANT), "XXXX-XXXX-XXXX")


# --- suspended merchants ------------------------------------------------------------------------


def test_a_suspended_merchant_disappears_from_the_catalogue_and_cannot_fulfil(
    session, resident, staff, shop, make_user, api
):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemption, _ = redemptions.redeem(session, resident, reward.id)
    session.commit()
    admin = make_user(Role.ADMIN)
    merchants.decide(session, admin, shop.id, "suspend", "complaints")
    session.commit()
    ids = [r["id"] for r in api().get("/api/v1/rewards").get_json()["items"]]
    assert reward.id not in ids
    with pytest.raises(NotFound):
        redemptions.redeem(session, resident, reward.id)
    with pytest.raises(Conflict):
        redemptions.fulfil(session, staff, redemption.code)
    # the resident can still give the voucher back
    redemptions.cancel(session, resident, redemption.id)
    assert balance(session, resident) == 1000
    merchants.decide(session, admin, shop.id, "reinstate")
    session.commit()
    assert reward.id in [r["id"] for r in api().get("/api/v1/rewards").get_json()["items"]]


def test_a_paused_reward_leaves_the_catalogue(session, staff, api):
    reward = make_reward(session, staff)
    rewards.update(session, staff, reward.id, rewards.RewardInput(), active=False)
    session.commit()
    assert reward.id not in [r["id"] for r in api().get("/api/v1/rewards").get_json()["items"]]
    assert api().get(f"/api/v1/rewards/{reward.id}").status_code == 404


# --- the API ------------------------------------------------------------------------------------


def test_api_redeem_answers_201_with_voucher_and_balance(session, resident, staff, api):
    reward = make_reward(session, staff, cost=120)
    fund(session, resident, 500)
    client = api(resident)
    response = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers={"Idempotency-Key": "r-1"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) >= {"redemption_id", "voucher_code", "expires_at", "balance"}
    assert body["balance"] == 380
    assert CODE_RE.match(body["voucher_code"])
    assert "+" in body["expires_at"] or body["expires_at"].endswith("Z")
    replay = client.post(f"/api/v1/rewards/{reward.id}/redeem", headers={"Idempotency-Key": "r-1"})
    assert replay.status_code == 201
    assert replay.get_json() == body
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert balance(session, resident) == 380
    listing = client.get("/api/v1/redemptions").get_json()
    assert [i["id"] for i in listing["items"]] == [body["redemption_id"]]
    assert listing["items"][0]["status"] == "issued"
    assert listing["next_cursor"] is None


@pytest.mark.parametrize(
    ("cost", "stock", "funds", "message"),
    [
        (600, 5, 500, "credits"),
        (100, 0, 500, "stock"),
    ],
)
def test_api_redeem_409_changes_nothing(session, resident, staff, api, cost, stock, funds, message):
    reward = make_reward(session, staff, cost=cost, stock=stock)
    fund(session, resident, funds)
    before = _state(session, resident, reward)
    response = api(resident).post(
        f"/api/v1/rewards/{reward.id}/redeem", headers={"Idempotency-Key": "k", "Accept-Language": "en"}
    )
    assert response.status_code == 409
    assert response.get_json()["code"] == 409
    assert message in response.get_json()["message"]
    assert _state(session, resident, reward) == before


def test_api_cancel_gives_credits_back_and_second_cancel_is_409(session, resident, staff, api):
    reward = make_reward(session, staff, cost=100)
    fund(session, resident, 100)
    client = api(resident)
    rid = client.post(f"/api/v1/rewards/{reward.id}/redeem").get_json()["redemption_id"]
    response = client.post(f"/api/v1/redemptions/{rid}/cancel")
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["balance"] == 100
    assert client.post(f"/api/v1/redemptions/{rid}/cancel").status_code == 409
    assert api(staff).post(f"/api/v1/redemptions/{rid}/cancel").status_code == 403


def test_api_fulfil_double_and_cross_merchant(session, resident, staff, make_user, api):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    code = api(resident).post(f"/api/v1/rewards/{reward.id}/redeem").get_json()["voucher_code"]
    rival = make_staff(session, make_user, make_merchant(session))
    assert api(rival).post(f"/api/v1/merchant/vouchers/{code}/fulfil").status_code == 404
    assert api(rival).get(f"/api/v1/merchant/vouchers/{code}").status_code == 404
    client = api(staff)
    seen = client.get(f"/api/v1/merchant/vouchers/{code}").get_json()
    assert seen["status"] == "issued"
    assert not {"user", "user_id", "resident", "nickname", "phone"} & set(seen)
    first = client.post(f"/api/v1/merchant/vouchers/{code}/fulfil")
    assert first.status_code == 200
    assert first.get_json()["status"] == "fulfilled"
    again = client.post(f"/api/v1/merchant/vouchers/{code}/fulfil")
    assert again.status_code == 409
    assert api(resident).post(f"/api/v1/merchant/vouchers/{code}/fulfil").status_code == 403


def test_catalogue_puts_the_residents_district_first_then_cheapest(session, resident, make_user, api):
    near = make_staff(session, make_user, make_merchant(session))
    far = make_staff(session, make_user, make_merchant(session, district=OTHER))
    far_cheap = make_reward(session, far, cost=10)
    near_dear = make_reward(session, near, cost=500)
    near_cheap = make_reward(session, near, cost=50)
    items = api(resident).get("/api/v1/rewards").get_json()["items"]
    order = [i["id"] for i in items if i["id"] in {far_cheap.id, near_dear.id, near_cheap.id}]
    assert order == [near_cheap.id, near_dear.id, far_cheap.id]
    assert set(items[0]) >= {"id", "merchant", "title", "cost", "stock_left", "valid_until"}
    anonymous = [i["id"] for i in api().get("/api/v1/rewards").get_json()["items"]]
    assert anonymous.index(far_cheap.id) < anonymous.index(near_cheap.id)
    only = api().get(f"/api/v1/rewards?district={OTHER}").get_json()["items"]
    assert {i["id"] for i in only} == {far_cheap.id}


def test_catalogue_pages_with_an_opaque_cursor(session, staff, api):
    created = {make_reward(session, staff, cost=c).id for c in (10, 20, 30)}
    seen, cursor = [], None
    for _ in range(10):
        query = "/api/v1/rewards?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api().get(query).get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_list_of_redemptions_shows_expired_ones_as_expired(session, resident, staff, api):
    now = utcnow()
    reward = make_reward(session, staff, now=now - dt.timedelta(days=3), days=2)
    fund(session, resident, 1000)
    redemptions.redeem(session, resident, reward.id, now=now - dt.timedelta(days=3))
    session.commit()
    items = api(resident).get("/api/v1/redemptions").get_json()["items"]
    assert [i["status"] for i in items] == ["expired"]
    assert balance(session, resident) == 1000


def test_redemptions_are_in_the_privacy_export(session, resident, staff, api):
    reward = make_reward(session, staff)
    fund(session, resident, 1000)
    redemptions.redeem(session, resident, reward.id)
    session.commit()
    export = api(resident).get("/api/v1/me/export").get_json()
    assert len(export["redemptions"]) == 1
    assert export["redemptions"][0]["status"] == "issued"


def test_merchant_status_is_checked_when_approving_twice(session, make_user):
    shop = make_merchant(session, status=MerchantStatus.PENDING)
    admin = make_user(Role.ADMIN)
    merchants.decide(session, admin, shop.id, "approve")
    with pytest.raises(Conflict):
        merchants.decide(session, admin, shop.id, "approve")
