"""The offline base map (issue 21): light PNG tiles of Vietnam's provinces, zooms 5–8, for closed networks.

Rendered once from the shared province outlines (admin_2025/provinces_2025.gpkg) into app/assets/basemap/
{z}/{x}/{y}.png and committed (about 0.5 MB): land in a pale sand colour with grey province borders over a
neutral background. The map asks only for tiles inside BASEMAP_BOUNDS (every one exists, so no 404 reaches
the console). Regenerate with ``python -m etl.basemap_tiles PROVINCES.gpkg OUT_DIR``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from PIL import Image, ImageDraw

TILE = 256
ZOOMS = (5, 6, 7, 8)
# [[south, west], [north, east]]: the provinces' extent (with the islands), the tiles drawn.
BASEMAP_BOUNDS = [[7.0, 102.0], [23.5, 118.0]]
BACKGROUND = (233, 238, 242)  # neighbours and sea: one neutral tone (the outlines give no coastline of others)
LAND = (250, 248, 240)
BORDER = (150, 150, 150)


def tile_range(zoom: int) -> tuple[range, range]:
    """The x and y tile numbers covering BASEMAP_BOUNDS at ``zoom``."""
    (south, west), (north, east) = BASEMAP_BOUNDS
    x0, y0 = _pixel(west, north, zoom)
    x1, y1 = _pixel(east, south, zoom)
    return range(int(x0 // TILE), int(x1 // TILE) + 1), range(int(y0 // TILE), int(y1 // TILE) + 1)


def _pixel(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator global pixel of (lon, lat) at ``zoom``."""
    scale = TILE * 2 ** zoom
    x = (lon + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def _rings(geometries: np.ndarray, zoom: int) -> list[np.ndarray]:
    """Every polygon ring as global pixel coordinates at ``zoom``, simplified to a quarter pixel."""
    tolerance = 360.0 / (TILE * 2 ** zoom) / 4
    rings: list[np.ndarray] = []
    for geom in shapely.simplify(geometries, tolerance):
        for polygon in getattr(geom, "geoms", [geom]):
            for ring in [polygon.exterior, *polygon.interiors]:
                coords = np.asarray(ring.coords)
                scale = TILE * 2 ** zoom
                x = (coords[:, 0] + 180.0) / 360.0 * scale
                sin = np.sin(np.radians(coords[:, 1]))
                y = (0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
                rings.append(np.column_stack([x, y]))
    return rings


def render(provinces: Path, out_dir: Path) -> int:
    """Write the tiles of every zoom in ZOOMS; return how many."""
    geometries = pyogrio.read_dataframe(provinces, read_geometry=True).geometry.to_numpy()
    written = 0
    for zoom in ZOOMS:
        rings = _rings(geometries, zoom)
        xs, ys = tile_range(zoom)
        for tx in xs:
            for ty in ys:
                image = Image.new("RGB", (TILE, TILE), BACKGROUND)
                draw = ImageDraw.Draw(image)
                origin = np.array([tx * TILE, ty * TILE])
                for ring in rings:
                    local = ring - origin
                    if local[:, 0].max() < 0 or local[:, 1].max() < 0 or local[:, 0].min() > TILE \
                            or local[:, 1].min() > TILE:
                        continue
                    draw.polygon([tuple(p) for p in local], fill=LAND, outline=BORDER)
                target = out_dir / str(zoom) / str(tx) / f"{ty}.png"
                target.parent.mkdir(parents=True, exist_ok=True)
                image.quantize(colors=8).save(target, optimize=True)
                written += 1
    return written


if __name__ == "__main__":
    print(render(Path(sys.argv[1]), Path(sys.argv[2])), "tiles")
