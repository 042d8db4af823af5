"""Levels from lifetime CO2e avoided (never from credits); thresholds in seeds/gamification/levels.csv.

The resident's tree grows one stage per level, so the tree and the level always agree.
"""

from __future__ import annotations

import csv
import functools
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from seeds import SEEDS_DIR

DEFAULT_DIR = SEEDS_DIR / "gamification"


@dataclass(frozen=True)
class Level:
    code: str
    number: int
    min_grams: int
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Progress:
    level: Level
    next: Level | None
    co2e_grams: int
    fraction: float  # 0..1 of the way from this level's threshold to the next one
    to_next_grams: int


@functools.cache
def catalogue(directory: Path = DEFAULT_DIR) -> tuple[Level, ...]:
    """The levels, lowest first; the first starts at 0 g and thresholds strictly increase."""
    with (directory / "levels.csv").open(encoding="utf-8") as fh:
        rows = [
            Level(r["code"], int(r["number"]), int(r["min_grams"]), r["name_zh"], r["name_en"])
            for r in csv.DictReader(fh)
        ]
    rows.sort(key=lambda level: level.min_grams)
    if not rows or rows[0].min_grams != 0:
        raise ValueError("levels.csv: the first level must start at 0 g")
    if any(a.min_grams >= b.min_grams for a, b in itertools.pairwise(rows)):
        raise ValueError("levels.csv: thresholds must strictly increase")
    return tuple(rows)


def progress_for(co2e_grams: int) -> Progress:
    levels = catalogue()
    grams = max(0, int(co2e_grams))
    index = max(i for i, level in enumerate(levels) if level.min_grams <= grams)
    level = levels[index]
    nxt = levels[index + 1] if index + 1 < len(levels) else None
    if nxt is None:
        return Progress(level, None, grams, 1.0, 0)
    span = nxt.min_grams - level.min_grams
    return Progress(level, nxt, grams, (grams - level.min_grams) / span, nxt.min_grams - grams)


class Named(Protocol):
    name_zh: str
    name_en: str


def name(obj: Named, language: str | None) -> str:
    """`name_en` for English, else `name_zh` (Chinese is the default language)."""
    return obj.name_en if language == "en" else obj.name_zh


def as_dict(progress: Progress, language: str | None = None) -> dict:
    """The `level` object of GET /account."""
    level, nxt = progress.level, progress.next
    return {
        "code": level.code,
        "number": level.number,
        "name": name(level, language),
        "min_grams": level.min_grams,
        "co2e_grams": progress.co2e_grams,
        "progress": round(progress.fraction, 4),
        "to_next_grams": progress.to_next_grams,
        "next": None if nxt is None else {"code": nxt.code, "name": name(nxt, language), "min_grams": nxt.min_grams},
        "max_level": len(catalogue()),
    }
