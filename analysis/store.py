"""Run the coverage analysis against the database: read inputs, compute, store coverage_commune/_village.

``analyse(conn, ...)`` recomputes and stores the communes it is given; which communes, under which locks, and
when, is analysis.refresh's job (the one path every writer goes through).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.errors
import rasterio.io
import rasterio.windows
import shapely
from pyproj import CRS
from sqlalchemy import Connection

from analysis.coverage import CoverageParams, DiscsOfCommunes, cover_communes
from analysis.criteria import (
    CriteriaRule,
    classify_communes,
    share_with_cultural_house,
)
from analysis.population import (
    DERIVED_DESCRIPTION,
    PopulationGrid,
    RasterPopulationGrid,
    build_population_raster,
    people_in_communes,
    people_reached,
    reproject_geoms,
    reproject_points,
    spread_evenly,
)
from analysis.rules import RuleSet, commune_groups, judge_indicator, rule_set_for_data
from sql import queries
from sql.bulk import copy_rows
from sql.copy_binary import copy_binary_rows
from sql.copy_out import copy_query_csv
from sql.errors import InputRefused

CENSUS_EVENLY = "census 2019 commune total spread evenly over the commune (no population raster)"
RASTER_CELL_CENTRES = "population raster, cells counted by their centre"
NO_POPULATION = "no population known (no raster, no census): share of people = share of area covered"


@dataclass(frozen=True)
class RasterInfo:
    id: int
    path: Path
    derived: bool
    description: str | None


@dataclass(frozen=True)
class AnalyseResult:
    """What one recompute did: the run, how many communes of each class, the time it took."""

    run_id: int | None
    communes: int
    villages: int
    classes: dict[str, int]
    population_source: str
    seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)
    rules_name: str = ""
    rules_provisional: bool = False


def analyse(
    conn: Connection,
    *,
    province_code: str | None = None,
    commune_codes: list[str] | None = None,
    params: CoverageParams | None = None,
    rule: CriteriaRule | None = None,
    rule_set: RuleSet | None = None,
    workers: int | None = None,
) -> AnalyseResult:
    """Recompute and store coverage for a province, some communes, or every commune (both None).

    Stores one coverage_run, and for each commune its coverage_commune row (with the covered geometry) and
    its villages' coverage_village rows, replacing earlier results. Leaves coverage_stale alone: call it
    through :func:`analysis.refresh.bring_current`, which drains and locks the communes first.
    NTM verdicts are judged under ``rule_set`` (default: the set in force on the data date, analysis.rules).
    """
    start = time.perf_counter()
    communes, facilities, villages = read_coverage_inputs(
        conn, province_code=province_code, commune_codes=commune_codes
    )
    rule_set = rule_set or rule_set_for_data(conn, facilities["data_date"])
    params, rule = params or CoverageParams(), rule or CriteriaRule(version=rule_set.model.version)
    if communes.empty:
        return AnalyseResult(None, 0, 0, {}, "", time.perf_counter() - start)
    raster = active_population_raster(conn)
    phases = {"read": time.perf_counter() - start}
    # The stored geometry goes to the database as the EWKB the workers made: no shapely geometries here.
    table, villages_df = _assess_communes(
        conn,
        communes,
        facilities,
        villages,
        params=params,
        rule=rule,
        rule_set=rule_set,
        raster=raster,
        workers=workers,
        timings=phases,
        geometries=False,
    )
    mark = time.perf_counter()
    scope = (
        commune_codes[0]
        if commune_codes and len(commune_codes) == 1
        else (province_code or ("communes" if commune_codes else "all"))
    )
    run_id = _store(
        conn, table, villages_df, scope=scope, params=params, rule=rule, raster=raster, rule_set=rule_set
    )
    phases["store"] = time.perf_counter() - mark
    classes = table["class"].value_counts().to_dict()
    return AnalyseResult(
        run_id,
        len(table),
        len(villages_df),
        {str(k): int(v) for k, v in classes.items()},
        _population_source(raster, table["population_method"]),
        time.perf_counter() - start,
        phases,
        rule_set.name,
        rule_set.provisional,
    )


def read_coverage_inputs(
    conn: Connection, *, province_code: str | None = None, commune_codes: list[str] | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """Read what :func:`assess_communes` takes: (communes, facilities, villages) of a province, some
    communes, or every commune (both None)."""
    binds = {"province_code": province_code, "commune_codes": commune_codes}
    return _read_communes(conn, binds), _read_facilities(conn, binds), _read_villages(conn, binds)


def assess_communes(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    *,
    params: CoverageParams,
    rule: CriteriaRule,
    raster: RasterInfo | None,
    workers: int | None = None,
    timings: dict[str, float] | None = None,
    rule_set: RuleSet | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Compute every stored column for these communes (see coverage_commune); writes only raster totals.

    ``timings`` (optional) receives the seconds spent on coverage, people and criteria; ``rule_set`` judges
    the NTM indicators (default: the set in force on the data date).
    """
    return _assess_communes(
        conn,
        communes,
        facilities,
        villages,
        params=params,
        rule=rule,
        rule_set=rule_set or rule_set_for_data(conn, facilities["data_date"]),
        raster=raster,
        workers=workers,
        timings=timings,
        geometries=True,
    )


