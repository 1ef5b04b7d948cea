"""People reached, stamped block by block (analysis.population.stamped_sums), against independent counts: the
polygon rasterisation of the discs (cell-centre rule) and the sort-based de-duplication it replaced, both over
a real tiled GeoTIFF whose 256-cell blocks the discs straddle."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS

from analysis.coverage import covered_geometries
from analysis.population import RasterPopulationGrid, cells_reached, people_reached, stamped_sums

X0, Y0, RES = 420_000.0, 2_360_000.0, 100.0
HEIGHT, WIDTH = 600, 700
TRANSFORM = Affine(RES, 0, X0, 0, -RES, Y0 + HEIGHT * RES)
# Two communes meeting on a slanted line (not along cell or block edges), a third one apart.
A = shapely.Polygon([(X0, Y0), (X0 + 31_234, Y0), (X0 + 36_789, Y0 + 60_000), (X0, Y0 + 60_000)])
B = shapely.Polygon([(X0 + 31_234, Y0), (X0 + 70_000, Y0), (X0 + 70_000, Y0 + 60_000), (X0 + 36_789, Y0 + 60_000)])
C = shapely.box(X0 + 5_017, Y0 + 5_073, X0 + 12_961, Y0 + 14_039)
RADII = np.array([141.99, 150.0, 174.93, 283.98, 300.0, 349.86])


def _raster(path: Path) -> np.ndarray:
    rng = np.random.default_rng(7)
    values = rng.gamma(2.0, 3.0, (HEIGHT, WIDTH)).astype(np.float32)
    values[rng.random((HEIGHT, WIDTH)) < 0.02] = -1.0  # nodata
    values[100:110, 300:310] = np.nan
    with rasterio.open(
        path, "w", driver="GTiff", width=WIDTH, height=HEIGHT, count=1, dtype="float32", crs="EPSG:32648",
        transform=TRANSFORM, nodata=-1.0, tiled=True, blockxsize=256, blockysize=256, compress="lzw",
    ) as dst:
        dst.write(values, 1)
    return values


def _grid(src: rasterio.DatasetReader) -> RasterPopulationGrid:
    return RasterPopulationGrid(src, (256, 256), (HEIGHT, WIDTH), src.transform, CRS.from_epsg(32648), src.nodata)


def _discs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = X0 + 500 + rng.random(n) * 69_000
    y = Y0 + 500 + rng.random(n) * 59_000
    r = rng.choice(RADII, n)
    r[rng.random(n) < 0.1] = 0.0  # broken clusters reach no one
    commune = np.where(shapely.contains_xy(C, x, y), 2, np.where(shapely.contains_xy(A, x, y), 0, 1))
    return x, y, r, commune.astype(np.int64)


def test_stamping_equals_the_rasterised_discs(tmp_path: Path) -> None:
    values = _raster(tmp_path / "people.tif")
    clean = np.where(np.isfinite(values) & (values >= 0), values, 0.0).astype(np.float64)
    x, y, r, commune = _discs(1500, 1)
    geoms = np.array([A.difference(C), B, C])
    # Only discs whose circle is clearly inside or clearly across their commune's boundary (> 5 m): there the
    # 16-gon's "wholly inside" flag and the circle agree, and the rasterised circle is the count's rule.
    gap = np.abs(shapely.distance(shapely.boundary(geoms[commune]), shapely.points(x, y)) - r)
    keep = (gap > 5) & shapely.contains_xy(geoms[commune], x, y)
    x, y, r, commune = x[keep], y[keep], r[keep], commune[keep]
    _, inside = covered_geometries(geoms, x, y, r, commune)
    with rasterio.open(tmp_path / "people.tif") as src:
        reached = people_reached(_grid(src), x, y, r, commune, inside, geoms)
    expected = []
    for k, geom in enumerate(geoms):
        own = commune == k
        circles = shapely.buffer(shapely.points(x[own], y[own]), r[own], quad_segs=256)
        in_circle, in_commune = (
            rasterio.features.geometry_mask(shapes, out_shape=(HEIGHT, WIDTH), transform=TRANSFORM, invert=True)
            for shapes in (circles[r[own] > 0], [geom])
        )
        expected.append(clean[in_circle & in_commune].sum())
    assert min(expected) > 1000
    assert reached == pytest.approx(expected, rel=1e-9)


def test_stamping_equals_sorting_the_cells(tmp_path: Path) -> None:
    _raster(tmp_path / "people.tif")
    x, y, r, commune = _discs(5000, 2)  # centres anywhere: some discs lie partly outside their commune
    geoms = np.array([A.difference(C), B, C])
    _, inside = covered_geometries(geoms, x, y, r, commune)
    with rasterio.open(tmp_path / "people.tif") as src:
        grid = _grid(src)
        reached = people_reached(grid, x, y, r, commune, inside, geoms)
        cell, owner = cells_reached(grid, x, y, r, commune, inside, geoms)
        by_sort = np.bincount(owner, weights=grid.take(cell).astype(np.float64), minlength=3)
    assert len(np.unique(cell)) == len(cell) > 50_000
    assert reached == pytest.approx(by_sort, rel=1e-12)


def test_a_cell_stamped_twice_counts_once_for_its_first_owner(tmp_path: Path) -> None:
    values = _raster(tmp_path / "people.tif")
    # Cell 300 * 700 + 10 is given first to owner 1, then to 0 (a disc's circle reaching past its 16-gon
    # can do that); cell 256 (next block) once; cell 5 three times.
    cell = np.array([300 * WIDTH + 10, 5, 300 * WIDTH + 10, 256, 5, 5])
    owner = np.array([1, 0, 0, 0, 0, 0])
    with rasterio.open(tmp_path / "people.tif") as src:
        sums = stamped_sums(_grid(src), cell, owner, 2)
    v = values.reshape(-1).astype(np.float64)
    assert sums.tolist() == pytest.approx([v[5] + v[256], v[300 * WIDTH + 10]])
