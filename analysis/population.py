"""People per cell: how many a commune's coverage reaches, commune totals, a raster built from census.

Rasters are north-up grids of persons per cell (WorldPop style); the loader opens the file and hands the array
plus its affine transform here. Cells count by their centre (a cell is in a commune or a disc when its centre
is): measured against exactextract's exact cell fractions in bench/coverage.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import numpy as np
import rasterio.features
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from rasterio.windows import Window

DERIVED_DESCRIPTION = (
    "derived by phusong: census 2019 commune totals (apportioned to 2025 communes) spread "
    "{how} over {resolution_m:g} m cells; not observed"
)


@dataclass(frozen=True)
class PopulationGrid:
    """A persons-per-cell array with its affine transform and CRS (any CRS; north-up)."""

    values: NDArray[np.float32]
    transform: Affine
    crs: CRS

    @property
    def is_geographic(self) -> bool:
        return bool(self.crs.is_geographic)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.values.shape[0]), int(self.values.shape[1]))

    def take(self, flat: NDArray[np.int64]) -> NDArray[np.float32]:
        """Values of these cells (flat row-major indices)."""
        return np.asarray(self.values.reshape(-1)[flat])

    def window(self, r0: int, r1: int, c0: int, c1: int) -> NDArray[np.float32]:
        return np.asarray(self.values[r0:r1, c0:c1])

    def window_cells(self, r0: int, r1: int, c0: int, c1: int, cells: NDArray[np.int64]) -> NDArray[np.float32]:
        """Values of these cells of a window (flat indices within it)."""
        return self.window(r0, r1, c0, c1).reshape(-1)[cells]


class BlockReader(Protocol):
    """Reads one window of band 1 (a rasterio dataset does)."""

    def read(self, indexes: int, *, window: Any) -> NDArray[Any]: ...


@dataclass(frozen=True)
class RasterPopulationGrid:
    """A population raster read on demand, block by block, for only the cells asked for.

    A national 100 m raster is ~3e8 cells, mostly sea or far from any loudspeaker; the cells a recompute
    needs are ~1 %. Reading block by block into short-lived arrays also avoids faulting in a fresh gigabyte
    (which costs more here than decompressing). Nodata, NaN and negative cells read as 0.
    """

    reader: BlockReader
    block_shape: tuple[int, int]
    shape: tuple[int, int]
    transform: Affine
    crs: CRS
    nodata: float | None = None

    @property
    def is_geographic(self) -> bool:
        return bool(self.crs.is_geographic)

    def _clean(self, data: NDArray[Any]) -> NDArray[np.float32]:
        out = np.asarray(data, dtype=np.float32)
        bad = ~np.isfinite(out) | (out < 0)
        if self.nodata is not None and np.isfinite(self.nodata):
            bad |= out == self.nodata
        return np.where(bad, np.float32(0), out)

    def take(self, flat: NDArray[np.int64]) -> NDArray[np.float32]:
        bh, bw = self.block_shape
        height, width = self.shape
        row, col = np.divmod(flat, width)
        block = (row // bh) * (-(-width // bw)) + col // bw
        order = np.argsort(block, kind="stable")
        bounds = np.flatnonzero(np.diff(block[order])) + 1
        out = np.zeros(len(flat), dtype=np.float32)
        for part in np.split(order, bounds) if len(order) else []:
            i, j = row[part[0]] // bh, col[part[0]] // bw
            win = Window(j * bw, i * bh, min(bw, width - j * bw), min(bh, height - i * bh))
            data = self._clean(self.reader.read(1, window=win))
            out[part] = data[row[part] - i * bh, col[part] - j * bw]
        return out

    def window(self, r0: int, r1: int, c0: int, c1: int) -> NDArray[np.float32]:
        return self._clean(self.reader.read(1, window=Window(c0, r0, c1 - c0, r1 - r0)))

    def window_cells(self, r0: int, r1: int, c0: int, c1: int, cells: NDArray[np.int64]) -> NDArray[np.float32]:
        """Values of these cells of a window (flat indices within it), only they cleaned (:meth:`window`)."""
        return self._clean(self.reader.read(1, window=Window(c0, r0, c1 - c0, r1 - r0)).reshape(-1)[cells])


AnyPopulationGrid = PopulationGrid | RasterPopulationGrid


def disc_cells(
    col: NDArray[np.float64],
    row: NDArray[np.float64],
    r_col: NDArray[np.float64],
    r_row: NDArray[np.float64],
    shape: tuple[int, int],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return (disc index, flat cell index) of every cell whose centre lies in each ellipse.

    Centres and semi-axes in fractional pixel units (``col`` grows east, ``row`` south). Vectorised by stencil
    size: for all discs needing a k x k window, the k*k candidate cells are tested at once.
    """
    height, width = shape
    reach = np.ceil(np.maximum(r_col, r_row)).astype(np.int64)
    disc_out: list[NDArray[np.int64]] = []
    cell_out: list[NDArray[np.int64]] = []
    for k in np.unique(reach):
        sel = np.flatnonzero(reach == k)
        # A centre within r of (col, row) lies at most k cells from floor(col), floor(row): k = ceil(r).
        offs = np.arange(-k, k + 1)
        base_c = np.floor(col[sel]).astype(np.int64)
        base_r = np.floor(row[sel]).astype(np.int64)
        cc = base_c[:, None, None] + offs[None, None, :]
        rr = base_r[:, None, None] + offs[None, :, None]
        dx = (cc + 0.5 - col[sel, None, None]) / r_col[sel, None, None]
        dy = (rr + 0.5 - row[sel, None, None]) / r_row[sel, None, None]
        inside = (dx * dx + dy * dy <= 1.0) & (cc >= 0) & (cc < width) & (rr >= 0) & (rr < height)
        d_idx, i_idx, j_idx = np.nonzero(inside)
        disc_out.append(sel[d_idx])
        cell_out.append(rr[d_idx, i_idx, 0] * width + cc[d_idx, 0, j_idx])
    if not disc_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(disc_out), np.concatenate(cell_out)


