"""Logging green actions fairly: bounds, back-dating window, daily caps in the city's day,
velocity holds, de-duplication against verified trips, and the admin review queue.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import Select, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from models import (
    Action,
    ActionStatus,
    ActionType,
    CarbonAccount,
    EntryKind,
    Evidence,
    Family,
    Role,
    User,
    utcnow,
)

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
        factor=factor,
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
