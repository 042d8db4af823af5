"""Logging green actions fairly: bounds, back-dating window, daily caps in the city's day,
velocity holds, de-duplication against verified trips, and the admin review queue.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import (
    Insert,
    Integer,
    Select,
    Update,
    and_,
    bindparam,
    case,
    event,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session, SessionTransaction, make_transient, make_transient_to_detached, object_session
from sqlalchemy.orm.attributes import set_committed_value

from models import (
    Action,
    ActionStatus,
    ActionType,
    CarbonAccount,
    EntryKind,
    Evidence,
    Family,
    LedgerEntry,
    Outbox,
    Role,
    User,
    utcnow,
)

from ..db import dialect_of
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..messages import N_
from . import accounts, ledger, methodology, projector, scoring
from .city import city_zone

BACKDATING = dt.timedelta(days=7)
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
VELOCITY_WINDOW = dt.timedelta(minutes=10)
VELOCITY_LIMIT = 8  # self-reported actions in the window; the next ones wait for review
DEDUP_WINDOW = dt.timedelta(minutes=45)

REASONS = {
    "evidence_required": N_("This type needs evidence (a merchant or station record); it waits for review."),
    "velocity": N_("Many actions in a short time: held for review."),
    "overlaps_verified_trip": N_("A verified trip at the same time already counts; this one earns nothing."),
    "rejected": N_("Rejected by a reviewer."),
}


@dataclass(frozen=True)
class Verified:
    evidence: Evidence
    ref: str


# Evidence codes, by prefix: merchants' claim codes, stations' QR codes. Each returns Verified.
Verifier = Callable[[Session, User, ActionType, str], Verified]
VERIFIERS: dict[str, Verifier] = {}


@dataclass(frozen=True)
class ActionInput:
    type: str
    quantity: Decimal
    occurred_at: dt.datetime
    evidence_code: str | None = None
    note: str | None = None
    partner_id: int | None = None  # a partner's record: who sent it, and under which id
    external_id: str | None = None


def _check_quantity(action_type: ActionType, raw: Decimal | float | str) -> Decimal:
    try:
        quantity = Decimal(str(raw))
    except InvalidOperation:
        raise Invalid.field("quantity", N_("Not a valid number.")) from None
    if not quantity.is_finite():
        raise Invalid.field("quantity", N_("Special numeric values (nan or infinity) are not permitted."))
    if not action_type.min_quantity <= quantity <= action_type.max_quantity:
        raise Invalid(
            N_("The quantity is outside the plausible range for this type."),
            {"quantity": [N_("The quantity is outside the plausible range for this type.")]},
        )
    return quantity.quantize(Decimal("0.001"))


def _check_time(occurred_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """`occurred_at` has its offset (log_action refuses a naive time before any lookup)."""
    occurred_at = occurred_at.astimezone(dt.UTC)
    if occurred_at > now + FUTURE_TOLERANCE:
        raise Invalid.field("occurred_at", N_("The time is in the future."))
    if occurred_at < now - BACKDATING:
        raise Invalid.field("occurred_at", N_("Actions can be logged up to 7 days after they happened."))
    return occurred_at


def _cap_params(user: User, action_type: ActionType, day: dt.date) -> dict:
    return {"user_id": user.id, "type_id": action_type.id, "day": day}


@functools.cache
def _cap_sums() -> Select:
    """Credits already earned that day with that type: in all, and by self-report (built once)."""
    same_day = (
        select(Action.credits, Action.evidence)
        .where(
            Action.user_id == bindparam("user_id"),
            Action.action_type_id == bindparam("type_id"),
            Action.local_day == bindparam("day"),
            Action.status == ActionStatus.CREDITED,
        )
        .subquery()
    )
    total = select(func.coalesce(func.sum(same_day.c.credits), 0)).scalar_subquery()
    self_reported = select(
        func.coalesce(func.sum(case((same_day.c.evidence == Evidence.SELF, same_day.c.credits), else_=0)), 0)
    ).scalar_subquery()
    return select(total, self_reported)


def _left(action_type: ActionType, evidence: Evidence, total: int, self_reported: int) -> int:
    left = action_type.daily_cap_evidenced - int(total)
    if evidence == Evidence.SELF:
        left = min(left, action_type.daily_cap_self - int(self_reported))
    return max(0, left)


@dataclass(frozen=True)
class Checks:
    """What fair play needs to know about the resident's other actions, read in one statement."""

    overlapping_verified_trips: int
    recent_self_reports: int
    credited_today: int
    credited_today_self: int


