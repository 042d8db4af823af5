"""Partner API (API.md "Partners"): signed requests, no replays, and nothing counts twice
(DESIGN invariant 3: `(partner, external_id)` is unique), over HTTP, the CLI and real concurrency."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from models import Action, ActionStatus, Evidence, PartnerKind, PartnerSignature, Role
from seeds import SEEDS_DIR
from webapp.services import accounts, actions, ledger, members, methodology, partners
from webapp.services.actions import ActionInput

from .conftest import PASSWORD
from .helpers import race

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)
TRIPS = "/api/v1/partner/transit/trips"
DEPOSITS = "/api/v1/partner/waste/deposits"


def seeded_catalogue(session) -> None:
    """The seeded types (bus, walk, waste_paper...) and their factors: on PostgreSQL an earlier test's
    `committed` clean-up (TRUNCATE users ... CASCADE) also empties emission_factors."""
    methodology.load_catalogue(session, SEEDS_DIR / "methodology")
    session.commit()


@pytest.fixture(autouse=True)
def catalogue(request):
    fixture = "committed" if "committed" in request.fixturenames else "session"
    seeded_catalogue(request.getfixturevalue(fixture))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def make_partner(session):
    def build(kind: PartnerKind = PartnerKind.TRANSIT, name: str | None = None):
        partner = partners.create_partner(session, kind, name or f"{kind.value} partner {time.perf_counter_ns()}")
        session.commit()
        return partner

    return build


@pytest.fixture
def member(session, make_user):
    """A resident and their member code."""

    def build():
        user = make_user(Role.RESIDENT)
        code = members.member_code(session, user)
        session.commit()
        return user, code

    return build


def signed_post(client, path, partner, payload, *, timestamp=None, secret=None, key=None, body=None):
    body = body if body is not None else json.dumps(payload).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Accept-Language": "en",
        "X-Partner-Key": key if key is not None else partner.key,
        "X-Timestamp": timestamp,
        "X-Signature": partners.sign(secret or partner.secret, timestamp, body),
    }
    return client.post(path, data=body, headers=headers, content_type="application/json")


def trip(external_id, ref, *, mode="bus", km=5, at=NOW - dt.timedelta(hours=1)):
    at = at.isoformat() if isinstance(at, dt.datetime) else at
    return {"external_id": external_id, "card_or_account_ref": ref, "mode": mode, "distance_km": km, "boarded_at": at}


def deposit(external_id, ref, *, category="paper", kg=2, at=NOW - dt.timedelta(hours=1)):
    return {
        "external_id": external_id,
        "account_ref": ref,
        "station_id": "DZ-ST-7",
        "category": category,
        "weight_kg": kg,
        "deposited_at": at.isoformat(),
    }


def partner_actions(session, partner):
    return session.scalars(select(Action).where(Action.partner_id == partner.id).order_by(Action.id)).all()


def test_a_signed_batch_books_verified_trips(client, session, make_partner, member, frozen):
    partner = make_partner()
    user, code = member()
    extra = {**trip("t-1", code), "line": "K1"}  # fields we do not know are ignored
    payload = {"trips": [extra, trip("t-2", code.lower(), mode="shared_bike")]}
    response = signed_post(client, TRIPS, partner, payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"accepted": 2, "duplicates": 0, "rejected": []}
    booked = partner_actions(session, partner)
    assert [(a.external_id, a.action_type.code, a.evidence, a.status) for a in booked] == [
        ("t-1", "bus", Evidence.TRANSIT, ActionStatus.CREDITED),
        ("t-2", "bike_shared", Evidence.TRANSIT, ActionStatus.CREDITED),
    ]
    assert ledger.account_for(session, user).balance == sum(a.credits for a in booked) > 0


@pytest.mark.parametrize(
    "tamper",
    [
        "unknown key",
        "no key",
        "old timestamp",
        "future timestamp",
        "bad timestamp",
        "wrong secret",
        "no signature",
        "body changed",
    ],
)
def test_a_bad_key_timestamp_or_signature_is_401(client, session, make_partner, member, tamper):
    partner = make_partner()
    _, code = member()
    body = json.dumps({"trips": [trip("t-1", code, at=dt.datetime.now(dt.UTC))]}).encode()
    now = int(time.time())
    timestamp = {"old timestamp": now - 301, "future timestamp": now + 301, "bad timestamp": "12.5"}.get(tamper, now)
    headers = {
        "X-Partner-Key": {"unknown key": "pk_" + "0" * 32, "no key": ""}.get(tamper, partner.key),
        "X-Timestamp": str(timestamp),
        "X-Signature": partners.sign(
            "not-the-secret" if tamper == "wrong secret" else partner.secret, str(timestamp), body
        ),
    }
    if tamper == "no signature":
        del headers["X-Signature"]
    if tamper == "body changed":
        body = body.replace(b"t-1", b"t-2")
    response = client.post(TRIPS, data=body, headers=headers, content_type="application/json")
    assert response.status_code == 401
    assert response.get_json()["code"] == 401 and response.get_json()["message"]
    assert partner_actions(session, partner) == []


def test_an_inactive_partner_is_401(client, session, make_partner, member, frozen):
    partner = make_partner()
    partner.active = False
    session.commit()
    _, code = member()
    assert signed_post(client, TRIPS, partner, {"trips": [trip("t-1", code)]}).status_code == 401


def test_a_replayed_signature_is_401_and_changes_nothing(client, session, make_partner, member, frozen):
    partner = make_partner()
    user, code = member()
    payload = {"trips": [trip("t-1", code)]}
    first = signed_post(client, TRIPS, partner, payload)
    balance = ledger.account_for(session, user).balance
    replay = signed_post(client, TRIPS, partner, payload)
    assert first.status_code == 200
    assert replay.status_code == 401
    assert "already" in replay.get_json()["message"]
    session.expire_all()
    assert ledger.account_for(session, user).balance == balance
    assert len(partner_actions(session, partner)) == 1


def test_a_key_of_the_other_kind_is_403(client, session, make_partner, member, frozen):
    transit, waste = make_partner(PartnerKind.TRANSIT), make_partner(PartnerKind.WASTE)
    _, code = member()
    on_waste = signed_post(client, DEPOSITS, transit, {"deposits": [deposit("d-1", code)]})
    on_transit = signed_post(client, TRIPS, waste, {"trips": [trip("t-1", code)]})
    assert (on_waste.status_code, on_transit.status_code) == (403, 403)
    assert on_waste.get_json()["code"] == 403
    assert partner_actions(session, transit) == partner_actions(session, waste) == []


def test_each_record_is_accepted_a_duplicate_or_rejected_with_its_reason(client, session, make_partner, member, frozen):
    partner = make_partner()
    user, code = member()
    payload = {
        "trips": [
            trip("ok-1", code),
            trip("ok-1", code),  # the same record twice in one batch
            trip("nobody", "M-NOSUCHMEMBER"),
            trip("plane", code, mode="plane"),
            trip("too-far", code, km=500),
            trip("negative", code, km=-3),
            trip("too-old", code, at=NOW - dt.timedelta(days=8)),
            trip("future", code, at=NOW + dt.timedelta(hours=2)),
            trip("naive", code, at="2026-11-25T09:00:00"),
            {"external_id": "missing-fields", "mode": "bus"},
            {"card_or_account_ref": code, "mode": "bus", "distance_km": 3, "boarded_at": NOW.isoformat()},
            trip("ok-2", code, mode="walk", km=2),
        ]
    }
    response = signed_post(client, TRIPS, partner, payload)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert body["rejected"] == [
        {"external_id": "nobody", "reason": "unknown_account"},
        {"external_id": "plane", "reason": "unknown_mode"},
        {"external_id": "too-far", "reason": "out_of_range"},
        {"external_id": "negative", "reason": "out_of_range"},
        {"external_id": "too-old", "reason": "too_old"},
        {"external_id": "future", "reason": "invalid"},
        {"external_id": "naive", "reason": "invalid"},
        {"external_id": "missing-fields", "reason": "invalid"},
        {"external_id": None, "reason": "invalid"},
    ]
    booked = partner_actions(session, partner)
    assert [a.external_id for a in booked] == ["ok-1", "ok-2"]
    assert booked[1].quantity == Decimal(2800)  # walking counts steps: 2 km × 1400
    assert ledger.account_for(session, user).balance == sum(a.credits for a in booked)


def test_waste_deposits_are_credited_per_category_with_station_evidence(client, session, make_partner, member, frozen):
    partner = make_partner(PartnerKind.WASTE)
    _, code = member()
    payload = {
        "deposits": [
            deposit("d-1", code, kg=2.5),
            deposit("d-2", code, category="wood"),
            deposit("d-3", code, category="glass", kg=0),
        ]
    }
    response = signed_post(client, DEPOSITS, partner, payload)
    assert response.get_json() == {
        "accepted": 1,
        "duplicates": 0,
        "rejected": [
            {"external_id": "d-2", "reason": "unknown_category"},
            {"external_id": "d-3", "reason": "out_of_range"},
        ],
    }
    (action,) = partner_actions(session, partner)
    assert (action.action_type.code, action.quantity, action.evidence, action.evidence_ref) == (
        "waste_paper",
        Decimal("2.5"),
        Evidence.WASTE_STATION,
        "DZ-ST-7",
    )


def test_a_partner_trip_is_credited_under_the_higher_evidenced_cap(client, session, make_partner, member, frozen):
    partner = make_partner()
    _, code = member()
    payload = {
        "trips": [
            trip("long", code, km=45, at=NOW - dt.timedelta(hours=2)),
            trip("later", code, km=30, at=NOW - dt.timedelta(hours=1)),
        ]
    }
    assert signed_post(client, TRIPS, partner, payload).get_json()["accepted"] == 2
    long, later = partner_actions(session, partner)
    bus = long.action_type
    assert long.co2e_grams == 465 > bus.daily_cap_self  # 45 km × 10.34 g; a self-report would stop at 310
    assert (long.credits, long.capped) == (465, False)
    assert (later.credits, later.capped) == (bus.daily_cap_evidenced - 465, True)


def test_a_self_reported_trip_overlapping_a_partner_trip_earns_nothing(client, session, make_partner, member, frozen):
    partner = make_partner()
    user, code = member()
    boarded = NOW - dt.timedelta(hours=1)
    signed_post(client, TRIPS, partner, {"trips": [trip("t-1", code, at=boarded)]})
    data = ActionInput(type="bike_shared", quantity=Decimal(3), occurred_at=boarded + dt.timedelta(minutes=20))
    action, account = actions.log_action(session, user, data, now=NOW.astimezone(dt.UTC))
    assert (action.status, action.reason, action.credits) == (ActionStatus.DUPLICATE, "overlaps_verified_trip", 0)
    assert account.balance == partner_actions(session, partner)[0].credits


def test_posting_the_same_batch_again_changes_nothing(client, session, make_partner, member, frozen):
    partner = make_partner()
    user, code = member()
    payload = {"trips": [trip(f"t-{i}", code, km=3, at=NOW - dt.timedelta(hours=3, minutes=i)) for i in range(5)]}
    first = signed_post(client, TRIPS, partner, payload)
    balance = ledger.account_for(session, user).balance
    again = signed_post(client, TRIPS, partner, payload, timestamp=int(time.time()) - 1)  # a fresh signature
    assert first.get_json() == {"accepted": 5, "duplicates": 0, "rejected": []}
    assert again.get_json() == {"accepted": 0, "duplicates": 5, "rejected": []}
    session.expire_all()
    assert ledger.account_for(session, user).balance == balance
    assert len(partner_actions(session, partner)) == 5


def test_external_ids_are_unique_per_partner_not_across_partners(client, session, make_partner, member, frozen):
    first, second = make_partner(), make_partner()
    _, code = member()
    a = signed_post(client, TRIPS, first, {"trips": [trip("same", code, at=NOW - dt.timedelta(hours=3))]})
    b = signed_post(client, TRIPS, second, {"trips": [trip("same", code, at=NOW - dt.timedelta(hours=1))]})
    assert a.get_json()["accepted"] == b.get_json()["accepted"] == 1


def test_an_erased_resident_is_an_unknown_account(client, session, make_partner, member, frozen):
    partner = make_partner()
    user, code = member()
    accounts.erase(session, user)
    session.commit()
    body = signed_post(client, TRIPS, partner, {"trips": [trip("t-1", code)]}).get_json()
    assert body["rejected"] == [{"external_id": "t-1", "reason": "unknown_account"}]


def test_more_than_1000_records_is_422(client, session, make_partner, member, frozen):
    partner = make_partner()
    _, code = member()
    payload = {"trips": [trip(f"t-{i}", code) for i in range(1001)]}
    response = signed_post(client, TRIPS, partner, payload)
    assert response.status_code == 422
    assert "trips" in response.get_json()["errors"]
    assert partner_actions(session, partner) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"{}", 422),
        (b'{"trips": {"external_id": "x"}}', 422),
        (b'{"trips": ["x"]}', 422),
    ],
)
def test_a_malformed_body_is_400_or_422(client, make_partner, frozen, body, status):
    partner = make_partner()
    response = signed_post(client, TRIPS, partner, None, body=body)
    assert response.status_code == status
    assert response.get_json()["code"] == status


def test_old_signatures_are_pruned_after_ten_minutes(session, make_partner):
    partner = make_partner()
    now = dt.datetime.now(dt.UTC)
    session.add_all(
        [
            PartnerSignature(partner_id=partner.id, signature="a" * 64, created_at=now - dt.timedelta(minutes=11)),
            PartnerSignature(partner_id=partner.id, signature="b" * 64, created_at=now - dt.timedelta(minutes=9)),
        ]
    )
    session.flush()
    assert partners.prune_signatures(session, now) == 1
    assert session.scalars(select(PartnerSignature.signature)).all() == ["b" * 64]


def test_the_openapi_document_describes_the_partner_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operation = paths[TRIPS]["post"]
    assert {p["name"] for p in operation["parameters"]} >= {"X-Partner-Key", "X-Timestamp", "X-Signature"}
    assert DEPOSITS in paths


def test_flask_partners_create_prints_key_and_secret_as_json(app, committed):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["partners", "create", "--kind", "transit", "--name", "Dezhou Bus"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"key", "secret"}
    timestamp = str(int(time.time()))
    partner = partners.authenticate(
        committed,
        printed["key"],
        timestamp,
        partners.sign(printed["secret"], timestamp, b"{}"),
        b"{}",
        kind=PartnerKind.TRANSIT,
    )
    assert partner.name == "Dezhou Bus"
    committed.rollback()
    again = runner.invoke(args=["partners", "create", "--kind", "waste", "--name", "Dezhou Bus"])
    assert again.exit_code != 0
    assert len(again.output.strip().splitlines()) == 1


def _race(app, n, request):
    """Start n requests at the same instant; return their responses' status codes and bodies."""
    responses = race(n, lambda i: request(app.test_client(), i))
    return [(response.status_code, response.get_json()) for response in responses]


