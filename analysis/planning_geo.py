"""The planner's geo adapter: read communes, facilities, villages and people, build a plan, save scenarios.

It turns the database into a :class:`analysis.planning.PlanningProblem` (demand = populated cells not yet
reached by working clusters; candidates = repairs, new IP/FM clusters, station upgrades and new stations),
solves it, and joins the chosen actions back to places and communes. Metric work happens in the UTM zone
(WGS 84 / UTM 48N or 49N) of the area's centre; storage and outputs stay in EPSG:4326.

What the app's planning page calls (all take an open SQLAlchemy connection):

- ``plan_investments(conn, budget_vnd=..., province_code=..., costs=UnitCosts(...), user_sites=[...],
  options=PlanOptions(...), solver=None | solve_greedy) -> PlanResult`` (``solve_greedy`` for the instant
  preview; the exact HiGHS solve otherwise, with an announced fallback past ``options.time_limit_s``);
- ``save_scenario(conn, name, result) -> int``, ``list_scenarios(conn)``, ``scenario_actions(conn, name)``,
  ``compare_scenarios(conn, a, b) -> (totals, differing actions)``.

Modelling choices: a station action is a bundle of its first clusters (``UnitCosts.build_station_clusters``
or ``upgrade_clusters``) placed greedily at the commune's best candidate sites; a new cluster or a repair in a
commune without a working station requires that commune's ``build_station``; FM clusters only where the
commune's working station is FM, as an alternative (never both) to an IP cluster at the same site.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from pyproj import CRS, Transformer
from scipy.spatial import cKDTree
from sqlalchemy import Connection

from analysis.coverage import CoverageParams, cluster_radii_m, villages_reached
from analysis.criteria import CriteriaRule, classify_communes, rule_for
from analysis.planning import (
    DEFAULT_TIME_LIMIT_S,
    MinimumReach,
    PlanningProblem,
    PlanSolution,
    Solver,
    attribute_gains,
    build_coverage_matrix,
    solve_plan,
    union_columns,
)
from analysis.population import (
    PopulationGrid,
    build_population_raster,
    cells_in_communes,
    cells_reached,
    reproject_geoms,
    reproject_points,
    transformer,
)
from analysis.store import (
    RasterInfo,
    active_population_raster,
    assess_communes,
    read_coverage_inputs,
    read_population_window,
)
from sql import queries
from sql.errors import InputRefused

ACTIONS = ("repair_cluster", "new_ip_cluster", "new_fm_cluster", "upgrade_station_ip", "build_station",
           "integration", "replace_cluster_ip")
#: Why each action is proposed, naming the rule (the plan's reason column). Công văn 271/TTCSTTĐN-TTCS
#: (19/5/2025, Bộ VHTTDL): a merged commune keeps one station and joins the others' clusters to it with an
#: integration device; wired/FM stations stay in use until worn out; every new or replacement station is IP.
CV_271 = "Công văn 271/TTCSTTĐN-TTCS"
REASONS = {
    "repair_cluster": "Sửa cụm loa hỏng / xuống cấp để phục vụ trở lại",
    "new_ip_cluster": f"Cụm loa mới ứng dụng CNTT-VT (IP) ({CV_271}: đầu tư mới là IP)",
    "new_fm_cluster": f"Mở rộng đài FM đang hoạt động ({CV_271}: đài FM dùng đến khi hết khấu hao)",
    "upgrade_station_ip": f"Nâng cấp / thay thế đài bằng đài ứng dụng CNTT-VT ({CV_271}: đài thay thế là IP)",
    "build_station": f"Xã chưa có đài hoạt động: đầu tư đài ứng dụng CNTT-VT ({CV_271})",
    "integration": f"Xã sau sáp nhập có {{n}} đài đang hoạt động: giữ một đài, ghép cụm loa của {{others}} đài còn "
                   f"lại bằng thiết bị tích hợp, không xây đài mới ({CV_271})",
    "replace_cluster_ip": f"Cụm loa {{technology}} hỏng, đã dùng {{age}} năm (hết khấu hao): thay bằng cụm IP "
                          f"({CV_271}: thay thế là IP)",
}
TECHNOLOGY_VI = {"wired": "hữu tuyến", "fm_wireless": "FM"}
#: Cell size of the census-spread population grid when no population raster is active.
CENSUS_GRID_M = 200.0
#: Uncovered people are grouped into blocks this wide to propose candidate sites (one per block).
SITE_BLOCK_M = 1000.0
PLAN_COLUMNS = [
    "action",
    "facility_id",
    "lon",
    "lat",
    "commune_code",
    "commune_name",
    "cost_vnd",
    "added_population",
    "added_villages",
    "reason",
]


class PlanningInputError(InputRefused):
    """The inputs of a plan cannot be used (unknown province, bad candidate, unknown scenario)."""


@dataclass(frozen=True)
class UnitCosts:
    """Unit costs in VND (2018-2025 prices, all-in): DOMAIN.md §3.1, editable per scenario.

    ``build_station_clusters`` and ``upgrade_clusters`` are how many new clusters the station price includes
    (DOMAIN.md §3.1: a new station comes with ~12 clusters; 240 M upgrades "upgrade/expand" a station, ~6 IP
    clusters at 35 M each is our reading, [DERIVED]).
    """

    repair_cluster: float = 8e6
    new_ip_cluster: float = 35e6
    new_fm_cluster: float = 6e6
    upgrade_station_ip: float = 240e6
    build_station: float = 450e6
    # One integration device per joined station (Công văn 271). No price was found: the station-side part of an
    # IP upgrade, 240 M - 6 x 35 M clusters = 30 M VND [DERIVED]; set the province's own with --costs.
    integration: float = 30e6
    build_station_clusters: int = 12
    upgrade_clusters: int = 6
    # A broken wired/FM cluster this old is worn out and replaced by an IP one (Công văn 271; "FM gets only minor
    # repairs until depreciated", DOMAIN.md §2.2). No depreciation period was found: 10 years is an assumption.
    worn_out_after_years: int = 10

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> UnitCosts:
        """Return the defaults overridden by ``values`` (action name -> VND); unknown names are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise PlanningInputError(f"unknown cost name(s) {unknown}; expected some of {sorted(known)}")
        typed: dict[str, Any] = {}
        for key, value in values.items():
            try:
                typed[key] = int(value) if key.endswith(("_clusters", "_years")) else float(value)
            except (TypeError, ValueError) as exc:
                raise PlanningInputError(f"cost {key!r}: {value!r} is not a number") from exc
            if typed[key] < 0:
                raise PlanningInputError(f"cost {key!r}: {value!r} is negative")
        return replace(cls(), **typed)


