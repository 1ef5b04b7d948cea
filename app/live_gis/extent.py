"""The extent of what a user may see (CRS84), for the collections' metadata and the TileJSON bounds."""

from __future__ import annotations

from app.auth import User
from app.live_gis.cache import TtlCache
from app.live_gis.replica import read_connect
from sql import queries

# Boundaries change a few times a year; a minute-old extent is as good as a fresh one for a client's first view.
_EXTENTS: TtlCache[list[float] | None] = TtlCache(ttl_s=60, max_bytes=1_000_000)


def scope_extent(user: User) -> list[float] | None:
    """[lon_min, lat_min, lon_max, lat_max] of the user's communes, or None when there are none."""
    return _EXTENTS.get_or_make((user.whole_country, user.scope_codes), lambda: _query(user), lambda _: 100)


def _query(user: User) -> list[float] | None:
    with read_connect() as conn:
        row = conn.execute(queries.load("map_scope_extent"), {
            "whole_country": user.whole_country, "scope": list(user.scope_codes)}).one()
    if row.xmin is None:
        return None
    return [round(float(v), 6) for v in (row.xmin, row.ymin, row.xmax, row.ymax)]