def _committed_residents(session, n):
    codes = []
    for i in range(n):
        user = accounts.create_user(
            session, None, role=Role.RESIDENT, login=f"1370000{i:04d}", password=PASSWORD, district="371402"
        )
        codes.append(members.member_code(session, user))
    session.commit()
    return codes


def test_concurrent_retries_of_one_batch_store_each_external_id_once(app, committed):
    partner = partners.create_partner(committed, PartnerKind.TRANSIT, "racing bus")
    codes = _committed_residents(committed, 3)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    payload = {"trips": [trip(f"t-{i}", codes[i % 3], km=2, at=start + dt.timedelta(minutes=i)) for i in range(30)]}
    threads = 8
    base = int(time.time())  # fixed before the race: timestamps read inside it could coincide

    def post(client, i):  # each retry signs anew (its own timestamp), as a partner's retry would
        return signed_post(client, TRIPS, partner, payload, timestamp=base - i)

    results = _race(app, threads, post)
    committed.expire_all()
    assert Counter(status for status, _ in results) == {200: threads}, results
    assert sum(body["accepted"] for _, body in results) == 30
    assert sum(body["duplicates"] for _, body in results) == 30 * (threads - 1)
    stored = committed.scalars(select(Action.external_id).where(Action.partner_id == partner.id)).all()
    assert sorted(stored) == sorted(f"t-{i}" for i in range(30))
    assert committed.scalar(select(func.count()).select_from(Action)) == 30
    assert ledger.verify(committed) == []


