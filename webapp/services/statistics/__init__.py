"""Official statistics (issue 7): aggregates only, from roll-ups, small cells suppressed.

Residents' actions, ledger entries and registrations feed the roll-ups as they are written
(`rollups.install()`, run on import); `refresh_rollups(session, since)` is the sweep that
rebuilds them from the raw rows; the figures read nothing but the roll-ups.
"""

from __future__ import annotations

from . import filters, rollups
from .extras import campaign_impact
from .figures import Scope, build_grid, city_row, district_rows, overview, type_rows
from .periods import INTERVALS, Window
from .rebuild import refresh_rollups, vacuum_rollups
from .series import METRICS, Series, timeseries
from .suppression import THRESHOLD, wilson

rollups.install()

__all__ = [
    "INTERVALS",
    "METRICS",
    "THRESHOLD",
    "Scope",
    "Series",
    "Window",
    "build_grid",
    "campaign_impact",
    "city_row",
    "district_rows",
    "filters",
    "overview",
    "refresh_rollups",
    "timeseries",
    "type_rows",
    "vacuum_rollups",
    "wilson",
]
