"""Session 31: every vector tile query runs ST_AsMVTGeom once per row. Pulled up into the outer query, the
subquery's `geom IS NOT NULL` filter ran the transform, simplification and ST_AsMVTGeom a second time (half
of a communes tile's time); OFFSET 0 keeps the subquery whole. Read from the plan, not timed."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from sql import queries

pytestmark = pytest.mark.db

TILE_QUERIES = ["ogc_communes_tile", "ogc_coverage_tile", "ogc_facilities_tile", "ogc_gaps_tile",
                "ogc_plan_actions_tile", "ogc_villages_tile"]


@pytest.mark.parametrize("name", TILE_QUERIES)
def test_a_tile_query_makes_each_rows_tile_geometry_once(db_conn: Connection, name: str) -> None:
    binds = {"z": 8, "x": 203, "y": 113, "tolerance_deg": 0.0027, "whole_country": True, "scope": []}
    plan = "\n".join(db_conn.execute(text("EXPLAIN (VERBOSE) " + queries.load(name).text), binds).scalars())
    assert plan.lower().count("st_asmvtgeom(") == 1