@functools.cache
def _checks_statement() -> Select:
    """Built once: every logged action runs it."""
    overlapping = (
        select(func.count())
        .select_from(Action)
        .join(ActionType)
        .where(
            Action.user_id == bindparam("user_id"),
            ActionType.family == Family.TRAVEL,
            Action.evidence != Evidence.SELF,
            Action.status == ActionStatus.CREDITED,
            Action.occurred_at.between(bindparam("low"), bindparam("high")),
        )
        .scalar_subquery()
    )
    recent = (
        select(func.count())
        .select_from(Action)
        .where(
            Action.user_id == bindparam("user_id"),
            Action.evidence == Evidence.SELF,
            Action.created_at >= bindparam("since"),
        )
        .scalar_subquery()
    )
    return select(overlapping, recent, *_cap_sums().selected_columns)


def _checks(
    session: Session, user: User, action_type: ActionType, occurred_at: dt.datetime, day: dt.date, now: dt.datetime
) -> Checks:
    row = session.execute(
        _checks_statement(),
        {
            **_cap_params(user, action_type, day),
            "low": occurred_at - DEDUP_WINDOW,
            "high": occurred_at + DEDUP_WINDOW,
            "since": now - VELOCITY_WINDOW,
        },
    ).one()
    return Checks(*(int(value) for value in row))


def _score(session: Session, user: User, action: Action, total: int, self_reported: int) -> None:
    """Credit the action: multiplier of the campaigns in force, then the day's cap."""
    boost = scoring.boost_for(session, user, action.action_type, action.occurred_at)
    result = scoring.score(action.co2e_grams, boost, _left(action.action_type, action.evidence, total, self_reported))
    action.status = ActionStatus.CREDITED
    action.credits = result.credits
    action.capped = result.capped
    action.multiplier = result.multiplier
    action.campaign_ids = result.campaign_ids


def _book(session: Session, account: CarbonAccount, user: User, action: Action) -> None:
    """Book a scored action: credits into the ledger and CO2e onto the account in one UPDATE, the core
    hooks, and the outbox row from which the projector folds everything derived (badges, boards, ...)."""
    log_new = action.id is None  # inserted just now: nothing can have booked it yet
    session.flush()
    entry_id = None
    if action.credits:
        entry_id = ledger.credit(
            session,
            account,
            EntryKind.EARN,
            action.credits,
            ("action", action.id),
            co2e_grams=action.co2e_grams,
            fresh_cause=log_new,
            owner=user,
        ).id
    else:
        ledger.lock_account(session, account, add_co2e=action.co2e_grams)
    for hook in AFTER_CREDIT:
        hook(session, user, action)
    projector.record(session, action_id=action.id, entry_id=entry_id)


def _book_new(session: Session, account: CarbonAccount, user: User, action: Action) -> None:
    """Book a new action that earns credits: the action, the balance, the entry and the outbox row,
    as `_book` would, in one statement on PostgreSQL (four on SQLite) and without the unit of work.

    The action then joins the session as if it had been loaded, every column set: change nothing on
    it afterwards (what a caller needs stored goes in through `ActionInput`)."""
    values = {column.key: getattr(action, column.key) for column in _NEW_ACTION_COLUMNS}
    row_params = {f"new_{key}": value for key, value in values.items()}
    move = {"account_id": account.id, "amount": action.credits, "co2e": action.co2e_grams}
    booked_at = utcnow()  # the entry's and the outbox row's time, as `_book` gives them
    if dialect_of(session) == "postgresql":
        row = session.execute(_booking_statement(), {**row_params, **move, "booked_at": booked_at}).one()
        action.id, balances = row.action_id, row[2:]
    else:  # SQLite has no INSERT or UPDATE inside WITH: the same statements, one after the other
        new_action, balance, entry, outbox = _booking_parts()
        action.id = session.execute(new_action, row_params).scalar_one()
        balances = session.execute(balance, move).one()
        entry_params = {**move, "action_id": action.id, "balance_after": balances[0], "booked_at": booked_at}
        entry_id = session.execute(entry, entry_params).scalar_one()
        session.execute(outbox, {"action_id": action.id, "entry_id": entry_id, "booked_at": booked_at})
    for column, value in zip(ledger.CACHED, balances, strict=True):
        set_committed_value(account, column.key, value)
    for key, value in values.items():  # every column loaded: nothing to fetch when the action is read
        set_committed_value(action, key, value)
    make_transient_to_detached(action)
    session.add(action)
    owner = object_session(action)  # the Session itself, also when `session` is the app's scoped one
    booked_in = owner.get_nested_transaction() or owner.get_transaction()
    owner.info.setdefault(BOOKED, []).append((booked_in, action))
    for hook in AFTER_CREDIT:
        hook(session, user, action)


