"""The planner's today is the coverage analysis's today: `analyse`, then the planner's baseline, per commune.

On the bundled Điện Biên data (45 real communes, census, synthetic villages and survey with degraded and broken
clusters of several horn counts and powers, a derived 100 m raster): people reached today, people in total,
villages reached, station and class as the planner uses them must be those `phusong analyse` stores in
coverage_commune, with the raster and with the census spread evenly; and the people the planner may still
reach must be everyone else, placed on the cells today's discs miss.
"""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Connection, text

from analysis.planning import build_planning_inputs
from analysis.store import analyse
from etl.boundaries import load_boundaries
from etl.census import load_commune_population
from etl.facilities import load_facilities
from etl.population import load_population_raster
from etl.villages import load_villages
from tests.conftest import GIS_DATA

pytestmark = pytest.mark.db

PROVINCE = "11"
DEMO = GIS_DATA / "dien_bien"


@pytest.fixture()
def dien_bien(db_conn: Connection, tmp_path_factory: pytest.TempPathFactory) -> Connection:
    conn, reports = db_conn, tmp_path_factory.mktemp("rejects")
    load_boundaries(conn, DEMO / "province_2025.geojson", version="2025", level="province", loaded_by="test")
    load_boundaries(conn, DEMO / "communes_2025.geojson", version="2025", level="commune", loaded_by="test")
    load_commune_population(conn, DEMO / "population_2019_communes_2025.csv", loaded_by="test")
    load_villages(conn, DEMO / "thon_ban_synthetic.geojson", loaded_by="test", report_dir=reports)
    load_facilities(conn, DEMO / "khao_sat_thiet_che_2026_synthetic.xlsx", loaded_by="test", report_dir=reports)
    return conn


def _compare_baseline(conn: Connection) -> tuple[float, float]:
    analyse(conn, province_code=PROVINCE)
    stored = {
        r.commune_code: r
        for r in conn.execute(
            text(
                "SELECT commune_code, pop_total, pop_covered, villages_total, villages_reached, "
                "station_operational, class FROM coverage_commune"
            )
        )
    }
    inputs, _, _ = build_planning_inputs(conn, budget_vnd=1e9, province_code=PROVINCE)
    state = inputs.commune_state
    assert sorted(state["code"]) == sorted(stored)
    unreached = np.bincount(inputs.demand_group, weights=inputs.demand_people, minlength=len(state))
    for c, row in enumerate(state.to_dict("records")):
        code, db = row["code"], stored[row["code"]]
        assert row["pop_now"] == pytest.approx(db.pop_covered, abs=0.5), code  # stored to 0.1 person
        assert row["pop_total"] == pytest.approx(db.pop_total, abs=0.5), code
        assert (row["villages_total"], row["villages_now"]) == (db.villages_total, db.villages_reached), code
        assert row["station_working"] == db.station_operational, code
        assert row["class"] == db._mapping["class"], code
        # Everyone not reached today is demand once, no one reached today is: the two add up to the total.
        assert row["pop_now"] + unreached[c] == pytest.approx(db.pop_total, abs=0.5), code
    reached, total = state["pop_now"].sum(), state["pop_total"].sum()
    print(f"Điện Biên today: {reached:,.0f} of {total:,.0f} people reached, planner = coverage_commune")
    return float(reached), float(total)


def test_planner_baseline_is_coverage_commune_with_a_raster(dien_bien: Connection) -> None:
    conn = dien_bien
    load_population_raster(conn, DEMO / "population_100m_derived.tif", loaded_by="test")
    reached, total = _compare_baseline(conn)
    assert 0 < reached < total
    # With a raster the demand is the raster's own cells, unscaled: the planner's cell-by-cell reach is the
    # analysis's (the people of the cells it leaves out add up to pop_total - pop_covered by themselves).
    import rasterio

    with rasterio.open(DEMO / "population_100m_derived.tif") as src:
        values = np.unique(src.read(1)).astype(np.float64)
    inputs, _, _ = build_planning_inputs(conn, budget_vnd=1e9, province_code=PROVINCE)
    nearest = values[np.clip(np.searchsorted(values, inputs.demand_people), 0, len(values) - 1)]
    below = values[np.clip(np.searchsorted(values, inputs.demand_people) - 1, 0, len(values) - 1)]
    off = np.minimum(np.abs(nearest - inputs.demand_people), np.abs(below - inputs.demand_people))
    assert np.all(off <= 1e-4 * np.maximum(1.0, inputs.demand_people))


def test_planner_baseline_is_coverage_commune_with_the_census(dien_bien: Connection) -> None:
    reached, total = _compare_baseline(dien_bien)
    assert 0 < reached < total
