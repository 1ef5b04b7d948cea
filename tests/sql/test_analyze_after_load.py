"""A load that wrote much of a table leaves its planner statistics behind (migration 0090, issue 24)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Connection, text

from sql.bulk import analyze_after_load, copy_rows

pytestmark = pytest.mark.db


def _known_rows(conn: Connection, table: str) -> float:
    return float(conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                              {"t": table}).scalar_one())


def _estimated_rows(conn: Connection, query: str) -> int:
    plan = conn.execute(text(f"EXPLAIN (FORMAT JSON) {query}")).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _load(conn: Connection, first: int, count: int) -> None:
    copy_rows(conn, "loaded", ("n", "kind"), ((i, "abc"[i % 3]) for i in range(first, first + count)))


def test_a_big_load_is_analyzed_in_its_transaction_and_a_small_one_is_not(db_conn: Connection) -> None:
    db_conn.execute(text("CREATE TABLE loaded (n integer, kind text)"))
    _load(db_conn, 0, 3000)
    assert _estimated_rows(db_conn, "SELECT * FROM loaded WHERE kind = 'a'") < 100  # no statistics: a guess

    assert analyze_after_load(db_conn, "loaded", 3000) is True
    assert _known_rows(db_conn, "loaded") == 3000  # the transaction's own rows are counted
    assert 900 <= _estimated_rows(db_conn, "SELECT * FROM loaded WHERE kind = 'a'") <= 1100
    bounds = db_conn.execute(text(
        "SELECT array_length(histogram_bounds::text::int[], 1) FROM pg_stats WHERE tablename = 'loaded' "
        "AND attname = 'n'")).scalar_one()
    assert bounds == 11  # the small sample's statistics target (10), not the default 100
    assert db_conn.execute(text("SHOW default_statistics_target")).scalar_one() == "100"  # restored

    # Fewer rows than autovacuum would analyze for (50 + 10 % of 3,000): left to autovacuum.
    _load(db_conn, 3000, 300)
    assert analyze_after_load(db_conn, "loaded", 300) is False
    assert _known_rows(db_conn, "loaded") == 3000
    _load(db_conn, 3300, 351)
    assert analyze_after_load(db_conn, "loaded", 351) is True
    assert _known_rows(db_conn, "loaded") == 3651


def test_an_unknown_table_is_refused(db_conn: Connection) -> None:
    with pytest.raises(Exception, match="no_such_table"):
        analyze_after_load(db_conn, "no_such_table", 10_000)
