"""The city profile: loading it from seeds (idempotently) and reading it."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models import City, District


def load_profile(session: Session, profile: dict[str, Any]) -> tuple[City, int]:
    """Create or update the city and its districts; running it twice changes nothing."""
    zoneinfo.ZoneInfo(profile["timezone"])  # refuses an unknown time zone
    city = session.scalar(select(City).where(City.code == profile["code"])) or City(code=profile["code"])
    city.name_zh = profile["name"]["zh_CN"]
    city.name_en = profile["name"]["en"]
    city.timezone = profile["timezone"]
    city.green_travel_target = Decimal(str(profile["targets"]["green_travel_share"]))
    city.credit_expiry_months = profile.get("credit_expiry", {}).get("months")  # off unless the profile says
    session.add(city)
    session.flush()
    _ZONES.clear()
    changed = 0
    for row in profile["districts"]:
        district = session.scalar(select(District).where(District.code == row["code"]))
        if district is None:
            district = District(code=row["code"], city_id=city.id)
            session.add(district)
            changed += 1
        values = {"name_zh": row["zh_CN"], "name_en": row["en"], "kind": row["kind"], "city_id": city.id}
        for key, value in values.items():
            if getattr(district, key) != value:
                setattr(district, key, value)
    session.flush()
    return city, changed


def current_city(session: Session) -> City:
    city = session.scalar(select(City).order_by(City.id).limit(1))
    if city is None:
        raise LookupError("no city loaded: run `flask seed city`")
    return city


# The city's time zone, read once per database: every action and statistic needs it.
_ZONES: dict[str, zoneinfo.ZoneInfo] = {}


def city_zone(executor: Session | Connection, *, fallback: str | None = None) -> zoneinfo.ZoneInfo:
    """The city's zone, cached per database; `fallback` (uncached) where no city is loaded yet."""
    bind = executor if isinstance(executor, Connection) else executor.get_bind()
    key = str(bind.engine.url)
    zone = _ZONES.get(key)
    if zone is None:
        name = executor.execute(select(City.timezone).order_by(City.id).limit(1)).scalar()
        if name is None:
            if fallback is None:
                raise LookupError("no city loaded: run `flask seed city`")
            return zoneinfo.ZoneInfo(fallback)
        zone = _ZONES[key] = zoneinfo.ZoneInfo(name)
    return zone


def districts(session: Session) -> list[District]:
    return list(session.scalars(select(District).order_by(District.code)))
