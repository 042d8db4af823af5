"""The officials' dashboard: both languages, SVG drawn on the server, CSV of every table, audited."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from sqlalchemy import select

from models import AuditEvent, Role
from webapp.services import projector

from .pages import login
from .test_statistics_data import log, shanghai

FILTERS = "from=2026-05-01&to=2026-05-31"
CHINESE_CATALOG = Path(__file__).resolve().parents[1] / "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.mo"


def chinese_compiled(msgid: str) -> bool:
    """New texts wait in translations/pending/ until tools/i18n.py merges and compiles them."""
    with CHINESE_CATALOG.open("rb") as fh:
        message = read_mo(fh).get(msgid)
    return bool(message and message.string)


@pytest.fixture
def month_of_activity(session, make_user):
    for district, n in (("371402", 16), ("371403", 12), ("371422", 2)):
        for i in range(n):
            resident = make_user(district=district)
            day = 1 + i
            log(session, resident, "bus", 6, shanghai(2026, 5, day, 8, 0), shanghai(2026, 5, day, 22, 0))
            log(
                session,
                resident,
                "car" if i % 4 == 0 else "walk",
                5000 if i % 4 else 8,
                shanghai(2026, 5, day, 18, 0),
                shanghai(2026, 5, day, 22, 0),
            )
    projector.fold_all(session)
    session.commit()


def signed_in(app, make_user, role):
    client = app.test_client()
    assert login(client, make_user(role)).status_code == 200
    return client


@pytest.mark.parametrize(
    ("language", "title", "note"),
    [
        ("en", "Official statistics", "It is not a travel survey"),
        ("zh-CN", "官方统计", "不是出行调查"),
    ],
)
def test_dashboard_in_both_languages(app, make_user, month_of_activity, language, title, note):
    if language != "en" and not chinese_compiled("Official statistics"):
        pytest.skip("translations/pending/statistics.json is not compiled yet: run tools/i18n.py")
    client = signed_in(app, make_user, Role.OFFICIAL)
    response = client.get(f"/official/?{FILTERS}", headers={"Accept-Language": language})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert title in html and note in html
    assert html.count("<svg") == 4  # gauge, series, districts, types
    assert "&lt;10" in html  # Ningjin's two residents
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline script (CSP script-src 'self')"
    assert "style=" not in html.split("<main", 1)[1], "no inline style attributes (CSP style-src 'self')"


def test_admin_sees_the_dashboard_and_others_do_not(app, make_user, client):
    assert signed_in(app, make_user, Role.ADMIN).get("/official/").status_code == 200
    for role in (Role.RESIDENT, Role.MERCHANT, Role.PUBLICITY):
        assert signed_in(app, make_user, role).get("/official/").status_code == 403
    response = client.get("/official/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_bad_filters_show_the_form_with_the_error(app, make_user):
    client = signed_in(app, make_user, Role.OFFICIAL)
    response = client.get("/official/?from=2026-05-31&to=2026-05-01", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert "Must be on or after the first day." in response.get_data(as_text=True)
    assert client.get("/official/export/districts.csv?district=nowhere").status_code == 422


@pytest.mark.parametrize("table", ["districts", "types", "timeseries", "campaigns"])
def test_every_table_exports_as_csv_and_is_audited(app, make_user, session, month_of_activity, table):
    client = signed_in(app, make_user, Role.OFFICIAL)
    response = client.get(f"/official/export/{table}.csv?{FILTERS}&metric=participants&interval=week")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0]
    if table in ("districts", "types", "timeseries"):
        assert len(lines) > 1
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "statistics.exported")).all()
    assert [e.data["table"] for e in events] == [table]


def test_district_csv_from_the_page_equals_the_api_export(app, make_user, month_of_activity):
    client = signed_in(app, make_user, Role.OFFICIAL)
    page = client.get(f"/official/export/districts.csv?{FILTERS}").get_data(as_text=True)
    api = client.get(f"/api/v1/stats/export.csv?{FILTERS}").get_data(as_text=True)
    assert page == api and "<10" in page
