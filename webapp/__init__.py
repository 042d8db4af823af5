"""The application factory: configuration, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

import static

from . import bench, errors, logs, routing
from .api import register_api
from .cli import register_cli
from .config import Config
from .extensions import api, babel, csrf, db, limiter, login_manager, talisman
from .i18n import select_locale
from .security import init_security
from .services import passwords
from .views import register_views

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = Path(static.__file__).resolve().parent

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def create_app(config: Config | None = None) -> Flask:
    app = Flask(
        __name__,
        static_folder=str(STATIC_DIR),
        static_url_path="/static",
        instance_relative_config=True,
    )
    config = config or Config.from_env(instance_path=app.instance_path)
    app.config.from_mapping(config.as_flask())
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    if app.config["TESTING"]:
        passwords.configure(time_cost=1, memory_cost_kib=1024)
    _register_extensions(app)
    _register_blueprints(app)
    _register_error_handlers(app)
    _register_cli(app)
    logs.configure(app)
    return app


def _register_extensions(app: Flask) -> None:
    db.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    csrf.init_app(app)
    limiter.init_app(app)
    api.init_app(app, spec_kwargs={"info": {"description": "Personal carbon accounts for the city."}})
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        strict_transport_security_include_subdomains=True,
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"camera": "(self)", "geolocation": "()", "microphone": "()"},
    )
    init_security(app)
    db_transaction_per_request(app)


def db_transaction_per_request(app: Flask) -> None:
    """One commit when the response is a success, a rollback otherwise."""

    @app.after_request
    def _finish(response):
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except DBAPIError as exc:  # the connection died at COMMIT: the outcome is the client's retry
            db.session.rollback()
            return errors.database_error(exc)
        return response


def _register_blueprints(app: Flask) -> None:
    routing.install(app)
    register_api(app)
    register_views(app)
    if app.config["BENCH_ENDPOINTS"]:
        app.register_blueprint(bench.bp)


def _register_error_handlers(app: Flask) -> None:
    errors.register_error_handlers(app)


def _register_cli(app: Flask) -> None:
    register_cli(app)
