"""All models, re-exported so that alembic and the services see the full metadata."""

from .accounts import STAFF_ROLES, ApiToken, AuditEvent, IdempotencyRecord, Role, User
from .base import Base, utcnow
from .city import City, District

__all__ = [
    "STAFF_ROLES",
    "ApiToken",
    "AuditEvent",
    "Base",
    "City",
    "District",
    "IdempotencyRecord",
    "Role",
    "User",
    "utcnow",
]
