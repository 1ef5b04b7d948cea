"""Cover communes: each commune's covered area (the union of its working discs, clipped to it), which of its
villages are reached, and the people the discs reach, computed in parts (one UTM zone each) that worker
processes share. analysis.assessment calls ``cover_communes``; analysis.coverage holds the radii and geometry.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from analysis.coverage import (
    CoverageParams,
    cluster_radii_m,
    covered_geometries,
    ewkb,
    metric_zones,
    polygonal_multipolygons,
    villages_reached,
)
from analysis.population import transformer


# long: a documented public entry point; a third of it is the signature and the parameter docstring.
def cover_communes(
    communes_gdf: gpd.GeoDataFrame,
    clusters_gdf: gpd.GeoDataFrame,
    villages_gdf: gpd.GeoDataFrame | None = None,
    *,
    params: CoverageParams | None = None,
    workers: int | None = None,
    people: PeopleCounter | None = None,
    need_total: NDArray[np.bool_] | None = None,
    geometries: bool = True,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """Compute each commune's covered area and which of its villages are reached.

    Parameters
    ----------
    communes_gdf : columns ``code``, optional ``area_km2`` (geodesic), polygons in EPSG:4326.
    clusters_gdf : columns ``commune_code``, ``type``, ``status``, ``radius_m``, ``technology``, ``n_horns``,
        ``watts``; points in EPSG:4326, or columns ``lon``, ``lat`` (used when present; then no geometry is
        needed). Only ``params.disc_types`` make discs.
    villages_gdf : columns ``id``, ``commune_code``; points or polygons in EPSG:4326 (optional).

    Returns
    -------
    (coverage_gdf, villages_df): coverage_gdf has ``code``, ``covered_area_km2``, ``covered_area_share``,
    ``clusters_working``, ``clusters_broken``, ``covered_ewkb`` (EWKB bytes) and the covered geometry
    (MultiPolygon or None, EPSG:4326; all None with ``geometries=False``, when only the EWKB is needed);
    villages_df has ``id``, ``commune_code``, ``reached``; discs_df has one row per cluster of
    ``params.disc_types``: ``lon``, ``lat`` (EPSG:4326), ``radius_m`` (effective), ``commune`` (row in
    communes_gdf) and ``inside`` (disc wholly inside its commune), for counting people.
    ``workers`` processes share big jobs (default: up to 2 CPUs; small jobs run in this process).
    ``people`` (optional) counts people in each part of the work, in the same process, from the part's
    communes and discs (:class:`DiscsOfCommunes`, with their ``inside`` flags); its counts come back as
    ``pop_covered_raster`` and, for the communes flagged in ``need_total``, ``pop_total_raster`` (NaN
    elsewhere).
    """
    params = params or CoverageParams()
    codes = communes_gdf["code"].to_numpy()
    index_of = pd.Index(codes)
    discs = _discs(clusters_gdf, index_of, params)
    villages = villages_gdf if villages_gdf is not None else gpd.GeoDataFrame(
        {"id": [], "commune_code": []}, geometry=[], crs=4326
    )
    villages = villages[villages["commune_code"].isin(index_of)]
    village_commune = np.asarray(index_of.get_indexer(villages["commune_code"]), dtype=np.int64)
    tasks, parts = _cover_tasks(
        communes_gdf, discs, villages.geometry.values.to_numpy(), village_commune,
        params=params, workers=workers, people=people, need_total=need_total,
    )
    done = _gather(parts, _run_tasks(tasks, workers), len(codes), len(villages), len(discs.radius))
    coverage = _coverage_frame(communes_gdf, discs, done, geometries=geometries)
    villages_df = pd.DataFrame(
        {
            "id": villages["id"].to_numpy(),
            "commune_code": villages["commune_code"].to_numpy(),
            "reached": done.reached,
        }
    )
    discs_df = pd.DataFrame(
        {
            "lon": discs.lon,
            "lat": discs.lat,
            "radius_m": discs.radius,
            "commune": discs.commune,
            "inside": done.disc_inside,
        }
    )
    return coverage, villages_df, discs_df


@dataclass(frozen=True)
class _Discs:
    """The clusters that make discs (``params.disc_types``) in these communes: where, how far, which commune."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    radius: NDArray[np.float64]
    commune: NDArray[np.int64]


