"""Green purchases certified by merchant staff: a claim code the resident uses once, or a direct
credit to the resident whose member code the staff scanned. Either way the action is logged by
services.actions with merchant evidence, so caps and scoring are the ones every action obeys.

Abuse is bounded by a per-merchant cap on the base credits certified per city day (checked under a
lock on the merchant's row) and by the audit trail of every certification.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import (
    Action,
    ActionType,
    CarbonAccount,
    Evidence,
    Family,
    GreenPurchaseClaim,
    Merchant,
    Role,
    User,
    utcnow,
)

from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..messages import N_
from . import accounts, actions, members, merchants, methodology, scoring, voucher_codes
from .city import city_zone

PREFIX = "GP"
CLAIM_LIFETIME = dt.timedelta(hours=72)  # well inside the 7-day back-dating window of actions


def display(claim: GreenPurchaseClaim) -> str:
    return voucher_codes.display(claim.code, PREFIX)


def purchase_types(session: Session) -> list[ActionType]:
    return [t for t in methodology.action_types(session) if t.family == Family.PURCHASE]


def issued_today(session: Session, merchant: Merchant, now: dt.datetime) -> int:
    """Base credits this merchant has certified since the start of the city day."""
    start = methodology.day_start(now.astimezone(city_zone(session)).date(), city_zone(session))
    return int(
        session.scalar(
            select(func.coalesce(func.sum(GreenPurchaseClaim.co2e_grams), 0)).where(
                GreenPurchaseClaim.merchant_id == merchant.id, GreenPurchaseClaim.created_at >= start
            )
        )
    )


def certify(
    session: Session, staff: User, category: str, quantity: Decimal | str, *, now: dt.datetime | None = None
) -> GreenPurchaseClaim:
    """A claim code for one verified purchase, within the merchant's daily cap (409 beyond it)."""
    now = now or utcnow()
    merchant = merchants.merchant_of(session, staff)
    merchants.require_approved(merchant)
    action_type = methodology.type_in_family(session, category, Family.PURCHASE, N_("Unknown green-purchase category."))
    amount = methodology.quantity_in_range(action_type, quantity, "quantity")
    factor = methodology.factor_in_force(session, action_type.factor_code, now)
    co2e = scoring.co2e_grams(amount, factor.grams_per_unit)
    # Row lock on the merchant: concurrent certifications count against the cap one at a time.
    session.execute(
        update(Merchant).where(Merchant.id == merchant.id).values(daily_issuance_cap=Merchant.daily_issuance_cap)
    )
    session.refresh(merchant)
    if issued_today(session, merchant, now) + co2e > merchant.daily_issuance_cap:
        raise Conflict(N_("This merchant has reached today's cap for certified purchases."))
    claim = voucher_codes.insert_unique(
        session,
        lambda code: GreenPurchaseClaim(
            code=code,
            merchant_id=merchant.id,
            issued_by_id=staff.id,
            action_type_id=action_type.id,
            quantity=amount,
            co2e_grams=co2e,
            created_at=now,
            expires_at=now + CLAIM_LIFETIME,
        ),
    )
    accounts.audit(
        session,
        staff,
        "green_purchase.certified",
        claim,
        merchant_id=merchant.id,
        category=action_type.code,
        quantity=str(amount),
        co2e_grams=co2e,
    )
    return claim


def _find(session: Session, raw_code: str, field: str) -> GreenPurchaseClaim:
    code = voucher_codes.normalise(raw_code or "", PREFIX)
    if code is None:
        raise Invalid.field(field, N_("This code is mistyped; check it and try again."))
    claim = session.scalar(select(GreenPurchaseClaim).where(GreenPurchaseClaim.code == code))
    if claim is None:
        raise NotFound(N_("No such claim code."))
    return claim


