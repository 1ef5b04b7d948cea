"""Loads that write much of a table leave the planner statistics the coverage read needs (issue 24).

Without them, the 2025 communes were guessed to be one row right after their load and the national read ran
as nested loops (84 s instead of 3 s in bench/coverage.py).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from sqlalchemy import Connection, text

from etl.boundaries import load_boundaries
from etl.facilities import load_facilities
from sql import queries
from tests.etl.conftest import VN_HEADERS, vn_row, write_csv

pytestmark = pytest.mark.db

ALL_COMMUNES = {"province_code": None, "commune_codes": None}


def _estimated_rows(conn: Connection, query: str, binds: dict[str, Any]) -> int:
    plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + queries.load(query).text), binds).scalar_one()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _known_rows(conn: Connection, table: str) -> float:
    return float(conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                              {"t": table}).scalar_one())


def _communes_file(tmp_path: Path, count: int) -> Path:
    # A row of 0.01° squares, 20 to a row of the grid, coded 91000...
    squares = [
        Polygon([(x, y), (x + 0.01, y), (x + 0.01, y + 0.01), (x, y + 0.01)])
        for x, y in ((103.0 + (i % 20) * 0.01, 21.0 + (i // 20) * 0.01) for i in range(count))
    ]
    path = tmp_path / "communes.gpkg"
    gpd.GeoDataFrame({"MA": [f"{91000 + i}" for i in range(count)], "TEN": [f"Xã Thử {i}" for i in range(count)],
                      "TINH": ["91"] * count}, geometry=squares, crs=4326).to_file(path)
    return path


def test_the_communes_just_loaded_are_known_to_the_planner(db_conn: Connection, tmp_path: Path) -> None:
    db_conn.execute(text("ANALYZE admin_unit"))  # what this transaction holds now: no communes
    result = load_boundaries(db_conn, _communes_file(tmp_path, 400), version="2025", level="commune",
                             code_field="MA", name_field="TEN", parent_field="TINH")
    assert result.inserted == 400
    # ANALYZE's small sample reads pages that also hold the dead rows of earlier rolled-back tests, so its count
    # is an estimate (318 for 400 seen once); what matters to the planner is the order of magnitude (was 1).
    assert 200 <= _known_rows(db_conn, "admin_unit") <= 800
    assert 200 <= _estimated_rows(db_conn, "communes_for_coverage", ALL_COMMUNES) <= 800  # was 1


def _survey(path: Path, rows: int, prefix: str) -> Path:
    # Points on a 0.0005° grid inside Mường Phăng (103.0-103.1, 21.4-21.5): ~50 m apart.
    return write_csv(path, VN_HEADERS, [
        vn_row(i, f"{prefix}-{i:06d}", lonlat=(f"{103.001 + (i % 190) * 0.0005:.4f}",
                                              f"{21.401 + (i // 190) * 0.0005:.4f}"))
        for i in range(rows)
    ])


def test_a_facility_load_leaves_statistics_and_a_dry_run_does_not(communes: Connection, tmp_path: Path) -> None:
    communes.execute(text("ANALYZE admin_unit, facility"))  # the communes as autovacuum saw them long ago
    before = _known_rows(communes, "facility")
    options: dict[str, Any] = {"report_dir": tmp_path, "today": date(2026, 11, 27), "loaded_by": "tester"}
    dry = load_facilities(communes, _survey(tmp_path / "dry.csv", 1000, "DRY"), dry_run=True, **options)
    assert dry.loaded == 1000 and dry.batch_id is None
    assert _known_rows(communes, "facility") == before  # nothing written, nothing analyzed

    result = load_facilities(communes, _survey(tmp_path / "big.csv", 1000, "BIG"), **options)
    assert (result.loaded, result.rejected) == (1000, 0), result.messages()
    stored = communes.execute(text("SELECT count(*) FROM facility")).scalar_one()
    # ANALYZE's estimate (-1 before: never analyzed)
    assert stored / 2 <= _known_rows(communes, "facility") <= 2 * stored
    assert stored / 2 <= _estimated_rows(communes, "facilities_for_coverage", ALL_COMMUNES) <= 2 * stored
