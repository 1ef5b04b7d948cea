"""Loudspeaker coverage: disc radii and the geometry of coverage (discs, their union clipped to the commune,
villages reached, UTM zones). analysis.cover runs it over many communes in parts (``cover_communes``).

All geometry here is in a projected metric CRS (a UTM zone chosen per commune); storage stays EPSG:4326.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

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
    technology: NDArray[np.object_] | pd.Series,
    n_horns: NDArray[np.float64],
    watts: NDArray[np.float64],
    status: NDArray[np.object_] | pd.Series,
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


def _per_distinct(values: NDArray[np.object_] | pd.Series, fn: Callable[[object], float]) -> NDArray[np.float64]:
    """``fn`` of each value, called once per distinct value (a handful) rather than once per cluster."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
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
    # Discs crossing the boundary: merged per commune, then clipped once (one overlay per commune rather than
    # one per disc, each against the whole commune polygon); then merged with the discs wholly inside.
    # GEOS's disjoint-subset union is 3-4x faster than a plain union here. The bookkeeping is done for all
    # communes at once (a Python step per commune cost as much as a tenth of the GEOS work).
    pieces, piece_commune = _clipped_crossers(discs[crossing], c[crossing], commune_geoms)
    inside = ~crossing
    # Per commune: its inside discs in their order, then the pieces of its clipped crossers (a stable sort).
    polygons = np.concatenate([discs[inside], pieces])
    owner = np.concatenate([c[inside], piece_commune])
    by_owner = np.argsort(owner, kind="stable")
    polygons, owner = polygons[by_owner], owner[by_owner]
    bounds = np.searchsorted(owner, np.arange(len(commune_geoms) + 1))
    out = np.full(len(commune_geoms), None, dtype=object)
    for i in np.flatnonzero(np.diff(bounds)).tolist():
        out[i] = shapely.disjoint_subset_union_all(polygons[bounds[i] : bounds[i + 1]])
    out[shapely.is_empty(out)] = None
    inside_out = np.zeros(len(disc_radius_m), dtype=bool)
    inside_out[kept_positions] = inside
    return out, inside_out


def _clipped_crossers(
    discs: NDArray[np.object_], commune: NDArray[np.int64], commune_geoms: NDArray[np.object_]
) -> tuple[NDArray[np.object_], NDArray[np.int64]]:
    """The polygons of each commune's crossing discs (sorted by commune), merged and clipped to it, and their
    communes."""
    if len(discs) == 0:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)
    which, starts = np.unique(commune, return_index=True)
    ends = np.append(starts[1:], len(discs))
    merged = np.empty(len(which), dtype=object)
    spans = zip(starts.tolist(), ends.tolist(), strict=True)
    merged[:] = [shapely.disjoint_subset_union_all(discs[s:e]) for s, e in spans]
    clipped = shapely.intersection(merged, commune_geoms[which])
    pieces, index = shapely.get_parts(clipped, return_index=True)
    polygons = shapely.get_type_id(pieces) == 3  # polygons only (drop touching lines/points)
    return np.asarray(pieces[polygons], dtype=object), np.asarray(which[index[polygons]], dtype=np.int64)


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
    scaled so its area is exactly pi r^2. The polygons are made from one flat coordinate array and its
    offsets (``from_ragged_array``): the same polygons as ``shapely.polygons`` of the (n, k+1, 2) rings,
    2-3x faster (one linear ring made per polygon, not each ring made then copied into its polygon).
    """
    n = 4 * quad_segs
    scale = np.sqrt(np.pi / (n / 2 * np.sin(2 * np.pi / n))) if equal_area else 1.0
    angle = -2 * np.pi * np.arange(n + 1) / n
    dx, dy = np.cos(angle), np.sin(angle)
    dx[-1], dy[-1] = dx[0], dy[0]  # closed ring
    rr = (np.asarray(radius_m, dtype=float) * scale)[:, None]
    ring = np.stack([x[:, None] + rr * dx[None, :], y[:, None] + rr * dy[None, :]], axis=-1)
    m = len(ring)
    offsets = (np.arange(m + 1, dtype=np.int64) * (n + 1), np.arange(m + 1, dtype=np.int64))
    return np.asarray(
        shapely.from_ragged_array(shapely.GeometryType.POLYGON, ring.reshape(-1, 2), offsets), dtype=object
    )


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


def polygonal_multipolygons(geoms: NDArray[np.object_]) -> NDArray[np.object_]:
    """:func:`polygonal_multipolygon` of each geometry; polygons and multipolygons (all a union gives) at once."""
    out = np.asarray(geoms, dtype=object).copy()
    kind = shapely.get_type_id(out)
    polygons = np.flatnonzero((kind == 3) & ~shapely.is_empty(out))
    out[polygons] = shapely.multipolygons(out[polygons][:, None]) if len(polygons) else out[polygons]
    other = np.flatnonzero((kind != 6) & (kind != 3) | shapely.is_empty(out))
    out[other] = [polygonal_multipolygon(g) for g in out[other]]
    return out


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


def utm_epsg(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.int64]:
    """Return the WGS 84 UTM zone EPSG code of each point (326zz north, 327zz south)."""
    zone = np.clip(np.floor((np.asarray(lon) + 180.0) / 6.0) + 1, 1, 60).astype(np.int64)
    return np.asarray(np.where(np.asarray(lat) >= 0, 32600, 32700) + zone, dtype=np.int64)


def metric_zones(communes_gdf: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Return the UTM EPSG code each commune's metric work uses (by its representative point, EPSG:4326)."""
    pts = shapely.point_on_surface(communes_gdf.geometry.values.to_numpy())
    return utm_epsg(shapely.get_x(pts), shapely.get_y(pts))