@dataclass(frozen=True)
class CandidateSite:
    """A user's candidate site (``--candidates``): a point (EPSG:4326), optional cost, radius and action."""

    lon: float
    lat: float
    action: str = "new_ip_cluster"
    cost_vnd: float | None = None
    radius_m: float | None = None
    label: str = ""


@dataclass(frozen=True)
class PlanOptions:
    """Options of a plan: which communes must pass 8.3, minimum shares, priority weights, solver limits."""

    reach_all_villages: tuple[str, ...] = ()
    min_share: Mapping[str, float] = field(default_factory=dict)
    commune_weights: Mapping[str, float] = field(default_factory=dict)
    generate_sites: bool = True
    time_limit_s: float = DEFAULT_TIME_LIMIT_S


@dataclass(frozen=True)
class PlanResult:
    """A solved plan: one row per action (``actions``, columns PLAN_COLUMNS), totals and class changes."""

    actions: pd.DataFrame
    solution: PlanSolution
    budget_vnd: float
    province_code: str | None
    class_changes: pd.DataFrame
    demand_source: str
    n_demand: int
    n_candidates: int
    params: dict[str, Any]

    @property
    def cost_vnd(self) -> float:
        return float(self.actions["cost_vnd"].sum()) if len(self.actions) else 0.0

    @property
    def added_population(self) -> float:
        return float(self.actions["added_population"].sum()) if len(self.actions) else 0.0


# ------------------------------------------------------------------------------------------- reading
@dataclass
class _Area:
    """The planned communes as the coverage analysis sees them today, plus what the planner places."""

    communes: pd.DataFrame  # code, name, population, station_id, station_technology, station_lon, station_lat,
    # stations_working (several: a merged commune's old stations, Công văn 271)
    polygons: np.ndarray  # shapely polygons in EPSG:4326, one per commune row
    polygons_m: np.ndarray  # the same in the metric CRS
    epsg: int  # the metric CRS
    to_metric: Transformer
    to_lonlat: Transformer
    clusters: pd.DataFrame  # id, technology, status, commune_code, radius_m, n_horns, watts, lon, lat, x, y
    cultural: pd.DataFrame  # id, commune_code, lon, lat, x, y
    villages: pd.DataFrame  # id, commune_code, lon, lat, x, y (a point on each village)
    today: gpd.GeoDataFrame  # analysis.store.assess_communes: the coverage_commune row of each commune now
    villages_now: np.ndarray  # whether the coverage analysis reaches each village today
    raster: RasterInfo | None


#: Which working station decides the clusters a commune can add: the newest technology first.
_STATION_TECHNOLOGY_RANK = {"ip": 0, "fm_wireless": 1}


