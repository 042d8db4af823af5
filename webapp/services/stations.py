"""Waste-sorting stations: an attendant weighs a resident's sorted waste and it becomes a verified
action through services.actions (scoring, caps, ledger, outbox), with the station and the attendant
as evidence. A station credits at most `daily_cap_kg` per city day (checked under a lock on the
station's row), and an attendant never credits their own account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Action, ActionType, Family, Role, Station, StationDeposit, User, utcnow
from models.actions import Evidence

from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..messages import N_
from . import accounts, actions, members, methodology
from .city import city_zone
from .partners import WASTE_CATEGORIES


def create_station(session: Session, admin: User, name: str, district: str, address: str) -> Station:
    accounts.require_admin(admin)
    name, address = (name or "").strip(), (address or "").strip()
    if not 2 <= len(name) <= 80:
        raise Invalid.field("name", N_("Give the station a name of 2 to 80 characters."))
    if not 2 <= len(address) <= 200:
        raise Invalid.field("address", N_("Give the station an address of 2 to 200 characters."))
    if session.scalar(select(Station.id).where(Station.name == name)) is not None:
        raise Conflict(N_("A station with this name already exists."))
    station = Station(name=name, district_id=accounts.district_by_code(session, district).id, address=address)
    session.add(station)
    session.flush()
    accounts.audit(session, admin, "station.created", station, after={"name": name, "district": district})
    return station


def get(session: Session, station_id: int) -> Station:
    station = session.get(Station, station_id)
    if station is None:
        raise NotFound(N_("No such station."))
    return station


def assign_attendant(session: Session, admin: User | None, user: User, station: Station) -> None:
    """An attendant account works at this station from now on (admin or seeds)."""
    if admin is not None:
        accounts.require_admin(admin)
    if user.role != Role.ATTENDANT:
        raise Invalid.field("user", N_("Only attendant accounts work at a station."))
    before = {"station_id": user.station_id}
    user.station_id = station.id
    session.flush()
    accounts.audit(session, admin, "station.attendant_assigned", user, before=before, after={"station_id": station.id})


def assign_existing(session: Session, admin: User, user_id: int, station_id: int) -> User:
    """Move an existing attendant account to a station (a new one, or theirs after a transfer)."""
    accounts.require_admin(admin)
    station = get(session, station_id)
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound(N_("No such account."))
    assign_attendant(session, admin, user, station)
    return user


def attendants(session: Session) -> list[User]:
    """Every attendant account that has not been deleted, by display name."""
    return list(
        session.scalars(
            select(User).where(User.role == Role.ATTENDANT, User.deleted_at.is_(None)).order_by(User.nickname, User.id)
        )
    )


def station_of(session: Session, attendant: User) -> Station:
    if attendant.role != Role.ATTENDANT:
        raise Forbidden(N_("Only station attendants can do this."))
    if attendant.station_id is None:
        raise Conflict(N_("Your account is not assigned to a station yet; ask an administrator."))
    station = get(session, attendant.station_id)
    if not station.active:
        raise Conflict(N_("This station is closed."))
    return station


def waste_type(session: Session, category: str) -> ActionType:
    code = (category or "").strip().lower()
    code = WASTE_CATEGORIES.get(code, code)
    return methodology.type_in_family(session, code, Family.WASTE, N_("Unknown waste category."))


def weighed_on(session: Session, station: Station, day: dt.date) -> Decimal:
    """Kilograms this station has credited on a city day."""
    return Decimal(
        session.scalar(
            select(func.coalesce(func.sum(StationDeposit.weight_kg), 0)).where(
                StationDeposit.station_id == station.id, StationDeposit.local_day == day
            )
        )
    )


def deposit(
    session: Session,
    attendant: User,
    member_code: str,
    category: str,
    weight_kg: Decimal | str,
    *,
    daily_cap_kg: int,
    now: dt.datetime | None = None,
) -> StationDeposit:
    """Credit the resident named by the member code with a verified waste-sorting action."""
    now = now or utcnow()
    station = station_of(session, attendant)
    action_type = waste_type(session, category)
    weight = methodology.quantity_in_range(action_type, weight_kg, "weight_kg")
    resident = members.user_by_member_code(session, member_code or "")
    if resident is not None and resident.id == attendant.id:
        raise Invalid.field("member_code", N_("You cannot credit your own account."))
    if resident is None or resident.role != Role.RESIDENT:
        raise NotFound(N_("No resident has this member code."))
    # Row lock on the station: concurrent deposits count against its cap one at a time.
    session.execute(update(Station).where(Station.id == station.id).values(active=Station.active))
    day = now.astimezone(city_zone(session)).date()
    if weighed_on(session, station, day) + weight > daily_cap_kg:
        raise Conflict(N_("This station has reached today's cap of credited kilograms."))
    data = actions.ActionInput(type=action_type.code, quantity=weight, occurred_at=now)
    evidence = actions.Verified(Evidence.WASTE_STATION, f"station {station.id}, attendant {attendant.id}")
    action, _account = actions.log_action(session, resident, data, evidence=evidence, now=now)
    row = StationDeposit(
        station_id=station.id,
        attendant_id=attendant.id,
        resident_id=resident.id,
        action_id=action.id,
        action_type_id=action_type.id,
        weight_kg=weight,
        local_day=day,
        created_at=now,
    )
    session.add(row)
    session.flush()
    accounts.audit(session, attendant, "station.deposit", row, station_id=station.id, kg=str(weight))
    return row


def deposits(session: Session, station_id: int | None = None, day: dt.date | None = None) -> list[StationDeposit]:
    """Deposits, newest first, of one station and/or one city day (the admin's list)."""
    stmt = select(StationDeposit).order_by(StationDeposit.id.desc()).limit(500)
    if station_id is not None:
        stmt = stmt.where(StationDeposit.station_id == station_id)
    if day is not None:
        stmt = stmt.where(StationDeposit.local_day == day)
    return list(session.scalars(stmt))


def action_of(session: Session, row: StationDeposit) -> Action:
    return session.get(Action, row.action_id)