def _discs(clusters_gdf: gpd.GeoDataFrame, index_of: pd.Index, params: CoverageParams) -> _Discs:
    # The rows picked by position, column by column: a boolean take of the whole frame (and strings made
    # Python objects) cost more than the radii.
    commune = np.asarray(index_of.get_indexer(clusters_gdf["commune_code"]), dtype=np.int64)
    rows = np.flatnonzero(np.asarray(clusters_gdf["type"].isin(params.disc_types), dtype=bool) & (commune >= 0))
    radius = cluster_radii_m(
        _floats(clusters_gdf, "radius_m")[rows],
        clusters_gdf["technology"].take(rows),
        _floats(clusters_gdf, "n_horns")[rows],
        _floats(clusters_gdf, "watts")[rows],
        clusters_gdf["status"].take(rows),
        params=params,
    )
    if "lon" in clusters_gdf and "lat" in clusters_gdf:
        lon, lat = _floats(clusters_gdf, "lon")[rows], _floats(clusters_gdf, "lat")[rows]
    else:
        points = clusters_gdf.geometry.values.to_numpy()[rows]
        lon, lat = shapely.get_x(points), shapely.get_y(points)
    return _Discs(lon, lat, radius, commune[rows])


def _cover_tasks(
    communes_gdf: gpd.GeoDataFrame,
    discs: _Discs,
    village_geoms: NDArray[np.object_],
    village_commune: NDArray[np.int64],
    *,
    params: CoverageParams,
    workers: int | None,
    people: PeopleCounter | None,
    need_total: NDArray[np.bool_] | None,
) -> tuple[list[_CoverTask], list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]]]:
    """One task per part of the communes (one UTM zone each), with the part's (communes, discs, villages) rows."""
    n = len(communes_gdf)
    disc_commune = discs.commune
    commune_geoms = communes_gdf.geometry.values.to_numpy()
    tasks, parts = [], []
    zones = metric_zones(communes_gdf)
    for sel in _commune_chunks(zones, disc_commune, workers):
        local = np.full(n, -1, dtype=np.int64)
        local[sel] = np.arange(len(sel))
        # The part's discs and villages by look-up of their commune's local index (np.isin sorts, 10x slower).
        dsel = np.flatnonzero(local[disc_commune] >= 0)
        vsel = np.flatnonzero(local[village_commune] >= 0)
        tasks.append(
            _CoverTask(
                epsg=int(zones[sel[0]]),
                commune_geoms=commune_geoms[sel],
                lon=discs.lon[dsel],
                lat=discs.lat[dsel],
                radius_m=discs.radius[dsel],
                disc_commune=local[disc_commune[dsel]],
                village_geoms=village_geoms[vsel],
                village_commune=local[village_commune[vsel]],
                quad_segs=params.quad_segs,
                equal_area=params.equal_area_discs,
                people=people,
                need_total=need_total[sel] if need_total is not None else np.zeros(len(sel), dtype=bool),
            )
        )
        parts.append((sel, dsel, vsel))
    return tasks, parts


@dataclass
class _Gathered:
    """The parts' results put back in the order of all communes, discs and villages."""

    covered_wkb: NDArray[np.object_]
    share: NDArray[np.float64]
    metric_area: NDArray[np.float64]
    reached: NDArray[np.bool_]
    disc_inside: NDArray[np.bool_]
    pop_covered: NDArray[np.float64]
    pop_total: NDArray[np.float64]


