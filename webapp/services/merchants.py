"""Merchants: applications, the admin's decisions, and which staff act for which merchant.

Only an approved merchant shows rewards, fulfils vouchers and certifies purchases; a staff account
acts for exactly one merchant (users.merchant_id) and never for another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Merchant, MerchantCategory, MerchantStatus, Role, User, utcnow

from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..messages import N_
from . import accounts

# Which decision moves a merchant from which states to which state.
TRANSITIONS: dict[str, tuple[frozenset[MerchantStatus], MerchantStatus]] = {
    "approve": (frozenset({MerchantStatus.PENDING}), MerchantStatus.APPROVED),
    "reject": (frozenset({MerchantStatus.PENDING}), MerchantStatus.REJECTED),
    "suspend": (frozenset({MerchantStatus.APPROVED}), MerchantStatus.SUSPENDED),
    "reinstate": (frozenset({MerchantStatus.SUSPENDED}), MerchantStatus.APPROVED),
}
CONTACT_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{5,18}$", re.ASCII)
MAX_DAILY_CAP = 10_000_000
LENGTH_MESSAGE = "Length must be between {min} and {max}."


@dataclass(frozen=True)
class Application:
    name: str
    district: str
    address: str
    category: str
    contact_name: str
    contact_phone: str


def _text(value: str | None, field: str, low: int, high: int) -> str:
    value = " ".join((value or "").split())
    if not low <= len(value) <= high:
        # marshmallow's own message, which webapp.validation_messages translates with its numbers
        raise Invalid(N_("Some fields are not valid."), {field: [LENGTH_MESSAGE.format(min=low, max=high)]})
    return value


def _category(value: str) -> MerchantCategory:
    try:
        return MerchantCategory(value)
    except ValueError:
        raise Invalid.field("category", N_("Unknown category.")) from None


def _name_taken(session: Session, name: str) -> bool:
    return bool(
        session.scalar(select(func.count()).select_from(Merchant).where(func.lower(Merchant.name) == name.lower()))
    )


def _insert(session: Session, merchant: Merchant) -> Merchant:
    session.add(merchant)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(N_("A merchant with this name already exists.")) from None
    return merchant


def apply(session: Session, data: Application) -> Merchant:
    """A merchant asks to join; it waits, pending, for an administrator."""
    name = _text(data.name, "name", 2, 80)
    district = accounts.district_by_code(session, data.district)
    phone = _text(data.contact_phone, "contact_phone", 6, 20)
    if not CONTACT_PHONE_RE.match(phone):
        raise Invalid.field("contact_phone", N_("Not a valid phone number."))
    merchant = Merchant(
        name=name,
        district_id=district.id,
        address=_text(data.address, "address", 4, 200),
        category=_category(data.category),
        contact_name=_text(data.contact_name, "contact_name", 1, 40),
        contact_phone=phone,
        status=MerchantStatus.PENDING,
    )
    if _name_taken(session, name):
        raise Conflict(N_("A merchant with this name already exists."))
    _insert(session, merchant)
    accounts.audit(session, None, "merchant.applied", merchant, name=name)
    return merchant


def get(session: Session, merchant_id: int) -> Merchant:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(N_("No such merchant."))
    return merchant


def decisions_for(status: MerchantStatus) -> list[str]:
    return [decision for decision, (allowed, _target) in TRANSITIONS.items() if status in allowed]


def decide(session: Session, actor: User, merchant_id: int, decision: str, note: str = "") -> Merchant:
    """approve / reject / suspend / reinstate; any other starting state is a 409."""
    accounts.require_admin(actor)
    if decision not in TRANSITIONS:
        raise Invalid.field("decision", N_("Unknown decision."))
    allowed, target = TRANSITIONS[decision]
    merchant = get(session, merchant_id)
    if merchant.status not in allowed:
        raise Conflict(N_("This merchant is not in a state that allows this decision."))
    before = merchant.status
    merchant.status = target
    merchant.decided_at = utcnow()
    session.flush()
    accounts.audit(
        session,
        actor,
        f"merchant.{decision}",
        merchant,
        before={"status": before},
        after={"status": target},
        note=note.strip()[:500],
    )
    return merchant


def set_daily_cap(session: Session, actor: User, merchant_id: int, cap: int) -> Merchant:
    accounts.require_admin(actor)
    if not 0 <= cap <= MAX_DAILY_CAP:
        raise Invalid.field("daily_issuance_cap", N_("The daily cap must be between 0 and 10,000,000 credits."))
    merchant = get(session, merchant_id)
    before = merchant.daily_issuance_cap
    merchant.daily_issuance_cap = cap
    session.flush()
    accounts.audit(
        session,
        actor,
        "merchant.cap_changed",
        merchant,
        before={"daily_issuance_cap": before},
        after={"daily_issuance_cap": cap},
    )
    return merchant


def list_merchants(session: Session, status: MerchantStatus | None = None) -> list[Merchant]:
    stmt = select(Merchant).order_by(Merchant.status, Merchant.name)
    if status is not None:
        stmt = stmt.where(Merchant.status == status)
    return list(session.scalars(stmt))


def staff_of(session: Session, merchant: Merchant) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.merchant_id == merchant.id, User.deleted_at.is_(None)).order_by(User.id)
        )
    )


def ensure_by_name(session: Session, name: str, district: str | None = None) -> Merchant:
    """The merchant with this name, created approved when new (operators' CLI)."""
    name = _text(name, "merchant", 2, 80)
    merchant = session.scalar(select(Merchant).where(func.lower(Merchant.name) == name.lower()))
    if merchant is not None:
        return merchant
    district_id = accounts.district_by_code(session, district).id if district else None
    merchant = _insert(
        session,
        Merchant(
            name=name,
            district_id=district_id,
            category=MerchantCategory.OTHER,
            status=MerchantStatus.APPROVED,
            decided_at=utcnow(),
        ),
    )
    accounts.audit(session, None, "merchant.created", merchant, name=name)
    return merchant


def attach_staff(session: Session, actor: User | None, user: User, merchant: Merchant) -> None:
    """A merchant-staff account acts for this merchant from now on (admin or CLI)."""
    if actor is not None:
        accounts.require_admin(actor)
    if user.role != Role.MERCHANT:
        raise Invalid.field("merchant", N_("Only merchant-staff accounts belong to a merchant."))
    before = {"merchant_id": user.merchant_id}
    user.merchant_id = merchant.id
    session.flush()
    accounts.audit(
        session,
        actor,
        "merchant.staff_attached",
        user,
        merchant_id=merchant.id,
        before=before,
        after={"merchant_id": merchant.id},
    )


def create_staff(
    session: Session, actor: User, merchant_id: int, *, login: str, password: str, nickname: str | None = None
) -> User:
    """An admin creates a staff account that belongs to this merchant."""
    merchant = get(session, merchant_id)
    user = accounts.create_user(session, actor, role=Role.MERCHANT, login=login, password=password, nickname=nickname)
    attach_staff(session, actor, user, merchant)
    return user


def merchant_of(session: Session, staff: User) -> Merchant:
    """The merchant a staff account acts for; a staff account without one can do nothing yet."""
    if staff.role != Role.MERCHANT:
        raise Forbidden(N_("Only merchant staff can do this."))
    if staff.merchant_id is None:  # a state an administrator can fix, not a missing permission
        raise Conflict(N_("Your account is not attached to a merchant yet; ask an administrator."))
    return get(session, staff.merchant_id)


def require_approved(merchant: Merchant) -> None:
    if merchant.status != MerchantStatus.APPROVED:
        raise Conflict(N_("This merchant is not approved or is suspended."))
