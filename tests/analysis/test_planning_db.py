"""The planner end to end on a tiny database: two communes, their stations, clusters and villages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from analysis.planning import (
    PLAN_COLUMNS,
    CandidateSite,
    PlanningInputError,
    PlanOptions,
    UnitCosts,
    compare_scenarios,
    find_scenario,
    list_scenarios,
    plan_investments,
    save_scenario,
    scenario_actions,
    solve_greedy,
)

pytestmark = pytest.mark.db

# Two 2 km x 2 km communes side by side near Hà Nội (0.018° ≈ 2 km). A: working FM station, one working and
# one broken cluster, three villages. B: its station is broken, two villages.
SETUP = """
INSERT INTO admin_unit (version, level, code, name, name_folded, province_code, parent_code, geom, population)
VALUES ('2025', 'province', 'P1', 'Tỉnh Thử', 'tinh thu', 'P1', NULL,
        ST_Multi(ST_MakeEnvelope(105.80, 21.00, 105.836, 21.018, 4326)), 8000),
       ('2025', 'commune', 'A', 'Xã An', 'an', 'P1', 'P1',
        ST_Multi(ST_MakeEnvelope(105.80, 21.00, 105.818, 21.018, 4326)), 5000),
       ('2025', 'commune', 'B', 'Xã Bình', 'binh', 'P1', 'P1',
        ST_Multi(ST_MakeEnvelope(105.818, 21.00, 105.836, 21.018, 4326)), 3000);
INSERT INTO facility (type, technology, commune_code, geom, status, radius_m) VALUES
    ('commune_radio_station', 'fm_wireless', 'A', ST_SetSRID(ST_MakePoint(105.803, 21.003), 4326),
     'operational', NULL),
    ('loudspeaker_cluster', 'fm_wireless', 'A', ST_SetSRID(ST_MakePoint(105.803, 21.003), 4326),
     'operational', 300),
    ('loudspeaker_cluster', 'fm_wireless', 'A', ST_SetSRID(ST_MakePoint(105.812, 21.012), 4326),
     'broken', 300),
    ('commune_radio_station', 'wired', 'B', ST_SetSRID(ST_MakePoint(105.827, 21.009), 4326), 'broken', NULL);
INSERT INTO village (commune_code, name, geom) VALUES
    ('A', 'Thôn 1', ST_SetSRID(ST_MakePoint(105.803, 21.004), 4326)),
    ('A', 'Thôn 2', ST_SetSRID(ST_MakePoint(105.812, 21.012), 4326)),
    ('A', 'Thôn 3', ST_SetSRID(ST_MakePoint(105.815, 21.002), 4326)),
    ('B', 'Thôn Đông', ST_SetSRID(ST_MakePoint(105.827, 21.009), 4326)),
    ('B', 'Thôn Tây', ST_SetSRID(ST_MakePoint(105.821, 21.015), 4326));
