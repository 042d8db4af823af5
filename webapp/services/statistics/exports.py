"""CSV exports of the officials' tables: the same cells as the API, "<10" where a cell is hidden."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.orm import Session

from models import District

from .figures import build_grid, city_row, district_rows, type_rows
from .periods import Window

HIDDEN = "<10"
DISTRICT_COLUMNS = [
    "district_code",
    "district_name",
    "residents",
    "active_residents",
    "active_residents_7d",
    "participants",
    "actions_total",
    "co2e_grams",
    "credits_issued",
    "credits_redeemed",
    "credits_outstanding",
    "waste_kg_total",
    "n_trips",
    "green_travel_share",
    "ci_low",
    "ci_high",
]
SHARE_COLUMNS = {"n_trips": "n_trips", "green_travel_share": "value", "ci_low": "ci_low", "ci_high": "ci_high"}
TYPE_COLUMNS = ["type_code", "type_name", "family", "unit", "actions", "co2e_grams", "quantity"]
CITY_CODE = "all"


def cell(value: Any, hidden: bool) -> Any:
    if hidden:
        return HIDDEN
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula in a spreadsheet
    return "" if value is None else value


def district_line(row: dict[str, Any], code: str, name: str) -> list[Any]:
    line: list[Any] = [code, cell(name, False)]
    share = row["green_travel_share"]
    for column in DISTRICT_COLUMNS[2:]:
        if column in SHARE_COLUMNS:
            line.append(cell(share[SHARE_COLUMNS[column]], share["suppressed"]))
        else:
            line.append(cell(row[column], row["suppressed"].get(column, False)))
    return line


def district_table(
    session: Session, window: Window, name_of: Callable[[District], str], city_name: str
) -> tuple[list[str], list[list[Any]]]:
    """One line a district, then the whole city (what GET /stats/districts and /overview return)."""
    g = build_grid(session, window)
    lines = [district_line(r, r["district"].code, name_of(r["district"])) for r in district_rows(session, window, g=g)]
    lines.append(district_line(city_row(session, g), CITY_CODE, city_name))
    return DISTRICT_COLUMNS, lines


def type_table(
    session: Session, window: Window, district: District | None, name_of: Callable[[Any], str]
) -> tuple[list[str], list[list[Any]]]:
    g = build_grid(session, window)
    lines = [
        [
            r["type"].code,
            cell(name_of(r["type"]), False),
            str(r["type"].family),
            r["type"].unit,
            cell(r["actions"], r["suppressed"]),
            cell(r["co2e_grams"], r["suppressed"]),
            cell(r["quantity"], r["suppressed"]),
        ]
        for r in type_rows(g, district.id if district else 0)
    ]
    return TYPE_COLUMNS, lines


def series_table(points: Iterable[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    header = ["period", "period_end", "value"]
    lines = []
    for p in points:
        line = [p["period"].isoformat(), p["period_end"].isoformat(), cell(p["value"], p["suppressed"])]
        if "n_trips" in p:
            line += [
                cell(p["n_trips"], p["suppressed"]),
                cell(p["ci_low"], p["suppressed"]),
                cell(p["ci_high"], p["suppressed"]),
            ]
        lines.append(line)
    if lines and len(lines[0]) > 3:
        header += ["n_trips", "ci_low", "ci_high"]
    return header, lines


def to_csv(header: list[str], lines: Iterable[list[Any]]) -> str:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese names right."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(lines)
    return out.getvalue()


CAMPAIGN_COLUMNS = [
    "campaign_id",
    "campaign_name",
    "district_code",
    "district_name",
    "from",
    "to",
    "before_from",
    "before_to",
    "actions_per_day",
    "co2e_grams_per_day",
    "actions_per_day_before",
    "co2e_grams_per_day_before",
    "change",
]


def campaign_table(
    impacts: list[dict[str, Any]], name_of: Callable[[Any], str], city_name: str
) -> tuple[list[str], list[list[Any]]]:
    lines = []
    for impact in impacts:
        campaign = impact["campaign"]
        for row in impact["rows"]:
            district = row["district"]
            hidden = row["suppressed"]
            during, before = row["during"] or {}, row["before"] or {}
            lines.append(
                [
                    campaign.id,
                    cell(name_of(campaign), False),
                    district.code if district else CITY_CODE,
                    cell(name_of(district), False) if district else city_name,
                    impact["during"].first.isoformat(),
                    impact["during"].last.isoformat(),
                    impact["before"].first.isoformat(),
                    impact["before"].last.isoformat(),
                    cell(during.get("actions_per_day"), hidden and not during),
                    cell(during.get("co2e_grams_per_day"), hidden and not during),
                    cell(before.get("actions_per_day"), hidden and not before),
                    cell(before.get("co2e_grams_per_day"), hidden and not before),
                    cell(row["change"], hidden),
                ]
            )
    return CAMPAIGN_COLUMNS, lines
