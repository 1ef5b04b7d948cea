"""Binary COPY (sql.copy_binary): every column type phusong sends that way arrives as sent."""

from __future__ import annotations

import json
from datetime import date

import pytest
import shapely
from sqlalchemy import Connection, text

from sql.copy_binary import copy_binary_rows

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
