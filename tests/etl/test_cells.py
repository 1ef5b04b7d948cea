"""Cells as people type them: numbers with their unit, years with a word or Excel's text marker."""

from __future__ import annotations

from datetime import date

import pytest

from etl.validate import parse_amount, parse_count, parse_year


@pytest.mark.parametrize("cell,expected", [("2", 2), ("2,0", 2), ("2 loa", 2), ("3 cái", 3), ("4 chiếc", 4)])
def test_a_count_may_carry_its_unit(cell: str, expected: int) -> None:
    assert parse_count(cell) == expected


@pytest.mark.parametrize("cell,unit,expected", [
    ("30", "watts", 30.0), ("30W", "watts", 30.0), ("25,5 W", "watts", 25.5), ("50 oát", "watts", 50.0),
    ("500m", "metres", 500.0), ("500 mét", "metres", 500.0), ("0,5 km", "metres", 500.0),
])
def test_an_amount_may_carry_its_unit(cell: str, unit: str, expected: float) -> None:
    assert parse_amount(cell, unit) == expected


@pytest.mark.parametrize("cell,unit", [("hai", "count"), ("30 kg", "watts"), ("2 loa 3", "count"),
                                       ("-2 loa", "count"), ("500 W", "metres")])
def test_a_wrong_word_or_a_negative_number_is_still_refused(cell: str, unit: str) -> None:
    with pytest.raises(ValueError, match="not a number|negative"):
        parse_count(cell) if unit == "count" else parse_amount(cell, unit)


@pytest.mark.parametrize("cell", ["2019", "'2019", "năm 2019", "Năm 2019", "12/05/2019", "2019-05-12 00:00:00"])
def test_a_year_written_many_ways(cell: str) -> None:
    assert parse_year(cell, today=date(2026, 11, 27)) == 2019


@pytest.mark.parametrize("cell,reason", [("khoảng 2015", "not a year"), ("2015-2016", "not a year"),
                                         ("năm 2030", "future"), ("1930", "before 1945")])
def test_a_year_that_is_not_one_is_refused(cell: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_year(cell, today=date(2026, 11, 27))
