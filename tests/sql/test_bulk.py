"""COPY formatting of whole columns (sql.bulk.copy_columns) against the one-value rules."""

from __future__ import annotations

import math
from typing import Any

import pytest

from sql.bulk import _text_column, copy_text_value

COLUMNS: list[list[Any]] = [
    ["Cụm loa", "a\tb", "c\\d", "e\nf", "g\rh", ""],
    ["Cụm loa", None, "x", None, "y", ""],
    ["a\\N", None, "b", "c", "d", "e"],
    [1, 2, 3, 4, 5, 6],
    [1, None, 3, None, 5, 6],
    [103.0512, 21.5, 0.1, -0.0, 1e-7, 2.0],
    [103.0512, None, math.nan, math.inf, 1.0, 2.0],
    [True, False, True, True, False, False],
    [True, None, False, True, False, False],
    ["{}", '{"k": "v \\"q\\""}', "{}", "{}", "{}", "{}"],
]


@pytest.mark.parametrize("values", COLUMNS)
def test_a_column_is_formatted_as_each_value_would_be(values: list[Any]) -> None:
    assert _text_column(values) == [copy_text_value(v) for v in values]
