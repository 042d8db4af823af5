"""WSGI entry point: `flask --app wsgi` and `gunicorn wsgi:app` (the app of webapp.wsgi)."""

from webapp.wsgi import app

__all__ = ["app"]