def _assess_communes(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    *,
    params: CoverageParams,
    rule: CriteriaRule,
    rule_set: RuleSet,
    raster: RasterInfo | None,
    workers: int | None,
    timings: dict[str, float] | None,
    geometries: bool,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    timings = timings if timings is not None else {}
    mark = time.perf_counter()
    # cover_communes reads the lon/lat columns: no 200,000 shapely points to make.
    clusters = gpd.GeoDataFrame(facilities)
    cached = None
    if raster is not None:
        cached, _ = _cached_totals(conn, raster, communes["code"].tolist())
    coverage, villages_df, _ = cover_communes(
        communes,
        clusters,
        villages,
        params=params,
        workers=workers,
        people=RasterPeopleCounter(raster.path) if raster is not None else None,
        need_total=np.isnan(cached) if cached is not None else None,
        geometries=geometries,
    )
    timings["coverage_and_people"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pop_total, pop_covered, method = _people(conn, communes, coverage, raster, cached)

    codes = communes["code"].to_numpy()
    working = facilities[facilities["is_working"].astype(bool)]
    # Hashed look-ups (np.isin sorts the code strings: 0.09 s nationally).
    station = pd.Index(codes).isin(working.loc[working["type"] == "commune_radio_station", "commune_code"])
    post = pd.Index(codes).isin(working.loc[working["type"] == "post_culture_point", "commune_code"])
    v_total = _count_by(villages_df["commune_code"], codes)
    v_reached = _count_by(villages_df.loc[villages_df["reached"], "commune_code"], codes)
    houses = working[(working["type"] == "cultural_house") & working["village_id"].notna()]
    with_house = villages_df[villages_df["id"].isin(houses["village_id"].astype("int64"))]
    # The commune's own cultural house / multi-purpose hall: a working cultural house tied to no village.
    hall = working.loc[(working["type"] == "cultural_house") & working["village_id"].isna(), "commune_code"]
    group, _ = commune_groups(communes["commune_group"])
    # No population known at all (no raster, no census loaded): people spread evenly means the share of people
    # reached is the share of area covered; the totals stay empty and population_method says so.
    known = np.isfinite(pop_total) & (pop_total > 0)
    pop_share = np.clip(
        np.where(
            known,
            np.divide(pop_covered, pop_total, out=np.zeros(len(codes)), where=known),
            coverage["covered_area_share"].to_numpy(),
        ),
        0,
        1,
    )
    classes, reason_vi, reason_en = classify_communes(station, pop_share, v_total, v_reached, rule=rule)
    table = gpd.GeoDataFrame(
        {
            "code": codes,
            "area_km2": _area_km2(communes, coverage),
            "covered_area_km2": coverage["covered_area_km2"],
            "covered_area_share": coverage["covered_area_share"],
            "pop_total": pop_total,
            "pop_covered": np.minimum(pop_covered, pop_total),
            "pop_covered_share": pop_share,
            "villages_total": v_total,
            "villages_reached": v_reached,
            "clusters_working": coverage["clusters_working"],
            "clusters_broken": coverage["clusters_broken"],
            "station_operational": station,
            "ntm_8_1": post,
            "ntm_6_3_share": share_with_cultural_house(v_total, _count_by(with_house["commune_code"], codes)),
            "ntm_8_3": judge_indicator(
                pd.DataFrame({"station_operational": station, "villages_total": v_total,
                              "villages_reached": v_reached}),
                rule_set.radio,
                group,
            ).astype(bool),
            "class": classes,
            "reason": reason_vi,
            "reason_en": reason_en,
            "population_method": method,
            "data_date": _data_dates(facilities, codes),
            "covered_ewkb": coverage["covered_ewkb"].to_numpy(),
            "commune_culture_houses": _count_by(hall, codes),
            "commune_group": communes["commune_group"].to_numpy(),
            "rules_name": rule_set.name,
            "rules_hash": rule_set.sha256,
            "rules_provisional": rule_set.provisional,
        },
        geometry=coverage.geometry.values,
        crs=4326,
    )
    timings["criteria"] = time.perf_counter() - mark
    return table, villages_df


def _area_km2(communes: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame) -> np.ndarray:
    share = coverage["covered_area_share"].to_numpy()
    km2 = coverage["covered_area_km2"].to_numpy()
    area = pd.to_numeric(communes["area_km2"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(area), area, np.divide(km2, share, out=np.zeros_like(km2), where=share > 0))


@dataclass(frozen=True)
class RasterPeopleCounter:
    """Counts people for one part of the communes from a population GeoTIFF (picklable: runs in workers).

    Called by analysis.coverage with each part's communes and discs; opens the raster, reads only the blocks
    the discs (and communes needing a total) touch, and counts cell centres.
    """

    path: Path

    def __call__(self, discs: DiscsOfCommunes, need_total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with rasterio.open(self.path) as src:
            crs = CRS.from_user_input(src.crs)
            if crs == CRS.from_epsg(discs.epsg):  # the raster is in the part's UTM zone: projected already
                geoms, x, y = discs.commune_geoms_m, discs.x_m, discs.y_m
            else:
                geoms = reproject_geoms(discs.commune_geoms, 4326, crs)
                x, y = reproject_points(discs.lon, discs.lat, 4326, crs)
            bh, bw = src.block_shapes[0]
            grid = RasterPopulationGrid(
                src,
                (max(int(bh), 256), max(int(bw), 256)),
                (src.height, src.width),
                src.transform,
                crs,
                src.nodata,
            )
            totals = np.full(len(geoms), np.nan)
            if need_total.any():
                totals[need_total] = people_in_communes(grid, geoms[need_total])
            covered = people_reached(grid, x, y, discs.radius_m, discs.disc_commune, discs.disc_inside, geoms)
        return covered, totals


def _people(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    coverage: gpd.GeoDataFrame,
    raster: RasterInfo | None,
    cached_totals: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Combine the raster counts made during coverage with census totals; cache new raster totals."""
    census = pd.to_numeric(communes["population"], errors="coerce").to_numpy(dtype=float)
    census_covered = np.where(
        np.isfinite(census), spread_evenly(census, coverage["covered_area_share"].to_numpy()), np.nan
    )
    census_method = [CENSUS_EVENLY if np.isfinite(c) else NO_POPULATION for c in census]
    if raster is None or cached_totals is None:
        return census, census_covered, census_method
    totals = cached_totals.copy()
    new = np.flatnonzero(np.isnan(totals))
    totals[new] = coverage["pop_total_raster"].to_numpy()[new]
    if len(new):
        codes = communes["code"].tolist()
        _cache_totals(conn, raster, [codes[i] for i in new], totals[new])
    covered = coverage["pop_covered_raster"].to_numpy()
    # A commune the raster does not reach (outside it, or all nodata) falls back to its census total.
    fallback = (totals <= 0) & ~(census <= 0)
    method = [m if f else RASTER_CELL_CENTRES for f, m in zip(fallback, census_method, strict=True)]
    return (np.where(fallback, census, totals), np.where(fallback, census_covered, covered), method)


def _cached_totals(
    conn: Connection | None, raster: RasterInfo, codes: list[str]
) -> tuple[np.ndarray, list[int]]:
    cached: dict[str, float] = {}
    if conn is not None:
        rows = conn.execute(
            queries.load("population_commune_totals"), {"raster_id": raster.id, "commune_codes": codes}
        ).all()
        cached = {r.commune_code: float(r.pop_total) for r in rows}
    missing = [i for i, c in enumerate(codes) if c not in cached]
    return np.array([cached.get(c, np.nan) for c in codes]), missing


def _cache_totals(conn: Connection | None, raster: RasterInfo, codes: list[str], totals: np.ndarray) -> None:
    if conn is not None:
        copy_rows(
            conn,
            "population_commune_total",
            ("raster_id", "commune_code", "pop_total", "method"),
            ((raster.id, c, float(t), "cell centres") for c, t in zip(codes, totals, strict=True)),
        )


def active_population_raster(conn: Connection) -> RasterInfo | None:
    """Return the active population raster, or None (then census totals are spread evenly)."""
    row = conn.execute(queries.load("active_population_raster")).first()
    if row is None:
        return None
    return RasterInfo(int(row.id), Path(row.path), bool(row.derived), row.description)


def read_population_window(raster: RasterInfo, commune_geoms: np.ndarray) -> tuple[PopulationGrid, np.ndarray]:
    """Read the part of ``raster`` under these communes (EPSG:4326) into memory, cleaned as analyses read it.

    Returns the grid (its transform is the window's) and the communes in the grid's CRS.
    """
    with rasterio.open(raster.path) as src:
        crs = CRS.from_user_input(src.crs)
        geoms = reproject_geoms(commune_geoms, 4326, crs)
        grid = RasterPopulationGrid(
            src, (src.height, src.width), (src.height, src.width), src.transform, crs, src.nodata
        )
        try:
            window = (
                rasterio.windows.from_bounds(*shapely.total_bounds(geoms), transform=src.transform)
                .round_offsets(op="floor")
                .round_lengths(op="ceil")
                .intersection(rasterio.windows.Window(0, 0, src.width, src.height))
            )
        except rasterio.errors.WindowError:  # the communes lie outside the raster
            window = rasterio.windows.Window(0, 0, 0, 0)
        r0, c0 = int(window.row_off), int(window.col_off)
        values = grid.window(r0, r0 + int(window.height), c0, c0 + int(window.width))
        transform = src.window_transform(window)
    return PopulationGrid(values, transform, crs), geoms


def _population_source(raster: RasterInfo | None, methods: pd.Series) -> str:
    """What the run's people figures come from; without a raster, what the communes' own methods say (a commune
    without a census total has no population: only its share of area is known)."""
    if raster is None:
        counts = methods.value_counts()
        if len(counts) <= 1:
            return str(counts.index[0]) if len(counts) else NO_POPULATION
        return "; ".join(f"{method} ({count} communes)" for method, count in counts.items())
    kind = "derived" if raster.derived else "observed"
    note = f": {raster.description}" if raster.description else ""
    return f"{RASTER_CELL_CENTRES}: {raster.path} ({kind}{note})"


def _store(
    conn: Connection,
    table: gpd.GeoDataFrame,
    villages_df: pd.DataFrame,
    *,
    scope: str,
    params: CoverageParams,
    rule: CriteriaRule,
    raster: RasterInfo | None,
    rule_set: RuleSet,
) -> int:
    run_params = {
        "coverage": params.to_dict(),
        "criteria": rule.to_dict(),
        "population": {
            "source": _population_source(raster, table["population_method"]),
            "raster_id": raster.id if raster else None,
            "counting": "cell centres",
        },
    }
    dates = [d for d in table["data_date"] if d is not None]
    run_id = int(
        conn.execute(
            queries.load("insert_coverage_run"),
            {
                "scope": scope,
                "rule_version": rule.version,
                "params": json.dumps(run_params, ensure_ascii=False),
                "data_date": max(dates) if dates else None,
                "population_source": _population_source(raster, table["population_method"]),
                "rules_name": rule_set.name,
                "rules_hash": rule_set.sha256,
            },
        ).scalar_one()
    )
    codes = table["code"].tolist()
    conn.execute(queries.load("deleted_coverage_villages"), {"commune_codes": codes}).all()
    conn.execute(queries.load("deleted_coverage_communes"), {"commune_codes": codes}).all()
    base = json.dumps(run_params, ensure_ascii=False)[:-1]
    wkb = table.pop("covered_ewkb").to_numpy()
    # Binary COPY: the geometries go as the EWKB the workers made, which the server reads without parsing text.
    copy_binary_rows(
        conn,
        "coverage_commune",
        _COMMUNE_COLUMNS,
        (
            (
                r.code,
                run_id,
                r.area_km2,
                r.covered_area_km2,
                r.covered_area_share,
                r.pop_total,
                r.pop_covered,
                r.pop_covered_share,
                r.villages_total,
                r.villages_reached,
                r.clusters_working,
                r.clusters_broken,
                r.station_operational,
                r.ntm_8_1,
                r.ntm_6_3_share,
                r.ntm_8_3,
                r.class_,
                r.reason,
                r.reason_en,
                rule.version,
                base + ', "population_method": ' + json.dumps(r.population_method, ensure_ascii=False) + "}",
                r.data_date,
                g,  # None or NaN when no working cluster: no covered geometry
                r.commune_culture_houses,
                None if pd.isna(r.commune_group) else int(r.commune_group),
                r.rules_name,
                r.rules_hash,
                r.rules_provisional,
            )
            for r, g in zip(
                table.drop(columns="geometry").rename(columns={"class": "class_"}).itertuples(index=False),
                wkb,
                strict=True,
            )
        ),
    )
    copy_rows(
        conn,
        "coverage_village",
        ("village_id", "commune_code", "reached", "run_id"),
        (
            (int(i), c, bool(r), run_id)
            for i, c, r in zip(
                villages_df["id"], villages_df["commune_code"], villages_df["reached"], strict=True
            )
        ),
    )
    return run_id


_COMMUNE_COLUMNS = (
    "commune_code",
    "run_id",
    "area_km2",
    "covered_area_km2",
    "covered_area_share",
    "pop_total",
    "pop_covered",
    "pop_covered_share",
    "villages_total",
    "villages_reached",
    "clusters_working",
    "clusters_broken",
    "station_operational",
    "ntm_8_1",
    "ntm_6_3_share",
    "ntm_8_3",
    "class",
    "reason",
    "reason_en",
    "rule_version",
    "params",
    "data_date",
    "geom",
    "commune_culture_houses",
    "commune_group",
    "rules_name",
    "rules_hash",
    "rules_provisional",
)


def _read_communes(conn: Connection, binds: dict[str, Any]) -> gpd.GeoDataFrame:
    # Row fetches here: psycopg2 decodes the 25 MB of WKB in C; through COPY's CSV it came as hex text for
    # Python to decode (2x slower).
    rows = conn.execute(queries.load("communes_for_coverage"), binds).all()
    frame = pd.DataFrame(
        [r._asdict() for r in rows],
        columns=[
            "code",
            "name",
            "province_code",
            "province_name",
            "area_km2",
            "population",
            "population_source",
            "commune_group",
            "geom_wkb",
        ],
    )
    geoms = shapely.from_wkb([bytes(b) for b in frame.pop("geom_wkb")])
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)


def _read_facilities(conn: Connection, binds: dict[str, Any]) -> pd.DataFrame:
    """The facilities frame :func:`assess_communes` takes (columns of ``facilities_for_coverage``).

    Through COPY: 200,000 rows as Python objects cost 0.9 s, as CSV parsed by pandas 0.35 s. ``data_date``
    is an ISO date string.
    """
    frame = pd.read_csv(
        copy_query_csv(conn, queries.load("facilities_for_coverage"), binds),
        dtype={"type": str, "technology": str, "commune_code": str, "status": str, "data_date": str},
        true_values=["t"],
        false_values=["f"],
    )
    frame["village_id"] = frame["village_id"].astype("Int64")
    return frame


def _read_villages(conn: Connection, binds: dict[str, Any]) -> gpd.GeoDataFrame:
    rows = conn.execute(queries.load("villages_for_coverage"), binds).all()
    frame = pd.DataFrame([(r.id, r.commune_code) for r in rows], columns=["id", "commune_code"])
    geoms = shapely.from_wkb([bytes(r.geom_wkb) for r in rows]) if rows else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=4326), crs=4326)


def _count_by(values: pd.Series, codes: np.ndarray) -> np.ndarray:
    return values.value_counts().reindex(codes, fill_value=0).to_numpy(dtype=np.int64)


def _data_dates(facilities: pd.DataFrame, codes: np.ndarray) -> list[date | None]:
    if facilities.empty:
        return [None] * len(codes)
    # As datetime64: the maximum of strings per group runs in Python (0.25 s for 200,000 facilities).
    days = pd.to_datetime(facilities["data_date"], format="%Y-%m-%d")
    latest = days.groupby(facilities["commune_code"]).max().reindex(codes)
    return [None if pd.isna(d) else d.date() for d in latest]


@dataclass(frozen=True)
class PopulationRasterResult:
    path: Path
    raster_id: int
    epsg: int
    resolution_m: float
    width: int
    height: int
    total: float
    communes: int
    description: str


class PopulationBuildError(InputRefused):
    """A derived population raster cannot be built from what is loaded (said in one sentence)."""


def build_and_record_population_raster(
    conn: Connection,
    out: Path,
    *,
    province_code: str | None = None,
    resolution_m: float = 100.0,
    epsg: int = 32648,
    use_villages: bool = True,
    village_weight: float = 0.7,
    village_radius_m: float = 500.0,
) -> PopulationRasterResult:
    """Build a derived population GeoTIFF from census commune totals, write it, and make it the active raster.

    Each commune's population (census 2019 apportioned to 2025 communes) is spread over its cells, weighted
    toward its villages when they are loaded. The file is tiled and compressed, nodata -1, EPSG ``epsg``.
    """
    communes = _read_communes(conn, {"province_code": province_code, "commune_codes": None})
    if communes.empty:
        raise FileNotFoundError(
            f"no communes loaded{' in province ' + province_code if province_code else ''}"
        )
    geoms = communes.geometry.to_crs(epsg).values.to_numpy()
    index_of = {c: i for i, c in enumerate(communes["code"])}
    village_geoms, village_commune = None, None
    if use_villages:
        rows = [
            r
            for r in conn.execute(queries.load("villages_for_population"), {"province_code": province_code})
            if r.commune_code in index_of
        ]
        if rows:
            pts = gpd.GeoSeries(shapely.from_wkb([bytes(r.geom_wkb) for r in rows]), crs=4326).to_crs(epsg)
            village_geoms = pts.values.to_numpy()
            village_commune = np.array([index_of[r.commune_code] for r in rows], dtype=np.int64)
    population = pd.to_numeric(communes["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
    if not (population > 0).any():  # a raster of zeros, made active, would tell every result nobody lives there
        raise PopulationBuildError(
            f"no census population is loaded for the {len(communes)} communes"
            f"{' of province ' + province_code if province_code else ''}: load the census first "
            "(phusong load census FILE --old-id-map ...) or load a population raster (phusong load population); "
            "nothing written"
        )
    values, transform, totals = build_population_raster(
        geoms,
        population,
        resolution_m=resolution_m,
        village_geoms=village_geoms,
        village_commune=village_commune,
        village_weight=village_weight,
        village_radius_m=village_radius_m,
    )
    how = "weighted toward villages" if village_geoms is not None else "evenly"
    description = DERIVED_DESCRIPTION.format(how=how, resolution_m=resolution_m)
    write_population_geotiff(out, values, transform, epsg=epsg, description=description)
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    conn.execute(queries.load("deactivated_population_rasters")).all()
    raster_id = int(
        conn.execute(
            queries.load("inserted_population_raster"),
            {
                "path": str(out.resolve()),
                "sha256": sha,
                "crs": f"EPSG:{epsg}",
                "resolution": resolution_m,
                "total": float(values[values > 0].sum(dtype=np.float64)),
                "derived": True,
                "description": description,
            },
        ).scalar_one()
    )
    _cache_totals(conn, RasterInfo(raster_id, out, True, description), communes["code"].tolist(), totals)
    # Every commune's coverage depends on the raster: the insert marked them all stale (migration 0085).
    return PopulationRasterResult(
        out,
        raster_id,
        epsg,
        resolution_m,
        values.shape[1],
        values.shape[0],
        float(values[values > 0].sum(dtype=np.float64)),
        len(communes),
        description,
    )


def write_population_geotiff(
    path: Path, values: np.ndarray, transform: Any, *, epsg: int, description: str
) -> None:
    """Write persons per cell as a tiled, LZW-compressed float32 GeoTIFF (nodata -1), tagged derived."""
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": values.shape[1],
        "height": values.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{epsg}",
        "transform": transform,
        "nodata": -1.0,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        # LZW without predictor: a derived raster is constant over each commune, so it packs small (8 MB
        # for the country at 100 m) and reads fastest (all 4,690 national blocks in 0.9 s vs 3.8 s deflate).
        "compress": "lzw",
        "SPARSE_OK": True,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype(np.float32), 1)
        dst.update_tags(DERIVED="true", DESCRIPTION=description, UNITS="persons per cell", SOURCE="phusong")
