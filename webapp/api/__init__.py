"""The JSON API under /api/v1 (flask-smorest); the OpenAPI document and a local Swagger UI."""

from __future__ import annotations

from flask import Flask

from ..extensions import api
from . import (
    accounts,
    actions,
    admin,
    campaigns,
    city,
    docs,
    gamification,
    merchant_admin,
    merchants,
    partners,
    province,
    spec_errors,
    stations,
    statistics,
)

BLUEPRINTS = [
    accounts.auth_blp,
    accounts.me_blp,
    city.blp,
    actions.blp,
    admin.blp,
    merchants.blp,
    merchants.merchant_blp,
    merchant_admin.admin_blp,
    campaigns.blp,
    gamification.blp,
    statistics.blp,
    partners.blp,
    province.blp,
    stations.blp,
]


def register_api(app: Flask) -> None:
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    spec_errors.install(app, api.spec)
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint, url_prefix=f"/api/v1{blueprint.url_prefix or ''}")
    app.register_blueprint(docs.bp)