def _take(session: Session, claim: GreenPurchaseClaim, user: User, now: dt.datetime) -> None:
    """Unclaimed -> claimed by this resident, at most once (guarded UPDATE)."""
    if user.role != Role.RESIDENT or user.deleted_at is not None:
        raise Forbidden(N_("Only residents claim green purchases."))
    moved = session.execute(
        update(GreenPurchaseClaim)
        .where(
            GreenPurchaseClaim.id == claim.id,
            GreenPurchaseClaim.claimed_at.is_(None),
            GreenPurchaseClaim.expires_at > now,
        )
        .values(claimed_at=now, claimed_by_id=user.id)
        .returning(GreenPurchaseClaim.id)
    ).first()
    session.refresh(claim)
    if moved is None:
        if claim.claimed_at is not None:
            raise Conflict(N_("This code has already been claimed."))
        raise Conflict(N_("This code has expired."))


def claim(
    session: Session, user: User, raw_code: str, *, now: dt.datetime | None = None
) -> tuple[Action, CarbonAccount]:
    """The resident turns a claim code into a verified, credited action."""
    now = now or utcnow()
    found = _find(session, raw_code, "claim_code")
    _take(session, found, user, now)
    return _log(session, user, found, now)


def _log(session: Session, user: User, found: GreenPurchaseClaim, now: dt.datetime) -> tuple[Action, CarbonAccount]:
    data = actions.ActionInput(type=found.action_type.code, quantity=found.quantity, occurred_at=found.created_at)
    evidence = actions.Verified(Evidence.MERCHANT, display(found))
    action, account = actions.log_action(session, user, data, evidence=evidence, now=now)
    found.action_id = action.id
    session.flush()
    return action, account


def certify_for_member(
    session: Session,
    staff: User,
    category: str,
    quantity: Decimal | str,
    member_code: str,
    *,
    now: dt.datetime | None = None,
) -> tuple[GreenPurchaseClaim, Action]:
    """Staff scanned the resident's member code: certify and credit in one step."""
    now = now or utcnow()
    resident = members.user_by_member_code(session, member_code or "")
    if resident is None or resident.role != Role.RESIDENT:
        raise NotFound(N_("No resident has this member code."))
    found = certify(session, staff, category, quantity, now=now)
    _take(session, found, resident, now)
    action, _account = _log(session, resident, found, now)
    return found, action


def _verify_claim_code(session: Session, user: User, action_type: ActionType, code: str) -> actions.Verified:
    """evidence_code "GP-..." on POST /actions: the code must certify this type, and is used up."""
    found = _find(session, code, "evidence_code")
    if found.action_type_id != action_type.id:
        raise Invalid.field("evidence_code", N_("This code certifies a different kind of purchase."))
    _take(session, found, user, utcnow())
    return actions.Verified(Evidence.MERCHANT, display(found))


def _link_claimed_action(session: Session, user: User, action: Action) -> None:
    """After a merchant-evidenced action: it may not claim more than was certified."""
    ref = action.evidence_ref or ""
    if action.evidence != Evidence.MERCHANT or not ref.startswith(f"{PREFIX}-"):
        return
    code = voucher_codes.normalise(ref, PREFIX)
    found = session.scalar(select(GreenPurchaseClaim).where(GreenPurchaseClaim.code == code))
    if found is None or found.claimed_by_id != user.id:
        return
    if action.quantity > found.quantity:
        raise Invalid.field("quantity", N_("The quantity is more than the merchant certified."))
    found.action_id = action.id
    session.flush()


actions.VERIFIERS[PREFIX] = _verify_claim_code
actions.AFTER_CREDIT.append(_link_claimed_action)


def claims_export(session: Session, user: User) -> list[dict]:
    """The privacy export's "green_purchase_claims" section: what the resident claimed."""
    rows = session.scalars(
        select(GreenPurchaseClaim).where(GreenPurchaseClaim.claimed_by_id == user.id).order_by(GreenPurchaseClaim.id)
    )
    return [
        {
            "claim_code": display(c),
            "category": c.action_type.code,
            "quantity": str(c.quantity),
            "claimed_at": c.claimed_at.isoformat() if c.claimed_at else None,
            "action_id": c.action_id,
        }
        for c in rows
    ]
