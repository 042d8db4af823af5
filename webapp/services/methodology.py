"""The methodology: versioned factors as data; the version in force at a moment; new versions.

Publishing a version closes the previous one at the new version's start; actions keep the
factor id and CO2e they were scored with, so history is never rewritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from models import ActionType, EmissionFactor, Family, User, utcnow
from seeds import SEEDS_DIR

from ..errors import DomainError, Invalid, NotFound
from ..messages import N_
from . import accounts
from .city import city_zone

DEFAULT_DIR = SEEDS_DIR / "methodology"
FACTOR_TEXT_FIELDS = ("unit", "baseline_zh", "baseline_en", "formula", "source", "confidence", "notes")


def day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def load_catalogue(session: Session, directory: Path) -> tuple[int, int]:
    """Load factors.csv and action_types.csv; existing (code, version) rows are left as they are."""
    zone = city_zone(session)
    added_factors = 0
    with (directory / "factors.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code, version = row["code"], int(row["version"])
            exists = session.scalar(
                select(EmissionFactor.id).where(EmissionFactor.code == code, EmissionFactor.version == version)
            )
            if exists:
                continue
            valid_to = row.get("valid_to") or None
            session.add(
                EmissionFactor(
                    code=code,
                    version=version,
                    grams_per_unit=Decimal(row["grams_per_unit"]),
                    year=int(row["year"]),
                    valid_from=day_start(dt.date.fromisoformat(row["valid_from"]), zone),
                    valid_to=day_start(dt.date.fromisoformat(valid_to), zone) if valid_to else None,
                    **{f: row.get(f) or "" for f in FACTOR_TEXT_FIELDS},
                )
            )
            added_factors += 1
    session.flush()
    added_types = 0
    with (directory / "action_types.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            action_type = session.scalar(select(ActionType).where(ActionType.code == row["code"]))
            if action_type is None:
                action_type = ActionType(code=row["code"])
                session.add(action_type)
                added_types += 1
            action_type.family = Family(row["family"])
            for field in ("name_zh", "name_en", "unit", "unit_zh", "unit_en", "factor_code"):
                setattr(action_type, field, row[field])
            for field in ("min_quantity", "max_quantity", "step"):
                setattr(action_type, field, Decimal(row[field]))
            action_type.daily_cap_self = int(row["daily_cap_self"])
            action_type.daily_cap_evidenced = int(row["daily_cap_evidenced"])
            action_type.needs_evidence = row["needs_evidence"].strip().lower() == "true"
            green = row.get("green_travel", "").strip().lower()
            action_type.green_travel = None if not green else green == "true"
            action_type.sort = int(row.get("sort") or 0)
    session.flush()
    return added_factors, added_types


def action_types(session: Session, *, include_inactive: bool = False) -> list[ActionType]:
    stmt = select(ActionType).order_by(ActionType.sort, ActionType.id)
    if not include_inactive:
        stmt = stmt.where(ActionType.active.is_(True))
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class PublishedType:
    type: ActionType
    factor: EmissionFactor


def published_types(session: Session, at: dt.datetime | None = None) -> list[PublishedType]:
    """Every active type with the factor version in force (now by default)."""
    factors = current_factors(session, at)
    return [PublishedType(t, factors[t.factor_code]) for t in action_types(session) if t.factor_code in factors]


def action_type_by_code(session: Session, code: str) -> ActionType:
    action_type = session.scalar(select(ActionType).where(ActionType.code == code, ActionType.active.is_(True)))
    if action_type is None:
        raise Invalid.field("type", N_("Unknown action type."))
    return action_type


def type_in_family(session: Session, code: str, family: Family, message: str) -> ActionType:
    """The active type `code` if it is of `family`; else 422 on "category" with `message`."""
    try:
        action_type = action_type_by_code(session, code)
    except DomainError:
        action_type = None
    if action_type is None or action_type.family != family:
        raise Invalid.field("category", message)
    return action_type


def quantity_in_range(action_type: ActionType, raw: Decimal | str | float, field: str) -> Decimal:
    """`raw` as an exact quantity (thousandths) inside the type's plausible range; else 422 on `field`."""
    try:
        quantity = Decimal(str(raw))
    except InvalidOperation:
        raise Invalid.field(field, N_("Not a valid number.")) from None
    if not quantity.is_finite() or not action_type.min_quantity <= quantity <= action_type.max_quantity:
        raise Invalid.field(field, N_("The quantity is outside the plausible range for this type."))
    return quantity.quantize(Decimal("0.001"))


def _in_force(code: Any, at: dt.datetime) -> Any:
    """The id of the factor version in force at `at` (a scalar subquery; `code` may be a column)."""
    version = aliased(EmissionFactor)
    return (
        select(version.id)
        .where(
            version.code == code,
            version.valid_from <= at,
            or_(version.valid_to.is_(None), version.valid_to > at),
        )
        .order_by(version.version.desc())
        .limit(1)
        .scalar_subquery()
    )


def factor_in_force(session: Session, code: str, at: dt.datetime) -> EmissionFactor:
    factor = session.scalar(select(EmissionFactor).where(EmissionFactor.id == _in_force(code, at)))
    return require_factor(factor)


def require_factor(factor: EmissionFactor | None) -> EmissionFactor:
    if factor is None:
        raise Invalid.field("occurred_at", N_("No emission factor is in force at that time."))
    return factor