def _gather(
    parts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]],
    results: list[_TaskResult],
    n: int,
    n_villages: int,
    n_discs: int,
) -> _Gathered:
    out = _Gathered(
        np.full(n, None, dtype=object), np.zeros(n), np.zeros(n), np.zeros(n_villages, dtype=bool),
        np.zeros(n_discs, dtype=bool), np.full(n, np.nan), np.full(n, np.nan),
    )
    for (sel, dsel, vsel), (cov, areas, cov_area, inside, hit, counted) in zip(parts, results, strict=True):
        out.covered_wkb[sel] = cov
        out.metric_area[sel] = areas
        out.share[sel] = np.clip(np.divide(cov_area, areas, out=np.zeros_like(areas), where=areas > 0), 0.0, 1.0)
        out.disc_inside[dsel] = inside
        out.reached[vsel] = hit
        if counted is not None:
            out.pop_covered[sel], out.pop_total[sel] = counted
    return out


def _coverage_frame(
    communes_gdf: gpd.GeoDataFrame, discs: _Discs, done: _Gathered, *, geometries: bool
) -> gpd.GeoDataFrame:
    n = len(communes_gdf)
    metric_area, share, covered_wkb = done.metric_area, done.share, done.covered_wkb
    area_km2 = _floats(communes_gdf, "area_km2") if "area_km2" in communes_gdf else metric_area / 1e6
    area_km2 = np.where(np.isfinite(area_km2), area_km2, metric_area / 1e6)
    working = discs.radius > 0
    return gpd.GeoDataFrame(
        {
            "code": communes_gdf["code"].to_numpy(),
            # Share from the metric areas (the UTM scale cancels); km² from the geodesic commune area.
            "covered_area_share": share,
            "covered_area_km2": share * area_km2,
            "clusters_working": np.bincount(discs.commune[working], minlength=n),
            "clusters_broken": np.bincount(discs.commune[~working], minlength=n),
            "pop_covered_raster": done.pop_covered,
            "pop_total_raster": done.pop_total,
            "covered_ewkb": covered_wkb,
        },
        geometry=gpd.GeoSeries(
            shapely.from_wkb(covered_wkb) if geometries else np.full(n, None, dtype=object), crs=4326
        ),
    )


def _floats(frame: pd.DataFrame, column: str) -> NDArray[np.float64]:
    if column not in frame:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan))


@dataclass(frozen=True)
class DiscsOfCommunes:
    """One part of the communes and their discs, as a :class:`PeopleCounter` receives them.

    Communes and disc centres in EPSG:4326 and in the part's metric CRS ``epsg`` (UTM), already projected
    there for the coverage: a counter on a grid in that CRS uses them as they are. ``disc_inside``: the disc
    lies wholly inside its commune.
    """

    epsg: int
    commune_geoms: NDArray[np.object_]
    commune_geoms_m: NDArray[np.object_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    radius_m: NDArray[np.float64]
    disc_commune: NDArray[np.int64]
    disc_inside: NDArray[np.bool_]


class PeopleCounter(Protocol):
    """Counts people reached (and commune totals where asked) for one part of the communes."""

    def __call__(
        self, discs: DiscsOfCommunes, need_total: NDArray[np.bool_]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...


# Below this many discs the work stays in the calling process (a fork costs more than it saves).
PARALLEL_MIN_DISCS = 20_000


@dataclass(frozen=True)
class _CoverTask:
    """One UTM zone's worth (or a share of it) of communes, their discs and villages, in EPSG:4326."""

    epsg: int
    commune_geoms: NDArray[np.object_]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    radius_m: NDArray[np.float64]
    disc_commune: NDArray[np.int64]
    village_geoms: NDArray[np.object_]
    village_commune: NDArray[np.int64]
    quad_segs: int
    equal_area: bool
    people: PeopleCounter | None
    need_total: NDArray[np.bool_]


_TaskResult = tuple[
    NDArray[np.object_],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.bool_],
    NDArray[np.bool_],
    tuple[NDArray[np.float64], NDArray[np.float64]] | None,
]


def _cover_task(task: _CoverTask) -> _TaskResult:
    """Project to the task's UTM zone, cover, find villages reached, project coverage back to EPSG:4326."""
    to_m = transformer(4326, task.epsg)
    geoms_m = shapely.transform(
        task.commune_geoms, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))
    )
    x, y = to_m.transform(task.lon, task.lat)
    cov, inside = covered_geometries(
        geoms_m,
        np.asarray(x),
        np.asarray(y),
        task.radius_m,
        task.disc_commune,
        quad_segs=task.quad_segs,
        equal_area=task.equal_area,
    )
    cov_area = np.nan_to_num(shapely.area(cov))  # None: nothing covered
    hit = np.zeros(len(task.village_geoms), dtype=bool)
    if len(task.village_geoms):
        villages_m = shapely.transform(
            task.village_geoms, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))
        )
        hit = villages_reached(cov, villages_m, task.village_commune)
    to_deg = transformer(task.epsg, 4326)
    has = shapely.is_geometry(cov)
    back = np.full(len(cov), None, dtype=object)
    if has.any():
        moved = shapely.transform(cov[has], lambda xy: np.column_stack(to_deg.transform(xy[:, 0], xy[:, 1])))
        back[has] = polygonal_multipolygons(moved)
    counted = None
    if task.people is not None:
        discs = DiscsOfCommunes(
            task.epsg,
            task.commune_geoms,
            geoms_m,
            task.lon,
            task.lat,
            np.asarray(x),
            np.asarray(y),
            task.radius_m,
            task.disc_commune,
            inside,
        )
        counted = task.people(discs, task.need_total)
    # EWKB made here, in parallel: the store sends exactly this, and shapely would pickle geometries as WKB
    # anyway.
    return ewkb(back), shapely.area(geoms_m), cov_area, inside, hit, counted


