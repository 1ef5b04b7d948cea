"""The coverage map's simplified commune outlines made ahead (commune_map_geometry, migrations 0040 and 0301), so
no user's request pays for them: a national fill is ~4 s of PostgreSQL per zoom level, which the first map or
tile at that level waited for under load before session 31.

:func:`fill_outlines_ahead` fills every level of ``LEVELS`` that misses a commune: `phusong worker` calls it on
each pass (app/coverage_refresh.py; a boundaries load marks communes stale, which wakes the worker) and `phusong
demo` after its loads. A pass reads the boundaries' data version first (~0.1 ms) and looks for missing levels
only when it moved since this process last filled."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from sql import queries

# The map's levels (4-8: whole-scope outlines, app/components/common.py VIEW_ONLY_FROM_ZOOM) and the vector tiles'
# overview levels made from these outlines (to 10: sql/queries/ogc_communes_tile.sql).
LEVELS = tuple(range(4, 11))
MAP_FIRST = (6, 7, 8)  # the levels the map opens at and is moved to most: filled first
_filled_at: dict[str, int] = {}  # database URL -> boundaries version this process last found filled
_lock = threading.Lock()


def tolerance_for_level(level: int) -> float:
    """Half a screen pixel in degrees at this web-mercator zoom (as app/components/common.tolerance_for_zoom)."""
    return 360.0 / (256 * 2 ** level) / 2


def fill_outlines_ahead(engine: Engine) -> int:
    """Simplify the outlines of every commune missing at a level of ``LEVELS``; return how many were made."""
    key = engine.url.render_as_string(hide_password=True)
    with engine.connect() as conn:
        version = int(conn.execute(queries.load("data_version")).mappings().one()["boundaries"])
    if _filled_at.get(key) == version:
        return 0
    made = 0
    try:
        with _lock:
            with engine.connect() as conn:
                missing = [int(z) for z in conn.execute(queries.load("commune_map_levels_missing"),
                                                        {"levels": list(LEVELS)}).scalars()]
            for level in sorted(missing, key=lambda z: (z not in MAP_FIRST, z)):
                # One transaction a level: a map asking this level meanwhile waits for one level (~3 s), not all.
                with engine.begin() as conn:
                    made += int(conn.execute(queries.load("fill_commune_map_geometry"), {
                        "zoom_level": level, "tolerance": tolerance_for_level(level)}).scalar_one())
    finally:
        # Tried once per boundaries version: after a failure the map still fills a level on its first ask.
        _filled_at[key] = version
    return made
