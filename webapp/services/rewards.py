"""Rewards: what merchants publish, and the catalogue residents see (approved, active, in time).

A reward's image is checked by its first bytes, not its name (PNG, JPEG or WebP, at most 1 MB) and
stored under a random name, so nothing a merchant uploads is ever served as HTML or script.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from models import District, Funder, Merchant, MerchantStatus, Reward, User, utcnow

from ..errors import Conflict, Invalid, NotFound
from ..messages import N_
from . import accounts, merchants

MAX_IMAGE_BYTES = 1024 * 1024
IMAGE_NAME_RE = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp)$")
IMAGE_MIMETYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
LIMITS = {
    "cost": (1, 10_000_000),
    "stock": (0, 1_000_000),
    "per_resident_limit": (1, 100),
    "value_fen": (0, 100_000_000),  # up to 1,000,000 yuan
}
RANGE_MESSAGE = "Must be greater than or equal to {min} and less than or equal to {max}."


@dataclass(frozen=True)
class RewardInput:
    """A reward as a merchant describes it; on edit, None means "leave as it is"."""

    title: str | None = None
    cost: int | None = None
    stock: int | None = None
    per_resident_limit: int | None = None
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    value_fen: int | None = None  # what one reward is worth in money, in fen


COLUMNS = {"title": "title_zh", "description": "description_zh"}


def _check(data: RewardInput) -> None:
    if data.title is not None and not 1 <= len(data.title.strip()) <= 80:
        raise Invalid.field("title", N_("A title has 1 to 80 characters."))
    if data.title_en is not None and len(data.title_en.strip()) > 80:
        raise Invalid.field("title_en", N_("A title has 1 to 80 characters."))
    for name, (low, high) in LIMITS.items():
        value = getattr(data, name)
        if value is not None and not low <= value <= high:
            raise Invalid(N_("Some fields are not valid."), {name: [RANGE_MESSAGE.format(min=low, max=high)]})
    for name in ("valid_from", "valid_until"):
        value = getattr(data, name)
        if value is not None and value.tzinfo is None:
            raise Invalid.field(name, N_("Give the time with its UTC offset."))


def _apply(reward: Reward, data: RewardInput) -> None:
    for item in fields(data):
        value = getattr(data, item.name)
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if item.name in ("title_en", "description_en"):
                value = value or None
        setattr(reward, COLUMNS.get(item.name, item.name), value)
    if reward.valid_until <= reward.valid_from:
        raise Invalid.field("valid_until", N_("The end must be after the start."))


def create(session: Session, staff: User, data: RewardInput, *, now: dt.datetime | None = None) -> Reward:
    """A new reward of the staff member's merchant; shown once the merchant is approved."""
    merchant = merchants.merchant_of(session, staff)
    if merchant.status in (MerchantStatus.SUSPENDED, MerchantStatus.REJECTED):  # pending may prepare rewards
        raise Conflict(N_("This merchant is not approved or is suspended."))
    missing = [n for n in ("title", "cost", "stock", "valid_from", "valid_until") if getattr(data, n) is None]
    if missing:
        raise Invalid(N_("Some fields are not valid."), {n: ["Missing data for required field."] for n in missing})
    _check(data)
    if data.valid_until <= (now or utcnow()):
        raise Invalid.field("valid_until", N_("The end must be in the future."))
    reward = Reward(merchant_id=merchant.id, description_zh="", per_resident_limit=1, active=True)
    _apply(reward, data)
    session.add(reward)
    session.flush()
    accounts.audit(
        session, staff, "reward.created", reward, cost=reward.cost, stock=reward.stock, after=_reward_state(reward)
    )
    return reward


def own(session: Session, staff: User, reward_id: int) -> Reward:
    """One of the staff member's merchant's rewards; another merchant's is 404."""
    merchant = merchants.merchant_of(session, staff)
    reward = session.get(Reward, reward_id)
    if reward is None or reward.merchant_id != merchant.id:
        raise NotFound(N_("No such reward."))
    return reward


def _reward_state(reward: Reward) -> dict:
    names = (
        "title_zh",
        "title_en",
        "cost",
        "stock",
        "per_resident_limit",
        "valid_from",
        "valid_until",
        "value_fen",
        "funded_by",
        "active",
    )
    return {name: getattr(reward, name) for name in names}


