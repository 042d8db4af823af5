"""What every API view shares: pagination by opaque cursor and Idempotency-Key replay."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, make_response, request
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from models import IdempotencyRecord

from ..errors import Conflict, Invalid
from ..extensions import db
from ..messages import N_


class PageArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None)


def attachment(body: str, name: str, mimetype: str = "text/csv") -> Response:
    """A download: the body under the file name the browser offers to save."""
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["id"]
        if not isinstance(value, int):
            raise TypeError
        return value
    except (ValueError, KeyError, TypeError):
        raise Invalid.field("cursor", N_("Invalid cursor.")) from None


def paginate(stmt: Select, id_column: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Keyset pagination, newest first: `items` and `next_cursor` (None at the end)."""
    after = decode_cursor(args.get("cursor"))
    limit = args["limit"]
    if after is not None:
        stmt = stmt.where(id_column < after)
    rows = list(db.session.scalars(stmt.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}


IDEMPOTENCY_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "1-255 printable characters; a retry with the same key and body returns the first "
    "response, a different body is 409.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class IdempotencyKey(Schema):
    key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=[validate.Length(min=1, max=255), validate.Regexp(r"^[\x21-\x7e]+$")],
    )


def _request_fingerprint() -> str:
    body = request.get_data(cache=True) or b""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(request.method.encode() + request.path.encode() + b"\n" + canonical).hexdigest()


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise Conflict(N_("This Idempotency-Key was used with a different request."))
    response = current_app.response_class(
        json.dumps(record.response), status=record.status_code, mimetype="application/json"
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Same key + same body -> the first response again; same key + other body -> 409.

    The key row is written before the work: a concurrent duplicate blocks on the unique index
    until the first commits, then replays its answer instead of doing the work twice.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw = request.headers.get("Idempotency-Key")
        if raw is None:
            return view(*args, **kwargs)
        try:
            key = IdempotencyKey().load({"Idempotency-Key": raw})["key"]
        except ValidationError as exc:
            raise Invalid(N_("Invalid Idempotency-Key."), exc.messages) from None
        fingerprint = _request_fingerprint()
        session = db.session
        find = select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key
        )
        existing = session.scalar(find)
        if existing is not None and existing.status_code is not None:
            return _replay(existing, fingerprint)
        record = IdempotencyRecord(
            user_id=current_user.id, key=key, endpoint=request.endpoint or "", request_hash=fingerprint
        )
        session.add(record)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return _replay(session.scalars(find).one(), fingerprint)
        response = make_response(view(*args, **kwargs))
        record.status_code = response.status_code
        record.response = response.get_json()
        session.flush()
        return response

    return wrapper
