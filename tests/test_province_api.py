"""The provincial platform pulls an exported period, signed; every pull is in the admins' delivery log."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
from sqlalchemy import select

from models import PartnerKind, ProvinceDelivery, Role
from webapp.services import partners, province

from .pages import login
from .test_province_export import KEYS, TODAY, month

__all__ = ["month"]


@pytest.fixture
def exported(app, session, month, tmp_path):
    province.export(session, "2026-11", KEYS, tmp_path, TODAY)
    app.config["PROVINCE_EXPORT_DIR"] = str(tmp_path)
    yield tmp_path / "2026-11"
    app.config["PROVINCE_EXPORT_DIR"] = ""


@pytest.fixture
def client_key(session):
    partner = partners.create_partner(session, PartnerKind.PROVINCE, "Shandong provincial platform")
    session.flush()
    return partner


def pull(client, partner, path, *, secret=None):
    timestamp = str(int(time.time()))
    signature = partners.sign(secret or partner.secret, timestamp, path.encode())
    headers = {"X-Partner-Key": partner.key, "X-Timestamp": timestamp, "X-Signature": signature}
    return client.get(path, headers=headers)


def test_the_province_pulls_manifest_signature_and_batches_as_exported(client, session, exported, client_key):
    manifest = pull(client, client_key, "/api/v1/province/periods/2026-11/manifest")
    assert manifest.status_code == 200
    assert manifest.data == (exported / "manifest.json").read_bytes()
    signature = pull(client, client_key, "/api/v1/province/periods/2026-11/signature")
    assert signature.data.decode().strip() == province.sign(KEYS.signing, manifest.data)
    for n, batch in enumerate(json.loads(manifest.data)["batches"], start=1):
        response = pull(client, client_key, f"/api/v1/province/periods/2026-11/batches/{n}")
        assert hashlib.sha256(response.data).hexdigest() == batch["sha256"]
    log = session.scalars(select(ProvinceDelivery).order_by(ProvinceDelivery.id)).all()
    assert [d.item for d in log][:2] == ["manifest.json", "manifest.sig"]
    assert len(log) == 2 + len(json.loads(manifest.data)["batches"])
    assert {d.partner_id for d in log} == {client_key.id}


def test_a_bad_signature_or_a_transit_key_is_refused_and_nothing_is_logged(client, session, exported, client_key):
    path = "/api/v1/province/periods/2026-11/manifest"
    assert pull(client, client_key, path, secret="wrong").status_code == 401
    transit = partners.create_partner(session, PartnerKind.TRANSIT, "bus company")
    session.flush()
    assert pull(client, transit, path).status_code == 403
    assert session.scalars(select(ProvinceDelivery)).all() == []


def test_a_bad_period_is_422_and_an_unexported_one_404(client, exported, client_key):
    bad = pull(client, client_key, "/api/v1/province/periods/2026-13/manifest")
    assert bad.status_code == 422
    assert "period" in bad.get_json()["errors"]
    assert pull(client, client_key, "/api/v1/province/periods/2026-10/manifest").status_code == 404
    assert pull(client, client_key, "/api/v1/province/periods/2026-11/batches/99").status_code == 404


def test_admins_see_the_delivery_log(client, session, exported, client_key, make_user):
    pull(client, client_key, "/api/v1/province/periods/2026-11/manifest")
    admin = make_user(Role.ADMIN)
    login(client, admin)
    page = client.get("/admin/province")
    assert page.status_code == 200
    assert "manifest.json" in page.get_data(as_text=True)
