"""All models, re-exported so that alembic and the services see the full metadata."""

from .accounts import STAFF_ROLES, ApiToken, AuditEvent, IdempotencyRecord, Role, User
from .actions import Action, ActionStatus, Evidence
from .base import Base, utcnow
from .city import City, District
from .ledger import Adjustment, CarbonAccount, EntryKind, LedgerEntry
from .merchants import (
    GreenPurchaseClaim,
    Merchant,
    MerchantCategory,
    MerchantStatus,
    Redemption,
    RedemptionStatus,
    Reward,
)
from .methodology import ActionType, EmissionFactor, Family

__all__ = [
    "STAFF_ROLES",
    "Action",
    "ActionStatus",
    "ActionType",
    "Adjustment",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CarbonAccount",
    "City",
    "District",
    "EmissionFactor",
    "EntryKind",
    "Evidence",
    "Family",
    "GreenPurchaseClaim",
    "IdempotencyRecord",
    "LedgerEntry",
    "Merchant",
    "MerchantCategory",
    "MerchantStatus",
    "Redemption",
    "RedemptionStatus",
    "Reward",
    "Role",
    "User",
    "utcnow",
]
