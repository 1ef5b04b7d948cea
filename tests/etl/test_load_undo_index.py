"""The undo's lookup of a load's audit rows (sql/queries/loaded_rows_of_batch.sql) can use an index for every
branch (migration 0260): on an audit log of three million rows it read the whole table twice (2.4 s, 0.06 s with
the index; README's load-undo section). A small test table is read sequentially anyway, so the planner is told
not to, and the plan must then name the indexes (it could not without 0260: the branches' predicates must imply
the partial index's)."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from sql import queries

pytestmark = pytest.mark.db


@pytest.mark.parametrize("entity", ["facility", "village"])
def test_the_batch_lookup_uses_the_indexes(db_conn: Connection, entity: str) -> None:
    db_conn.execute(text("SET LOCAL enable_seqscan = off"))
    query = queries.load("loaded_rows_of_batch")
    plan = "\n".join(db_conn.execute(text("EXPLAIN " + query.text), {"entity": entity, "batch": 7}).scalars())
    assert "Seq Scan" not in plan, plan
    assert plan.count("audit_log_row_batch_idx") == 2 and "audit_log_bulk_batch_idx" in plan, plan
