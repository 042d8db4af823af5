"""Province API (machine to machine): the provincial platform pulls an exported period.

Signed like the partner API, with a partner key of kind `province`; a GET has no body, so the
signed text is `timestamp + "." + the request path`. Every file served is written to the delivery log.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_smorest import Blueprint

from models import PartnerKind

from ..extensions import db
from ..security import public
from ..services import partners, province_delivery
from .partners import SIGNATURE_DOC

blp = Blueprint(
    "api_province",
    __name__,
    url_prefix="/province",
    description="The provincial platform (machine to machine): signed pulls of the monthly export",
)


def _client():
    return partners.authenticate(
        db.session,
        request.headers.get("X-Partner-Key"),
        request.headers.get("X-Timestamp"),
        request.headers.get("X-Signature"),
        request.path.encode(),
        kind=PartnerKind.PROVINCE,
    )


def _send(period: str, item: str, mimetype: str) -> Response:
    client = _client()
    root = province_delivery.export_root(current_app.config, current_app.instance_path)
    content = province_delivery.pull(db.session, client, root, period, item)
    return Response(content, mimetype=mimetype)


@blp.route("/periods/<period>/manifest", methods=["GET"])
@public
@blp.doc(parameters=SIGNATURE_DOC, security=[])
@blp.alt_response(401, description="Unknown key, stale timestamp, wrong or replayed signature")
@blp.alt_response(404, description="The period has not been exported")
@blp.alt_response(422, description="The period is not a month written YYYY-MM")
def manifest(period: str):
    """The period's manifest (batches, counts, sums, sha256), byte for byte as signed."""
    return _send(period, "manifest.json", "application/json")


@blp.route("/periods/<period>/signature", methods=["GET"])
@public
@blp.doc(parameters=SIGNATURE_DOC, security=[])
def signature(period: str):
    """Hex HMAC-SHA256 of the manifest's bytes with the city's signing key."""
    return _send(period, "manifest.sig", "text/plain")


@blp.route("/periods/<period>/batches/<int:n>", methods=["GET"])
@public
@blp.doc(parameters=SIGNATURE_DOC, security=[])
def batch(period: str, n: int):
    """The n-th batch of the manifest (from 1), JSON lines."""
    return _send(period, str(n), "application/x-ndjson")
