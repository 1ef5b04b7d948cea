"""The population GeoTIFF phusong writes: ZSTD tiles (the smallest and fastest to read back), values exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS

from analysis.cover import DiscsOfCommunes
from analysis.population import PopulationGrid, people_reached
from analysis.population_raster import RasterPeopleCounter, write_population_geotiff


def test_written_raster_is_zstd_tiled_and_reads_back_the_same_people(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    values = np.where(rng.random((700, 900)) < 0.3, 0.0, rng.gamma(2.0, 3.0, (700, 900))).astype(np.float32)
    values[:50] = -1.0  # nodata (sea)
    transform = Affine(100.0, 0.0, 400_000.0, 0.0, -100.0, 2_400_000.0)
    path = tmp_path / "pop.tif"
    write_population_geotiff(path, values, transform, epsg=32648, description="test")
    with rasterio.open(path) as src:
        assert src.profile["compress"].lower() == "zstd"
        assert src.block_shapes[0] == (256, 256)
        assert src.nodata == -1.0
        assert src.tags()["DERIVED"] == "true"
        assert np.array_equal(src.read(1), values)
    # People reached read from the file equal those of the same grid in memory, to the bit.
    x, y = 400_000 + rng.random(300) * 90_000, 2_330_000 - rng.random(300) * 60_000
    r = 150 + rng.random(300) * 400
    commune = np.array([shapely.box(400_000, 2_330_000 - 70_000, 490_000, 2_400_000 - 5_000)], dtype=object)
    in_memory = people_reached(
        PopulationGrid(np.where(values < 0, 0, values), transform, CRS.from_epsg(32648)),
        x, y, r, np.zeros(300, dtype=np.int64), np.zeros(300, dtype=bool), commune,
    )
    discs = DiscsOfCommunes(
        32648, commune, commune, x, y, x, y, r, np.zeros(300, dtype=np.int64), np.zeros(300, dtype=bool)
    )
    from_file, _ = RasterPeopleCounter(path)(discs, np.zeros(1, dtype=bool))
    assert in_memory[0] > 0
    assert np.array_equal(from_file, in_memory)