def people_reached(
    grid: AnyPopulationGrid,
    disc_x: NDArray[np.float64],
    disc_y: NDArray[np.float64],
    disc_radius_m: NDArray[np.float64],
    disc_commune: NDArray[np.int64],
    disc_inside: NDArray[np.bool_],
    commune_geoms: NDArray[np.object_],
) -> NDArray[np.float64]:
    """Return, per commune, the people in cells whose centre is in one of its discs and in the commune.

    Disc centres and ``commune_geoms`` in the grid's CRS; radii in metres (turned into ellipse semi-axes in
    pixels, using the local metre length of a degree when the grid is geographic). ``disc_inside`` marks discs
    wholly inside their commune: only the other discs' cells are tested against the commune polygon.
    A cell covered by several discs of one commune counts once (:func:`stamped_sums`).
    """
    cell, commune = _reached_pairs(grid, disc_x, disc_y, disc_radius_m, disc_commune, disc_inside, commune_geoms)
    return stamped_sums(grid, cell, commune, len(commune_geoms))


# Block size for stamping an in-memory grid (a raster file is stamped by its own blocks).
STAMP_BLOCK = 256


def stamped_sums(
    grid: AnyPopulationGrid, cell: NDArray[np.int64], owner: NDArray[np.int64], n: int
) -> NDArray[np.float64]:
    """Sum the values of the distinct cells of ``cell`` (flat indices, repeats allowed) by ``owner`` (< ``n``).

    A repeated cell counts once, for the owner of its first occurrence. Block by block, each block read once:
    its cells are stamped into a block-sized array, so a repeat costs one write, not a sort of all the cells;
    then the stamped cells' values are summed by owner.
    """
    sums = np.zeros(n, dtype=np.float64)
    if len(cell) == 0:
        return sums
    height, width = grid.shape
    bh, bw = grid.block_shape if isinstance(grid, RasterPopulationGrid) else (STAMP_BLOCK, STAMP_BLOCK)
    row, col = np.divmod(cell, width)
    n_cols = -(-width // bw)
    block = (row // bh) * n_cols + col // bw
    # Block numbers in 16 bits when they fit: numpy's stable sort of int16 is a radix sort (linear time).
    key = block.astype(np.int16) if n_cols * -(-height // bh) < 2**15 else block
    order = np.argsort(key, kind="stable")
    none = np.iinfo(np.int64).max
    first = np.full(bh * bw, none, dtype=np.int64)
    for part in np.split(order, np.flatnonzero(np.diff(block[order])) + 1):
        r0, c0 = (row[part[0]] // bh) * bh, (col[part[0]] // bw) * bw
        r1, c1 = min(r0 + bh, height), min(c0 + bw, width)
        local = (row[part] - r0) * (c1 - c0) + (col[part] - c0)
        # Each cell stamped with its first pair (``part`` keeps the pairs' order): the owner
        # np.unique(cell, return_index=True) would pick, should a cell ever come with two.
        np.minimum.at(first, local, part)
        hit = np.flatnonzero(first[: (r1 - r0) * (c1 - c0)] != none)
        values = grid.window_cells(r0, r1, c0, c1, hit).astype(np.float64)
        values[~np.isfinite(values) | (values < 0)] = 0.0
        sums += np.bincount(owner[first[hit]], weights=values, minlength=n)
        first[hit] = none
    return sums


def cells_reached(
    grid: AnyPopulationGrid,
    disc_x: NDArray[np.float64],
    disc_y: NDArray[np.float64],
    disc_radius_m: NDArray[np.float64],
    disc_commune: NDArray[np.int64],
    disc_inside: NDArray[np.bool_],
    commune_geoms: NDArray[np.object_],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return (flat cell index, commune) of each cell :func:`people_reached` counts, each cell once.

    Same arguments and rule as :func:`people_reached` (which sums these cells); the planner uses it to know
    which cells are reached today.
    """
    cell, commune = _reached_pairs(grid, disc_x, disc_y, disc_radius_m, disc_commune, disc_inside, commune_geoms)
    # Communes do not overlap, so a cell centre belongs to one commune at most: unique cells suffice.
    cell, first = np.unique(cell, return_index=True)
    return cell.astype(np.int64), commune[first].astype(np.int64)


def _reached_pairs(
    grid: AnyPopulationGrid,
    disc_x: NDArray[np.float64],
    disc_y: NDArray[np.float64],
    disc_radius_m: NDArray[np.float64],
    disc_commune: NDArray[np.int64],
    disc_inside: NDArray[np.bool_],
    commune_geoms: NDArray[np.object_],
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(flat cell, commune) of each cell centre in a disc and in the disc's commune: a cell may repeat."""
    keep = disc_radius_m > 0
    if not keep.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    x, y, r = disc_x[keep], disc_y[keep], disc_radius_m[keep]
    owner, inside = disc_commune[keep], disc_inside[keep]
    inv = ~grid.transform
    col, row = inv @ (x, y)
    res_x, res_y = abs(grid.transform.a), abs(grid.transform.e)
    if grid.is_geographic:
        # Metres per degree at the disc's latitude (WGS 84 ellipsoid, first-order terms).
        lat = np.radians(y)
        m_lon, m_lat = 111412.84 * np.cos(lat), 111132.92 - 559.82 * np.cos(2 * lat)
        r_col, r_row = r / (res_x * m_lon), r / (res_y * m_lat)
    else:
        r_col, r_row = r / res_x, r / res_y
    disc, cell = disc_cells(np.asarray(col), np.asarray(row), r_col, r_row, grid.shape)
    commune = owner[disc]
    check = ~inside[disc]
    if check.any():
        shapely.prepare(commune_geoms)
        width = grid.shape[1]
        t = grid.transform
        col_c, row_c = (cell[check] % width) + 0.5, (cell[check] // width) + 0.5
        cx, cy = t.c + t.a * col_c + t.b * row_c, t.f + t.d * col_c + t.e * row_c
        ok = shapely.contains_xy(commune_geoms[commune[check]], cx, cy)
        keep_pair = np.ones(len(cell), dtype=bool)
        keep_pair[np.flatnonzero(check)[~ok]] = False
        cell, commune = cell[keep_pair], commune[keep_pair]
    return cell, commune


def people_in_communes(grid: AnyPopulationGrid, commune_geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    """Return the people in cells whose centre lies in each commune (geometries in the grid's CRS).

    Summed commune by commune: the cells of a whole part of the country (~10^7) are never held at once.
    """
    totals = np.zeros(len(commune_geoms), dtype=np.float64)
    for i, (_, people) in enumerate(_commune_cells(grid, commune_geoms)):
        # bincount adds in the cells' order, as the sum over all cells of cells_in_communes did.
        totals[i] = np.bincount(np.zeros(len(people), dtype=np.intp), weights=people, minlength=1)[0]
    return totals


def cells_in_communes(
    grid: AnyPopulationGrid, commune_geoms: NDArray[np.object_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Return (flat cell index, commune, people) of each populated cell whose centre lies in a commune.

    The cells :func:`people_in_communes` sums (geometries in the grid's CRS).
    """
    cells_out: list[NDArray[np.int64]] = []
    commune_out: list[NDArray[np.int64]] = []
    people_out: list[NDArray[np.float64]] = []
    for i, (cells, people) in enumerate(_commune_cells(grid, commune_geoms)):
        cells_out.append(cells)
        commune_out.append(np.full(len(cells), i, dtype=np.int64))
        people_out.append(people)
    if not cells_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(cells_out), np.concatenate(commune_out), np.concatenate(people_out)


def _commune_cells(
    grid: AnyPopulationGrid, commune_geoms: NDArray[np.object_]
) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """(flat cell index, people) of each commune's populated cells by centre, one commune at a time (empty
    arrays for a commune outside the grid)."""
    height, width = grid.shape
    inv = ~grid.transform
    for geom in commune_geoms:
        window = _pixel_window(geom, inv, height, width)
        if window is None:
            yield np.zeros(0, dtype=np.int64), np.zeros(0)
            continue
        r0, r1, c0, c1 = window
        mask = rasterio.features.geometry_mask(
            [geom],
            out_shape=(r1 - r0, c1 - c0),
            transform=grid.transform @ Affine.translation(c0, r0),
            invert=True,
        )
        values = grid.window(r0, r1, c0, c1).astype(np.float64)
        rr, cc = np.nonzero(mask & np.isfinite(values) & (values > 0))
        yield (rr + r0).astype(np.int64) * width + (cc + c0), values[rr, cc]


def _pixel_window(
    geom: shapely.Geometry, inv: Affine, height: int, width: int
) -> tuple[int, int, int, int] | None:
    minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(geom))
    corners = [inv @ (x, y) for x, y in ((minx, maxy), (maxx, miny))]
    cols = [float(c[0]) for c in corners]
    rows = [float(c[1]) for c in corners]
    c0, c1 = max(int(np.floor(min(cols))), 0), min(int(np.ceil(max(cols))), width)
    r0, r1 = max(int(np.floor(min(rows))), 0), min(int(np.ceil(max(rows))), height)
    return None if c0 >= c1 or r0 >= r1 else (r0, r1, c0, c1)


def spread_evenly(population: NDArray[np.float64], covered_share: NDArray[np.float64]) -> NDArray[np.float64]:
    """People reached when a commune's census population is spread evenly over its area."""
    return np.asarray(np.nan_to_num(population) * np.clip(covered_share, 0.0, 1.0), dtype=float)


def build_population_raster(
    commune_geoms: NDArray[np.object_],
    commune_population: NDArray[np.float64],
    *,
    resolution_m: float = 100.0,
    village_geoms: NDArray[np.object_] | None = None,
    village_commune: NDArray[np.int64] | None = None,
    village_weight: float = 0.7,
    village_radius_m: float = 500.0,
) -> tuple[NDArray[np.float32], Affine, NDArray[np.float64]]:
    """Spread each commune's total over the cells whose centre is in it: evenly, or weighted toward villages.

    Geometries in one metric CRS (metres). With villages, ``village_weight`` of a commune's people go evenly
    to its cells within ``village_radius_m`` of one of its villages, the rest evenly to all its cells.
    A commune
    too small to hold a cell centre puts its people in the cell under its representative point, so totals
    are kept. Returns (persons per cell, float32; transform; people per commune counted by cell centre)
    covering the communes' bounds.
    """
    ids, transform = _commune_grid(commune_geoms, resolution_m)
    n = len(commune_geoms)
    pop = np.concatenate([[0.0], np.nan_to_num(commune_population)])
    n_all = np.bincount(ids.ravel(), minlength=n + 1)
    if (
        village_geoms is not None
        and village_commune is not None
        and len(village_geoms)
        and village_weight > 0
    ):
        values = _spread_toward_villages(
            ids, transform, pop, n_all, village_geoms, village_commune, village_weight, village_radius_m
        )
    else:
        per_cell = np.divide(pop, n_all, out=np.zeros(n + 1), where=n_all > 0)
        per_cell[0] = 0.0
        values = per_cell.astype(np.float32)[ids]
    # People per commune as analyses count them (cell centres): each commune's own total, plus those of
    # communes too small for a cell centre, counted where they were put.
    totals = _place_lost_communes(values, ids, commune_geoms, pop, transform, n_all > 0)
    return values, transform, totals


def _commune_grid(commune_geoms: NDArray[np.object_], resolution_m: float) -> tuple[NDArray[np.int32], Affine]:
    """The grid over the communes' bounds, each cell holding its commune's id (index + 1; 0: no commune)."""
    minx, miny, maxx, maxy = shapely.total_bounds(commune_geoms)
    x0, y0 = np.floor(minx / resolution_m) * resolution_m, np.ceil(maxy / resolution_m) * resolution_m
    width = int(np.ceil((maxx - x0) / resolution_m))
    height = int(np.ceil((y0 - miny) / resolution_m))
    transform = Affine(resolution_m, 0, x0, 0, -resolution_m, y0)
    ids = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(commune_geoms)),
        out_shape=(height, width),
        transform=transform,
        fill=0,
        dtype="int32",
    )
    return ids, transform


def _spread_toward_villages(
    ids: NDArray[np.int32],
    transform: Affine,
    pop: NDArray[np.float64],
    n_all: NDArray[np.int64],
    village_geoms: NDArray[np.object_],
    village_commune: NDArray[np.int64],
    village_weight: float,
    village_radius_m: float,
) -> NDArray[np.float32]:
    """``village_weight`` of each commune's people evenly on its cells near its villages, the rest on all."""
    n = len(pop) - 1
    # Lookups by commune id (index 0 = no commune), float32 like the output: a national 100 m grid has ~3e8
    # cells, so no float64 temporaries of that size.
    near = rasterio.features.rasterize(
        (
            (shapely.buffer(g, village_radius_m), int(c) + 1)
            for g, c in zip(village_geoms, village_commune, strict=True)
        ),
        out_shape=ids.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    near_own = (near > 0) & (near == ids)
    del near
    n_near = np.bincount(ids[near_own], minlength=n + 1)
    share_near = np.where(n_near > 0, village_weight, 0.0)
    per_all = np.divide((1 - share_near) * pop, n_all, out=np.zeros(n + 1), where=n_all > 0)
    per_near = np.divide(share_near * pop, n_near, out=np.zeros(n + 1), where=n_near > 0)
    per_all[0] = per_near[0] = 0.0
    values = per_all.astype(np.float32)[ids]
    values[near_own] += per_near.astype(np.float32)[ids[near_own]]
    return values


def _place_lost_communes(
    values: NDArray[np.float32],
    ids: NDArray[np.int32],
    geoms: NDArray[np.object_],
    pop: NDArray[np.float64],
    transform: Affine,
    present: NDArray[np.bool_],
) -> NDArray[np.float64]:
    totals = np.where(present, pop, 0.0)
    inv = ~transform
    height, width = ids.shape
    for i in np.flatnonzero(~present[1:]):
        p = shapely.point_on_surface(geoms[i])
        col, row = inv @ (p.x, p.y)
        r, c = min(max(int(row), 0), height - 1), min(max(int(col), 0), width - 1)
        values[r, c] += np.float32(pop[i + 1])
        totals[ids[r, c]] += pop[i + 1]
    return np.asarray(totals[1:], dtype=np.float64)


def reproject_points(
    x: NDArray[np.float64], y: NDArray[np.float64], src: CRS | int | str, dst: CRS | int | str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Reproject coordinate arrays (always x=lon/easting, y=lat/northing order)."""
    out_x, out_y = transformer(src, dst).transform(x, y)
    return np.asarray(out_x, dtype=float), np.asarray(out_y, dtype=float)


@lru_cache(maxsize=64)
def transformer(src: CRS | int | str, dst: CRS | int | str) -> Transformer:
    """Return a cached lon/lat-ordered transformer (creating one costs milliseconds: too much per commune)."""
    return Transformer.from_crs(src, dst, always_xy=True)


def reproject_geoms(
    geoms: NDArray[np.object_], src: CRS | int | str, dst: CRS | int | str
) -> NDArray[np.object_]:
    """Reproject an array of shapely geometries (x=lon/easting order)."""
    tr = transformer(src, dst)
    return np.asarray(
        shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))), dtype=object
    )
