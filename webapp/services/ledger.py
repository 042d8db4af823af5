"""The ledger: entries are appended, never changed; balances move only through guarded UPDATEs.

`UPDATE ... SET balance = balance - :x WHERE id = :id AND balance >= :x` is correct on both
databases under concurrency (SQLAlchemy drops FOR UPDATE on SQLite, so no read-then-write here).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sqlalchemy import Integer, Update, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import Adjustment, CarbonAccount, EntryKind, LedgerEntry, Role, User

from ..errors import Conflict, Forbidden, InsufficientCredits, Invalid
from ..messages import N_
from . import accounts

# The cached columns a guarded UPDATE returns, so the ORM object stays current without a SELECT.
CACHED = (
    CarbonAccount.balance,
    CarbonAccount.lifetime_earned,
    CarbonAccount.lifetime_redeemed,
    CarbonAccount.co2e_grams,
)
# The account object is brought up to date from RETURNING (set_committed_value), not by the ORM.
KEEP_OBJECTS = {"synchronize_session": False}
CREDIT_KINDS = {EntryKind.EARN, EntryKind.BONUS, EntryKind.REFUND}
DEBIT_KINDS = {EntryKind.REDEEM, EntryKind.EXPIRE}


def account_for(session: Session, user: User) -> CarbonAccount:
    """The resident's account, created on first use (unique per user, safe under races)."""
    account = session.scalar(select(CarbonAccount).where(CarbonAccount.user_id == user.id))
    if account is not None:
        return account
    try:
        with session.begin_nested():
            account = CarbonAccount(user_id=user.id)
            session.add(account)
    except IntegrityError:
        account = session.scalars(select(CarbonAccount).where(CarbonAccount.user_id == user.id)).one()
    return account


def locked_account(session: Session, user: User) -> CarbonAccount:
    """The resident's account, locked (as `lock_account`) and read in one statement; created on first use."""
    account = session.scalars(
        _lock_by_user(),
        {"owner_id": user.id},
        execution_options={"populate_existing": True, "synchronize_session": False},
    ).one_or_none()
    if account is None:
        account = account_for(session, user)
        lock_account(session, account)
    return account


@functools.cache
def _lock_by_user() -> Update:
    """Built once: every logged action starts with it."""
    return (
        update(CarbonAccount)
        .where(CarbonAccount.user_id == bindparam("owner_id"))
        .values(version=CarbonAccount.version + 1)
        .returning(CarbonAccount)
    )


def lock_account(session: Session, account: CarbonAccount, *, add_co2e: int = 0) -> None:
    """Serialise this account's writers (a row write lock on PostgreSQL; SQLite has one writer).

    Also the place where the account's lifetime CO2e grows, under the same lock.
    """
    row = session.execute(
        update(CarbonAccount)
        .where(CarbonAccount.id == account.id)
        .values(version=CarbonAccount.version + 1, co2e_grams=CarbonAccount.co2e_grams + add_co2e)
        .returning(*CACHED),
        execution_options=KEEP_OBJECTS,
    ).first()
    for column, value in zip(CACHED, row, strict=True):
        set_committed_value(account, column.key, value)


def _post(
    session: Session,
    account: CarbonAccount,
    kind: EntryKind,
    amount: int,
    cause: tuple[str, int],
    *,
    reason: str | None = None,
    actor: User | None = None,
    co2e_grams: int = 0,
    fresh_cause: bool = False,
    owner: User | None = None,
) -> LedgerEntry:
    """Move the balance with one guarded statement and append the entry that explains it.

    `co2e_grams` grows the account's lifetime CO2e in the same statement (an action's earn). The
    savepoint turns a cause booked twice into a Conflict; a cause inserted by this very transaction
    (`fresh_cause`) cannot be, and a failure then undoes the caller's whole transaction or savepoint.
    `owner`, when the caller holds the account's user, spares the statistics hook a lookup.
    """
    if amount == 0:
        raise ValueError("a ledger entry never has amount 0")
    if fresh_cause:
        return _move(session, account, kind, amount, cause, reason, actor, co2e_grams, owner)
    try:
        with session.begin_nested():  # balance and entry move together, or neither does
            entry = _move(session, account, kind, amount, cause, reason, actor, co2e_grams, owner)
    except IntegrityError:
        raise Conflict(N_("This has already been booked.")) from None
    return entry


def _move(
    session: Session,
    account: CarbonAccount,
    kind: EntryKind,
    amount: int,
    cause: tuple[str, int],
    reason: str | None,
    actor: User | None,
    co2e_grams: int,
    owner: User | None = None,
) -> LedgerEntry:
    row = session.execute(
        move_statement(kind, with_co2e=bool(co2e_grams), guarded=amount < 0),
        {"account_id": account.id, "amount": amount, "needed": -amount, "co2e": co2e_grams},
    ).first()
    if row is None:
        raise InsufficientCredits(N_("Not enough credits."))
    for column, value in zip(CACHED, row, strict=True):
        set_committed_value(account, column.key, value)
    new_balance = row.balance
    entry = LedgerEntry(
        account_id=account.id,
        kind=kind,
        amount=amount,
        balance_after=new_balance,
        cause_type=cause[0],
        cause_id=cause[1],
        reason=reason,
        actor_id=actor.id if actor else None,
    )
    entry.owner = owner if owner is not None and owner.id == account.user_id else None  # not mapped: a hint
    session.add(entry)
    session.flush()
    return entry


