"""Turning an official's filters into a window and a scope: defaults, checks, and the export audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from models import User, utcnow

from ...errors import Invalid
from ...messages import N_
from .. import accounts
from .. import city as city_service
from .figures import Scope
from .periods import Window
from .series import Series

DEFAULT_DAYS = 30


def today(session: Session, now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(city_service.city_zone(session)).date()


def window(session: Session, first: dt.date | None, last: dt.date | None) -> Window:
    """Defaults: the 30 city days ending today; a window may not end after today."""
    end = today(session)
    last = last or (min(end, first + dt.timedelta(days=DEFAULT_DAYS - 1)) if first else end)
    if last > end:
        raise Invalid.field("to", N_("The window cannot end after today."))
    first = first or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise Invalid.field("to", N_("Must be on or after the first day."))
    return Window(first, last)


def scope(session: Session, args: dict[str, Any]) -> Scope:
    district = accounts.district_by_code(session, args["district"]) if args.get("district") else None
    return Scope(window(session, args.get("first"), args.get("last")), district)


def series(session: Session, args: dict[str, Any]) -> Series:
    chosen = scope(session, args)
    return Series(args["metric"], args["interval"], chosen.window, chosen.key)


def audit_export(session: Session, user: User, table: str, chosen: Window, **details: Any) -> None:
    """Every export leaves a trace: who took which table for which days."""
    accounts.audit(
        session,
        user,
        "statistics.exported",
        None,
        table=table,
        first=chosen.first.isoformat(),
        last=chosen.last.isoformat(),
        **details,
    )
