"""HTML pages, one blueprint per audience."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from models import Role

from ..i18n import LANGUAGES, current_language, label_filters, localized
from . import (
    admin,
    auth,
    campaign_pages,
    game,
    merchant,
    merchant_admin,
    official,
    public,
    publicity,
    resident,
    rewards,
    station,
    station_admin,
    two_factor,
)

BLUEPRINTS = [
    public.bp,
    auth.bp,
    two_factor.bp,
    resident.bp,
    admin.bp,
    merchant.apply_bp,
    merchant.bp,
    rewards.bp,
    merchant_admin.bp,
    publicity.bp,
    campaign_pages.bp,
    game.bp,
    official.bp,
    station.bp,
    station_admin.bp,
]


def significant(value, digits: int = 3) -> str:
    """A number for people: 52, 40.7, 0.00627 — never 0.0 for a small positive factor."""
    number = float(value)
    if number == 0 or abs(number) >= 10**digits:
        return f"{number:,.0f}"
    return f"{number:.{digits}g}"


def register_views(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.add_template_filter(significant)

    @app.context_processor
    def _globals():
        return {
            "LANGUAGES": LANGUAGES,
            "current_language": current_language(),
            "large_text": public.large_text(),
            "localized": localized,
            "Role": Role,
            **label_filters(),
            "is_role": lambda *roles: current_user.is_authenticated and current_user.role in roles,
        }