"""


@pytest.fixture()
def area(db_conn: Connection) -> Connection:
    db_conn.execute(text(SETUP))
    return db_conn


def test_plan_spends_within_budget_repairs_first_and_is_saved(area: Connection) -> None:
    result = plan_investments(area, budget_vnd=50e6, province_code="P1")
    assert list(result.actions.columns) == PLAN_COLUMNS
    assert 0 < result.cost_vnd <= 50e6
    assert result.solution.status == "optimal"
    assert "repair_cluster" in set(result.actions["action"])  # 8 M for a village: cheapest per person
    assert "census" in result.demand_source
    assert result.actions["added_population"].sum() == pytest.approx(result.solution.people_reached, abs=1)
    scenario_id = save_scenario(area, "nho", result)
    assert scenario_id > 0
    saved = scenario_actions(area, "nho")
    assert len(saved) == len(result.actions)
    assert saved["cost_vnd"].sum() == pytest.approx(result.cost_vnd)


def test_no_plan_is_made_where_no_population_is_known(area: Connection) -> None:
    area.execute(text("UPDATE admin_unit SET population = NULL"))
    with pytest.raises(PlanningInputError, match="no population is known for these communes"):
        plan_investments(area, budget_vnd=50e6, province_code="P1")


def test_a_commune_without_a_working_station_needs_one_first(area: Connection) -> None:
    result = plan_investments(area, budget_vnd=2e9, province_code="P1")
    in_b = result.actions[result.actions["commune_code"] == "B"]
    assert len(in_b)
    assert "build_station" in set(in_b["action"])
    assert result.class_changes["commune_code"].tolist()   # someone changes class with 2 bn VND


def test_reach_every_village_option_and_compare(area: Connection) -> None:
    plain = plan_investments(area, budget_vnd=100e6, province_code="P1")
    strict = plan_investments(area, budget_vnd=100e6, province_code="P1",
                              options=PlanOptions(reach_all_villages=("A",)))
    assert strict.solution.status == "optimal"
    assert strict.actions[strict.actions["commune_code"] == "A"]["added_villages"].sum() == 2
    save_scenario(area, "plain", plain)
    save_scenario(area, "strict", strict)
    totals, differing = compare_scenarios(area, "plain", "strict")
    assert totals["scenario"].tolist() == ["plain", "strict"]
    assert set(list_scenarios(area)["name"]) >= {"plain", "strict"}
    assert set(differing["only_in"]) <= {"plain", "strict"}


def test_costs_user_candidates_and_greedy_preview(area: Connection) -> None:
    costs = UnitCosts.from_mapping({"repair_cluster": 1e9})
    user = [CandidateSite(lon=105.815, lat=21.002, action="new_fm_cluster", cost_vnd=1e6, label="chợ")]
    result = plan_investments(area, budget_vnd=10e6, province_code="P1", costs=costs, user_sites=user,
                              solver=solve_greedy)
    assert result.solution.solver == "greedy"
    assert "repair_cluster" not in set(result.actions["action"])
    assert result.cost_vnd <= 10e6
    with pytest.raises(PlanningInputError, match="row 2"):
        plan_investments(area, budget_vnd=1e7, province_code="P1",
                         user_sites=[CandidateSite(lon=21.0, lat=105.8)])
    with pytest.raises(PlanningInputError, match="no scenario named"):
        scenario_actions(area, "missing")


def test_people_come_from_the_active_population_raster(area: Connection, tmp_path: Path) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    # 0.001° cells (~100 m) over both communes; 40 people in each cell of a 300 m block around Thôn 3 (A),
    # which no working cluster reaches, and nobody elsewhere.
    path = tmp_path / "pop.tif"
    transform = from_origin(105.80, 21.018, 0.001, 0.001)
    people = np.zeros((18, 36), dtype="float32")
    people[14:17, 14:17] = 40.0        # rows: lat 21.004..21.001, cols: lon 105.814..105.817
    with rasterio.open(path, "w", driver="GTiff", width=36, height=18, count=1, dtype="float32",
                       crs="EPSG:4326", transform=transform, nodata=-1) as dst:
        dst.write(people, 1)
    area.execute(text("INSERT INTO population_raster (path, sha256, crs, resolution, total, derived) "
                      "VALUES (:p, 'x', 'EPSG:4326', 0.001, 360, false)"), {"p": str(path)})
    result = plan_investments(area, budget_vnd=10e6, province_code="P1")
    assert "population raster" in result.demand_source
    assert result.actions["action"].tolist() == ["new_fm_cluster"]     # 6 M FM cluster at Thôn 3 fits 10 M
    assert result.added_population == pytest.approx(360, abs=1e-6)
    assert result.actions["added_villages"].tolist() == [1]


def test_a_name_is_the_owners_own_and_another_planner_cannot_overwrite_it(area: Connection) -> None:
    """Issue 14 item 4: saving under another planner's scenario name used to replace their scenario."""
    small = plan_investments(area, budget_vnd=10e6, province_code="P1", solver=solve_greedy)
    big = plan_investments(area, budget_vnd=50e6, province_code="P1", solver=solve_greedy)
    lan = save_scenario(area, "Phương án 1/2027", small, owner="lan")
    hoa = save_scenario(area, "Phương án 1/2027", big, owner="hoa")  # the attacker picks lan's name
    assert hoa != lan
    kept = area.execute(text("SELECT owner, budget_vnd FROM scenario WHERE id = :id"), {"id": lan}).one()
    assert (kept.owner, float(kept.budget_vnd)) == ("lan", 10e6)  # lan's scenario is untouched
    again = save_scenario(area, "Phương án 1/2027", big, owner="lan")  # the owner replaces their own
    assert area.execute(text("SELECT count(*) FROM scenario WHERE id = :id"), {"id": lan}).scalar_one() == 0
    assert len(scenario_actions(area, again)) == len(big.actions)
    with pytest.raises(PlanningInputError, match=rf"several scenarios are named .*{hoa} \(hoa\)"):
        scenario_actions(area, "Phương án 1/2027")  # a name two owners use is ambiguous: the ids are given
    assert find_scenario(area, hoa).owner == "hoa" and find_scenario(area, str(again)).province_code == "P1"