def _commune_chunks(
    zones: NDArray[np.int64], disc_commune: NDArray[np.int64], workers: int | None
) -> list[NDArray[np.int64]]:
    """Split communes by UTM zone, and big zones into ``2 * workers`` parts of about equal disc counts.

    Biggest parts first: the pool hands the next part to whichever worker is free, so the small ones at the
    end even out the workers (a part's cost is not exactly its disc count).
    """
    n_workers = _workers(workers)
    per_commune = np.bincount(disc_commune, minlength=len(zones))
    chunks: list[NDArray[np.int64]] = []
    for epsg in np.unique(zones):
        sel = np.flatnonzero(zones == epsg)
        load = per_commune[sel]
        if n_workers < 2 or load.sum() < PARALLEL_MIN_DISCS:
            chunks.append(sel)
            continue
        n_parts = 2 * n_workers
        cut = np.searchsorted(np.cumsum(load), load.sum() * np.arange(1, n_parts) / n_parts)
        chunks.extend(part for part in np.split(sel, cut) if len(part))
    return sorted(chunks, key=lambda part: -int(per_commune[part].sum()))


def _workers(workers: int | None) -> int:
    return max(1, min(2, os.cpu_count() or 1)) if workers is None else max(1, workers)


def _run_tasks(tasks: list[_CoverTask], workers: int | None) -> list[_TaskResult]:
    n_workers = _workers(workers)
    big = sum(len(t.radius_m) for t in tasks) >= PARALLEL_MIN_DISCS
    if n_workers < 2 or len(tasks) < 2 or not big:
        return [_cover_task(t) for t in tasks]
    # Fork, with the tasks handed to the initializer: the children inherit them with the parent's memory (a
    # forked process's arguments are never pickled) and get only an index each; only results travel back.
    # pool.map(_cover_task, tasks) would pickle 25 MB of commune geometry on the way in, then decode it.
    with ProcessPoolExecutor(
        max_workers=n_workers, mp_context=get_context("fork"), initializer=_inherit_tasks, initargs=(tasks,)
    ) as pool:
        return list(pool.map(_run_inherited_task, range(len(tasks))))


_inherited_tasks: list[_CoverTask] = []  # set in each worker process only, by _inherit_tasks


def _inherit_tasks(tasks: list[_CoverTask]) -> None:
    _inherited_tasks[:] = tasks


def _run_inherited_task(index: int) -> _TaskResult:
    return _cover_task(_inherited_tasks[index])
