"""Binary COPY (sql.copy_binary): every column type phusong sends that way arrives as sent."""

from __future__ import annotations

import json
import math
import struct
from datetime import date

import numpy as np
import pytest
import shapely
from sqlalchemy import Connection, text

from sql.copy_binary import binary_copy_data, copy_binary_rows

COLUMNS = ("t", "i8", "i4", "f8", "b", "d", "j", "g")
SQUARE = shapely.MultiPolygon([shapely.box(105.0, 21.0, 105.01, 21.01)])
SQUARE_EWKB = shapely.to_wkb(shapely.set_srid(SQUARE, 4326), include_srid=True)


@pytest.fixture()
def table(db_conn: Connection) -> str:
    db_conn.execute(
        text(
            "CREATE TEMP TABLE binary_copy_probe (t text, i8 bigint, i4 integer, f8 double precision, b boolean,"
            " d date, j jsonb, g geometry(MultiPolygon, 4326))"
        )
    )
    return "binary_copy_probe"


@pytest.mark.db
def test_values_of_each_type_round_trip(db_conn: Connection, table: str) -> None:
    params = json.dumps({"rule": "NTM 2021–2025", "k": [1, 2.5]}, ensure_ascii=False)
    rows = [
        ("Xã Mường Nhé\t\\N", 2**40, -7, 0.1 + 0.2, True, date(2026, 11, 27), params, SQUARE_EWKB),
        (None, None, None, float("nan"), None, None, None, None),
        ("", 0, 0, -0.0, False, date(1999, 12, 31), {"a": "ư"}, None),
    ]
    assert copy_binary_rows(db_conn, table, COLUMNS, rows) == 3
    got = db_conn.execute(
        text(f"SELECT t, i8, i4, f8, b, d, j, ST_AsEWKB(g) AS g FROM {table} ORDER BY i4 NULLS LAST")  # noqa: S608
    ).all()
    assert got[0][:7] == ("Xã Mường Nhé\t\\N", 2**40, -7, 0.1 + 0.2, True, date(2026, 11, 27), json.loads(params))
    assert shapely.from_wkb(bytes(got[0].g)).equals_exact(SQUARE, 0)
    assert got[1] == ("", 0, 0, -0.0, False, date(1999, 12, 31), {"a": "ư"}, None)
    assert got[2] == (None, None, None, None, None, None, None, None)


@pytest.mark.db
def test_a_value_without_a_binary_form_is_refused_with_its_own_error(db_conn: Connection, table: str) -> None:
    rows = [("a", SQUARE_EWKB)] * 30_000 + [("b", "POLYGON EMPTY")]  # after megabytes were sent
    with pytest.raises(TypeError, match="as bytes"):
        copy_binary_rows(db_conn, table, ("t", "g"), rows)


@pytest.mark.db
def test_an_unknown_column_is_named(db_conn: Connection, table: str) -> None:
    with pytest.raises(KeyError, match="'nope'"):
        copy_binary_rows(db_conn, table, ("t", "nope"), [("a", 1)])


# The encoder of sql.copy_binary before it went column by column (a value at a time, PostgreSQL's *_send
# forms): the column-wise data must be these bytes exactly.
def _reference_field(type_name: str, value: object) -> bytes:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return struct.pack(">i", -1)
    if isinstance(value, bytes):
        return struct.pack(">i", len(value)) + value
    if type_name in ("text", "jsonb"):
        text_value = value if isinstance(value, str) or type_name == "text" else json.dumps(value, ensure_ascii=False)
        data = (b"\x01" if type_name == "jsonb" else b"") + str(text_value).encode("utf-8")
        return struct.pack(">i", len(data)) + data
    packers = {
        "int8": lambda v: struct.pack(">iq", 8, int(v)),
        "int4": lambda v: struct.pack(">ii", 4, int(v)),
        "float8": lambda v: struct.pack(">id", 8, float(v)),
        "bool": lambda v: struct.pack(">ib", 1, bool(v)),
        "date": lambda v: struct.pack(">ii", 4, v.toordinal() - date(2000, 1, 1).toordinal()),
    }
    return packers[type_name](value)


def _reference_data(types: list[str], rows: list[tuple[object, ...]]) -> bytes:
    out = [b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)]
    for row in rows:
        out.append(struct.pack(">h", len(types)))
        out.extend(_reference_field(t, v) for t, v in zip(types, row, strict=True))
    return b"".join(out + [struct.pack(">h", -1)])


TYPES = ["text", "int8", "int4", "float8", "bool", "date", "jsonb", "geometry"]


def _mixed_rows(n: int) -> list[tuple[object, ...]]:
    """Rows of every type with NULLs (None, NaN), repeats, extremes, non-ASCII text, numpy and Python values."""
    rng = np.random.default_rng(7)
    words = ["Xã Mường Nhé\t\\N", "", "A", "thôn 3", "ư" * 300]
    rows = []
    for i in range(n):
        null = rng.random(8) < 0.15
        row = (
            words[i % len(words)] if i % 7 else i,  # text: strings, and an int sent as its text
            [2**63 - 1, -(2**63), 0, np.int64(i)][i % 4],
            [2**31 - 1, -(2**31), i, np.int32(-i)][i % 4],
            [0.1 + 0.2, -0.0, float("inf"), 1e-300, np.float64(i) / 3][i % 5],
            [True, False, np.bool_(True)][i % 3],
            [date(2026, 11, 27), date(1999, 12, 31), date(1, 1, 1), date(9999, 12, 31)][i % 4],
            [{"a": "ư", "k": [1, 2.5]}, '{"rule": "NTM"}', {}][i % 3],
            SQUARE_EWKB if i % 2 else bytes(range(256)) * (i % 5),
        )
        rows.append(tuple(None if null[j] and j != 3 else v for j, v in enumerate(row)))
        if null[3]:
            rows[-1] = (*rows[-1][:3], float("nan"), *rows[-1][4:])
    return rows


def test_column_data_is_the_row_encoders_bytes_for_every_type() -> None:
    rows = _mixed_rows(500)
    as_objects = [np.array([*[r[j] for r in rows], None], dtype=object)[:-1] for j in range(len(TYPES))]
    assert binary_copy_data(TYPES, as_objects) == _reference_data(TYPES, rows)


def test_numpy_columns_give_the_same_bytes_as_their_python_values() -> None:
    floats = np.array([0.5, np.nan, -0.0, 1e308, np.inf])
    ints = np.array([5, -1, 0, 2**40, 7], dtype=np.int64)
    bools = np.array([True, False, True, True, False])
    days = np.array(["2026-11-27", "NaT", "2000-01-01", "1999-12-31", "2100-02-28"], dtype="datetime64[D]")
    types = ["float8", "int8", "int4", "bool", "date", "float8"]
    columns = [floats, ints, (ints // 1024).astype(np.int32), bools, days, ints.astype(float)]
    rows = [
        (
            float(floats[i]),
            int(ints[i]),
            int(ints[i] // 1024),
            bool(bools[i]),
            None if np.isnat(days[i]) else days[i].item(),
            float(ints[i]),
        )
        for i in range(5)
    ]
    assert binary_copy_data(types, columns) == _reference_data(types, rows)


def test_an_integer_too_big_for_its_column_is_refused() -> None:
    with pytest.raises(struct.error):
        binary_copy_data(["int4"], [np.array([2**31])])
    with pytest.raises(struct.error):
        binary_copy_data(["int8"], [[2**63]])