def update(session: Session, staff: User, reward_id: int, data: RewardInput, *, active: bool | None = None) -> Reward:
    """Edit, pause (active False) or resume; a new stock is the number left from now on."""
    reward = own(session, staff, reward_id)
    _check(data)
    before = _reward_state(reward)
    _apply(reward, data)
    if active is not None:
        reward.active = active
    reward.updated_at = utcnow()
    session.flush()
    changed = {f.name: str(getattr(data, f.name)) for f in fields(data) if getattr(data, f.name) is not None}
    if active is not None:
        changed["active"] = str(active)
    accounts.audit(session, staff, "reward.updated", reward, **changed, before=before, after=_reward_state(reward))
    return reward


def set_funder(session: Session, admin: User, reward_id: int, funder: Funder) -> Reward:
    """An administrator says who pays for a reward; vouchers already issued keep their funder."""
    accounts.require_admin(admin)
    reward = get(session, reward_id)
    before = _reward_state(reward)
    reward.funded_by = funder
    reward.updated_at = utcnow()
    session.flush()
    accounts.audit(
        session, admin, "reward.funder_set", reward, funded_by=str(funder), before=before, after=_reward_state(reward)
    )
    return reward


def get(session: Session, reward_id: int) -> Reward:
    reward = session.get(Reward, reward_id)
    if reward is None:
        raise NotFound(N_("No such reward."))
    return reward


def of_merchant_id(session: Session, merchant_id: int) -> list[Reward]:
    return list(session.scalars(select(Reward).where(Reward.merchant_id == merchant_id).order_by(Reward.id.desc())))


def of_merchant(session: Session, staff: User) -> list[Reward]:
    return of_merchant_id(session, merchants.merchant_of(session, staff).id)


def _image_kind(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def set_image(session: Session, staff: User, reward_id: int, data: bytes, directory: Path) -> Reward:
    reward = own(session, staff, reward_id)
    if len(data) > MAX_IMAGE_BYTES:
        raise Invalid.field("image", N_("The image is larger than 1 MB."))
    kind = _image_kind(data)
    if kind is None:
        raise Invalid.field("image", N_("Upload a PNG, JPEG or WebP image."))
    name = f"{secrets.token_hex(16)}.{kind}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)
    before = {"image_name": reward.image_name}
    reward.image_name = name
    session.flush()
    accounts.audit(session, staff, "reward.image_set", reward, image=name, before=before, after={"image_name": name})
    return reward


def image_file(directory: Path, name: str) -> tuple[Path, str] | None:
    """The stored file and its type, for a name this module made; anything else is None."""
    if not IMAGE_NAME_RE.match(name):
        return None
    path = directory / name
    return (path, IMAGE_MIMETYPES[name.rsplit(".", 1)[1]]) if path.is_file() else None


def visible(now: dt.datetime) -> list:
    """What makes a reward visible in the catalogue (also the guard of the stock UPDATE)."""
    return [
        Reward.active.is_(True),
        Reward.valid_from <= now,
        Reward.valid_until > now,
        Reward.merchant_id.in_(select(Merchant.id).where(Merchant.status == MerchantStatus.APPROVED)),
    ]


def catalogue_query(
    session: Session,
    *,
    district: str | None = None,
    home_district_id: int | None = None,
    now: dt.datetime | None = None,
) -> Select:
    """Visible rewards: the resident's own district first, then the cheapest, then the oldest."""
    stmt = select(Reward).join(Merchant, Merchant.id == Reward.merchant_id).where(*visible(now or utcnow()))
    if district:
        stmt = stmt.join(District, District.id == Merchant.district_id).where(District.code == district)
    order = [Reward.cost, Reward.id]
    if home_district_id is not None:
        order.insert(0, case((Merchant.district_id == home_district_id, 0), else_=1))
    return stmt.order_by(*order)


def get_visible(session: Session, reward_id: int, now: dt.datetime | None = None) -> Reward:
    reward = session.scalar(select(Reward).where(Reward.id == reward_id, *visible(now or utcnow())))
    if reward is None:
        raise NotFound(N_("No such reward."))
    return reward
