"""The provincial export (docs/province_export.md): one month of verified reductions as signed batches.

What counts: actions with status `credited` (evidence-verified by a partner or merchant, or a
self-report accepted within its caps or approved on review); pending, rejected and duplicate never.
Aggregate cells (day x district x action type) from 1 to 9 residents are left out (DESIGN invariant 7).
Residents appear only by pseudonym, HMAC-SHA256(PROVINCE_PSEUDONYM_KEY, user id). The bytes are a
function of the data alone (sorted rows, no timestamps), and a period once exported is frozen by its
manifest, so exporting it again yields the same batch ids and bytes; an interrupted export resumes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Action, ActionStatus, ActionType, District, Evidence

from ..errors import Conflict, Invalid
from ..messages import N_
from .city import city_zone, current_city
from .statistics.suppression import THRESHOLD

FORMAT = "dezhou-province-export/1"
BATCH_ROWS = 5000
PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Keys:
    pseudonym: bytes
    signing: bytes


def parse_period(raw: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """A finished calendar month "YYYY-MM" -> (first day, first day of the next month)."""
    match = PERIOD.fullmatch(raw or "")
    if match is None:
        raise Invalid.field("period", N_("The period must be a month written YYYY-MM."))
    year, month = int(match[1]), int(match[2])
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    if end > today:
        raise Invalid.field("period", N_("Only a month that has ended can be exported."))
    return start, end


def pseudonym(key: bytes, user_id: int) -> str:
    return hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()


def sign(key: bytes, manifest: bytes) -> str:
    """HMAC-SHA256 of the manifest's exact bytes, hex; the province verifies with the same city key."""
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def _counted(start: dt.date, end: dt.date):
    return (Action.status == ActionStatus.CREDITED, Action.local_day >= start, Action.local_day < end)


def aggregate_rows(session: Session, start: dt.date, end: dt.date) -> tuple[list[dict], int]:
    """CO2e by day, district and action type; cells under the threshold of residents left out."""
    rows = session.execute(
        select(
            Action.local_day,
            District.code,
            ActionType.code,
            func.count(Action.id),
            func.count(func.distinct(Action.user_id)),
            func.sum(Action.co2e_grams),
            func.sum(Action.co2e_grams).filter(Action.evidence != Evidence.SELF),
        )
        .join(ActionType, ActionType.id == Action.action_type_id)
        .outerjoin(District, District.id == Action.district_id)
        .where(*_counted(start, end))
        .group_by(Action.local_day, District.code, ActionType.code)
    ).all()
    shown, suppressed = [], 0
    for day, district, action_type, actions, residents, co2e, verified in rows:
        if residents < THRESHOLD:
            suppressed += 1
            continue
        shown.append(
            {
                "day": day.isoformat(),
                "district": district or "",
                "action_type": action_type,
                "actions": int(actions),
                "residents": int(residents),
                "co2e_grams": int(co2e or 0),
                "evidenced_co2e_grams": int(verified or 0),
            }
        )
    shown.sort(key=lambda r: (r["day"], r["district"], r["action_type"]))
    return shown, suppressed


def resident_rows(session: Session, start: dt.date, end: dt.date, key: bytes) -> list[dict]:
    """Per pseudonymous resident: the month's counted actions and CO2e."""
    rows = session.execute(
        select(Action.user_id, func.count(Action.id), func.sum(Action.co2e_grams))
        .where(*_counted(start, end))
        .group_by(Action.user_id)
    ).all()
    out = [
        {"resident": pseudonym(key, user_id), "actions": int(n), "co2e_grams": int(co2e or 0)}
        for user_id, n, co2e in rows
    ]
    return sorted(out, key=lambda r: r["resident"])


def _lines(rows: list[dict]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode() + b"\n" for r in rows)


def build(session: Session, period: str, keys: Keys, today: dt.date) -> tuple[dict[str, bytes], bytes]:
    """The batch files (name -> bytes) and the manifest's bytes of a period, from the data."""
    start, end = parse_period(period, today)
    aggregates, suppressed = aggregate_rows(session, start, end)
    files: dict[str, bytes] = {}
    entries = []
    for kind, rows in (("aggregate", aggregates), ("resident", resident_rows(session, start, end, keys.pseudonym))):
        for n, first in enumerate(range(0, max(len(rows), 1), BATCH_ROWS), start=1):
            chunk = rows[first : first + BATCH_ROWS]
            batch_id = f"{period}-{kind}-{n:04d}"
            content = _lines(chunk)
            files[f"{batch_id}.jsonl"] = content
            entries.append(
                {
                    "id": batch_id,
                    "file": f"{batch_id}.jsonl",
                    "kind": kind,
                    "records": len(chunk),
                    "co2e_grams": sum(r["co2e_grams"] for r in chunk),
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
            )
    manifest = {
        "format": FORMAT,
        "city": current_city(session).code,
        "period": period,
        "time_zone": str(city_zone(session)),
        "counted": "status=credited",
        "suppression_threshold": THRESHOLD,
        "suppressed_cells": suppressed,
        "batches": entries,
    }
    return files, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode() + b"\n"


@dataclass(frozen=True)
class Result:
    directory: Path
    written: list[str]
    already: bool


def export(session: Session, period: str, keys: Keys, out: Path, today: dt.date) -> Result:
    """Write the period's batches, then the manifest and its signature last; a re-run writes what is missing.

    A manifest on disk freezes the period: the batches are checked against its sha256 and only missing
    ones rewritten; data changed since then is a Conflict, never a second, different delivery.
    """
    files, manifest = build(session, period, keys, today)
    directory = out / period
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / "manifest.json"
    frozen = manifest_path.exists()
    if frozen and manifest_path.read_bytes() != manifest:
        raise Conflict(N_("The data of this period changed after it was exported."))
    written = [name for name, content in files.items() if _write_if_different(directory / name, content)]
    if not frozen:
        _atomic_write(manifest_path.with_suffix(".sig"), (sign(keys.signing, manifest) + "\n").encode())
        _atomic_write(manifest_path, manifest)
        written += ["manifest.sig", "manifest.json"]
    return Result(directory, written, already=frozen and not written)


def _write_if_different(path: Path, content: bytes) -> bool:
    if path.exists() and path.read_bytes() == content:
        return False  # written by an earlier, interrupted run
    _atomic_write(path, content)
    return True


def _atomic_write(path: Path, content: bytes) -> None:
    """Never a half-written batch: write aside, then rename (atomic on one file system)."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    partial.replace(path)
