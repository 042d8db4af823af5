"""Administration of the carbon account: review queue, adjustments, new factor versions (API and pages)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models import Action, ActionStatus, AuditEvent, EmissionFactor, Role
from webapp.services import ledger

from .carbon import make_type
from .pages import csrf_from, login


def test_review_queue_approve_and_reject_over_the_api(session, api, resident, make_user):
    action_type = make_type(session, needs_evidence=True, grams="100")
    client = api(resident)
    now = dt.datetime.now(dt.UTC).isoformat()
    first = client.post("/api/v1/actions", json={"type": action_type.code, "quantity": 2, "occurred_at": now})
    second = client.post("/api/v1/actions", json={"type": action_type.code, "quantity": 1, "occurred_at": now})
    assert first.get_json()["status"] == second.get_json()["status"] == "pending"
    admin = api(make_user(Role.ADMIN))
    queue = admin.get("/api/v1/admin/review").get_json()
    assert [a["id"] for a in queue] == [first.get_json()["id"], second.get_json()["id"]]
    approved = admin.post(f"/api/v1/admin/actions/{first.get_json()['id']}/approve")
    assert approved.status_code == 200
    assert approved.get_json()["credits"] == 200
    assert admin.post(f"/api/v1/admin/actions/{first.get_json()['id']}/approve").status_code == 409
    rejected = admin.post(f"/api/v1/admin/actions/{second.get_json()['id']}/reject", json={"note": "no receipt"})
    assert rejected.get_json()["status"] == "rejected"
    mine = client.get("/api/v1/actions").get_json()["items"]
    assert {a["review_note"] for a in mine} == {None, "no receipt"}
    appeal = client.post(f"/api/v1/actions/{second.get_json()['id']}/appeal", json={"text": "I have the receipt"})
    assert appeal.get_json()["status"] == "pending"
    assert client.post(f"/api/v1/actions/{first.get_json()['id']}/appeal", json={"text": "why"}).status_code == 409
    assert client.get("/api/v1/account").get_json()["balance"] == 200


def test_residents_cannot_review_or_appeal_someone_elses_action(session, api, resident, make_user):
    action_type = make_type(session, needs_evidence=True)
    client = api(resident)
    now = dt.datetime.now(dt.UTC).isoformat()
    action_id = client.post(
        "/api/v1/actions", json={"type": action_type.code, "quantity": 1, "occurred_at": now}
    ).get_json()["id"]
    assert client.post(f"/api/v1/admin/actions/{action_id}/approve").status_code == 403
    stranger = api(make_user())
    assert stranger.post(f"/api/v1/actions/{action_id}/appeal", json={"text": "mine?"}).status_code == 404


def test_adjustment_needs_a_reason_and_is_audited(session, api, resident, make_user):
    admin_user = make_user(Role.ADMIN)
    admin = api(admin_user)
    assert admin.post(f"/api/v1/admin/accounts/{resident.id}/adjustments", json={"amount": 50}).status_code == 422
    response = admin.post(
        f"/api/v1/admin/accounts/{resident.id}/adjustments", json={"amount": 50, "reason": "Missing partner record"}
    )
    assert response.status_code == 201
    assert response.get_json()["cause"]["reason"] == "Missing partner record"
    assert ledger.account_for(session, resident).balance == 50
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.adjusted")).one()
    assert event.actor_id == admin_user.id
    too_much = admin.post(
        f"/api/v1/admin/accounts/{resident.id}/adjustments", json={"amount": -51, "reason": "Correction of an error"}
    )
    assert too_much.status_code == 409
    assert ledger.account_for(session, resident).balance == 50


def test_publishing_a_factor_version_over_the_api(session, api, make_user):
    action_type = make_type(session, grams="100")
    admin = api(make_user(Role.ADMIN))
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    body = {"grams_per_unit": 90, "effective_from": tomorrow, "source": "New survey", "year": 2026, "confidence": "S"}
    response = admin.post(f"/api/v1/admin/factors/{action_type.factor_code}/versions", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["version"] == 2
    bad = admin.post(f"/api/v1/admin/factors/{action_type.factor_code}/versions", json={**body, "grams_per_unit": -1})
    assert bad.status_code == 422
    assert admin.post("/api/v1/admin/factors/NO_SUCH/versions", json=body).status_code == 404
    versions = session.scalars(
        select(EmissionFactor.version).where(EmissionFactor.code == action_type.factor_code)
    ).all()
    assert sorted(versions) == [1, 2]


def test_factor_page_publishes_a_version(client, session, make_user):
    action_type = make_type(session, grams="100")
    login(client, make_user(Role.ADMIN))
    url = f"/admin/factors?code={action_type.factor_code}"
    page = client.get(url).get_data(as_text=True)
    assert action_type.factor_code in page
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).date().isoformat()
    response = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "grams_per_unit": "80",
            "effective_from": later,
            "source": "Local data",
            "year": "2026",
            "confidence": "V",
        },
    )
    assert response.status_code == 302
    assert (
        session.scalar(
            select(EmissionFactor).where(EmissionFactor.code == action_type.factor_code, EmissionFactor.version == 2)
        )
        is not None
    )


def test_review_page_approves_with_a_click(client, session, resident, make_user, api):
    action_type = make_type(session, needs_evidence=True, grams="10")
    action_id = (
        api(resident)
        .post(
            "/api/v1/actions",
            json={"type": action_type.code, "quantity": 1, "occurred_at": dt.datetime.now(dt.UTC).isoformat()},
        )
        .get_json()["id"]
    )
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/review").get_data(as_text=True)
    assert f"#{action_id}" in page
    client.post(f"/admin/review/{action_id}", data={"csrf_token": csrf_from(page), "decision": "approve"})
    assert session.get(Action, action_id).status == ActionStatus.CREDITED
