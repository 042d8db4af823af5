"""URL converters shared by every route."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

ROW_ID_MAX = 2**31 - 1  # PostgreSQL `integer`: a larger id cannot name a row


def _at_most(limit: str) -> str:
    """A regex of the decimal numbers from 0 to `limit` without leading zeros (the path either names
    a possible row or matches no route at all: 404 for every method, never a misleading 405)."""
    parts = [r"0", rf"[1-9]\d{{0,{len(limit) - 2}}}"]
    for i, digit in enumerate(limit):
        rest = len(limit) - i - 1
        low = "1" if i == 0 else "0"
        if digit > low:
            top = str(int(digit) - 1)
            parts.append(f"{limit[:i]}[{low}-{top}]" + (rf"\d{{{rest}}}" if rest else ""))
    parts.append(limit)
    return "(?:" + "|".join(parts) + ")"


class RowIdConverter(IntegerConverter):
    """`<int:...>` in a route: an id that fits the database's integer, else the route does not match (404)."""

    regex = _at_most(str(ROW_ID_MAX))

    def __init__(self, url_map, fixed_digits: int = 0, min: int = 0, max: int = ROW_ID_MAX, signed: bool = False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def install(app: Flask) -> None:
    """Before any route is added: `<int:...>` means a row id."""
    app.url_map.converters["int"] = RowIdConverter
