"""The area a plan covers, read from the database in its metric UTM zone: communes, clusters, stations, villages,
people as weighted cells, and how far each cluster reaches."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from sqlalchemy import Connection

from analysis.assessment import assess_communes
from analysis.coverage import CoverageParams, cluster_radii_m
from analysis.criteria import CriteriaRule
from analysis.inputs import read_coverage_inputs
from analysis.planning.params import CENSUS_GRID_M, PlanningInputError
from analysis.population import (
    PopulationGrid,
    build_population_raster,
    cells_in_communes,
    cells_reached,
    reproject_geoms,
    reproject_points,
    transformer,
)
from analysis.population_raster import RasterInfo, active_population_raster, read_population_window


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
    communes = _communes_with_station(communes_gdf, facilities)
    villages = _village_points(villages_gdf)
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


def _communes_with_station(communes_gdf: gpd.GeoDataFrame, facilities: pd.DataFrame) -> pd.DataFrame:
    """Each commune with the station that decides what it can add (working first, newest technology first)."""
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
    return pd.DataFrame(
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


def _village_points(villages_gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    on_village = shapely.point_on_surface(villages_gdf.geometry.values.to_numpy())
    return pd.DataFrame(
        {
            "id": villages_gdf["id"].to_numpy(),
            "commune_code": villages_gdf["commune_code"].to_numpy(),
            "lon": shapely.get_x(on_village),
            "lat": shapely.get_y(on_village),
        }
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
