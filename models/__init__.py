"""All models, re-exported so that alembic and the services see the full metadata."""

from .accounts import STAFF_ROLES, ApiToken, AuditEvent, IdempotencyRecord, RecoveryCode, Role, User
from .actions import Action, ActionStatus, Evidence
from .base import Base, utcnow
from .budgets import BudgetPolicy, CampaignBudget, CampaignIssuance, CreditBudget
from .campaigns import (
    Campaign,
    CampaignMultiplier,
    CampaignStatus,
    Challenge,
    ChallengeCompletion,
    SchedulerLease,
    campaign_districts,
)
from .city import City, District
from .families import FamilyMember, GreenFamily
from .gamification import Board, BoardBucket, BoardScore, GameProfile, UserBadge, WeeklyRecap
from .ledger import Adjustment, CarbonAccount, EntryKind, LedgerEntry
from .merchants import (
    Funder,
    GreenPurchaseClaim,
    Merchant,
    MerchantCategory,
    MerchantStatus,
    Redemption,
    RedemptionStatus,
    Reward,
)
from .methodology import ActionType, EmissionFactor, Family
from .notices import Notice, NoticeKind
from .partners import Partner, PartnerKind, PartnerSignature
from .projector import Outbox
from .province import ProvinceDelivery
from .stations import Station, StationDeposit
from .statistics import StatActions, StatActive, StatLedger, StatMask, StatReach, StatRegistrations, StatReturns

__all__ = [
    "STAFF_ROLES",
    "Action",
    "ActionStatus",
    "ActionType",
    "Adjustment",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Board",
    "BoardBucket",
    "BoardScore",
    "BudgetPolicy",
    "Campaign",
    "CampaignBudget",
    "CampaignIssuance",
    "CampaignMultiplier",
    "CampaignStatus",
    "CarbonAccount",
    "Challenge",
    "ChallengeCompletion",
    "City",
    "CreditBudget",
    "District",
    "EmissionFactor",
    "EntryKind",
    "Evidence",
    "Family",
    "FamilyMember",
    "Funder",
    "GameProfile",
    "GreenFamily",
    "GreenPurchaseClaim",
    "IdempotencyRecord",
    "LedgerEntry",
    "Merchant",
    "MerchantCategory",
    "MerchantStatus",
    "Notice",
    "NoticeKind",
    "Outbox",
    "Partner",
    "PartnerKind",
    "PartnerSignature",
    "ProvinceDelivery",
    "RecoveryCode",
    "Redemption",
    "RedemptionStatus",
    "Reward",
    "Role",
    "SchedulerLease",
    "StatActions",
    "StatActive",
    "StatLedger",
    "StatMask",
    "StatReach",
    "StatRegistrations",
    "StatReturns",
    "Station",
    "StationDeposit",
    "User",
    "UserBadge",
    "WeeklyRecap",
    "campaign_districts",
    "utcnow",
]
