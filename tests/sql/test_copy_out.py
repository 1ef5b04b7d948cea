"""Query results through COPY TO STDOUT (sql.copy_out): bind parameters, NULLs, quoting."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from sql.copy_out import copy_query_csv


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