@functools.cache
def move_statement(kind: EntryKind, *, with_co2e: bool, guarded: bool) -> Update:
    """The guarded balance UPDATE for one kind of entry (built once per shape; Core, not the ORM)."""
    accounts = CarbonAccount.__table__
    amount = bindparam("amount", type_=Integer)
    values = {"balance": accounts.c.balance + amount}
    if with_co2e:
        values["co2e_grams"] = accounts.c.co2e_grams + bindparam("co2e", type_=Integer)
    if kind in (EntryKind.EARN, EntryKind.BONUS):
        values["lifetime_earned"] = accounts.c.lifetime_earned + amount
    elif kind in (EntryKind.REDEEM, EntryKind.REFUND):
        values["lifetime_redeemed"] = accounts.c.lifetime_redeemed - amount
    stmt = update(accounts).where(accounts.c.id == bindparam("account_id"))
    if guarded:
        stmt = stmt.where(accounts.c.balance >= bindparam("needed", type_=Integer))
    return stmt.values(values).returning(*(accounts.c[column.key] for column in CACHED))


def credit(
    session: Session, account: CarbonAccount, kind: EntryKind, amount: int, cause: tuple[str, int], **kwargs
) -> LedgerEntry:
    if kind not in CREDIT_KINDS or amount <= 0:
        raise ValueError(f"credit needs a positive amount and one of {CREDIT_KINDS}")
    return _post(session, account, kind, amount, cause, **kwargs)


def debit(
    session: Session, account: CarbonAccount, kind: EntryKind, amount: int, cause: tuple[str, int], **kwargs
) -> LedgerEntry:
    """Take credits out; InsufficientCredits (409) leaves everything unchanged."""
    if kind not in DEBIT_KINDS or amount <= 0:
        raise ValueError(f"debit needs a positive amount and one of {DEBIT_KINDS}")
    return _post(session, account, kind, -amount, cause, **kwargs)


def adjust(session: Session, actor: User, resident: User, amount: int, reason: str) -> LedgerEntry:
    """An administrator's correction: a new entry with a reason, audited; never an edit."""
    if actor.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator can adjust an account."))
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise Invalid.field("reason", N_("Give a reason of at least 5 characters."))
    if amount == 0 or abs(amount) > 10_000_000:
        raise Invalid.field("amount", N_("The amount must be a non-zero whole number of credits."))
    if resident.role != Role.RESIDENT:
        raise Invalid.field("user", N_("Only residents have carbon accounts."))
    account = account_for(session, resident)
    before = {"balance": account.balance}
    adjustment = Adjustment(account_id=account.id, amount=amount, reason=reason, actor_id=actor.id)
    session.add(adjustment)
    session.flush()
    entry = _post(session, account, EntryKind.ADJUST, amount, ("adjustment", adjustment.id), reason=reason, actor=actor)
    accounts.audit(
        session,
        actor,
        "ledger.adjusted",
        resident,
        amount=amount,
        reason=reason,
        before=before,
        after={"balance": entry.balance_after, "entry_id": entry.id},
    )
    return entry


@dataclass(frozen=True)
class Mismatch:
    account_id: int
    user_id: int
    balance: int
    entries_sum: int
    last_balance_after: int | None

    def __str__(self) -> str:
        return (
            f"account {self.account_id} (user {self.user_id}): balance {self.balance}, "
            f"sum of entries {self.entries_sum}, last balance_after {self.last_balance_after}"
        )


def verify(session: Session) -> list[Mismatch]:
    """Accounts where balance != sum(entries), balance < 0, or the last running balance disagrees."""
    sums = (
        select(
            LedgerEntry.account_id,
            func.coalesce(func.sum(LedgerEntry.amount), 0).label("total"),
            func.max(LedgerEntry.id).label("last_id"),
        )
        .group_by(LedgerEntry.account_id)
        .subquery()
    )
    rows = session.execute(
        select(CarbonAccount, sums.c.total, LedgerEntry.balance_after)
        .outerjoin(sums, sums.c.account_id == CarbonAccount.id)
        .outerjoin(LedgerEntry, LedgerEntry.id == sums.c.last_id)
        .order_by(CarbonAccount.id)
    )
    problems = []
    for account, total, last_after in rows:
        total = int(total or 0)
        last = int(last_after) if last_after is not None else None
        if account.balance != total or account.balance < 0 or (last is not None and last != account.balance):
            problems.append(Mismatch(account.id, account.user_id, account.balance, total, last))
    return problems


def entries_query(account: CarbonAccount):
    return select(LedgerEntry).where(LedgerEntry.account_id == account.id)


def count_accounts():
    return select(func.count()).select_from(CarbonAccount)


def export_for(session: Session, user: User) -> dict:
    """The account and every entry, for personal-data export."""
    account = session.scalar(select(CarbonAccount).where(CarbonAccount.user_id == user.id))
    if account is None:
        return {"balance": 0, "entries": []}
    entries = session.scalars(entries_query(account).order_by(LedgerEntry.id))
    return {
        "balance": account.balance,
        "lifetime_earned": account.lifetime_earned,
        "lifetime_redeemed": account.lifetime_redeemed,
        "co2e_grams": account.co2e_grams,
        "entries": [
            {
                "id": e.id,
                "kind": str(e.kind),
                "amount": e.amount,
                "balance_after": e.balance_after,
                "cause": f"{e.cause_type}:{e.cause_id}",
                "reason": e.reason,
                "created_at": e.created_at.isoformat(),
            }
            for e in entries
        ],
    }
