"""Loudspeaker coverage: disc radii, each commune's covered area (union of its own working discs, clipped).

All geometry here is in a projected metric CRS (a UTM zone chosen per commune); storage stays EPSG:4326.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from analysis.population import transformer

# Audible radius of a 2 x 30 W horn cluster in villages (buildings, trees): DOMAIN.md §3.2, 250-300 m.
DEFAULT_RADIUS_M = 300.0
# Status scales the radius (DESIGN.md §5): a degraded cluster reaches half as far, the rest not at all.
DEFAULT_STATUS_FACTOR: dict[str, float] = {
    "operational": 1.0,
    "degraded": 0.5,
    "broken": 0.0,
    "decommissioned": 0.0,
    "planned": 0.0,
    "unknown": 0.0,  # a doubtful survey status (issue 15): not working until someone looks
}
# Radius of a reference cluster by technology. All three put the same horns on the pole (same acoustics);
# kept as a table so a province can set its own norm.
DEFAULT_RADIUS_BY_TECHNOLOGY_M: dict[str, float] = {"wired": 300.0, "fm_wireless": 300.0, "ip": 300.0}


@dataclass(frozen=True)
class CoverageParams:
    """Every number of the coverage model; stored as JSON with each result.

    Radius of a cluster without its own ``radius_m``: the technology's reference radius (default 300 m) scaled
    by (n_horns * watts / reference_power_w) ** power_exponent, clipped to [min_radius_m, max_radius_m].
    The exponent 0.301 = log10(2) follows from the outdoor rule of -10 dB per doubling of distance
    (FEMA CPG 1-17, DOMAIN.md §3.2): doubling the power (+3 dB) moves the 70 dB contour 2**0.3 farther.
    """

    default_radius_m: float = DEFAULT_RADIUS_M
    radius_by_technology_m: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_RADIUS_BY_TECHNOLOGY_M)
    )
    reference_power_w: float = 60.0  # 2 horns x 30 W: the cluster the 300 m default describes
    power_exponent: float = 0.301
    min_radius_m: float = 100.0
    max_radius_m: float = 1000.0
    status_factor: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_STATUS_FACTOR))
    disc_types: tuple[str, ...] = ("loudspeaker_cluster",)
    # Discs are 16-gons (4 segments a quarter) scaled to the circle's area: 2x fewer vertices than PostGIS's
    # 32-gon default for every later step, and the covered area of a lone disc is exactly pi r^2 (a plain
    # 32-gon is 0.64 % short, a plain 16-gon 2.5 %); the rim is within 1.3 % of r of the circle.
    quad_segs: int = 4
    equal_area_discs: bool = True
    metric_crs: str = "UTM zone of each commune's centroid (WGS 84, EPSG:326xx)"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["disc_types"] = list(self.disc_types)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


def cluster_radii_m(
    radius_m: NDArray[np.float64],
    technology: NDArray[np.object_],
    n_horns: NDArray[np.float64],
    watts: NDArray[np.float64],
    status: NDArray[np.object_],
    *,
    params: CoverageParams,
) -> NDArray[np.float64]:
    """Return the effective disc radius of each cluster in metres (0 for clusters that reach no one).

    ``radius_m``, ``n_horns`` and ``watts`` use NaN for unknown. Own radius first, else the norm table.
    """
    tech_r = _per_distinct(
        technology,
        lambda t: params.radius_by_technology_m.get(t, params.default_radius_m)
        if isinstance(t, str)
        else params.default_radius_m,
    )
    power = n_horns * watts
    known_power = np.isfinite(power) & (power > 0)
    scale = np.ones_like(tech_r)
    scale[known_power] = (power[known_power] / params.reference_power_w) ** params.power_exponent
    norm = np.clip(tech_r * scale, params.min_radius_m, params.max_radius_m)
    base = np.where(np.isfinite(radius_m), radius_m, norm)
    factor = _per_distinct(status, lambda s: params.status_factor.get(s, 0.0) if isinstance(s, str) else 0.0)
    return np.asarray(base * factor, dtype=float)


def _per_distinct(values: NDArray[np.object_], fn: Callable[[object], float]) -> NDArray[np.float64]:
    """``fn`` of each value, called once per distinct value (a handful) rather than once per cluster."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    table = np.array([float(fn(u)) for u in uniques], dtype=float)
    return np.asarray(table[codes], dtype=float)