def test_concurrent_replays_of_one_signed_request_book_it_once(app, committed):
    partner = partners.create_partner(committed, PartnerKind.TRANSIT, "replayed bus")
    (code,) = _committed_residents(committed, 1)
    body = json.dumps({"trips": [trip("t-1", code, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))]}).encode()
    timestamp = int(time.time())

    def post(client, _i):
        return signed_post(client, TRIPS, partner, None, body=body, timestamp=timestamp)

    results = _race(app, 6, post)
    assert Counter(status for status, _ in results) == {200: 1, 401: 5}, results
    committed.expire_all()
    assert committed.scalar(select(func.count()).select_from(Action).where(Action.partner_id == partner.id)) == 1


def test_a_batch_and_a_resident_logging_meanwhile_both_succeed(app, committed):
    """A batch that held one record's statistics rows while waiting for the next resident's account
    deadlocked on PostgreSQL against that resident's own POST /actions; a commit per record prevents it."""
    partner = partners.create_partner(committed, PartnerKind.TRANSIT, "busy bus")
    first, second = _committed_residents(committed, 2)
    resident = members.user_by_member_code(committed, second)
    _, token = accounts.issue_token(committed, resident, "app")
    committed.commit()
    now = dt.datetime.now(dt.UTC)
    batch = [trip(f"a-{i}", first, km=1, at=now - dt.timedelta(hours=5, minutes=i)) for i in range(100)]
    payload = {"trips": [*batch, trip("b-1", second, km=1, at=now - dt.timedelta(hours=1))]}
    own = {"type": "bus", "quantity": 2, "occurred_at": (now - dt.timedelta(hours=3)).isoformat()}

    def request(client, i):
        if i == 0:
            return signed_post(client, TRIPS, partner, payload)
        time.sleep(0.5)  # while the batch is busy with the first resident's trips
        return client.post("/api/v1/actions", json=own, headers={"Authorization": f"Bearer {token}"})

    results = _race(app, 2, request)
    assert sorted(status for status, _ in results) == [200, 201], results
    assert ledger.verify(committed) == []
