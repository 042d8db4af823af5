"""Personal-information portability: one explicit list of what is stored about a person."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, User

from . import (
    accounts,
    actions,
    badges,
    campaign_rules,
    families,
    gamification,
    green_purchases,
    ledger,
    notices,
    redemptions,
)


def _profile(session: Session, user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "role": str(user.role),
        "phone": user.phone,
        "email": user.email,
        "nickname": user.nickname,
        "district": user.district.code if user.district else None,
        "language": user.language,
        "consent_version": user.consent_version,
        "consented_at": user.consented_at.isoformat() if user.consented_at else None,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def _tokens(session: Session, user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": t.id,
            "name": t.name,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in accounts.tokens_of(session, user)
    ]


def _activity(session: Session, user: User) -> list[dict[str, Any]]:
    events = session.scalars(
        select(AuditEvent)
        .where(
            (AuditEvent.actor_id == user.id) | ((AuditEvent.target_type == "User") & (AuditEvent.target_id == user.id))
        )
        .order_by(AuditEvent.id)
    )
    return [{"action": e.action, "at": e.created_at.isoformat(), "data": e.data} for e in events]


# Each capability that stores personal data adds its section here.
SECTIONS: list[tuple[str, Callable[[Session, User], Any]]] = [
    ("profile", _profile),
    ("api_tokens", _tokens),
    ("account_activity", _activity),
    ("actions", actions.export_for),
    ("credit_ledger", ledger.export_for),
    ("notices", notices.export_for),
    ("challenge_completions", campaign_rules.completions_export),
    ("badges", badges.export_for),
    ("green_family", families.export_for),
    ("game", gamification.export_for),
    ("redemptions", redemptions.export_for),
    ("green_purchase_claims", green_purchases.claims_export),
]


def export(session: Session, user: User) -> dict[str, Any]:
    accounts.audit(session, user, "account.exported", user)
    return {name: section(session, user) for name, section in SECTIONS}
