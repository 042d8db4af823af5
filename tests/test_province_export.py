"""Provincial export: only credited actions, small cells left out, signed, idempotent, resumable."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import Action, ActionStatus, EmissionFactor, Evidence, Role
from webapp.config import Config, ConfigError
from webapp.errors import Conflict, Invalid
from webapp.services import accounts, province

from .carbon import make_type

KEYS = province.Keys(b"p" * 32, b"s" * 32)
TODAY = dt.date(2026, 12, 6)
DAY = dt.date(2026, 11, 3)


def add_action(session, user, action_type, *, day=DAY, grams=100, status=ActionStatus.CREDITED, evidence=Evidence.SELF):
    factor = session.scalar(select(EmissionFactor).where(EmissionFactor.code == action_type.factor_code))
    at = dt.datetime(day.year, day.month, day.day, 4, tzinfo=dt.UTC)
    session.add(
        Action(
            user_id=user.id,
            action_type_id=action_type.id,
            factor_id=factor.id,
            district_id=user.district_id,
            quantity=Decimal(1),
            occurred_at=at,
            local_day=day,
            status=status,
            evidence=evidence,
            co2e_grams=grams,
            credits=grams,
        )
    )


@pytest.fixture
def month(session, make_user):
    """Twelve residents of Decheng on one day (a shown cell), three of Leling (a small cell), noise."""
    action_type = make_type(session)
    home = [make_user(Role.RESIDENT) for _ in range(12)]
    small = [make_user(Role.RESIDENT, district="371481") for _ in range(3)]
    for n, user in enumerate(home):
        add_action(session, user, action_type, grams=100 + n, evidence=Evidence.TRANSIT if n % 2 else Evidence.SELF)
    for user in small:
        add_action(session, user, action_type, grams=50)
    for status in (ActionStatus.PENDING, ActionStatus.REJECTED, ActionStatus.DUPLICATE):
        add_action(session, home[0], action_type, grams=9999, status=status)
    add_action(session, home[0], action_type, day=dt.date(2026, 12, 1), grams=7777)  # another month
    session.flush()
    return action_type, home, small


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_only_credited_actions_of_the_month_count_and_small_cells_are_left_out(session, month, tmp_path):
    action_type, home, _small = month
    result = province.export(session, "2026-11", KEYS, tmp_path, TODAY)
    manifest = json.loads((result.directory / "manifest.json").read_text())
    aggregate = read_jsonl(result.directory / "2026-11-aggregate-0001.jsonl")
    assert aggregate == [
        {
            "day": "2026-11-03",
            "district": "371402",
            "action_type": action_type.code,
            "actions": 12,
            "residents": 12,
            "co2e_grams": sum(100 + n for n in range(12)),
            "evidenced_co2e_grams": sum(100 + n for n in range(12) if n % 2),
        }
    ]
    assert manifest["suppressed_cells"] == 1
    residents = read_jsonl(result.directory / "2026-11-resident-0001.jsonl")
    assert len(residents) == 15
    assert sum(r["co2e_grams"] for r in residents) == sum(100 + n for n in range(12)) + 150
    assert province.pseudonym(KEYS.pseudonym, home[0].id) in {r["resident"] for r in residents}
    assert str(home[0].id) not in {r["resident"] for r in residents}


def test_manifest_sums_and_hashes_equal_the_batch_files_and_the_signature_verifies(session, month, tmp_path):
    directory = province.export(session, "2026-11", KEYS, tmp_path, TODAY).directory
    raw = (directory / "manifest.json").read_bytes()
    assert (directory / "manifest.sig").read_text().strip() == province.sign(KEYS.signing, raw)
    assert province.sign(b"x" * 32, raw) != province.sign(KEYS.signing, raw)
    for batch in json.loads(raw)["batches"]:
        content = (directory / batch["file"]).read_bytes()
        rows = read_jsonl(directory / batch["file"])
        assert hashlib.sha256(content).hexdigest() == batch["sha256"]
        assert len(rows) == batch["records"]
        assert sum(r["co2e_grams"] for r in rows) == batch["co2e_grams"]


def test_exporting_a_period_twice_gives_the_same_batches_and_bytes(session, month, tmp_path):
    first = province.export(session, "2026-11", KEYS, tmp_path, TODAY)
    before = {p.name: p.read_bytes() for p in first.directory.iterdir()}
    again = province.export(session, "2026-11", KEYS, tmp_path, TODAY)
    assert again.already and again.written == []
    assert {p.name: p.read_bytes() for p in again.directory.iterdir()} == before
    other = province.build(session, "2026-11", KEYS, TODAY)
    assert other[1] == before["manifest.json"]


def test_an_interrupted_export_resumes_and_ends_with_the_same_bytes(session, month, tmp_path, monkeypatch):
    clean = province.export(session, "2026-11", KEYS, tmp_path / "clean", TODAY)
    expected = {p.name: p.read_bytes() for p in clean.directory.iterdir()}
    real, calls = province._atomic_write, []

    def crash_after_one(path, content):
        if calls:
            raise OSError("disk went away")
        calls.append(path)
        real(path, content)

    monkeypatch.setattr(province, "_atomic_write", crash_after_one)
    with pytest.raises(OSError):
        province.export(session, "2026-11", KEYS, tmp_path / "run", TODAY)
    assert not (tmp_path / "run" / "2026-11" / "manifest.json").exists()
    monkeypatch.setattr(province, "_atomic_write", real)
    resumed = province.export(session, "2026-11", KEYS, tmp_path / "run", TODAY)
    assert "2026-11-aggregate-0001.jsonl" not in resumed.written  # kept from the interrupted run
    got = {p.name: p.read_bytes() for p in resumed.directory.iterdir() if not p.name.endswith(".partial")}
    assert got == expected


def test_data_changed_after_the_export_is_refused_not_delivered_twice(session, month, tmp_path, make_user):
    action_type, home, _small = month
    province.export(session, "2026-11", KEYS, tmp_path, TODAY)
    add_action(session, home[1], action_type, grams=5)
    session.flush()
    with pytest.raises(Conflict):
        province.export(session, "2026-11", KEYS, tmp_path, TODAY)


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "november", "", "2026-12", "2027-01"])
def test_a_bad_or_unfinished_period_is_refused_with_the_field(session, tmp_path, period):
    with pytest.raises(Invalid) as error:
        province.export(session, period, KEYS, tmp_path, TODAY)
    assert list(error.value.errors) == ["period"]
    assert not (tmp_path / period).exists() or not any((tmp_path / period).iterdir())


def test_cli_exits_non_zero_with_one_line_for_a_bad_period(app, tmp_path):
    app.config.update(PROVINCE_PSEUDONYM_KEY="p" * 32, PROVINCE_SIGNING_KEY="s" * 32)
    try:
        result = app.test_cli_runner().invoke(
            args=["province", "export", "--period", "2026-13", "--out", str(tmp_path)]
        )
    finally:
        app.config.update(PROVINCE_PSEUDONYM_KEY="", PROVINCE_SIGNING_KEY="")
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == ["Error: period: The period must be a month written YYYY-MM."]


def test_cli_refuses_to_export_without_the_city_keys(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["province", "export", "--period", "2026-11", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "PROVINCE_PSEUDONYM_KEY" in result.output


def test_district_of_the_small_cell_is_not_in_the_aggregates(session, month, tmp_path):
    directory = province.export(session, "2026-11", KEYS, tmp_path, TODAY).directory
    assert (
        accounts.district_by_code(session, "371481").code
        not in (directory / "2026-11-aggregate-0001.jsonl").read_text()
    )


def test_a_province_key_too_short_refuses_to_start():
    env = {"APP_ENV": "testing", "SECRET_KEY": "x" * 32, "PROVINCE_PSEUDONYM_KEY": "short"}
    with pytest.raises(ConfigError, match="PROVINCE_PSEUDONYM_KEY must be at least 32"):
        Config.from_env(env)
    assert Config.from_env({**env, "PROVINCE_PSEUDONYM_KEY": "k" * 32}).PROVINCE_PSEUDONYM_KEY == "k" * 32