def type_with_factor(session: Session, code: str, at: dt.datetime) -> tuple[ActionType, EmissionFactor | None]:
    """An active action type and its factor version in force at `at` (None if none is), in one statement."""
    row = session.execute(_type_with_factor(), {"code": code, "at": at}).one_or_none()
    if row is None:
        raise Invalid.field("type", N_("Unknown action type."))
    return row[0], row[1]


@functools.cache
def _type_with_factor() -> Any:
    """Built once: logging an action runs it every time."""
    return (
        select(ActionType, EmissionFactor)
        .outerjoin(EmissionFactor, EmissionFactor.id == _in_force(ActionType.factor_code, bindparam("at")))
        .where(ActionType.code == bindparam("code"), ActionType.active.is_(True))
    )


def current_factors(session: Session, at: dt.datetime | None = None) -> dict[str, EmissionFactor]:
    at = at or utcnow()
    rows = session.scalars(
        select(EmissionFactor)
        .where(EmissionFactor.valid_from <= at, or_(EmissionFactor.valid_to.is_(None), EmissionFactor.valid_to > at))
        .order_by(EmissionFactor.code, EmissionFactor.version)
    )
    return {factor.code: factor for factor in rows}


def factor_history(session: Session, code: str) -> list[EmissionFactor]:
    return list(
        session.scalars(select(EmissionFactor).where(EmissionFactor.code == code).order_by(EmissionFactor.version))
    )


def all_factor_versions(session: Session) -> dict[str, list[EmissionFactor]]:
    history: dict[str, list[EmissionFactor]] = {}
    for factor in session.scalars(select(EmissionFactor).order_by(EmissionFactor.code, EmissionFactor.version)):
        history.setdefault(factor.code, []).append(factor)
    return history


def _version_state(factor: EmissionFactor) -> dict:
    return {
        "version": factor.version,
        "grams_per_unit": factor.grams_per_unit,
        "valid_from": factor.valid_from,
        "source": factor.source,
    }


def publish_version(
    session: Session,
    actor: User,
    code: str,
    *,
    grams_per_unit: str | Decimal,
    effective_from: dt.date,
    source: str,
    formula: str,
    year: int,
    confidence: str,
    notes: str = "",
) -> EmissionFactor:
    """A new version from a city day (today or later); the previous one ends when it starts."""
    history = factor_history(session, code)
    if not history:
        raise NotFound(N_("No such emission factor."))
    try:
        value = Decimal(str(grams_per_unit))
    except InvalidOperation:
        raise Invalid.field("grams_per_unit", N_("Not a valid number.")) from None
    if not value.is_finite() or value < 0 or value > Decimal("100000000"):
        raise Invalid.field("grams_per_unit", N_("Give a finite, non-negative number of grams per unit."))
    if confidence not in ("V", "S", "U"):
        raise Invalid.field("confidence", N_("Confidence is V, S or U."))
    if not source.strip():
        raise Invalid.field("source", N_("Every factor needs a source."))
    zone = city_zone(session)
    today = utcnow().astimezone(zone).date()
    if effective_from < today:
        raise Invalid.field("effective_from", N_("A new version takes effect today or later, never in the past."))
    starts = day_start(effective_from, zone)
    latest = history[-1]
    if starts <= latest.valid_from:
        raise Invalid.field("effective_from", N_("The new version must start after the current one."))
    before = _version_state(latest)
    latest.valid_to = starts
    factor = EmissionFactor(
        code=code,
        version=latest.version + 1,
        grams_per_unit=value,
        unit=latest.unit,
        baseline_zh=latest.baseline_zh,
        baseline_en=latest.baseline_en,
        formula=formula.strip() or latest.formula,
        source=source.strip(),
        year=year,
        confidence=confidence,
        valid_from=starts,
        notes=notes,
        created_by_id=actor.id,
    )
    session.add(factor)
    session.flush()
    accounts.audit(
        session,
        actor,
        "factor.published",
        factor,
        code=code,
        version=factor.version,
        grams_per_unit=str(value),
        effective_from=effective_from.isoformat(),
        before=before,
        after=_version_state(factor),
    )
    return factor


@dataclass(frozen=True)
class Equivalence:
    code: str
    amount: float
    label_zh: str
    label_en: str
    source: str


@dataclass(frozen=True)
class EquivalenceSource:
    code: str
    grams: float
    label_zh: str
    label_en: str
    source: str


def equivalence_sources(directory: Path | None = None) -> list[EquivalenceSource]:
    """seeds/methodology/equivalences.csv: how many grams one unit of each comparison is."""
    with ((directory or DEFAULT_DIR) / "equivalences.csv").open(encoding="utf-8") as fh:
        return [
            EquivalenceSource(row["code"], float(row["grams"]), row["label_zh"], row["label_en"], row["source"])
            for row in csv.DictReader(fh)
            if float(row["grams"]) > 0
        ]


def equivalences(co2e_grams: int, directory: Path | None = None) -> list[Equivalence]:
    """Plain-language equivalents of an amount of CO2e."""
    return [
        Equivalence(s.code, round(co2e_grams / s.grams, 2), s.label_zh, s.label_en, s.source)
        for s in equivalence_sources(directory)
    ]
