"""Serving the exported files to the provincial platform, each pull written to the delivery log.

Only a period already exported (its manifest on disk) is served, and always the bytes written then:
a pull never triggers a new export, so the province cannot receive two different deliveries.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Partner, ProvinceDelivery, User

from ..errors import Invalid, NotFound
from ..messages import N_
from .province import PERIOD

LOG_LIMIT = 200
ITEM = re.compile(r"[0-9]{4}-[0-9]{2}-(aggregate|resident)-[0-9]{4}\.jsonl|manifest\.json|manifest\.sig")


def export_root(config: Mapping, instance_path: str) -> Path:
    """Where exports are written and served from (PROVINCE_EXPORT_DIR, shared storage on several hosts)."""
    return Path(config.get("PROVINCE_EXPORT_DIR") or Path(instance_path) / "province")


def _directory(root: Path, period: str) -> Path:
    if PERIOD.fullmatch(period or "") is None:
        raise Invalid.field("period", N_("The period must be a month written YYYY-MM."))
    directory = root / period
    if not (directory / "manifest.json").exists():
        raise NotFound(N_("This period has not been exported yet."))
    return directory


def manifest(root: Path, period: str) -> dict:
    return json.loads((_directory(root, period) / "manifest.json").read_bytes())


def pull(session: Session, partner: Partner, root: Path, period: str, item: str) -> bytes:
    """The file's bytes as exported, logged as delivered to this client."""
    directory = _directory(root, period)
    if item.isdigit():  # batch number n: the n-th batch of the manifest
        batches = json.loads((directory / "manifest.json").read_bytes())["batches"]
        if not 1 <= int(item) <= len(batches):
            raise NotFound(N_("No such batch."))
        item = batches[int(item) - 1]["file"]
    if ITEM.fullmatch(item) is None or not (directory / item).exists():
        raise NotFound(N_("No such batch."))
    content = (directory / item).read_bytes()
    session.add(
        ProvinceDelivery(partner_id=partner.id, period=period, item=item, sha256=hashlib.sha256(content).hexdigest())
    )
    session.flush()
    return content


@dataclass(frozen=True)
class Delivery:
    delivery: ProvinceDelivery
    client: str


def log(session: Session, actor: User, limit: int = LOG_LIMIT) -> list[Delivery]:
    """The latest pulls, newest first (admins only, through the view's role gate)."""
    rows = session.execute(
        select(ProvinceDelivery, Partner.name)
        .join(Partner, Partner.id == ProvinceDelivery.partner_id)
        .order_by(ProvinceDelivery.id.desc())
        .limit(limit)
    )
    return [Delivery(d, name) for d, name in rows]
