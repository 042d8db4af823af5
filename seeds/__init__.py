"""Seed data shipped with the package: city profiles, methodology, demo data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SEEDS_DIR = Path(__file__).resolve().parent
PROFILES_DIR = SEEDS_DIR / "profiles"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILES_DIR.glob("*.json"))


def load_profile(name: str) -> dict[str, Any]:
    path = PROFILES_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no city profile named {name!r} in {PROFILES_DIR}")
    return json.loads(path.read_text(encoding="utf-8"))
