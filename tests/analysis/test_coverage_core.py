"""Coverage, people and criteria on hand-computable cases: three clusters, two communes, known areas."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine
from pyproj import CRS

from analysis.cover import cover_communes
from analysis.coverage import CoverageParams, cluster_radii_m, covered_geometries
from analysis.criteria import classify_communes, rule_for
from analysis.population import PopulationGrid, build_population_raster, people_in_communes, people_reached
from analysis.rules import judge_indicator, shipped_rule_sets

# Two 2 km x 2 km communes side by side, in UTM 48N metres (near Điện Biên Phủ).
X0, Y0 = 420_000.0, 2_360_000.0
A = shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)
B = shapely.box(X0 + 2000, Y0, X0 + 4000, Y0 + 2000)


def _circle_part(r: float, d: float) -> float:
    """Area of a disc of radius r on the near side of a line at distance d from its centre."""
    return math.pi * r * r - (r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d))


def _three_clusters() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # c1 inside A; c2 in A, 100 m from the A|B edge (its disc spills into B but counts only for A);
    # c3 in B, radius 150 m (a degraded cluster).
    x = np.array([X0 + 500, X0 + 1900, X0 + 3000])
    y = np.array([Y0 + 500, Y0 + 1000, Y0 + 1000])
    return x, y, np.array([300.0, 300.0, 150.0]), np.array([0, 0, 1])


def test_three_clusters_two_communes_known_areas() -> None:
    x, y, r, c = _three_clusters()
    covered, inside = covered_geometries(np.array([A, B]), x, y, r, c)
    # Equal-area discs: a lone disc has exactly the circle's area; a clipped one within 1 %.
    expected_a = math.pi * 300**2 + _circle_part(300, 100)
    expected_b = math.pi * 150**2
    assert covered[0].area == pytest.approx(expected_a, rel=5e-3)
    assert covered[1].area == pytest.approx(expected_b, rel=1e-9)
    assert inside.tolist() == [True, False, True]
    # c2's spill-over into B is not B's coverage: B's only disc is c3's.
    assert covered[1].intersection(shapely.box(X0 + 2000, Y0, X0 + 2300, Y0 + 2000)).area == 0


def test_radius_from_own_value_else_norm_table_times_status() -> None:
    params = CoverageParams()
    radii = cluster_radii_m(
        np.array([250.0, np.nan, np.nan, np.nan, np.nan]),
        np.array(["ip", "fm_wireless", "wired", None, "ip"], dtype=object),
        np.array([np.nan, 2, 4, np.nan, 2]),
        np.array([np.nan, 30, 30, np.nan, 30]),
        np.array(["operational", "operational", "degraded", "operational", "broken"], dtype=object),
        params=params,
    )
    assert radii[0] == 250.0
    assert radii[1] == pytest.approx(300.0)  # 2 x 30 W: the reference cluster
    assert radii[2] == pytest.approx(0.5 * 300.0 * 2**0.301)  # twice the power, degraded
    assert radii[3] == 300.0  # nothing known: the default
    assert radii[4] == 0.0


def test_people_reached_counts_cell_centres_once_and_only_in_own_commune() -> None:
    # 100 m cells over both communes, 1 person per cell: people = covered cells.
    transform = Affine(100, 0, X0, 0, -100, Y0 + 2000)
    grid = PopulationGrid(np.ones((20, 40), dtype=np.float32), transform, CRS.from_epsg(32648))
    x, y, r, c = _three_clusters()
    geoms = np.array([A, B])
    _, inside = covered_geometries(geoms, x, y, r, c)
    reached = people_reached(grid, x, y, r, c, inside, geoms)
    # Brute force: cell centres in the union of own discs and in the commune.
    cols, rows = np.meshgrid(np.arange(40) + 0.5, np.arange(20) + 0.5)
    cx, cy = X0 + cols * 100, Y0 + 2000 - rows * 100
    expected = []
    for k, geom in enumerate(geoms):
        in_disc = np.zeros_like(cx, dtype=bool)
        for xi, yi, ri in zip(x[c == k], y[c == k], r[c == k], strict=True):
            in_disc |= (cx - xi) ** 2 + (cy - yi) ** 2 <= ri**2
        expected.append(float((in_disc & shapely.contains_xy(geom, cx, cy)).sum()))
    assert reached.tolist() == expected
    # Twice c1 counts c1's cells once.
    again = people_reached(
        grid,
        np.append(x, x[0]),
        np.append(y, y[0]),
        np.append(r, 300.0),
        np.append(c, 0),
        np.append(inside, True),
        geoms,
    )
    assert again.tolist() == expected
    assert people_in_communes(grid, geoms).tolist() == [400.0, 400.0]


def test_population_raster_keeps_commune_totals_and_favours_villages() -> None:
    values, transform, totals = build_population_raster(
        np.array([A, B]), np.array([1000.0, 50.0]), resolution_m=100
    )
    assert totals == pytest.approx([1000.0, 50.0])
    grid = PopulationGrid(values, transform, CRS.from_epsg(32648))
    assert people_in_communes(grid, np.array([A, B])) == pytest.approx([1000.0, 50.0])
    village = shapely.Point(X0 + 300, Y0 + 300)
    weighted, transform, _ = build_population_raster(
        np.array([A, B]),
        np.array([1000.0, 50.0]),
        village_geoms=np.array([village]),
        village_commune=np.array([0]),
        village_weight=0.7,
        village_radius_m=500,
    )
    grid = PopulationGrid(weighted, transform, CRS.from_epsg(32648))
    assert people_in_communes(grid, np.array([A, B])) == pytest.approx([1000.0, 50.0], rel=1e-5)
    near = shapely.buffer(village, 500)
    assert people_in_communes(grid, np.array([near]))[0] > 700.0


def _gdfs(status: list[str], radius: list[float]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    communes = gpd.GeoDataFrame(
        {"code": ["A", "B"], "area_km2": [4.0, 4.0]}, geometry=[A, B], crs=32648
    ).to_crs(4326)
    x, y, _, c = _three_clusters()
    clusters = gpd.GeoDataFrame(
        {
            "commune_code": np.array(["A", "B"])[c],
            "type": "loudspeaker_cluster",
            "status": status,
            "radius_m": radius,
            "technology": "ip",
            "n_horns": 2,
            "watts": 30,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=32648,
    ).to_crs(4326)
    return communes, clusters


def test_adapter_in_lon_lat_matches_the_metric_core_and_reaches_villages() -> None:
    communes, clusters = _gdfs(["operational", "operational", "degraded"], [np.nan, np.nan, np.nan])
    villages = gpd.GeoDataFrame(
        {"id": [1, 2, 3], "commune_code": ["A", "A", "B"]},
        geometry=[
            shapely.Point(X0 + 600, Y0 + 600),  # in c1's disc
            shapely.box(X0 + 1200, Y0 + 1800, X0 + 1950, Y0 + 1950),  # far from both A discs
            shapely.box(X0 + 2050, Y0 + 900, X0 + 2150, Y0 + 1100),  # in c2's disc but c2 is A's: not reached
        ],
        crs=32648,
    ).to_crs(4326)
    coverage, villages_df, discs = cover_communes(communes, clusters, villages)
    expected_a = (math.pi * 300**2 + _circle_part(300, 100)) / 4e6
    assert coverage["covered_area_share"].iloc[0] == pytest.approx(expected_a, rel=5e-3)
    assert coverage["covered_area_km2"].iloc[1] == pytest.approx(math.pi * 0.15**2, rel=2e-3)
    assert villages_df["reached"].tolist() == [True, False, False]
    assert discs["radius_m"].tolist() == [300.0, 300.0, 150.0]
    assert coverage.crs.to_epsg() == 4326 and coverage.geometry.iloc[0].geom_type == "MultiPolygon"


@pytest.mark.parametrize("seed", range(5))
def test_properties_shares_bounded_radius_monotone_broken_adds_nothing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 30
    x = X0 + rng.uniform(-200, 4200, n)
    y = Y0 + rng.uniform(-200, 2200, n)
    r = rng.uniform(50, 900, n)
    c = (x > X0 + 2000).astype(np.int64)
    geoms = np.array([A, B])
    cov, _ = covered_geometries(geoms, x, y, r, c)
    share = np.array([0 if g is None else g.area for g in cov]) / shapely.area(geoms)
    assert ((share >= 0) & (share <= 1 + 1e-9)).all()
    bigger, _ = covered_geometries(geoms, x, y, r * 1.3, c)
    grown = np.array([0 if g is None else g.area for g in bigger]) / shapely.area(geoms)
    assert (grown >= share - 1e-9).all()
    communes, _ = _gdfs(["operational"] * 3, [np.nan] * 3)
    status = rng.choice(["operational", "degraded", "broken"], n)
    clusters = gpd.GeoDataFrame(
        {
            "commune_code": np.array(["A", "B"])[c],
            "type": "loudspeaker_cluster",
            "status": status,
            "radius_m": r,
            "technology": "ip",
            "n_horns": 2,
            "watts": 30,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=32648,
    ).to_crs(4326)
    base, _, _ = cover_communes(communes, clusters)
    extra = clusters.iloc[[0]].assign(status="broken", radius_m=5000.0)
    import pandas as pd

    more, _, _ = cover_communes(communes, pd.concat([clusters, extra]))
    assert more["covered_area_share"].tolist() == pytest.approx(base["covered_area_share"].tolist())
    assert more["clusters_broken"].sum() == base["clusters_broken"].sum() + 1


def test_classes_and_reasons_in_both_languages() -> None:
    rule = rule_for(None)
    station = np.array([False, True, True, True, True])
    share = np.array([0.95, 0.62, 0.95, 0.95, 0.3])
    total = np.array([9, 9, 9, 0, 4])
    reached = np.array([9, 6, 9, 0, 4])
    classes, vi, en = classify_communes(station, share, total, reached, rule=rule)
    assert classes == ["unserved", "underserved", "served", "served", "unserved"]
    assert vi[0] == "Không có đài truyền thanh hoạt động; 95 % dân số được phủ sóng"
    assert vi[1] == "3/9 thôn chưa có loa; 62 % dân số được phủ sóng"
    assert en[1] == "3/9 villages not reached; 62 % of people reached"
    frame = pd.DataFrame({"station_operational": station, "villages_total": total, "villages_reached": reached})
    radio = shipped_rule_sets()["ntm_2021_2025"].radio
    assert judge_indicator(frame, radio, np.full(5, 2)).tolist() == [False, False, True, False, True]
    assert rule.version == "NTM 2021–2025, QĐ 318/QĐ-TTg"


def test_people_reached_on_a_geographic_raster_like_worldpop() -> None:
    # 3 arc-second cells (~90 m), 1 person each, in EPSG:4326 around the two communes.
    to_ll = gpd.GeoSeries([A, B], crs=32648).to_crs(4326)
    geoms = to_ll.values.to_numpy()
    minx, miny, maxx, maxy = to_ll.total_bounds
    res = 3 / 3600
    width, height = int((maxx - minx) / res) + 4, int((maxy - miny) / res) + 4
    grid = PopulationGrid(
        np.ones((height, width), dtype=np.float32),
        Affine(res, 0, minx - 2 * res, 0, -res, maxy + 2 * res),
        CRS.from_epsg(4326),
    )
    x, y, r, c = _three_clusters()
    centres = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=32648).to_crs(4326)
    lon, lat = centres.x.to_numpy(), centres.y.to_numpy()
    r = r * 2.5  # big enough discs that counting cells is not noise
    covered, inside = covered_geometries(np.array([A, B]), x, y, r, c)
    reached = people_reached(grid, lon, lat, r, c, inside, geoms)
    # Expected: covered area (UTM) over the cell's area in m² at this latitude.
    cell_m2 = (res * 111_412.84 * math.cos(math.radians(lat[0]))) * (res * 110_750.0)
    expected = np.array([g.area for g in covered]) / cell_m2
    assert reached == pytest.approx(expected, rel=0.03)
    assert people_in_communes(grid, geoms) == pytest.approx(4e6 / cell_m2, rel=0.03)