def _read_area(
    conn: Connection, province_code: str | None, params: CoverageParams, rule: CriteriaRule
) -> _Area:
    communes_gdf, facilities, villages_gdf = read_coverage_inputs(conn, province_code=province_code)
    if communes_gdf.empty:
        where = f"province {province_code!r}" if province_code else "the database"
        raise PlanningInputError(
            f"no 2025 communes in {where}: load boundaries first (phusong load boundaries ... --version 2025)"
        )
    raster = active_population_raster(conn)
    today, villages_df = assess_communes(
        conn, communes_gdf, facilities, villages_gdf, params=params, rule=rule, raster=raster
    )
    polygons = communes_gdf.geometry.values.to_numpy()
    lon0 = float(shapely.centroid(shapely.union_all(shapely.envelope(polygons))).x)
    epsg = 32648 if lon0 < 108.0 else 32649  # UTM 48N west of 108° E, 49N east of it (Vietnam spans both)
    to_metric = transformer(4326, epsg)
    polygons_m = reproject_geoms(polygons, 4326, epsg)
    stations = facilities[facilities["type"] == "commune_radio_station"]
    best = (
        stations.assign(
            idle=~stations["is_working"].astype(bool),
            rank=stations["technology"].map(_STATION_TECHNOLOGY_RANK).fillna(len(_STATION_TECHNOLOGY_RANK)),
        )
        .sort_values(["commune_code", "idle", "rank", "id"])
        .drop_duplicates("commune_code")
        .set_index("commune_code")
    )
    codes = communes_gdf["code"]
    communes = pd.DataFrame(
        {
            "code": codes,
            "name": communes_gdf["name"],
            "population": pd.to_numeric(communes_gdf["population"], errors="coerce"),
            "station_id": codes.map(best["id"]),
            "station_technology": codes.map(best["technology"]),
            "station_lon": codes.map(best["lon"]).astype(float),
            "station_lat": codes.map(best["lat"]).astype(float),
            "stations_working": codes.map(
                stations[stations["is_working"].astype(bool)].groupby("commune_code").size()
            ).fillna(0).astype(int),
        }
    ).reset_index(drop=True)
    on_village = shapely.point_on_surface(villages_gdf.geometry.values.to_numpy())
    villages = pd.DataFrame(
        {
            "id": villages_gdf["id"].to_numpy(),
            "commune_code": villages_gdf["commune_code"].to_numpy(),
            "lon": shapely.get_x(on_village),
            "lat": shapely.get_y(on_village),
        }
    )
    reached = dict(zip(villages_df["id"], villages_df["reached"], strict=True))
    clusters = facilities[facilities["type"] == "loudspeaker_cluster"].reset_index(drop=True)
    cultural = facilities[facilities["type"] == "cultural_house"].reset_index(drop=True)
    for frame in (clusters, cultural, villages):
        frame["lon"] = pd.to_numeric(frame["lon"]).astype(float)
        frame["lat"] = pd.to_numeric(frame["lat"]).astype(float)
        x, y = to_metric.transform(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
        frame["x"], frame["y"] = x, y
    return _Area(
        communes,
        polygons,
        polygons_m,
        epsg,
        to_metric,
        transformer(epsg, 4326),
        clusters,
        cultural,
        villages,
        today.reset_index(drop=True),
        np.array([bool(reached.get(i, False)) for i in villages["id"]], dtype=bool),
        raster,
    )


def _cluster_radii(frame: pd.DataFrame, params: CoverageParams, *, status: str | None = None) -> np.ndarray:
    """Disc radius of each cluster of ``frame`` by the coverage model (``status`` overrides theirs: a repair
    gives the radius of the repaired cluster)."""
    return cluster_radii_m(
        pd.to_numeric(frame["radius_m"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        frame["technology"].to_numpy(dtype=object),
        pd.to_numeric(frame["n_horns"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        pd.to_numeric(frame["watts"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        np.full(len(frame), status, dtype=object) if status else frame["status"].to_numpy(dtype=object),
        params=params,
    )


def _new_cluster_radius_m(technology: str, params: CoverageParams) -> float:
    """Radius of a new cluster of ``technology`` with the norm's horns: the coverage model's default."""
    one = pd.DataFrame({"radius_m": [np.nan], "technology": [technology], "n_horns": [np.nan], "watts": [np.nan]})
    return float(_cluster_radii(one, params, status="operational")[0])


@dataclass
class _People:
    """Populated cells of the planned communes (metric CRS) and whether today's coverage reaches them."""

    xy: np.ndarray
    people: np.ndarray
    group: np.ndarray  # commune index
    now: np.ndarray  # reached today
    source: str


def _people_cells(area: _Area, params: CoverageParams) -> _People:
    """The cells the coverage analysis counts people on (the active raster, else the census spread evenly
    over CENSUS_GRID_M cells), and which of them today's discs reach, by the coverage analysis's own rules."""
    if area.raster is not None:
        grid, geoms = read_population_window(area.raster, area.polygons)
        kind = "derived from census" if area.raster.derived else "observed"
        source = f"population raster {area.raster.path} ({kind}); cells counted by their centre"
    else:
        census = area.communes["population"].to_numpy(float)
        if not (np.nan_to_num(census) > 0).any():
            raise PlanningInputError(
                "no population is known for these communes (no active population raster, no census total): a "
                "plan that reaches people cannot be made; load a population raster (phusong load population) or "
                "the census (phusong load census) first"
            )
        values, transform, _ = build_population_raster(area.polygons_m, census, resolution_m=CENSUS_GRID_M)
        grid, geoms = PopulationGrid(values, transform, CRS.from_epsg(area.epsg)), area.polygons_m
        source = "census population spread evenly over each commune (no population raster is active)"
    cell, group, people = cells_in_communes(grid, geoms)
    code_index = {code: i for i, code in enumerate(area.communes["code"])}
    clusters = area.clusters[area.clusters["commune_code"].isin(list(code_index))]
    disc_x, disc_y = reproject_points(
        clusters["lon"].to_numpy(float), clusters["lat"].to_numpy(float), 4326, grid.crs
    )
    reached, _ = cells_reached(
        grid,
        disc_x,
        disc_y,
        _cluster_radii(clusters, params),
        clusters["commune_code"].map(code_index).to_numpy(np.int64),
        np.zeros(len(clusters), dtype=bool),
        geoms,
    )
    row, col = np.divmod(cell, grid.shape[1])
    t = grid.transform
    cx, cy = t.c + t.a * (col + 0.5) + t.b * (row + 0.5), t.f + t.d * (col + 0.5) + t.e * (row + 0.5)
    lon, lat = reproject_points(cx, cy, grid.crs, 4326)
    x, y = area.to_metric.transform(lon, lat)
    return _People(np.column_stack([x, y]), people, group, np.isin(cell, reached), source)


def _commune_of(xy: np.ndarray, polygons_m: np.ndarray) -> np.ndarray:
    """Index of the commune polygon containing each point, -1 outside all."""
    out = np.full(len(xy), -1, dtype=np.int64)
    if len(xy) == 0:
        return out
    tree = shapely.STRtree(polygons_m)
    pt_idx, poly_idx = tree.query(shapely.points(xy), predicate="within")
    out[pt_idx] = poly_idx
    return out


# ------------------------------------------------------------------------------------------- building
@dataclass
class _Inputs:
    """Everything the plan needs, in the metric CRS, with candidates as rows of ``candidates``."""

    problem: PlanningProblem
    candidates: pd.DataFrame  # action, facility_id, x, y, commune (index), cost_vnd
    demand_group: np.ndarray
    demand_people: np.ndarray
    village_cov: sp.csc_matrix  # unreached villages x candidates
    village_group: np.ndarray
    commune_state: pd.DataFrame  # per commune, as coverage_commune: pop_total, pop_now, villages, station, class
    rule: CriteriaRule


def _site_blocks(xy: np.ndarray, people: np.ndarray, group: np.ndarray, *, top: int = 20) -> pd.DataFrame:
    """Candidate sites from uncovered people: the people-weighted centre of each SITE_BLOCK_M block per
    commune, the ``top`` most populous blocks of each commune."""
    if len(xy) == 0:
        return pd.DataFrame(columns=["commune", "x", "y", "people"])
    frame = pd.DataFrame(
        {
            "commune": group,
            "bx": np.floor(xy[:, 0] / SITE_BLOCK_M),
            "by": np.floor(xy[:, 1] / SITE_BLOCK_M),
            "wx": xy[:, 0] * people,
            "wy": xy[:, 1] * people,
            "people": people,
        }
    )
    blocks = frame.groupby(["commune", "bx", "by"], as_index=False)[["wx", "wy", "people"]].sum()
    blocks = blocks[blocks["people"] > 0]
    blocks["x"], blocks["y"] = blocks["wx"] / blocks["people"], blocks["wy"] / blocks["people"]
    blocks = blocks.sort_values(["commune", "people", "bx", "by"], ascending=[True, False, True, True])
    return blocks.groupby("commune").head(top)[["commune", "x", "y", "people"]].reset_index(drop=True)


def _dedupe_sites(sites: pd.DataFrame, *, min_spacing_m: float = 100.0) -> pd.DataFrame:
    """Keep the first of sites closer than ``min_spacing_m`` in one commune (villages first, then houses)."""
    if len(sites) < 2:
        return sites
    pairs = cKDTree(sites[["x", "y"]].to_numpy(float)).query_pairs(min_spacing_m, output_type="ndarray")
    same = sites["commune"].to_numpy()[pairs[:, 0]] == sites["commune"].to_numpy()[pairs[:, 1]]
    drop = set(pairs[same].max(axis=1).tolist())
    return sites.drop(index=sites.index[sorted(drop)]).reset_index(drop=True)


def _drop_sites_near_repairs(
    sites: pd.DataFrame, area: _Area, code_index: Mapping[str, int], *, within_m: float = 150.0
) -> pd.DataFrame:
    """Drop new-cluster sites next to a broken or degraded cluster of the same commune: there the choice is
    to repair it (its own candidate), not to put a second cluster beside it."""
    repairable = area.clusters[area.clusters["status"].isin(["broken", "degraded"])]
    if len(sites) == 0 or len(repairable) == 0:
        return sites
    tree = cKDTree(repairable[["x", "y"]].to_numpy(float))
    near = tree.query_ball_point(sites[["x", "y"]].to_numpy(float), within_m)
    groups = repairable["commune_code"].map(code_index).to_numpy()
    site_group = sites["commune"].to_numpy()
    drop = [i for i, hits in enumerate(near) if any(groups[h] == site_group[i] for h in hits)]
    return sites.drop(index=sites.index[drop]).reset_index(drop=True)


def _top_sites_bundle(
    coverage: sp.csc_matrix, columns: Sequence[int], people: np.ndarray, k: int
) -> list[int]:
    """The ``k`` site columns a station's first clusters go to: greedy by newly reached people."""
    covered = np.zeros(coverage.shape[0], dtype=bool)
    chosen: list[int] = []
    pool = list(columns)
    for _ in range(min(k, len(pool))):
        gains = [
            float(
                people[coverage.indices[coverage.indptr[j] : coverage.indptr[j + 1]]][
                    ~covered[coverage.indices[coverage.indptr[j] : coverage.indptr[j + 1]]]
                ].sum()
            )
            for j in pool
        ]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        j = pool.pop(best)
        chosen.append(j)
        covered[coverage.indices[coverage.indptr[j] : coverage.indptr[j + 1]]] = True
    return chosen


def _candidate_rows(
    area: _Area,
    sites: pd.DataFrame,
    costs: UnitCosts,
    user_sites: Sequence[CandidateSite],
    code_index: Mapping[str, int],
    params: CoverageParams,
) -> pd.DataFrame:
    """Disc candidates: repairs, new clusters at generated sites, the user's sites (bundles come later)."""
    working = area.today["station_operational"].to_numpy(bool)
    is_fm = (area.communes["station_technology"] == "fm_wireless").to_numpy() & working
    rows: list[dict[str, Any]] = []
    broken = area.clusters[area.clusters["status"].isin(["broken", "degraded"])]
    repaired = _cluster_radii(broken, params, status="operational")
    ip_radius, fm_radius = _new_cluster_radius_m("ip", params), _new_cluster_radius_m("fm_wireless", params)
    age = date.today().year - pd.to_numeric(broken["installed_year"], errors="coerce").to_numpy(float)
    worn = (
        (broken["status"] == "broken").to_numpy()
        & broken["technology"].isin(list(TECHNOLOGY_VI)).to_numpy()
        & (np.nan_to_num(age, nan=-1.0) >= costs.worn_out_after_years)
    )
    for rec, radius, old, years in zip(_records(broken), repaired, worn, age, strict=True):
        # Công văn 271: a worn-out wired/FM cluster is replaced by an IP one, not repaired.
        rows.append(
            dict(
                action="replace_cluster_ip" if old else "repair_cluster",
                facility_id=int(rec["id"]),
                x=rec["x"],
                y=rec["y"],
                commune=code_index[rec["commune_code"]],
                cost_vnd=costs.new_ip_cluster if old else costs.repair_cluster,
                radius_m=ip_radius if old else radius,
                site=-1,
                reason=REASONS["replace_cluster_ip"].format(
                    technology=TECHNOLOGY_VI.get(rec["technology"], ""), age=int(years) if old else 0
                ) if old else REASONS["repair_cluster"],
            )
        )
    for s, rec in enumerate(_records(sites)):
        c = int(rec["commune"])
        # Every site may take an IP cluster; an FM cluster only where the commune's station is FM.
        offers = [("new_ip_cluster", costs.new_ip_cluster, ip_radius)]
        if is_fm[c]:
            offers.append(("new_fm_cluster", costs.new_fm_cluster, fm_radius))
        rows.extend(
            dict(action=action, facility_id=None, x=rec["x"], y=rec["y"], commune=c, cost_vnd=cost,
                 radius_m=radius, site=s, reason=REASONS[action])
            for action, cost, radius in offers
        )
    rows.extend(_user_candidate_rows(area, costs, user_sites, is_fm, params, first_site=len(sites)))
    return pd.DataFrame(rows, columns=_CANDIDATE_COLUMNS)


_CANDIDATE_COLUMNS = ["action", "facility_id", "x", "y", "commune", "cost_vnd", "radius_m", "site", "reason"]


def _user_candidate_rows(
    area: _Area,
    costs: UnitCosts,
    user_sites: Sequence[CandidateSite],
    is_fm: np.ndarray,
    params: CoverageParams,
    *,
    first_site: int,
) -> list[dict[str, Any]]:
    if not user_sites:
        return []
    x, y = area.to_metric.transform(
        np.array([s.lon for s in user_sites]), np.array([s.lat for s in user_sites])
    )
    commune = _commune_of(np.column_stack([x, y]), area.polygons_m)
    rows = []
    for n, (site, cx, cy, c) in enumerate(zip(user_sites, x, y, commune, strict=True), start=2):
        where = f"candidates row {n}{f' ({site.label})' if site.label else ''}"
        if site.action not in ("new_ip_cluster", "new_fm_cluster", "repair_cluster"):
            raise PlanningInputError(
                f"{where}, field 'action': {site.action!r} is not a cluster action "
                "(use new_ip_cluster, new_fm_cluster or repair_cluster)"
            )
        if c < 0:
            raise PlanningInputError(
                f"{where}: point (lon {site.lon}, lat {site.lat}) is in none of the planned "
                "communes; were lat/lon swapped?"
            )
        if site.action == "new_fm_cluster" and not is_fm[c]:
            raise PlanningInputError(f"{where}: an FM cluster needs a working FM station in its commune")
        rows.append(
            dict(
                action=site.action,
                facility_id=None,
                x=float(cx),
                y=float(cy),
                commune=int(c),
                cost_vnd=site.cost_vnd if site.cost_vnd is not None else getattr(costs, site.action),
                radius_m=site.radius_m
                or _new_cluster_radius_m("fm_wireless" if site.action == "new_fm_cluster" else "ip", params),
                site=first_site + n,
                reason=f"Điểm do người dùng đề xuất: {REASONS[site.action]}",
            )
        )
    return rows


def _bundles(
    area: _Area, cand: pd.DataFrame, coverage: sp.csc_matrix, people: np.ndarray, costs: UnitCosts
) -> tuple[pd.DataFrame, list[list[int]]]:
    """Station actions as bundles of their first clusters: build where no station works, upgrade wired/FM.

    A merged commune with several working stations gets neither (Công văn 271: it keeps one station and joins
    the others' clusters: :func:`_integrations`).
    """
    rows, members = [], []
    ip_sites = cand.index[(cand["action"] == "new_ip_cluster") & (cand["site"] >= 0)]
    by_commune = cand.loc[ip_sites].groupby("commune").groups
    working = area.today["station_operational"].to_numpy(bool)
    for c, rec in enumerate(_records(area.communes)):
        if (working[c] and rec["station_technology"] == "ip") or rec["stations_working"] > 1:
            continue
        action = "upgrade_station_ip" if working[c] else "build_station"
        k = costs.upgrade_clusters if working[c] else costs.build_station_clusters
        chosen = _top_sites_bundle(coverage, list(by_commune.get(c, [])), people, k)
        if not chosen:
            continue
        if rec["station_lon"] is not None and np.isfinite(rec["station_lon"]):
            x, y = area.to_metric.transform(rec["station_lon"], rec["station_lat"])
        else:
            x, y = cand.at[chosen[0], "x"], cand.at[chosen[0], "y"]
        facility = None if rec["station_id"] is None or pd.isna(rec["station_id"]) else int(rec["station_id"])
        rows.append(
            dict(
                action=action,
                facility_id=facility,
                x=float(x),
                y=float(y),
                commune=c,
                cost_vnd=getattr(costs, action),
                radius_m=np.nan,
                site=-1,
                reason=REASONS[action],
            )
        )
        members.append(chosen)
    return pd.DataFrame(rows, columns=cand.columns), members


def _integrations(area: _Area, costs: UnitCosts) -> pd.DataFrame:
    """One ``integration`` per merged commune with several working stations (Công văn 271): at the station
    kept (the newest technology), one integration device per other station. The plan must include them."""
    rows = []
    for c, rec in enumerate(_records(area.communes)):
        n = int(rec["stations_working"])
        if n < 2:
            continue
        x, y = area.to_metric.transform(rec["station_lon"], rec["station_lat"])
        rows.append(dict(action="integration", facility_id=int(rec["station_id"]), x=float(x), y=float(y),
                         commune=c, cost_vnd=costs.integration * (n - 1), radius_m=np.nan, site=-1,
                         reason=REASONS["integration"].format(n=n, others=n - 1)))
    return pd.DataFrame(rows, columns=_CANDIDATE_COLUMNS)


def build_planning_inputs(
    conn: Connection,
    *,
    budget_vnd: float,
    province_code: str | None = None,
    costs: UnitCosts | None = None,
    user_sites: Sequence[CandidateSite] = (),
    options: PlanOptions | None = None,
    params: CoverageParams | None = None,
    rule: CriteriaRule | None = None,
) -> tuple[_Inputs, _Area, str]:
    """Read the area and return the planning problem, the area and where the people came from.

    Today's state (who is reached, villages reached, stations, classes) is the coverage analysis's own
    (:func:`analysis.store.assess_communes` with ``params`` and ``rule``): what ``phusong analyse`` stores in
    coverage_commune for the same data.
    """
    costs, options = costs or UnitCosts(), options or PlanOptions()
    params, rule = params or CoverageParams(), rule or rule_for(None)
    area = _read_area(conn, province_code, params, rule)
    code_index = {code: i for i, code in enumerate(area.communes["code"])}
    cells = _people_cells(area, params)
    state = _commune_state(area)
    d_xy, d_group = cells.xy[~cells.now], cells.group[~cells.now]
    d_people = _unreached_people(cells, state)
    v_xy = area.villages[["x", "y"]].to_numpy(float)
    v_group = area.villages["commune_code"].map(code_index).to_numpy(np.int64)
    v_now = area.villages_now
    sites = (
        pd.concat(
            [
                pd.DataFrame({"commune": v_group[~v_now], "x": v_xy[~v_now, 0], "y": v_xy[~v_now, 1]}),
                _cultural_sites(area, code_index),
                _site_blocks(d_xy, d_people, d_group)[["commune", "x", "y"]],
            ],
            ignore_index=True,
        )
        if options.generate_sites
        else pd.DataFrame(columns=["commune", "x", "y"])
    )
    sites = _drop_sites_near_repairs(_dedupe_sites(sites), area, code_index)
    cand = _candidate_rows(area, sites, costs, user_sites, code_index, params)
    disc = build_coverage_matrix(
        d_xy,
        cand[["x", "y"]].to_numpy(float),
        cand["radius_m"].to_numpy(float),
        demand_group=d_group,
        candidate_group=cand["commune"].to_numpy(),
    )
    bundles, members = _bundles(area, cand, disc, d_people, costs)
    integrations = _integrations(area, costs)
    bundles = pd.concat([bundles, integrations], ignore_index=True) if len(integrations) else bundles
    members += [[] for _ in range(len(integrations))]  # joining clusters reaches no one new: no discs
    cand = pd.concat([cand, bundles], ignore_index=True) if len(bundles) else cand
    coverage = sp.hstack([disc, union_columns(disc, members)]).tocsc()
    u_xy, u_group = v_xy[~v_now], v_group[~v_now]
    v_disc = build_coverage_matrix(
        u_xy,
        cand[["x", "y"]].to_numpy(float)[: disc.shape[1]],
        cand["radius_m"].to_numpy(float)[: disc.shape[1]],
        demand_group=u_group,
        candidate_group=cand["commune"].to_numpy()[: disc.shape[1]],
    )
    village_cov = sp.hstack([v_disc, union_columns(v_disc, members)]).tocsc()
    problem = _assemble(
        area, cand, coverage, village_cov, d_people, d_group, u_group, state, budget_vnd, options
    )
    inputs = _Inputs(problem, cand, d_group, d_people, village_cov, u_group, state, rule)
    return inputs, area, cells.source


def _unreached_people(cells: _People, state: pd.DataFrame) -> np.ndarray:
    """People on each cell today's coverage misses, so that each commune's add up to the coverage analysis's
    pop_total - pop_covered.

    With a raster they are the cells' own people (the factor is 1 up to cells on a disc's rim at a commune
    border); with the census spread evenly, the analysis counts covered area exactly and the grid only
    places the rest of the people.
    """
    n = len(state)
    left = ~cells.now
    on_grid = np.bincount(cells.group[left], weights=cells.people[left], minlength=n)
    target = np.clip(state["pop_total"].to_numpy(float) - state["pop_now"].to_numpy(float), 0.0, None)
    factor = np.divide(target, on_grid, out=np.zeros(n), where=on_grid > 0)
    return np.asarray(cells.people[left] * factor[cells.group[left]], dtype=float)


def _cultural_sites(area: _Area, code_index: Mapping[str, int]) -> pd.DataFrame:
    """Cultural houses today's coverage of their commune does not reach (candidate sites)."""
    houses = area.cultural[area.cultural["commune_code"].isin(list(code_index))]
    if len(houses) == 0:
        return pd.DataFrame(columns=["commune", "x", "y"])
    group = np.asarray(houses["commune_code"].map(code_index).to_numpy(np.int64), dtype=np.int64)
    reached = villages_reached(
        area.today.geometry.values.to_numpy(),
        shapely.points(houses["lon"].to_numpy(float), houses["lat"].to_numpy(float)),
        group,
    )
    free = ~reached
    return pd.DataFrame(
        {"commune": group[free], "x": houses["x"].to_numpy(float)[free], "y": houses["y"].to_numpy(float)[free]}
    )


def _commune_state(area: _Area) -> pd.DataFrame:
    """Each commune today, as the coverage analysis has it (no population known counts as none)."""
    today = area.today
    return pd.DataFrame(
        {
            "code": area.communes["code"],
            "name": area.communes["name"],
            "pop_total": np.nan_to_num(today["pop_total"].to_numpy(float)),
            "pop_now": np.nan_to_num(today["pop_covered"].to_numpy(float)),
            "pop_share": today["pop_covered_share"].to_numpy(float),
            "villages_total": today["villages_total"].to_numpy(np.int64),
            "villages_now": today["villages_reached"].to_numpy(np.int64),
            "station_working": today["station_operational"].to_numpy(bool),
            "class": today["class"].to_numpy(object),
        }
    )


def _assemble(
    area: _Area,
    cand: pd.DataFrame,
    coverage: sp.csc_matrix,
    village_cov: sp.csc_matrix,
    people: np.ndarray,
    group: np.ndarray,
    v_group: np.ndarray,
    state: pd.DataFrame,
    budget_vnd: float,
    options: PlanOptions,
) -> PlanningProblem:
    code_index = {code: i for i, code in enumerate(area.communes["code"])}
    build_of = {
        int(c): j
        for j, (a, c) in enumerate(zip(cand["action"], cand["commune"], strict=True))
        if a == "build_station"
    }
    working = state["station_working"].to_numpy(bool)
    requires = tuple(
        (j, (build_of[c],) if c in build_of else ())
        for j, (a, c) in enumerate(zip(cand["action"], cand["commune"], strict=True))
        if a in ("repair_cluster", "new_ip_cluster") and not working[int(c)]
    )
    exclusive = tuple(
        tuple(idx) for _, idx in cand[cand["site"] >= 0].groupby("site").groups.items() if len(idx) > 1
    )
    must_cover: list[tuple[int, ...]] = []
    # Công văn 271 requires the integration of a merged commune's stations: it comes first in the budget.
    must_choose: list[int] = [int(j) for j in np.flatnonzero(cand["action"].to_numpy() == "integration")]
    for code in options.reach_all_villages:
        c = _index_of(code, code_index)
        if not working[c]:
            must_choose.append(build_of.get(c, -1))
        for v in np.flatnonzero(v_group == c):
            must_cover.append(tuple(village_cov[[v], :].indices.tolist()))
    if -1 in must_choose:
        must_cover.append(())  # no station can be built there: HiGHS will say the plan is infeasible
        must_choose = [j for j in must_choose if j >= 0]
    min_reach = tuple(
        MinimumReach(
            np.flatnonzero(group == _index_of(code, code_index)),
            max(
                0.0,
                share * state["pop_total"].iloc[_index_of(code, code_index)]
                - state["pop_now"].iloc[_index_of(code, code_index)],
            ),
            code,
        )
        for code, share in options.min_share.items()
    )
    factor = np.array([options.commune_weights.get(code, 1.0) for code in area.communes["code"]])
    return PlanningProblem(
        weight=people * factor[group] if len(group) else people,
        coverage=coverage,
        cost_vnd=cand["cost_vnd"].to_numpy(float),
        budget_vnd=float(budget_vnd),
        people=people,
        requires_any=requires,
        exclusive=exclusive,
        must_cover=tuple(must_cover),
        must_choose=tuple(must_choose),
        min_reach=min_reach,
    )


def _index_of(code: str, code_index: Mapping[str, int]) -> int:
    if code not in code_index:
        raise PlanningInputError(f"commune {code!r} is not among the planned communes")
    return code_index[code]


# ------------------------------------------------------------------------------------------- planning
def plan_investments(
    conn: Connection,
    *,
    budget_vnd: float,
    province_code: str | None = None,
    costs: UnitCosts | None = None,
    user_sites: Sequence[CandidateSite] = (),
    options: PlanOptions | None = None,
    solver: Solver | None = None,
    params: CoverageParams | None = None,
    rule: CriteriaRule | None = None,
) -> PlanResult:
    """Plan where to spend ``budget_vnd`` so the most people are newly reached; solve exactly by default.

    Parameters
    ----------
    conn : an open connection (reads communes, facilities, villages, the active population raster).
    budget_vnd : the budget in VND.
    province_code : a 2025 province code, or None for every commune loaded.
    costs : unit costs (defaults DOMAIN.md §3.1).
    user_sites : the user's candidate sites (EPSG:4326).
    options : 8.3 communes, minimum shares, priority weights, time limit.
    solver : a :data:`analysis.planning.Solver` (e.g. ``solve_greedy`` for an instant preview); exact HiGHS
        with an announced fallback when None.
    params, rule : the coverage model and criteria rule (defaults as ``phusong analyse``): today's coverage,
        people reached and classes are the coverage analysis's for these, and new discs use its radii.

    Returns
    -------
    PlanResult whose ``actions`` has PLAN_COLUMNS (lon/lat in EPSG:4326), one row per action.
    """
    costs, options = costs or UnitCosts(), options or PlanOptions()
    params, rule = params or CoverageParams(), rule or rule_for(None)
    inputs, area, source = build_planning_inputs(
        conn,
        budget_vnd=budget_vnd,
        province_code=province_code,
        costs=costs,
        user_sites=user_sites,
        options=options,
        params=params,
        rule=rule,
    )
    problem = inputs.problem
    solution = solve_plan(problem, solver=solver, time_limit_s=options.time_limit_s)
    actions = _actions_table(inputs, area, solution)
    changes = _class_changes(inputs, solution)
    recorded = {
        "costs": asdict(costs),
        "options": _jsonable(asdict(options)),
        "solver": solution.solver,
        "status": solution.status,
        "mip_gap": solution.mip_gap,
        "time_s": round(solution.time_s, 3),
        "note": solution.note,
        "demand_source": source,
        "n_demand": problem.n_demand,
        "n_candidates": problem.n_candidates,
        "added_population": float(actions["added_population"].sum()),
        "cost_vnd": float(actions["cost_vnd"].sum()),
        "communes_changing_class": len(changes),
        "coverage": params.to_dict(),
        "rule_version": rule.version,
    }
    return PlanResult(
        actions,
        solution,
        float(budget_vnd),
        province_code,
        changes,
        source,
        problem.n_demand,
        problem.n_candidates,
        recorded,
    )


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: dict(o) if isinstance(o, Mapping) else str(o)))


def _actions_table(inputs: _Inputs, area: _Area, solution: PlanSolution) -> pd.DataFrame:
    gains = attribute_gains(inputs.problem, solution.chosen)
    order = sorted(gains, key=lambda j: (-gains[j], j))
    covered_v = np.zeros(inputs.village_cov.shape[0], dtype=bool)
    rows = []
    for j in order:
        col = inputs.village_cov.indices[inputs.village_cov.indptr[j] : inputs.village_cov.indptr[j + 1]]
        added_v = int((~covered_v[col]).sum())
        covered_v[col] = True
        rec = _records(inputs.candidates.iloc[[j]])[0]
        lon, lat = area.to_lonlat.transform(rec["x"], rec["y"])
        commune = area.communes.iloc[int(rec["commune"])]
        rows.append(
            {
                "action": rec["action"],
                "facility_id": None if pd.isna(rec["facility_id"]) else int(rec["facility_id"]),
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
                "commune_code": commune["code"],
                "commune_name": commune["name"],
                "cost_vnd": float(rec["cost_vnd"]),
                "added_population": round(gains[j], 1),
                "added_villages": added_v,
                "reason": rec["reason"],
            }
        )
    frame = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    frame["facility_id"] = frame["facility_id"].astype("Int64")
    return frame


def _class_changes(inputs: _Inputs, solution: PlanSolution) -> pd.DataFrame:
    """Communes whose class (analysis.criteria, the rule of coverage_commune.class) the plan changes."""
    state = inputs.commune_state
    chosen = np.asarray(solution.chosen, dtype=np.int64)
    reached = np.zeros(inputs.problem.n_demand, dtype=bool)
    for j in chosen:
        reached[
            inputs.problem.coverage.indices[
                inputs.problem.coverage.indptr[j] : inputs.problem.coverage.indptr[j + 1]
            ]
        ] = True
    n = len(state)
    added = np.bincount(inputs.demand_group[reached], weights=inputs.demand_people[reached], minlength=n)
    v_reached = (
        np.asarray(inputs.village_cov[:, chosen].sum(axis=1)).ravel() > 0
        if len(chosen)
        else np.zeros(inputs.village_cov.shape[0], dtype=bool)
    )
    v_added = np.bincount(inputs.village_group[v_reached], minlength=n)
    built = np.zeros(n, dtype=bool)
    station = inputs.candidates["action"].to_numpy()[chosen] == "build_station"
    built[inputs.candidates["commune"].to_numpy(np.int64)[chosen][station]] = True
    total, now = state["pop_total"].to_numpy(float), state["pop_now"].to_numpy(float)
    share_before = state["pop_share"].to_numpy(float)
    share_after = np.clip(
        np.where(total > 0, np.divide(now + added, total, out=np.zeros(n), where=total > 0), share_before),
        0.0,
        1.0,
    )
    after, _, _ = classify_communes(
        state["station_working"].to_numpy(bool) | built,
        share_after,
        state["villages_total"].to_numpy(np.int64),
        state["villages_now"].to_numpy(np.int64) + v_added,
        rule=inputs.rule,
    )
    before = state["class"].to_numpy(object)
    changed = np.flatnonzero(before != np.asarray(after, dtype=object))
    return pd.DataFrame(
        {
            "commune_code": state["code"].to_numpy()[changed],
            "commune_name": state["name"].to_numpy()[changed],
            "class_before": before[changed],
            "class_after": np.asarray(after, dtype=object)[changed],
            "pop_share_before": np.round(share_before[changed], 4),
            "pop_share_after": np.round(share_after[changed], 4),
        },
        columns=[
            "commune_code",
            "commune_name",
            "class_before",
            "class_after",
            "pop_share_before",
            "pop_share_after",
        ],
    )


# ------------------------------------------------------------------------------------------- scenarios
def save_scenario(conn: Connection, name: str, result: PlanResult, *, owner: str | None = None) -> int:
    """Save ``result`` as ``owner``'s scenario ``name`` (replacing the owner's own one of that name); return its id.

    Names are unique per owner: another owner's scenario of the same name is left alone. ``owner`` None is the
    transaction's writer (``set_actor``; the database login otherwise). The scenario's scope is the result's
    province (None: the whole country).
    """
    conn.execute(queries.load("delete_scenario_of_owner"), {"name": name, "owner": owner})
    scenario_id = int(
        conn.execute(
            queries.load("insert_scenario"),
            {
                "name": name,
                "owner": owner,
                "budget_vnd": round(result.budget_vnd),
                "province_code": result.province_code,
                "params": json.dumps(result.params, default=str),
            },
        ).scalar_one()
    )
    rows = [
        {
            "scenario_id": scenario_id,
            "action": r["action"],
            "facility_id": None if pd.isna(r["facility_id"]) else int(r["facility_id"]),
            "lon": float(r["lon"]),
            "lat": float(r["lat"]),
            "commune_code": r["commune_code"],
            "cost_vnd": round(float(r["cost_vnd"])),
            "added_population": float(r["added_population"]),
            "added_villages": int(r["added_villages"]),
            "reason": r["reason"],
        }
        for r in _records(result.actions)
    ]
    if rows:
        conn.execute(queries.load("insert_scenario_action"), rows)
    return scenario_id


def list_scenarios(conn: Connection) -> pd.DataFrame:
    """Every saved scenario with its totals (actions, cost_vnd, added_population, added_villages)."""
    return pd.DataFrame(
        conn.execute(queries.load("scenarios_with_totals")).mappings().all(),
        columns=[
            "id",
            "name",
            "owner",
            "budget_vnd",
            "province_code",
            "created_by",
            "created_at",
            "solver",
            "status",
            "actions",
            "cost_vnd",
            "added_population",
            "added_villages",
        ],
    )


@dataclass(frozen=True)
class ScenarioHeader:
    """A saved scenario as the access rules see it: who owns it and which province it covers (None: all)."""

    id: int
    name: str
    owner: str
    province_code: str | None


def find_scenario(conn: Connection, ref: int | str) -> ScenarioHeader:
    """The scenario with id ``ref`` (an int, or a string of digits no name matches), else the one named ``ref``.

    Raise PlanningInputError when there is none, or when several owners have used the name (their ids are listed).
    """
    named = [] if isinstance(ref, int) else conn.execute(queries.load("scenarios_named"), {"name": ref}).all()
    if len(named) > 1:
        which = ", ".join(f"{r.id} ({r.owner})" for r in named)
        raise PlanningInputError(f"several scenarios are named {ref!r}: give the id of one of them: {which}")
    if not named and (isinstance(ref, int) or ref.isdigit()):
        row = conn.execute(queries.load("scenario_by_id"), {"id": int(ref)}).first()
        named = [row] if row is not None else []
    if not named:
        known = ", ".join(list_scenarios(conn)["name"].astype(str).tolist()[:10]) or "none saved yet"
        raise PlanningInputError(f"no scenario named {ref!r} (known: {known})")
    row = named[0]
    return ScenarioHeader(int(row.id), str(row.name), str(row.owner), row.province_code)


def scenario_actions(conn: Connection, ref: int | str) -> pd.DataFrame:
    """The actions of scenario ``ref`` (an id or a name, :func:`find_scenario`) as PLAN_COLUMNS."""
    header = find_scenario(conn, ref)
    rows = conn.execute(queries.load("scenario_actions_by_id"), {"id": header.id}).mappings().all()
    frame = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    for col in ("cost_vnd", "added_population"):
        frame[col] = frame[col].astype(float)
    frame["facility_id"] = frame["facility_id"].astype("Int64")
    return frame


def compare_scenarios(conn: Connection, ref_a: int | str, ref_b: int | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare two scenarios (ids or names): (totals per scenario, actions only in A or only in B).

    Actions match on (action, facility id) for repairs and upgrades, and on (action, place to ~1 m) for new
    clusters and stations. Scenarios are labelled by name (with the owner when both have the same name).
    """
    head_a, head_b = find_scenario(conn, ref_a), find_scenario(conn, ref_b)
    same = head_a.name == head_b.name
    name_a, name_b = (f"{h.name} ({h.owner})" if same else h.name for h in (head_a, head_b))
    a, b = scenario_actions(conn, head_a.id), scenario_actions(conn, head_b.id)
    totals = pd.DataFrame(
        [
            {
                "scenario": n,
                "actions": len(f),
                "cost_vnd": float(f["cost_vnd"].sum()),
                "added_population": float(f["added_population"].sum()),
                "added_villages": int(f["added_villages"].sum()),
            }
            for n, f in ((name_a, a), (name_b, b))
        ]
    )
    key_a, key_b = _action_keys(a), _action_keys(b)
    only_a = a[~key_a.isin(set(key_b))].assign(only_in=name_a)
    only_b = b[~key_b.isin(set(key_a))].assign(only_in=name_b)
    return totals, pd.concat([only_a, only_b], ignore_index=True)


def _action_keys(frame: pd.DataFrame) -> pd.Series:
    keys = [
        f"{r['action']}|{r['facility_id']}"
        if not pd.isna(r["facility_id"]) and r["action"] != "build_station"
        else f"{r['action']}|{round(float(r['lon']), 5)}|{round(float(r['lat']), 5)}"
        for r in _records(frame)
    ]
    return pd.Series(keys, index=frame.index, dtype=object)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
