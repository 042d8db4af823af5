"""Partner records become verified actions: signed requests, no replays, and nothing counts twice.

A partner signs `timestamp + "." + raw body` with HMAC-SHA256; a signature is accepted once. Each
record is scored by actions.log_action with the partner's evidence (the higher daily cap) in its own
savepoint, so one bad record never undoes the others. `(partner, external_id)` is unique in the
database (DESIGN invariant 3): a record sent again, even by a concurrent retry, is a duplicate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Action, Evidence, Partner, PartnerKind, PartnerSignature, Role, User, utcnow

from ..errors import Conflict, Forbidden, Invalid, Unauthenticated
from ..messages import N_
from . import accounts, actions, members

SIGNATURE_WINDOW = 300  # seconds either side of our clock
# A signature is remembered longer than it can be valid (2 × 300 s), so it can never be replayed.
SEEN_FOR = dt.timedelta(minutes=10)
PRUNE_ONE_IN = 20  # about one request in 20 prunes the remembered signatures
MAX_RECORDS = 1000
KEY_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,64}")
TIMESTAMP_FORMAT = re.compile(r"[0-9]{1,12}")

TRANSIT_MODES = {"bus": "bus", "bike": "bike_shared", "shared_bike": "bike_shared", "walk": "walk"}
WASTE_CATEGORIES = {c: f"waste_{c}" for c in ("paper", "plastic", "metal", "glass", "textile", "kitchen")}
# Walking is counted in steps; 1400 steps per km is the stride of the TRAVEL_WALK_STEP factor.
UNITS_PER_KM = {"walk": Decimal(1400)}
EVIDENCE = {PartnerKind.TRANSIT: Evidence.TRANSIT, PartnerKind.WASTE: Evidence.WASTE_STATION}
UNKNOWN_KIND = {PartnerKind.TRANSIT: "unknown_mode", PartnerKind.WASTE: "unknown_category"}


@dataclass(frozen=True)
class Record:
    """One partner record, parsed: whose (member code), what (mode or category), how much, when."""

    external_id: str
    ref: str
    kind: str
    quantity: Decimal  # km for trips, kg for deposits
    occurred_at: dt.datetime
    evidence_ref: str


@dataclass(frozen=True)
class Malformed:
    """A record whose fields could not be read; it is rejected as `invalid`."""

    external_id: str | None


@dataclass
class BatchResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, str | None]] = field(default_factory=list)


class _Rejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def create_partner(session: Session, kind: PartnerKind, name: str, actor: User | None = None) -> Partner:
    """A partner with a fresh public key and shared secret (shown once, by the CLI)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise Invalid.field("name", N_("Give the partner a name of 1 to 80 characters."))
    if session.scalar(select(Partner.id).where(Partner.name == name)) is not None:
        raise Conflict(N_("A partner with this name already exists."))
    partner = Partner(kind=kind, name=name, key="pk_" + secrets.token_hex(16), secret=secrets.token_hex(32))
    session.add(partner)
    session.flush()
    # The secret never enters the log: only who made which key.
    accounts.audit(session, actor, "partner.created", partner, after={"kind": kind, "name": name, "key": partner.key})
    return partner


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "." + body` (what a partner sends as X-Signature)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def authenticate(
    session: Session,
    key: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    kind: PartnerKind,
    now: dt.datetime | None = None,
) -> Partner:
    """The signing partner; 401 for a bad key, time or signature or a replay, 403 for the wrong kind."""
    now = now or utcnow()
    partner = None
    if key and KEY_FORMAT.fullmatch(key):
        partner = session.scalar(select(Partner).where(Partner.key == key))
    if partner is None or not partner.active:
        raise Unauthenticated(N_("Unknown or inactive partner key."))
    if (
        not timestamp
        or not TIMESTAMP_FORMAT.fullmatch(timestamp)
        or abs(now.timestamp() - int(timestamp)) > SIGNATURE_WINDOW
    ):
        raise Unauthenticated(N_("X-Timestamp must be the current unix time in seconds (within 300 s)."))
    expected = sign(partner.secret, timestamp, body)
    if not signature or not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise Unauthenticated(N_("The signature does not match the request."))
    _remember(session, partner, expected, now)
    if partner.kind != kind:
        raise Forbidden(N_("This partner key is not for this kind of record."))
    return partner


def _remember(session: Session, partner: Partner, signature: str, now: dt.datetime) -> None:
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        prune_signatures(session, now)
    try:
        with session.begin_nested():
            session.add(PartnerSignature(partner_id=partner.id, signature=signature, created_at=now))
    except IntegrityError:
        raise Unauthenticated(N_("This signature has been used already; sign every request anew.")) from None


def prune_signatures(session: Session, now: dt.datetime | None = None) -> int:
    """Forget signatures too old to be replayed anyway."""
    cutoff = (now or utcnow()) - SEEN_FOR
    return session.execute(delete(PartnerSignature).where(PartnerSignature.created_at < cutoff)).rowcount


def ingest(
    session: Session,
    partner: Partner,
    records: Sequence[Record | Malformed],
    now: dt.datetime | None = None,
    *,
    after_each: Callable[[], None] | None = None,
) -> BatchResult:
    """Book a batch; every record is accepted, a duplicate, or rejected with a reason code.

    `after_each` runs after every record: the web layer commits there, so that a batch never holds
    the statistics roll-up rows of one record while it waits for the next resident's account lock
    (which deadlocks on PostgreSQL against residents logging at the same time).
    """
    now = now or utcnow()
    result = BatchResult()
    rejected: list[tuple[int, str | None, str]] = []
    known = _known_external_ids(session, partner, [r.external_id for r in records if isinstance(r, Record)])
    residents: dict[str, User | None] = {}
    todo = []
    for index, record in enumerate(records):
        if isinstance(record, Malformed):
            rejected.append((index, record.external_id, "invalid"))
            continue
        user = _resident(session, residents, record.ref)
        todo.append((user.id if user else 0, record.occurred_at, index, record, user))
    # Each resident's records go in time order, so that the day's cap is spent by the earliest trips.
    todo.sort(key=lambda item: item[:3])
    for _user_id, _at, index, record, user in todo:
        if record.external_id in known:
            result.duplicates += 1
            continue
        try:
            if user is None:
                raise _Rejected("unknown_account")
            with session.begin_nested():
                _book(session, partner, user, record, now)
        except _Rejected as rejection:
            rejected.append((index, record.external_id, rejection.reason))
        except IntegrityError:  # a concurrent request stored this external_id first
            result.duplicates += 1
        else:
            result.accepted += 1
            known.add(record.external_id)
        if after_each is not None:
            after_each()
    result.rejected = [{"external_id": eid, "reason": reason} for _i, eid, reason in sorted(rejected)]
    return result


def _known_external_ids(session: Session, partner: Partner, external_ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(external_ids))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        known.update(
            session.scalars(
                select(Action.external_id).where(
                    Action.partner_id == partner.id, Action.external_id.in_(wanted[start : start + 500])
                )
            )
        )
    return known


def _resident(session: Session, cache: dict[str, User | None], ref: str) -> User | None:
    """The resident named by a member code ("M-..."), or None."""
    key = ref.strip().upper()
    if key not in cache:
        user = members.user_by_member_code(session, key)
        cache[key] = user if user is not None and user.role == Role.RESIDENT else None
    return cache[key]


def _book(session: Session, partner: Partner, user: User, record: Record, now: dt.datetime) -> Action:
    codes = TRANSIT_MODES if partner.kind == PartnerKind.TRANSIT else WASTE_CATEGORIES
    code = codes.get(record.kind.strip().lower())
    if code is None:
        raise _Rejected(UNKNOWN_KIND[partner.kind])
    quantity = record.quantity * UNITS_PER_KM.get(code, Decimal(1))
    data = actions.ActionInput(
        type=code,
        quantity=quantity,
        occurred_at=record.occurred_at,
        partner_id=partner.id,
        external_id=record.external_id,
    )
    evidence = actions.Verified(EVIDENCE[partner.kind], record.evidence_ref)
    try:
        action, _account = actions.log_action(session, user, data, evidence=evidence, now=now)
    except Forbidden:
        raise _Rejected("unknown_account") from None
    except Invalid as error:
        raise _Rejected(_reason(partner, error, record, now)) from None
    return action


def _reason(partner: Partner, error: Invalid, record: Record, now: dt.datetime) -> str:
    fields = error.errors or {}
    if "type" in fields:
        return UNKNOWN_KIND[partner.kind]
    if "quantity" in fields:
        return "out_of_range"
    if "occurred_at" in fields and record.occurred_at < now - actions.BACKDATING:
        return "too_old"
    return "invalid"
