"""HTML pages, one blueprint per audience."""

from __future__ import annotations

from flask import Flask
from flask_login import current_user

from models import Role

from ..i18n import LANGUAGES, current_language, label_filters, localized
from . import admin, auth, public, resident

BLUEPRINTS = [public.bp, auth.bp, resident.bp, admin.bp]



def register_views(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    @app.context_processor
    def _globals():
        return {
            "LANGUAGES": LANGUAGES,
            "current_language": current_language(),
            "localized": localized,
            "Role": Role,
            **label_filters(),
            "is_role": lambda *roles: current_user.is_authenticated and current_user.role in roles,
        }
