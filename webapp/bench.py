"""A bare endpoint for benchmarks only: one INSERT and a commit, no schema, no services.

Registered only when BENCH_ENDPOINTS=true (never in production); it is the baseline that
tests/benchmarks/bench_actions.py compares POST /api/v1/actions with, in the same server.
"""

from flask import Blueprint, jsonify

from models import AuditEvent

from .extensions import db
from .security import public

bp = Blueprint("bench", __name__, url_prefix="/bench")


@bp.route("/insert-bare", methods=["POST"])
@public
def insert_bare():
    db.session.add(AuditEvent(action="bench.insert", data={}))
    db.session.flush()
    return jsonify(ok=True), 201


insert_bare.csrf_exempt = True  # no cookie, no session: there is nothing to forge
