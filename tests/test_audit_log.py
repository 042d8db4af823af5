"""The audit log: every kind of staff write leaves who, when, what, before and after; nobody can edit it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from models import AuditEvent, MerchantStatus, PartnerKind, Role
from webapp.services import accounts, campaigns, ledger, merchants, methodology, partners, two_factor

from .campaign_support import at, make_campaign
from .carbon import make_type
from .conftest import PASSWORD
from .test_merchants_support import make_merchant


def last_event(session, action: str) -> AuditEvent:
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc()))
    assert event is not None, f"no {action} event"
    return event


def pending_action_id(session, api, resident) -> int:
    action_type = make_type(session, needs_evidence=True, grams="100")
    body = {"type": action_type.code, "quantity": 2, "occurred_at": dt.datetime.now(dt.UTC).isoformat()}
    return api(resident).post("/api/v1/actions", json=body).get_json()["id"]


def test_factor_versions_are_audited_with_the_old_and_new_version(session, make_user):
    action_type = make_type(session, grams="100")
    admin = make_user(Role.ADMIN)
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    methodology.publish_version(
        session,
        admin,
        action_type.factor_code,
        grams_per_unit="150",
        effective_from=today + dt.timedelta(days=1),
        source="s",
        formula="",
        year=2026,
        confidence="S",
    )
    event = last_event(session, "factor.published")
    assert event.actor_id == admin.id and event.created_at is not None
    assert event.before["version"] == 1 and Decimal(event.before["grams_per_unit"]) == 100
    assert event.after["version"] == 2 and Decimal(event.after["grams_per_unit"]) == 150


def test_adjustments_are_audited_with_the_balance_before_and_after(session, make_user, resident):
    admin = make_user(Role.ADMIN)
    ledger.adjust(session, admin, resident, 70, "goodwill credit")
    event = last_event(session, "ledger.adjusted")
    assert event.target_type == "User" and event.target_id == resident.id
    assert event.before == {"balance": 0} and event.after["balance"] == 70


def test_approvals_and_rejections_are_audited(session, api, resident, make_user):
    admin = api(make_user(Role.ADMIN))
    first, second = pending_action_id(session, api, resident), pending_action_id(session, api, resident)
    assert admin.post(f"/api/v1/admin/actions/{first}/approve").status_code == 200
    assert admin.post(f"/api/v1/admin/actions/{second}/reject", json={"note": "no receipt"}).status_code == 200
    approved, rejected = last_event(session, "action.approved"), last_event(session, "action.rejected")
    assert (approved.before, approved.after) == ({"status": "pending"}, {"status": "credited", "credits": 200})
    assert rejected.before == {"status": "pending"} and rejected.after["status"] == "rejected"


def test_merchant_decisions_and_caps_are_audited(session, make_user):
    admin = make_user(Role.ADMIN)
    shop = make_merchant(session, status=MerchantStatus.PENDING)
    merchants.decide(session, admin, shop.id, "approve")
    merchants.set_daily_cap(session, admin, shop.id, 500)
    decided = last_event(session, "merchant.approve")
    assert (decided.before, decided.after) == ({"status": "pending"}, {"status": "approved"})
    assert last_event(session, "merchant.cap_changed").after == {"daily_issuance_cap": 500}


def test_campaign_creation_edits_and_cancellation_are_audited(session, make_user):
    publicity = make_user(Role.PUBLICITY)
    campaign = make_campaign(session, publicity, starts=at(days=2), ends=at(days=5), now=at())
    campaigns.update_campaign(session, publicity, campaign.id, {"name": "节能周"}, now=at())
    campaigns.cancel(session, publicity, campaign.id, now=at())
    created = last_event(session, "campaign.created")
    assert created.before is None and created.after["name"] == "低碳周" and created.after["status"] == "scheduled"
    edited = last_event(session, "campaign.updated")
    assert (edited.before["name"], edited.after["name"]) == ("低碳周", "节能周")
    cancelled = last_event(session, "campaign.cancelled")
    assert (cancelled.before, cancelled.after) == ({"status": "scheduled"}, {"status": "cancelled"})


def test_partner_keys_are_audited_without_their_secret(session):
    partner = partners.create_partner(session, PartnerKind.WASTE, "Decheng stations")
    event = last_event(session, "partner.created")
    assert event.after == {"kind": "waste", "name": "Decheng stations", "key": partner.key}
    assert partner.secret not in str(event.after) + str(event.data)


def test_staff_creation_and_role_changes_are_audited(session, make_user):
    admin = make_user(Role.ADMIN)
    staff = accounts.create_user(session, admin, role=Role.OFFICIAL, login="stats@example.com", password=PASSWORD)
    created = last_event(session, "account.created")
    assert created.actor_id == admin.id and created.after["role"] == "official"
    accounts.change_role(session, admin, staff.id, Role.PUBLICITY)
    changed = last_event(session, "account.role_changed")
    assert (changed.before["role"], changed.after["role"]) == ("official", "publicity")


def test_second_factor_resets_are_audited(session, make_user):
    admin, staff = make_user(Role.ADMIN), make_user(Role.MERCHANT)
    staff.totp_secret, staff.totp_enrolled_at = "JBSWY3DPEHPK3PXP", dt.datetime.now(dt.UTC)
    two_factor.reset(session, admin, staff.id)
    event = last_event(session, "two_factor.reset")
    assert event.before["enrolled"] is True and event.after["enrolled"] is False


def test_the_old_call_shape_still_works(session, make_user):
    user = make_user(Role.OFFICIAL)
    accounts.audit(session, user, "statistics.exported", None, table="districts")
    event = last_event(session, "statistics.exported")
    assert event.data == {"table": "districts"} and event.before is None and event.after is None


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_remove_events(session, make_user, db_conn, statement):
    make_user(Role.OFFICIAL)  # account.created: at least one event
    with pytest.raises(DBAPIError, match="append-only"):
        with db_conn.begin_nested():
            db_conn.execute(text(statement))
