"""The disc polygons the coverage unites: built from one flat coordinate array, the same as ring by ring."""

from __future__ import annotations

import numpy as np
import shapely

from analysis.coverage import disc_polygons


def _rings(x: np.ndarray, y: np.ndarray, r: np.ndarray, quad_segs: int, scale: float) -> np.ndarray:
    """The (n, k+1, 2) closed rings of the discs, as the polygons were made before (``shapely.polygons``)."""
    k = 4 * quad_segs
    angle = -2 * np.pi * np.arange(k + 1) / k
    dx, dy = np.cos(angle), np.sin(angle)
    dx[-1], dy[-1] = dx[0], dy[0]
    rr = (r * scale)[:, None]
    return np.stack([x[:, None] + rr * dx[None, :], y[:, None] + rr * dy[None, :]], axis=-1)


def test_discs_are_the_ring_by_ring_polygons_to_the_bit_and_the_buffer_vertices() -> None:
    rng = np.random.default_rng(7)
    x, y = 400_000 + rng.random(500) * 1e5, 2_300_000 + rng.random(500) * 1e5
    r = 100 + rng.random(500) * 900
    for quad_segs in (3, 4, 8):
        k = 4 * quad_segs
        scale = np.sqrt(np.pi / (k / 2 * np.sin(2 * np.pi / k)))
        got = disc_polygons(x, y, r, quad_segs=quad_segs)
        before = shapely.polygons(_rings(x, y, r, quad_segs, scale))
        assert shapely.equals_identical(got, before).all()
        assert np.array_equal(shapely.to_wkb(got), shapely.to_wkb(before))
        assert np.allclose(shapely.area(got), np.pi * r**2, rtol=1e-9)
        plain = disc_polygons(x[:20], y[:20], r[:20], quad_segs=quad_segs, equal_area=False)
        buffered = shapely.buffer(shapely.points(x[:20], y[:20]), r[:20], quad_segs=quad_segs)
        for mine, theirs in zip(plain, buffered, strict=True):
            assert np.allclose(shapely.get_coordinates(mine), shapely.get_coordinates(theirs), atol=1e-6)
    assert len(disc_polygons(np.zeros(0), np.zeros(0), np.zeros(0))) == 0
