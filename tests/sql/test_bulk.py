"""COPY formatting of whole columns (sql.bulk.copy_columns) against the one-value rules."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection, text

from sql import bulk
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


def test_copy_columns_sends_the_rows_picked_in_their_order_chunk_by_chunk(
    db_conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "COPY_CHUNK_ROWS", 2)
    db_conn.execute(text("CREATE TEMP TABLE picked (name text, n bigint, geom geometry(Point, 4326))"))
    names = np.array(["Cụm loa 1", None, "a\tb", "Đài xã"], dtype=object)
    numbers = np.array([1, 2, None, 4], dtype=object)
    points = bulk.ewkb_points_hex(np.array([103.0, 103.5, 104.0, 104.5]), np.array([21.0, 21.5, 22.0, 22.5]), 4326)
    sent = bulk.copy_columns(db_conn, "picked", ["name", "n", "geom"], [names, numbers, points], np.array([3, 0, 2]))
    stored = db_conn.execute(text("SELECT name, n, ST_AsText(geom) FROM picked")).all()
    assert sent == 3
    assert [tuple(r) for r in stored] == [("Đài xã", 4, "POINT(104.5 22.5)"), ("Cụm loa 1", 1, "POINT(103 21)"),
                                          ("a\tb", None, "POINT(104 22)")]
