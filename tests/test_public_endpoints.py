"""What anyone may read: health checks, the city's districts, the OpenAPI document and its local UI."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy.exc import OperationalError

from webapp.extensions import db

DEZHOU = {
    "371402": ("德城区", "Decheng District"),
    "371403": ("陵城区", "Lingcheng District"),
    "371422": ("宁津县", "Ningjin County"),
    "371423": ("庆云县", "Qingyun County"),
    "371424": ("临邑县", "Linyi County"),
    "371425": ("齐河县", "Qihe County"),
    "371426": ("平原县", "Pingyuan County"),
    "371427": ("夏津县", "Xiajin County"),
    "371428": ("武城县", "Wucheng County"),
    "371481": ("乐陵市", "Leling City"),
    "371482": ("禹城市", "Yucheng City"),
}
ASSET = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"')


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_readyz_is_200_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "up", "projector": {"backlog": 0, "lag_seconds": 0.0}}


def test_readyz_is_503_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "down"


def test_districts_lists_the_eleven_dezhou_districts(client):
    response = client.get("/api/v1/districts")
    assert response.status_code == 200
    rows = response.get_json()
    assert len(rows) == 11
    assert {row["code"]: row["name"] for row in rows} == {code: zh for code, (zh, _en) in DEZHOU.items()}


def test_district_names_follow_the_language(client):
    rows = client.get("/api/v1/districts", headers={"Accept-Language": "en"}).get_json()
    assert {row["code"]: row["name"] for row in rows} == {code: en for code, (_zh, en) in DEZHOU.items()}


def test_openapi_document_is_valid_json_describing_the_contract(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.get_data(as_text=True))
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/tokens", "post"),
        ("/api/v1/auth/tokens/{token_id}", "delete"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "delete"),
        ("/api/v1/me/export", "get"),
        ("/api/v1/districts", "get"),
        ("/api/v1/auth/csrf", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} missing from the OpenAPI document"
    assert "201" in paths["/api/v1/auth/register"]["post"]["responses"]
    assert "bearer" in spec["components"]["securitySchemes"]


def test_api_docs_load_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assets = ASSET.findall(html)
    assert len(assets) >= 3  # the stylesheet, the Swagger UI bundle and the starter script
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"external asset {url}"
        assert not url.startswith("//")
    assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize("kind", ["script", "link"])
def test_api_docs_assets_are_served(client, kind):
    html = client.get("/api/docs").get_data(as_text=True)
    urls = re.findall(rf'<{kind}\b[^>]*\b(?:src|href)="([^"]+)"', html)
    assert urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.data
        response.close()
