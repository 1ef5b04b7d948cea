"""Query results through COPY TO STDOUT (sql.copy_out): bind parameters, NULLs, quoting; the binary format's
values against a row fetch's."""

from __future__ import annotations

import struct

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from sql.copy_out import copy_query_binary, copy_query_csv


@pytest.mark.db
def test_bound_values_arrive_as_values_never_as_sql(db_conn: Connection) -> None:
    query = text(
        "SELECT v AS value, CAST(:none AS text) AS nothing, cardinality(CAST(:codes AS text[])) AS n\n"
        "  FROM (VALUES (CAST(:value AS text))) AS t (v)\n"
        " WHERE CAST(:codes AS text[]) @> ARRAY['a''b']\n"
        "-- a query file may end in a comment"
    )
    tricky = "x'); DROP TABLE commune; --\t\"é\"\n100%"
    frame = pd.read_csv(
        copy_query_csv(db_conn, query, {"value": tricky, "none": None, "codes": ["a'b", "c"]}),
        keep_default_na=False,
        na_values={"nothing": [""]},
    )
    assert frame["value"].tolist() == [tricky]
    assert frame["nothing"].isna().all()
    assert frame["n"].tolist() == [2]
    assert db_conn.execute(text("SELECT to_regclass('commune') IS NOT NULL")).scalar_one()


@pytest.mark.db
def test_binary_copy_gives_the_values_a_row_fetch_gives(db_conn: Connection) -> None:
    query = text(
        "SELECT v.t, v.f, v.i, v.b, v.bool, v.big FROM (VALUES\n"
        "  (CAST(:tricky AS text), CAST(0.1 AS float8), 2147483647, CAST('\\x00ff0a' AS bytea), true,\n"
        "   CAST(-9223372036854775808 AS int8)),\n"
        "  ('', CAST('NaN' AS float8), -2147483648, CAST('' AS bytea), false, 0),\n"
        "  (NULL, CAST('-Infinity' AS float8), NULL, NULL, NULL, NULL),\n"
        "  ('Xã Mường Phăng', 1.7976931348623157e308, 0, CAST('\\x01' AS bytea), true, 42),\n"
        "  ('x', 5e-324, 7, CAST('\\x02' AS bytea), false, 7),\n"
        "  ('y', CAST('-0' AS float8), 1, CAST('\\x03' AS bytea), true, 1)\n"
        ") AS v (t, f, i, b, bool, big) WHERE CAST(:codes AS text[]) @> ARRAY['a''b']\n"
        "-- a query file may end in a comment"
    )
    binds = {"tricky": "x'); DROP TABLE commune; --\t\"é\"\n100%", "codes": ["a'b"]}
    got = copy_query_binary(db_conn, query, binds, ["text", "float8", "int4", "bytea", "bool", "int8"])
    fetched = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
               for row in db_conn.execute(query, binds)]
    assert len(got) == len(fetched) == 6
    for mine, theirs in zip(got, fetched, strict=True):
        assert [type(v) for v in mine] == [type(v) for v in theirs]
        # Floats to the bit (NaN == NaN, -0.0 apart from 0.0): compared by their packed bytes.
        assert [struct.pack(">d", v) if isinstance(v, float) else v for v in mine] == [
            struct.pack(">d", v) if isinstance(v, float) else v for v in theirs
        ]
    with pytest.raises(ValueError, match="6 columns, 2 types"):
        copy_query_binary(db_conn, query, binds, ["text", "float8"])
