"""COPY formatting of whole columns (sql.bulk.copy_columns) against the one-value rules."""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Connection, text

from sql import bulk
from sql.bulk import _copy_text_column, _text_column, copy_text_value

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


def _same_number(sent: str, expected: str) -> bool:
    return sent == expected if "\\N" in (sent, expected) else float(sent) == float(expected)


@pytest.mark.parametrize("values", [*COLUMNS, ["a", 1, None, 2.5], [1, True, None, 0], [2**70, 1, None, 3]])
def test_arrow_formats_a_column_as_each_value_would_be(values: list[Any]) -> None:
    """The column formatted at once by arrow says what copy_text_value says of each value; a float may be
    written shorter ("30" for "30.0"), never as another number; a column arrow cannot type goes value by value."""
    sent = _copy_text_column(np.array(values, dtype=object)).to_pylist()
    expected = [copy_text_value(v) for v in values]
    if any(isinstance(v, float) for v in values) and all(isinstance(v, float | None) for v in values):
        assert all(map(_same_number, sent, expected)), (sent, expected)
    else:
        assert sent == expected


def test_arrow_formats_numpy_columns_as_each_value_would_be() -> None:
    floats = np.array([103.0512, np.nan, 21.5, -0.5e3])
    assert _copy_text_column(floats).to_pylist() == ["103.0512", "\\N", "21.5", "-500"]
    assert _copy_text_column(np.array([3, -1], dtype=np.int64)).to_pylist() == ["3", "-1"]
    assert _copy_text_column(np.array([True, False])).to_pylist() == ["t", "f"]
    assert _copy_text_column(np.array([b"0101", b"00ff"], dtype="S4")).to_pylist() == ["0101", "00ff"]
    assert _copy_text_column(np.array(["a\tb", "c"])).to_pylist() == ["a\\tb", "c"]
    assert _copy_text_column(np.array([None, None], dtype=object)).to_pylist() == ["\\N", "\\N"]


def test_copy_columns_stores_what_copy_rows_stores(db_conn: Connection) -> None:
    """The same values sent a column at a time (arrow) and a row at a time (copy_text_value of each value)
    are the same rows in the table, to the bit: text with tabs, backslashes, line breaks and "\\N", NULLs, NaN,
    infinities, negative zero, big and tiny floats, booleans, JSON, hex EWKB points and a column of mixed kinds."""
    db_conn.execute(text("CREATE TEMP TABLE sent_by (ord int, t text, i bigint, f double precision, b boolean, "
                         "j jsonb, g geometry(Point, 4326), m text)"))
    db_conn.execute(text("CREATE TEMP TABLE sent_by_rows (LIKE sent_by)"))
    n = 7
    columns = {
        "ord": np.arange(n),
        "t": np.array(["Cụm loa", "a\tb", "c\\d", "e\nf", "g\rh", None, "\\N"], dtype=object),
        "i": np.array([1, None, -3, 2**40, 0, 7, None], dtype=object),
        "f": np.array([103.0512, math.nan, math.inf, -0.0, 1e-300, 1.7976931348623157e308, 0.1 + 0.2]),
        "b": np.array([True, False, None, True, False, True, None], dtype=object),
        "j": np.array(["{}", '{"k": "v \\"q\\"\\t"}', "[]", "{}", None, "{}", "{}"], dtype=object),
        "g": bulk.ewkb_points_hex(np.linspace(102.1, 109.5, n), np.linspace(8.5, 23.4, n), 4326),
        "m": np.array(["x", 1, None, 2.5, True, "y\tz", -0.0], dtype=object),
    }
    sent = bulk.copy_columns(db_conn, "sent_by", list(columns), list(columns.values()), np.arange(n)[::-1])
    rows = zip(*(c.astype(str).tolist() if c.dtype.kind == "S" else c.tolist() for c in columns.values()),
               strict=True)
    one_by_one = "".join("\t".join(map(copy_text_value, row)) + "\n" for row in rows)  # the rule, value by value
    bulk.copy_stream(db_conn, "sent_by_rows", list(columns), io.StringIO(one_by_one), copy_format="text")
    query = "SELECT ord, t, i, float8send(f), b, j, ST_AsEWKB(g), m FROM {} ORDER BY ord"
    by_columns = db_conn.execute(text(query.format("sent_by"))).all()
    by_rows = db_conn.execute(text(query.format("sent_by_rows"))).all()
    assert sent == n
    assert [tuple(r) for r in by_columns] == [tuple(r) for r in by_rows]
    assert [r[1] for r in by_columns[4:]] == ["g\rh", None, "\\N"]
