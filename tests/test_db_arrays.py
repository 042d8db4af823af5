"""`webapp.db.pg_array`: a list sent as one array text reads back on PostgreSQL as the same list, for
every element type the fold sends (ids, district keys and codes, days, times, amounts, flags, NULL),
whatever the strings hold; `among` selects exactly the listed rows on both databases."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Numeric, Text, select

from models import District
from webapp.db import among, array_parameter, pg_array

from .conftest import is_postgres

on_postgres = pytest.mark.skipif(not is_postgres(), reason="array parameters are PostgreSQL's")
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


class Colour(enum.StrEnum):
    GREEN = "green"
    QUOTED = 'say "hi"'


def read_back(session, values, element_type):
    return session.scalar(select(array_parameter("p", element_type)), {"p": pg_array(values)})


@on_postgres
@QUICK
@given(values=st.lists(TEXT, max_size=30))
def test_strings_of_any_content_read_back_unchanged(session, values):
    assert read_back(session, values, Text()) == values


@on_postgres
@QUICK
@given(values=st.lists(st.one_of(st.none(), TEXT), max_size=30))
def test_strings_with_nulls_read_back_unchanged(session, values):
    assert read_back(session, values, Text()) == values


@on_postgres
@QUICK
@given(values=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=50))
def test_integers_read_back_unchanged(session, values):
    assert read_back(session, values, BigInteger()) == values


@on_postgres
@QUICK
@given(values=st.lists(st.dates(), max_size=30))
def test_days_read_back_unchanged(session, values):
    assert read_back(session, values, Date()) == values


@on_postgres
def test_times_amounts_flags_and_enums_read_back_unchanged(session):
    moments = [dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, 23, 59, 59, 5, tzinfo=dt.UTC)]
    assert read_back(session, moments, DateTime(timezone=True)) == moments
    assert read_back(session, [Decimal("1.25"), Decimal("-0.001"), None], Numeric()) == [
        Decimal("1.25"),
        Decimal("-0.001"),
        None,
    ]
    assert read_back(session, [True, False, None], Boolean()) == [True, False, None]
    assert read_back(session, [Colour.GREEN, Colour.QUOTED], Text()) == ["green", 'say "hi"']
    assert read_back(session, [], BigInteger()) == []


def test_an_element_without_array_text_is_refused():
    with pytest.raises(TypeError):
        pg_array([object()])


def test_among_selects_exactly_the_listed_rows(session):
    ids = session.scalars(select(District.id).order_by(District.id)).all()
    assert len(ids) >= 3
    chosen = [*ids[::2], max(ids) + 1000]
    found = session.scalars(select(District.id).where(among(session, District.id, chosen))).all()
    assert sorted(found) == ids[::2]
    codes = session.scalars(select(District.code).where(among(session, District.code, ["371402", '"x,y"']))).all()
    assert codes == ["371402"]
