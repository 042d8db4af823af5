"""`flask stats verify`: the folded roll-ups equal a rebuild from the raw rows (compared, then rolled back)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import StatActions, StatActive, StatLedger, StatMask, StatReach, StatRegistrations, StatReturns

from .. import budgets
from .rebuild import refresh_rollups

TABLES = (StatActions, StatActive, StatLedger, StatMask, StatReach, StatRegistrations, StatReturns)
EVERYTHING = dt.date(1970, 1, 1)  # a `since` that rebuilds all without the full sweep's CLUSTER


def rows_of(session: Session) -> dict[str, set[tuple]]:
    """Every roll-up row, without rows of zeros (a rebuild may or may not keep them)."""
    found = {}
    for model in TABLES:
        table = model.__table__
        values = [c.name for c in table.c if not c.primary_key]
        found[table.name] = {
            tuple(r.values()) for r in session.execute(select(table)).mappings() if any(r[c] for c in values)
        }
    return found


def differences(session: Session) -> list[str]:
    """Rows that differ between the roll-ups (the campaigns' among them) and a rebuild; the caller rolls
    the transaction back."""
    problems = budgets.issuance_differences(session)
    folded = rows_of(session)
    refresh_rollups(session, since=EVERYTHING)
    rebuilt = rows_of(session)
    for name in folded:
        problems += [f"{name}: folded {row}, not in the rebuild" for row in sorted(folded[name] - rebuilt[name])]
        problems += [f"{name}: rebuilt {row}, not folded" for row in sorted(rebuilt[name] - folded[name])]
    return problems