BOOKED = "actions_booked"  # session.info: (transaction, action) for each action `_book_new` booked


@event.listens_for(Session, "after_transaction_create")
def _forget_booked(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(BOOKED, None)


@event.listens_for(Session, "after_soft_rollback")
def _expunge_undone(session: Session, rolled_back: SessionTransaction) -> None:
    """What the unit of work does for the rows it inserted: a rollback (of a savepoint too) takes the
    actions booked inside it out of the session, so none stands for a row that is not there (and
    SQLite, which gives the id again, can book the next one under it)."""
    kept = []
    for booked_in, action in session.info.get(BOOKED, ()):
        if _within(booked_in, rolled_back):
            if action in session:
                session.expunge(action)
            make_transient(action)
        else:
            kept.append((booked_in, action))
    session.info[BOOKED] = kept


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


# Every column a new action is inserted with: all but the id, each given (log_action sets them).
_NEW_ACTION_COLUMNS = [column for column in Action.__table__.c if column.key != "id"]


@functools.cache
def _booking_parts() -> tuple[Insert, Update, Insert, Insert]:
    """The four statements of `_book_new`, built once: the action, the balance (ledger's guarded UPDATE),
    the entry and the outbox row."""
    actions, entries, outbox = Action.__table__, LedgerEntry.__table__, Outbox.__table__
    new_action = (
        insert(actions)
        .values({c.key: bindparam(f"new_{c.key}", type_=c.type) for c in _NEW_ACTION_COLUMNS})
        .returning(actions.c.id)
    )
    balance = ledger.move_statement(EntryKind.EARN, with_co2e=True, guarded=False)
    entry = insert(entries).values(_entry_values(entries, bindparam("action_id"), bindparam("balance_after")))
    row = insert(outbox).values(
        action_id=bindparam("action_id", type_=Integer),
        entry_id=bindparam("entry_id", type_=Integer),
        created_at=bindparam("booked_at", type_=outbox.c.created_at.type),
    )
    return new_action, balance, entry.returning(entries.c.id), row


def _entry_values(entries, action_id, balance_after) -> dict:
    return {
        "account_id": bindparam("account_id", type_=Integer),
        "kind": literal(EntryKind.EARN, entries.c.kind.type),
        "amount": bindparam("amount", type_=Integer),
        "balance_after": balance_after,
        "cause_type": literal("action", entries.c.cause_type.type),
        "cause_id": action_id,
        "created_at": bindparam("booked_at", type_=entries.c.created_at.type),
    }


@functools.cache
def _booking_statement() -> Select:
    """PostgreSQL: `_booking_parts` as one statement, the entry and outbox rows reading the new ids
    and the balance from the INSERT and UPDATE before them (WITH ... RETURNING)."""
    new_action, balance, _entry, _outbox = _booking_parts()
    entries, outbox = LedgerEntry.__table__, Outbox.__table__
    action_row = new_action.cte("new_action")
    balance_row = balance.cte("new_balance")
    values = _entry_values(entries, action_row.c.id, balance_row.c.balance)
    entry_row = (
        insert(entries)
        .from_select(list(values), select(*values.values()).select_from(action_row.join(balance_row, true())))
        .returning(entries.c.id)
        .cte("new_entry")
    )
    outbox_row = insert(outbox).from_select(
        ["action_id", "entry_id", "created_at"],
        select(action_row.c.id, entry_row.c.id, bindparam("booked_at", type_=outbox.c.created_at.type)).select_from(
            action_row.join(entry_row, true())
        ),
    )
    return (
        select(action_row.c.id.label("action_id"), entry_row.c.id.label("entry_id"), *balance_row.c)
        .select_from(action_row.join(entry_row, true()).join(balance_row, true()))
        .add_cte(outbox_row.cte("new_outbox"))
    )


# Checks that belong to the booking itself (a green purchase claim's quantity); derived work is the
# projector's (projector.ON_BATCH).
AFTER_CREDIT: list[Callable[[Session, User, Action], None]] = []


def log_action(
    session: Session, user: User, data: ActionInput, *, evidence: Verified | None = None, now: dt.datetime | None = None
) -> tuple[Action, CarbonAccount]:
    """Score and book one action; everything or nothing."""
    if user.role != Role.RESIDENT or user.deleted_at is not None:
        raise Forbidden(N_("Only residents log green actions."))
    now = now or utcnow()
    if data.occurred_at.tzinfo is None:  # the moment picks the factor version: it must be unambiguous
        raise Invalid.field("occurred_at", N_("Give the time with its UTC offset."))
    action_type, factor = methodology.type_with_factor(session, data.type, data.occurred_at)
    quantity = _check_quantity(action_type, data.quantity)
    occurred_at = _check_time(data.occurred_at, now)
    if evidence is None and data.evidence_code:
        evidence = verify_evidence(session, user, action_type, data.evidence_code.strip())
    factor = methodology.require_factor(factor)
    account = ledger.locked_account(session, user)
    action = Action(
        user_id=user.id,
        action_type=action_type,
        action_type_id=action_type.id,
        factor=factor,
        factor_id=factor.id,
        district_id=user.district_id,
        quantity=quantity,
        occurred_at=occurred_at,
        local_day=occurred_at.astimezone(city_zone(session)).date(),
        created_at=now,
        status=ActionStatus.PENDING,
        evidence=evidence.evidence if evidence else Evidence.SELF,
        evidence_ref=evidence.ref if evidence else None,
        co2e_grams=scoring.co2e_grams(quantity, factor.grams_per_unit),
        note=(data.note or "").strip()[:200] or None,
        partner_id=data.partner_id,
        external_id=data.external_id,
    )
    checks = _checks(session, user, action_type, occurred_at, action.local_day, now)
    if action.evidence == Evidence.SELF:
        if action_type.needs_evidence:
            action.reason = "evidence_required"
        elif action_type.family == Family.TRAVEL and checks.overlapping_verified_trips:
            action.status = ActionStatus.DUPLICATE
            action.reason = "overlaps_verified_trip"
        elif checks.recent_self_reports >= VELOCITY_LIMIT:
            action.reason = "velocity"
    if action.reason is None:
        _score(session, user, action, checks.credited_today, checks.credited_today_self)
    if action.status == ActionStatus.CREDITED and action.credits:
        _book_new(session, account, user, action)
        return action, account
    session.add(action)
    if action.status == ActionStatus.CREDITED:
        _book(session, account, user, action)
    else:
        session.flush()
    return action, account


def verify_evidence(session: Session, user: User, action_type: ActionType, code: str) -> Verified:
    prefix = code.split("-", 1)[0].upper()
    verifier = VERIFIERS.get(prefix)
    if verifier is None:
        raise Invalid.field("evidence_code", N_("Unknown evidence code."))
    return verifier(session, user, action_type, code)


def actions_query(user: User):
    return select(Action).where(Action.user_id == user.id)


def pending_queue(session: Session, limit: int = 100) -> list[Action]:
    return list(
        session.scalars(select(Action).where(Action.status == ActionStatus.PENDING).order_by(Action.id).limit(limit))
    )


def _pending_action(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(N_("No such action."))
    if action.status != ActionStatus.PENDING:
        raise Conflict(N_("This action has already been reviewed."))
    return action


def approve(session: Session, reviewer: User, action_id: int) -> Action:
    """Pending -> credited, scored as of now against the cap of the day it happened."""
    _require_admin(reviewer)
    action = _pending_action(session, action_id)
    owner = session.get(User, action.user_id)
    account = ledger.locked_account(session, owner)
    session.refresh(action)
    if action.status != ActionStatus.PENDING:
        raise Conflict(N_("This action has already been reviewed."))
    action.reviewed_at = utcnow()
    action.reviewed_by_id = reviewer.id
    total, self_reported = session.execute(_cap_sums(), _cap_params(owner, action.action_type, action.local_day)).one()
    _score(session, owner, action, total, self_reported)
    _book(session, account, owner, action)
    accounts.audit(
        session,
        reviewer,
        "action.approved",
        action,
        credits=action.credits,
        before={"status": ActionStatus.PENDING},
        after={"status": action.status, "credits": action.credits},
    )
    return action


def reject(session: Session, reviewer: User, action_id: int, note: str) -> Action:
    _require_admin(reviewer)
    note = (note or "").strip()
    if len(note) < 3:
        raise Invalid.field("note", N_("Tell the resident why (at least 3 characters)."))
    action = _pending_action(session, action_id)
    action.status = ActionStatus.REJECTED
    action.review_note = note
    action.reviewed_at = utcnow()
    action.reviewed_by_id = reviewer.id
    session.flush()
    accounts.audit(
        session,
        reviewer,
        "action.rejected",
        action,
        note=note,
        before={"status": ActionStatus.PENDING},
        after={"status": action.status, "note": note},
    )
    return action


def appeal(session: Session, user: User, action_id: int, text: str) -> Action:
    """A resident may appeal a rejection once; the action goes back to the queue."""
    action = session.get(Action, action_id)
    if action is None or action.user_id != user.id:
        raise NotFound(N_("No such action."))
    if action.status != ActionStatus.REJECTED:
        raise Conflict(N_("Only a rejected action can be appealed."))
    if action.appealed_at is not None:
        raise Conflict(N_("You have already appealed this action."))
    text = (text or "").strip()
    if not 3 <= len(text) <= 1000:
        raise Invalid.field("text", N_("Explain your appeal in 3 to 1000 characters."))
    action.appeal_text = text
    action.appealed_at = utcnow()
    action.status = ActionStatus.PENDING
    session.flush()
    accounts.audit(session, user, "action.appealed", action)
    return action


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN:
        raise Forbidden(N_("Only an administrator reviews actions."))


QUICK_DEFAULT = ("bus", "bike_shared", "walk", "waste_kitchen")  # a new resident's first screen
QUICK_COUNT = 4
QUICK_WINDOW = dt.timedelta(days=60)


def quick_types(session: Session, user: User, now: dt.datetime | None = None) -> list[str]:
    """The action types a resident logs most (last 60 days), topped up with the common ones: the
    first tiles of the home page."""
    since = (now or utcnow()) - QUICK_WINDOW
    count = func.count()
    codes = session.scalars(
        select(ActionType.code)
        .join(Action, Action.action_type_id == ActionType.id)
        .where(Action.user_id == user.id, Action.occurred_at >= since, ActionType.active.is_(True))
        .group_by(ActionType.code)
        .order_by(count.desc(), ActionType.code)
        .limit(QUICK_COUNT)
    ).all()
    return (list(codes) + [c for c in QUICK_DEFAULT if c not in codes])[:QUICK_COUNT]


def week_and_total(session: Session, user: User, now: dt.datetime | None = None) -> tuple[int, int]:
    """CO2e avoided this city week (Monday first) and in total, from credited actions."""
    zone = city_zone(session)
    today = (now or utcnow()).astimezone(zone).date()
    monday = today - dt.timedelta(days=today.weekday())
    credited = and_(Action.user_id == user.id, Action.status == ActionStatus.CREDITED)
    week = session.scalar(
        select(func.coalesce(func.sum(Action.co2e_grams), 0)).where(credited, Action.local_day >= monday)
    )
    total = session.scalar(select(func.coalesce(func.sum(Action.co2e_grams), 0)).where(credited))
    return int(week), int(total)


def export_for(session: Session, user: User) -> list[dict]:
    """Every action the resident logged, with the factor version and the outcome."""
    rows = session.scalars(actions_query(user).order_by(Action.id))
    return [
        {
            "id": a.id,
            "type": a.action_type.code,
            "quantity": str(a.quantity),
            "occurred_at": a.occurred_at.isoformat(),
            "created_at": a.created_at.isoformat(),
            "status": str(a.status),
            "reason": a.reason,
            "evidence": str(a.evidence),
            "evidence_ref": a.evidence_ref,
            "co2e_grams": a.co2e_grams,
            "credits": a.credits,
            "capped": a.capped,
            "multiplier": str(a.multiplier),
            "campaign_ids": a.campaign_ids,
            "factor": f"{a.factor.code} v{a.factor.version}",
            "note": a.note,
            "review_note": a.review_note,
            "appeal_text": a.appeal_text,
        }
        for a in rows
    ]