def covered_geometries(
    commune_geoms: NDArray[np.object_],
    disc_x: NDArray[np.float64],
    disc_y: NDArray[np.float64],
    disc_radius_m: NDArray[np.float64],
    disc_commune: NDArray[np.int64],
    *,
    quad_segs: int = 4,
    equal_area: bool = True,
) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Return, per commune, the union of its own discs clipped to it (None where nothing is covered).

    Coordinates in one metric CRS. ``disc_commune`` indexes ``commune_geoms``; radius-0 discs are ignored.
    Discs wholly inside their commune are not clipped (most of them); the others are merged per commune and
    clipped once, then merged with the rest (GEOS's disjoint-subset union, 3-4x faster than a plain union).
    Also returns, per input disc, whether it lies wholly inside its commune (False for radius 0).
    """
    keep = disc_radius_m > 0
    x, y, r, c = disc_x[keep], disc_y[keep], disc_radius_m[keep], disc_commune[keep]
    order = np.argsort(c, kind="stable")
    kept_positions = np.flatnonzero(keep)[order]
    x, y, r, c = x[order], y[order], r[order], c[order]
    discs = disc_polygons(x, y, r, quad_segs=quad_segs, equal_area=equal_area)
    shapely.prepare(commune_geoms)
    crossing = ~shapely.contains_properly(commune_geoms[c], discs)
    out = np.full(len(commune_geoms), None, dtype=object)
    bounds = np.searchsorted(c, np.arange(len(commune_geoms) + 1))
    # Discs crossing the boundary: merged per commune, then clipped once (one overlay per commune rather than
    # one per disc, each against the whole commune polygon); then merged with the discs wholly inside.
    # GEOS's disjoint-subset union is 3-4x faster than a plain union here.
    crossers = np.full(len(commune_geoms), None, dtype=object)
    for i in np.unique(c[crossing]):
        part = discs[bounds[i] : bounds[i + 1]]
        crossers[i] = shapely.disjoint_subset_union_all(part[crossing[bounds[i] : bounds[i + 1]]])
    has_crossers = np.flatnonzero(shapely.is_geometry(crossers))
    if len(has_crossers):
        crossers[has_crossers] = shapely.intersection(crossers[has_crossers], commune_geoms[has_crossers])
    for i in np.flatnonzero(np.diff(bounds)):
        part = discs[bounds[i] : bounds[i + 1]]
        if crossers[i] is not None:
            pieces = shapely.get_parts(crossers[i])
            pieces = pieces[shapely.get_type_id(pieces) == 3]  # polygons only (drop touching lines/points)
            part = np.concatenate([part[~crossing[bounds[i] : bounds[i + 1]]], pieces])
        merged = shapely.disjoint_subset_union_all(part) if len(part) else None
        out[i] = None if merged is None or merged.is_empty else merged
    inside = np.zeros(len(disc_radius_m), dtype=bool)
    inside[kept_positions] = ~crossing
    return out, inside


def disc_polygons(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    radius_m: NDArray[np.float64],
    *,
    quad_segs: int = 4,
    equal_area: bool = True,
) -> NDArray[np.object_]:
    """Return the disc polygons (``4 * quad_segs``-gons) of these centres and radii, in their metric CRS.

    The vertices of ``shapely.buffer(point, r, quad_segs=quad_segs)`` (same start and order), built with numpy
    in one call: about twice as fast as GEOS's buffer for 10^5 discs. With ``equal_area`` the polygon is
    scaled so its area is exactly pi r^2.
    """
    n = 4 * quad_segs
    scale = np.sqrt(np.pi / (n / 2 * np.sin(2 * np.pi / n))) if equal_area else 1.0
    angle = -2 * np.pi * np.arange(n + 1) / n
    dx, dy = np.cos(angle), np.sin(angle)
    dx[-1], dy[-1] = dx[0], dy[0]  # closed ring
    rr = (np.asarray(radius_m, dtype=float) * scale)[:, None]
    ring = np.stack([x[:, None] + rr * dx[None, :], y[:, None] + rr * dy[None, :]], axis=-1)
    return np.asarray(shapely.polygons(ring), dtype=object)


def polygonal_multipolygon(geom: shapely.Geometry | None) -> shapely.Geometry | None:
    """Return the polygonal part of ``geom`` as a MultiPolygon (None when it has no area)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    polys = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    parts = [q for p in polys for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(parts) if parts else None


def ewkb(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """Return the EWKB (SRID 4326) of each geometry, None for None: what PostGIS reads on a binary COPY."""
    return np.asarray(shapely.to_wkb(shapely.set_srid(geoms, 4326), include_srid=True), dtype=object)


def villages_reached(
    covered: NDArray[np.object_], village_geoms: NDArray[np.object_], village_commune: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Return whether each village's point (or any part of its polygon) lies in its own commune's coverage."""
    if len(village_geoms) == 0:
        return np.zeros(0, dtype=bool)
    own = covered[village_commune]
    has = np.array([g is not None for g in own], dtype=bool)
    out = np.zeros(len(village_geoms), dtype=bool)
    if has.any():
        out[has] = shapely.intersects(own[has], village_geoms[has])
    return out


def utm_epsg(lon: float, lat: float) -> int:
    """Return the WGS 84 UTM zone EPSG code for a point (326zz north, 327zz south)."""
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return (32600 if lat >= 0 else 32700) + zone


def metric_zones(communes_gdf: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Return the UTM EPSG code each commune's metric work uses (by its representative point, EPSG:4326)."""
    pts = shapely.point_on_surface(communes_gdf.geometry.values)
    return np.array(
        [utm_epsg(float(x), float(y)) for x, y in zip(shapely.get_x(pts), shapely.get_y(pts), strict=True)],
        dtype=np.int64,
    )


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
    clusters = clusters_gdf[clusters_gdf["type"].isin(params.disc_types)]
    clusters = clusters[clusters["commune_code"].isin(index_of)]
    radius = cluster_radii_m(
        _floats(clusters, "radius_m"),
        clusters["technology"].to_numpy(dtype=object),
        _floats(clusters, "n_horns"),
        _floats(clusters, "watts"),
        clusters["status"].to_numpy(dtype=object),
        params=params,
    )
    disc_commune = np.asarray(index_of.get_indexer(clusters["commune_code"]), dtype=np.int64)
    villages = (
        villages_gdf
        if villages_gdf is not None
        else gpd.GeoDataFrame({"id": [], "commune_code": []}, geometry=[], crs=4326)
    )
    villages = villages[villages["commune_code"].isin(index_of)]
    village_commune = np.asarray(index_of.get_indexer(villages["commune_code"]), dtype=np.int64)

    n = len(codes)
    covered_wkb = np.full(n, None, dtype=object)
    share = np.zeros(n)
    metric_area = np.zeros(n)
    reached = np.zeros(len(villages), dtype=bool)
    disc_inside = np.zeros(len(radius), dtype=bool)
    if "lon" in clusters and "lat" in clusters:
        lon, lat = _floats(clusters, "lon"), _floats(clusters, "lat")
    else:
        lon = shapely.get_x(clusters.geometry.values.to_numpy())
        lat = shapely.get_y(clusters.geometry.values.to_numpy())
    commune_geoms = communes_gdf.geometry.values.to_numpy()
    village_geoms = villages.geometry.values.to_numpy()
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
                lon=lon[dsel],
                lat=lat[dsel],
                radius_m=radius[dsel],
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
    pop_covered = np.full(n, np.nan)
    pop_total = np.full(n, np.nan)
    for (sel, dsel, vsel), (cov, areas, cov_area, inside, hit, counted) in zip(
        parts, _run_tasks(tasks, workers), strict=True
    ):
        covered_wkb[sel] = cov
        metric_area[sel] = areas
        share[sel] = np.clip(np.divide(cov_area, areas, out=np.zeros_like(areas), where=areas > 0), 0.0, 1.0)
        disc_inside[dsel] = inside
        reached[vsel] = hit
        if counted is not None:
            pop_covered[sel], pop_total[sel] = counted

    area_km2 = _floats(communes_gdf, "area_km2") if "area_km2" in communes_gdf else metric_area / 1e6
    area_km2 = np.where(np.isfinite(area_km2), area_km2, metric_area / 1e6)
    working = radius > 0
    coverage = gpd.GeoDataFrame(
        {
            "code": codes,
            # Share from the metric areas (the UTM scale cancels); km² from the geodesic commune area.
            "covered_area_share": share,
            "covered_area_km2": share * area_km2,
            "clusters_working": np.bincount(disc_commune[working], minlength=n),
            "clusters_broken": np.bincount(disc_commune[~working], minlength=n),
            "pop_covered_raster": pop_covered,
            "pop_total_raster": pop_total,
            "covered_ewkb": covered_wkb,
        },
        geometry=gpd.GeoSeries(
            shapely.from_wkb(covered_wkb) if geometries else np.full(n, None, dtype=object), crs=4326
        ),
    )
    villages_df = pd.DataFrame(
        {
            "id": villages["id"].to_numpy(),
            "commune_code": villages["commune_code"].to_numpy(),
            "reached": reached,
        }
    )
    discs_df = pd.DataFrame(
        {
            "lon": lon,
            "lat": lat,
            "radius_m": radius,
            "commune": disc_commune,
            "inside": disc_inside,
        }
    )
    return coverage, villages_df, discs_df


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
    cov_area = np.array([0.0 if g is None else g.area for g in cov])
    hit = np.zeros(len(task.village_geoms), dtype=bool)
    if len(task.village_geoms):
        villages_m = shapely.transform(
            task.village_geoms, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))
        )
        hit = villages_reached(cov, villages_m, task.village_commune)
    to_deg = transformer(task.epsg, 4326)
    has = np.array([g is not None for g in cov], dtype=bool)
    back = np.full(len(cov), None, dtype=object)
    if has.any():
        moved = shapely.transform(cov[has], lambda xy: np.column_stack(to_deg.transform(xy[:, 0], xy[:, 1])))
        back[has] = [polygonal_multipolygon(g) for g in moved]
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
