"""GET /api/v1/stats/*: officials and admins only, 422 for bad filters, CSV equal to the JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from models import AuditEvent, Role
from webapp.services import projector

from .test_statistics_data import log, shanghai

PATHS = ["/api/v1/stats/overview", "/api/v1/stats/districts", "/api/v1/stats/timeseries", "/api/v1/stats/export.csv"]
WINDOW = "from=2026-05-10&to=2026-05-16"


@pytest.fixture
def busy_week(session, make_user):
    """Decheng: 14 residents; Lingcheng: 11; Ningjin: 3 (hidden, and Lingcheng with it)."""
    for district, n in (("371402", 14), ("371403", 11), ("371422", 3)):
        for i in range(n):
            resident = make_user(district=district)
            day = 10 + i % 7
            log(session, resident, "bus", 6, shanghai(2026, 5, day, 8, 30), shanghai(2026, 5, day, 21, 0))
            log(session, resident, "waste_paper", 2, shanghai(2026, 5, day, 19, 0), shanghai(2026, 5, day, 21, 0))
    projector.fold_all(session)
    session.commit()


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_gets_401(client, path):
    response = client.get(path)
    assert response.status_code == 401 and response.get_json()["code"] == 401


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MERCHANT, Role.PUBLICITY])
def test_other_roles_get_403(api, make_user, role):
    caller = api(make_user(role))
    for path in PATHS:
        assert caller.get(path).status_code == 403, path


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.ADMIN])
def test_officials_and_admins_read_every_endpoint(api, make_user, role):
    caller = api(make_user(role))
    for path in PATHS:
        assert caller.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-05-10&to=2026-05-01",
        "from=yesterday",
        "to=2026-02-30",
        "district=999999",
        "from=2020-01-01&to=2026-01-01",
        "to=2999-01-01",
    ],
)
def test_bad_filters_are_422_with_the_field(api, make_user, query):
    caller = api(make_user(Role.OFFICIAL))
    for path in PATHS if "district" not in query else PATHS[::2]:  # the district table has every district
        response = caller.get(f"{path}?{query}")
        assert response.status_code == 422, (path, query, response.get_data(as_text=True))
        assert response.get_json()["errors"], query


@pytest.mark.parametrize("query", ["metric=bitcoin", "interval=hour", "interval=day&from=2025-01-01&to=2026-05-01"])
def test_bad_timeseries_parameters_are_422(api, make_user, query):
    response = api(make_user(Role.OFFICIAL)).get(f"/api/v1/stats/timeseries?{query}")
    assert response.status_code == 422, response.get_json()


def test_overview_has_the_contract_fields_and_hides_small_cells(api, make_user, busy_week):
    caller = api(make_user(Role.OFFICIAL))
    body = caller.get(f"/api/v1/stats/overview?{WINDOW}").get_json()
    for field in ("residents", "active_residents", "actions", "co2e_grams", "credits_issued", "credits_redeemed"):
        assert field in body
    assert body["actions"]["bus"] == 28 and body["participants"] == 28
    share = body["green_travel_share"]
    assert share["value"] == 1.0 and share["n_trips"] == 28 and share["target"] == 0.7
    assert share["ci_low"] == pytest.approx(0.8794, abs=1e-4) and share["ci_high"] == 1.0
    small = caller.get(f"/api/v1/stats/overview?{WINDOW}&district=371422").get_json()
    assert small["co2e_grams"] is None and small["suppressed"]["co2e_grams"] is True
    assert small["green_travel_share"]["suppressed"] is True and small["green_travel_share"]["value"] is None
    assert small["district"] == "371422" and small["from"] == "2026-05-10"


def test_district_rows_and_csv_carry_the_same_cells(api, make_user, session, busy_week):
    caller = api(make_user(Role.OFFICIAL))
    rows = caller.get(f"/api/v1/stats/districts?{WINDOW}").get_json()
    assert [r["district"]["code"] for r in rows][:3] == ["371402", "371403", "371422"]
    by_code = {r["district"]["code"]: r for r in rows}
    assert by_code["371422"]["participants"] is None and by_code["371403"]["participants"] is None
    assert by_code["371402"]["participants"] == 14
    response = caller.get(f"/api/v1/stats/export.csv?{WINDOW}")
    assert response.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [line["district_code"] for line in table] == [*by_code, "all"]
    for line in table[:-1]:
        row = by_code[line["district_code"]]
        for column in ("residents", "participants", "actions_total", "co2e_grams", "credits_issued"):
            expected = "<10" if row[column] is None else str(row[column])
            assert line[column] == expected, (line["district_code"], column)
        share = row["green_travel_share"]
        assert line["n_trips"] == ("<10" if share["suppressed"] else str(share["n_trips"]))
    city = caller.get(f"/api/v1/stats/overview?{WINDOW}").get_json()
    assert table[-1]["co2e_grams"] == str(city["co2e_grams"])
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "statistics.exported")).all()
    assert [(a.data["table"], a.data["first"], a.data["last"]) for a in audit] == [
        ("districts", "2026-05-10", "2026-05-16")
    ]


def test_timeseries_by_day_and_week(api, make_user, busy_week):
    caller = api(make_user(Role.ADMIN))
    days = caller.get(f"/api/v1/stats/timeseries?metric=actions&interval=day&{WINDOW}").get_json()
    assert [p["period"] for p in days] == [(dt.date(2026, 5, 10) + dt.timedelta(days=n)).isoformat() for n in range(7)]
    assert all(p["suppressed"] for p in days)  # 4 residents a day at most: every day is a small cell
    week = caller.get(f"/api/v1/stats/timeseries?metric=actions&interval=week&{WINDOW}").get_json()
    # Sunday the 10th alone has 5 residents; showing the next week would give it away (total - week).
    assert [(p["period"], p["value"]) for p in week] == [("2026-05-10", None), ("2026-05-11", None)]
    share = caller.get(f"/api/v1/stats/timeseries?metric=green_travel_share&interval=month&{WINDOW}").get_json()
    assert share[0]["value"] == 1.0 and share[0]["n_trips"] == 28
