"""Small cells (< 10 residents) are hidden, and so is whatever would let a reader subtract them back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from models import District
from webapp.services import projector, statistics
from webapp.services.statistics import Scope, Series, Window, wilson
from webapp.services.statistics.suppression import suppress

from .test_statistics_data import log, shanghai

DAY = dt.date(2026, 5, 12)
NOW = shanghai(2026, 5, 12, 20, 0)


def residents_logging(session, make_user, district: str, n: int, code: str = "bus", *, hour: int = 9):
    for _ in range(n):
        log(session, make_user(district=district), code, 5, shanghai(2026, 5, 12, hour, 0), NOW)
    projector.fold_all(session)


def districts(session) -> dict[str, District]:
    return {d.code: d for d in session.scalars(select(District))}


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (7, 10, 0.3968, 0.8922),  # Wilson 1927 score interval, as tabulated by Newcombe (1998)
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Stat Med 17:857, example (a), method 3
    ],
)
def test_wilson_interval_matches_published_values(k, n, low, high):
    got = wilson(k, n)
    assert got == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_of_no_trips_is_none():
    assert wilson(0, 0) is None


def test_a_district_with_few_residents_is_hidden_and_so_is_the_next_smallest(session, make_user):
    residents_logging(session, make_user, "371402", 15)
    residents_logging(session, make_user, "371403", 12)
    residents_logging(session, make_user, "371422", 3)
    rows = {r["district"].code: r for r in statistics.district_rows(session, Window(DAY, DAY))}
    assert rows["371402"]["co2e_grams"] > 0 and rows["371402"]["suppressed"] == {}
    assert rows["371422"]["co2e_grams"] is None and rows["371422"]["suppressed"]["co2e_grams"] is True
    # The city total is shown: without hiding a second district, city - others = the 3 residents.
    assert rows["371403"]["co2e_grams"] is None and rows["371403"]["suppressed"]["participants"] is True
    assert rows["371423"]["co2e_grams"] == 0 and rows["371423"]["suppressed"] == {}  # empty: names nobody
    city = statistics.overview(session, Scope(Window(DAY, DAY)))
    assert city["participants"] == 30 and city["suppressed"] == {}
    shown = sum(r["participants"] or 0 for r in rows.values())
    assert city["participants"] - shown == 15  # what can be subtracted covers 15 residents, not 3


def test_the_overview_of_a_small_district_shows_nothing_personal(session, make_user):
    residents_logging(session, make_user, "371402", 20)
    residents_logging(session, make_user, "371422", 4, "waste_paper")
    small = districts(session)["371422"]
    got = statistics.overview(session, Scope(Window(DAY, DAY), small))
    assert got["participants"] is None and got["co2e_grams"] is None
    assert got["actions"]["waste_paper"] is None and got["waste_kg"]["waste_paper"] is None
    assert got["suppressed"]["actions.waste_paper"] is True


def test_a_few_car_drivers_hide_the_green_share_and_everything_it_could_be_rebuilt_from(session, make_user):
    residents_logging(session, make_user, "371402", 15)
    residents_logging(session, make_user, "371402", 2, "car", hour=18)
    decheng = districts(session)["371402"]
    got = statistics.overview(session, Scope(Window(DAY, DAY), decheng))
    assert got["actions"]["car"] is None
    assert got["green_travel_share"]["suppressed"] is True and got["green_travel_share"]["value"] is None
    assert got["actions"]["bus"] is None  # trips - bus = car trips otherwise
    assert got["participants"] == 17 and got["co2e_grams"] is not None


def test_a_hidden_day_is_never_the_only_hidden_day_of_a_shown_total(session, make_user):
    for day, n in ((12, 14), (13, 3), (14, 11), (15, 12)):
        for _ in range(n):
            log(session, make_user(), "bus", 5, shanghai(2026, 5, day, 9, 0), shanghai(2026, 5, day, 20, 0))
    projector.fold_all(session)
    window = Window(dt.date(2026, 5, 12), dt.date(2026, 5, 15))
    points = statistics.timeseries(session, Series("actions", "day", window))
    hidden = [p["period"].day for p in points if p["suppressed"]]
    assert 13 in hidden and len(hidden) >= 2
    total = statistics.overview(session, Scope(window))["actions_total"]
    assert total == 40
    assert total - sum(p["value"] or 0 for p in points) >= 10


def test_complementary_rule_hides_a_total_whose_parts_are_all_shown():
    residents = {"total": 30, "a": 12, "b": 18}
    assert suppress(residents, [("total", ["a", "b"])], lambda parts: 99, fixed={"total": True}) >= {"total", "a"}


def test_two_small_hidden_cells_of_the_same_few_residents_are_not_enough(session):
    residents = {"total": 40, "a": 6, "b": 6, "c": 28}
    relations = [("total", ["a", "b", "c"])]
    # a and b are the same six people: together still six, so c must go too.
    assert suppress(residents, relations, lambda parts: 6 if set(parts) == {"a", "b"} else 34) == {"a", "b", "c"}
    assert suppress(residents, relations, lambda parts: 12) == {"a", "b"}
