"""Structured request logging: one JSON line per request, no personal data."""

from __future__ import annotations

import json
import logging
import sys
import time
import uuid

from flask import Flask, g, request
from flask_login import current_user

access_log = logging.getLogger("webapp.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure(app: Flask) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_carbon", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._carbon = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app.logger.propagate = True

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex

    @app.after_request
    def _log(response):
        started = g.get("request_started")
        fields = {
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            "user": current_user.loaded("id") if current_user else None,
        }
        access_log.info("request", extra={"fields": fields})
        response.headers["X-Request-ID"] = fields["request_id"] or ""
        return response
