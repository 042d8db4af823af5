"""Redeeming credits for vouchers, cancelling them, fulfilling them at the counter, expiring them.

Every writer takes the same locks in the same order — the resident's account (ledger.lock_account),
then the reward's row — and moves state only with guarded UPDATEs, so that on PostgreSQL and on
SQLite stock never goes below zero, credits and stock change together, and a voucher leaves
`issued` exactly once (fulfilled, cancelled or expired; the last two refund credits and stock).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from models import (
    CarbonAccount,
    EntryKind,
    Merchant,
    MerchantStatus,
    Redemption,
    RedemptionStatus,
    Reward,
    Role,
    User,
    utcnow,
)

from ..errors import Conflict, Forbidden, InsufficientCredits, Invalid, NotFound
from ..messages import N_
from . import accounts, ledger, merchants, rewards, voucher_codes

VOUCHER_LIFETIME = dt.timedelta(days=30)
HELD = (RedemptionStatus.ISSUED, RedemptionStatus.FULFILLED)  # what counts against the per-resident limit
CLOSED_MESSAGES = {
    RedemptionStatus.FULFILLED: N_("This voucher has already been fulfilled."),
    RedemptionStatus.CANCELLED: N_("This voucher has been cancelled."),
    RedemptionStatus.EXPIRED: N_("This voucher has expired."),
}
SWEEP_BATCH = 500


def _cause(redemption_id: int) -> tuple[str, int]:
    return ("redemption", redemption_id)


def redeem(
    session: Session, user: User, reward_id: int, *, now: dt.datetime | None = None
) -> tuple[Redemption, CarbonAccount]:
    """Credits for a voucher; too few credits, no stock or the limit reached is a 409 that changes nothing."""
    if user.role != Role.RESIDENT or user.deleted_at is not None:
        raise Forbidden(N_("Only residents redeem rewards."))
    now = now or utcnow()
    reward = session.get(Reward, reward_id)
    if reward is None or not reward.active or reward.merchant.status != MerchantStatus.APPROVED:
        raise NotFound(N_("No such reward."))
    if not reward.valid_from <= now < reward.valid_until:
        raise Conflict(N_("This reward cannot be redeemed at this time."))
    account = ledger.account_for(session, user)
    ledger.lock_account(session, account)  # from here on, this resident's redemptions queue up
    session.refresh(account)
    if account.balance < reward.cost:
        raise InsufficientCredits(N_("Not enough credits."))
    held = session.scalar(
        select(func.count())
        .select_from(Redemption)
        .where(Redemption.user_id == user.id, Redemption.reward_id == reward.id, Redemption.status.in_(HELD))
    )
    if held >= reward.per_resident_limit:
        raise Conflict(N_("You have reached the limit for this reward."))
    with session.begin_nested():  # stock, voucher and debit move together or not at all
        taken = session.execute(
            update(Reward)
            .where(Reward.id == reward.id, Reward.stock >= 1, *rewards.visible(now))
            .values(stock=Reward.stock - 1)
            .returning(Reward.cost, Reward.value_fen, Reward.funded_by)
        ).first()
        if taken is None:
            raise Conflict(N_("This reward is out of stock."))
        redemption = voucher_codes.insert_unique(
            session,
            lambda code: Redemption(
                code=code,
                reward_id=reward.id,
                merchant_id=reward.merchant_id,
                user_id=user.id,
                cost=taken.cost,
                value_fen=taken.value_fen,
                funded_by=taken.funded_by,
                status=RedemptionStatus.ISSUED,
                created_at=now,
                expires_at=min(now + VOUCHER_LIFETIME, reward.valid_until),
            ),
        )
        ledger.debit(session, account, EntryKind.REDEEM, taken.cost, _cause(redemption.id))
    session.refresh(reward)
    return redemption, account


def _close(session: Session, redemption: Redemption, status: RedemptionStatus, now: dt.datetime, *conditions) -> bool:
    """issued -> cancelled/expired with the credits and the stock back; False when no longer issued."""
    owner = session.get(User, redemption.user_id)
    account = ledger.account_for(session, owner)
    ledger.lock_account(session, account)
    with session.begin_nested():
        moved = session.execute(
            update(Redemption)
            .where(Redemption.id == redemption.id, Redemption.status == RedemptionStatus.ISSUED, *conditions)
            .values(status=status, closed_at=now)
            .returning(Redemption.id)
        ).first()
        if moved is None:
            return False
        session.execute(update(Reward).where(Reward.id == redemption.reward_id).values(stock=Reward.stock + 1))
        ledger.credit(session, account, EntryKind.REFUND, redemption.cost, _cause(redemption.id))
    session.refresh(redemption)
    return True


def own(session: Session, user: User, redemption_id: int) -> Redemption:
    redemption = session.get(Redemption, redemption_id)
    if redemption is None or redemption.user_id != user.id:
        raise NotFound(N_("No such voucher."))
    return redemption


def cancel(session: Session, user: User, redemption_id: int, *, now: dt.datetime | None = None) -> Redemption:
    """The resident gives an unused voucher back: credits and stock return; only while issued."""
    redemption = own(session, user, redemption_id)
    if not _close(session, redemption, RedemptionStatus.CANCELLED, now or utcnow()):
        session.refresh(redemption)
        raise Conflict(CLOSED_MESSAGES.get(redemption.status, N_("Only an issued voucher can be cancelled.")))
    return redemption


def expire_due_vouchers(session: Session, now: dt.datetime | None = None, *, user_id: int | None = None) -> int:
    """Sweep: every issued voucher past its expiry becomes expired, refunded once. Running it again
    changes nothing; two sweeps at once refund each voucher once (guarded UPDATE, unique ledger cause)."""
    now = now or utcnow()
    stmt = select(Redemption).where(Redemption.status == RedemptionStatus.ISSUED, Redemption.expires_at <= now)
    if user_id is not None:
        stmt = stmt.where(Redemption.user_id == user_id)
    expired = 0
    for redemption in list(session.scalars(stmt.order_by(Redemption.id).limit(SWEEP_BATCH))):
        if _close(session, redemption, RedemptionStatus.EXPIRED, now, Redemption.expires_at <= now):
            expired += 1
    return expired


def _by_code(session: Session, staff: User, raw_code: str) -> tuple[Redemption, Merchant]:
    merchant = merchants.merchant_of(session, staff)
    code = voucher_codes.normalise(raw_code or "")
    if code is None:
        raise Invalid.field("code", N_("This code is mistyped; check it and try again."))
    redemption = session.scalar(select(Redemption).where(Redemption.code == code))
    if redemption is None or redemption.merchant_id != merchant.id:
        raise NotFound(N_("No such voucher."))  # another merchant's voucher is as unknown as none
    return redemption, merchant


def at_counter(session: Session, staff: User, raw_code: str) -> Redemption:
    """What the counter may see of a voucher: the reward and the status, never the resident."""
    return _by_code(session, staff, raw_code)[0]


def fulfil(session: Session, staff: User, raw_code: str, *, now: dt.datetime | None = None) -> Redemption:
    """Hand over the reward: issued -> fulfilled, once, by the voucher's own (approved) merchant."""
    now = now or utcnow()
    redemption, merchant = _by_code(session, staff, raw_code)
    merchants.require_approved(merchant)
    approved = exists().where(Merchant.id == Redemption.merchant_id, Merchant.status == MerchantStatus.APPROVED)
    moved = session.execute(
        update(Redemption)
        .where(
            Redemption.id == redemption.id,
            Redemption.status == RedemptionStatus.ISSUED,
            Redemption.expires_at > now,
            approved,
        )
        .values(status=RedemptionStatus.FULFILLED, fulfilled_at=now, fulfilled_by_id=staff.id)
        .returning(Redemption.id)
    ).first()
    session.refresh(redemption)
    if moved is None:
        if redemption.status == RedemptionStatus.ISSUED and redemption.expires_at <= now:
            raise Conflict(CLOSED_MESSAGES[RedemptionStatus.EXPIRED])
        raise Conflict(CLOSED_MESSAGES.get(redemption.status, N_("This merchant is not approved or is suspended.")))
    accounts.audit(
        session,
        staff,
        "voucher.fulfilled",
        redemption,
        merchant_id=merchant.id,
        cost=redemption.cost,
        before={"status": RedemptionStatus.ISSUED},
        after={"status": redemption.status},
    )
    return redemption


def of_resident(user: User):
    return select(Redemption).where(Redemption.user_id == user.id)


def export_for(session: Session, user: User) -> list[dict]:
    """The privacy export's "redemptions" section."""
    rows = session.scalars(of_resident(user).order_by(Redemption.id))
    return [
        {
            "id": r.id,
            "reward": r.reward.title_zh,
            "merchant": r.reward.merchant.name,
            "voucher_code": voucher_codes.display(r.code),
            "cost": r.cost,
            "status": str(r.status),
            "created_at": r.created_at.isoformat(),
            "expires_at": r.expires_at.isoformat(),
            "fulfilled_at": r.fulfilled_at.isoformat() if r.fulfilled_at else None,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
        }
        for r in rows
    ]
