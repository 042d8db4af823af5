"""Partner API (machine to machine): transit trips and waste deposits, signed with HMAC.

The role gate lets these routes through (@public: partners have no user account); the signature
is checked by `partner_signed` before the body is even parsed, so an unsigned call is always 401.
A batch commits after each record rather than once per request (services.partners.ingest says why);
records are idempotent on external_id, so a batch cut short is simply sent again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from flask_smorest import Blueprint

from models import PartnerKind

from ..extensions import db
from ..schemas.partners import BatchResultOut, DepositsIn, TripsIn
from ..security import public
from ..services import partners

blp = Blueprint(
    "api_partner",
    __name__,
    url_prefix="/partner",
    description="Partners (machine to machine): verified trips and deposits",
)

SIGNATURE_DOC = [
    {
        "in": "header",
        "name": "X-Partner-Key",
        "required": True,
        "schema": {"type": "string"},
        "description": "The partner's public key.",
    },
    {
        "in": "header",
        "name": "X-Timestamp",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "description": "Unix time in seconds; within 300 s of the server's clock.",
    },
    {
        "in": "header",
        "name": "X-Signature",
        "required": True,
        "schema": {"type": "string"},
        "description": 'Hex HMAC-SHA256 of timestamp + "." + the raw body, keyed with the partner\'s secret; '
        "each signature is accepted once.",
    },
]


def partner_signed(kind: PartnerKind) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authenticate the signing partner of this kind and pass it to the view as `partner`."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            partner = partners.authenticate(
                db.session,
                request.headers.get("X-Partner-Key"),
                request.headers.get("X-Timestamp"),
                request.headers.get("X-Signature"),
                request.get_data(cache=True),
                kind=kind,
            )
            return view(*args, partner=partner, **kwargs)

        return wrapper

    return decorate


@blp.route("/transit/trips", methods=["POST"])
@public
@blp.doc(parameters=SIGNATURE_DOC, security=[])
@partner_signed(PartnerKind.TRANSIT)
@blp.arguments(TripsIn)
@blp.response(200, BatchResultOut, description="How many were accepted, already known, or rejected and why")
@blp.alt_response(401, description="Unknown key, stale timestamp, wrong or replayed signature")
@blp.alt_response(403, description="A key of the other kind of partner")
def transit_trips(data, partner):
    """Verified trips from a transit partner (up to 1000); idempotent on external_id."""
    return partners.ingest(db.session, partner, data["trips"], after_each=db.session.commit)


@blp.route("/waste/deposits", methods=["POST"])
@public
@blp.doc(parameters=SIGNATURE_DOC, security=[])
@partner_signed(PartnerKind.WASTE)
@blp.arguments(DepositsIn)
@blp.response(200, BatchResultOut, description="How many were accepted, already known, or rejected and why")
@blp.alt_response(401, description="Unknown key, stale timestamp, wrong or replayed signature")
@blp.alt_response(403, description="A key of the other kind of partner")
def waste_deposits(data, partner):
    """Verified deposits from a waste station partner (up to 1000); idempotent on external_id."""
    return partners.ingest(db.session, partner, data["deposits"], after_each=db.session.commit)
