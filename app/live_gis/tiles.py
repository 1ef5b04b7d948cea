"""Mapbox vector tiles of each collection at /tiles/{collection}/{z}/{x}/{y}.mvt (ST_AsMVT, Web Mercator XYZ),
their TileJSON at /tiles/{collection}.json, limited to the user's scope.

A tile is made once per collection, tile and scope and kept in this process and in the cache the processes of the
machine share (app/live_gis/shared_tiles.py; the scope is part of the key: two inspectors of different communes
never share a tile). A tile of `communes`, `coverage` or `gaps` is kept with the provinces it shows and their
versions when it was made (app/live_gis/tile_versions.py, read for every request): it is served until one of them
moves — a recompute that changes what a commune shows (class, shares, verdict, reason, coverage outline) makes its
province's tiles again at the next request, and the tiles of every other province stay kept (bounded by memory
and disk only); an overview tile (zoom ≤ ``OVERVIEW_MAX_ZOOM``) whose provinces changed is made again once it is
``OVERVIEW_LAG_S`` old. A tile asked by several threads at once is made once per process. The other collections' tiles
(facilities, villages, plan actions, which have no versions) are kept ``TILE_TTL_S``. A tile asked with a token
is answered before Flask (app/live_gis/warm.py). Its ETag is a hash of its bytes, so a client that sends
If-None-Match gets 304 without the body; Cache-Control asks clients to revalidate every time, so a map is never
older than the server's copy.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import flask

from app.auth import User
from app.components.common import tolerance_for_zoom
from app.live_gis import audit_read, problem, readable_collection, request_user, shared_tiles, tile_versions
from app.live_gis.cache import MadeOnce, TtlCache
from app.live_gis.collections import Collection
from app.live_gis.extent import scope_extent
from app.live_gis.replica import read_connect
from sql import queries

MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 16     # past this clients over-zoom: a 4096-unit tile at z16 resolves 15 cm
TILE_TTL_S = 60   # how far behind the database a tile without versions may be (inspections change facilities live)
KEPT_S = 24 * 3600  # a tile with versions is kept until what it shows changes: this only bounds the disk
TILE_FORMAT = 3   # in the key: moved on when what is kept changes shape
# An overview tile (zoom 8 and below: a zoom-6 tile spans several provinces and costs 45-100 ms of PostgreSQL) whose
# provinces changed is made again only once it is this old: where inspectors save all day a province's coverage
# changes every second or so (2.7 recomputes a second in bench.mixed_load), and making the overview tiles over it
# for nearly every request cost PostgreSQL two thirds more CPU than the 60 s they were kept before. Zoom 9 and
# above (a few communes a tile) follow every change at once. 0: every tile follows every change at once.
OVERVIEW_MAX_ZOOM = 8
OVERVIEW_LAG_S = 10.0
CACHE_CONTROL = "private, no-cache"
# Whether the server had the tile made already ("hit") or made it for this request ("miss"), as tile servers and
# proxies say it: what an operator looks at when a map is slow. A hit answered before Flask says "hit, early".
CACHE_HEADER = "X-Cache"
# (ETag, body, the provinces it shows, their stamp when it was made (both empty for a tile without versions),
# when it was made: time.time())
Tile = tuple[str, bytes, tuple[str, ...], tile_versions.Stamp, float]
_TILES: TtlCache[Tile] = TtlCache(ttl_s=TILE_TTL_S, max_bytes=256 * 1024 * 1024)
# (tile key, versions) -> its making under way; a request waits at most 120 s for a making under way
_MAKING: MadeOnce[tuple[str, bytes]] = MadeOnce(wait_s=120)


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/tiles/<cid>.json", "tiles_tilejson", _tilejson)
    server.add_url_rule("/tiles/<cid>/<int:z>/<int:x>/<int:y>.mvt", "tiles_tile", _tile)


def _readable(cid: str) -> Collection | flask.Response:
    return readable_collection(cid, noun="tile layer")


def _tile(cid: str, z: int, x: int, y: int) -> flask.Response:
    c = _readable(cid)
    if isinstance(c, flask.Response):
        return c
    if not valid_tile(z, x, y):
        return problem(404, "NotFound", f"no tile {z}/{x}/{y} (zoom 0–{MAX_ZOOM}, x and y below 2^zoom)")
    (etag, body), cached = tile_for(c, z, x, y, request_user())
    audit_read("tiles", c.id)
    not_modified = flask.request.if_none_match.contains(etag)
    response = flask.Response(status=304) if not_modified else flask.Response(body, mimetype=MVT)
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers[CACHE_HEADER] = "hit" if cached else "miss"
    return response


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z


def tile_for(c: Collection, z: int, x: int, y: int, user: User) -> tuple[tuple[str, bytes], bool]:
    """((ETag, body) of the tile for the user's scope, whether it was kept already): kept when this process or
    another made it and what it shows has not changed since (without versions: less than ``TILE_TTL_S`` ago),
    else made now and kept (also what app/live_gis/warm.py answers before Flask)."""
    versions = tile_versions.current() if c.tile_versioned else None
    cached = _kept(c, z, x, y, user, versions)
    return cached or _new_tile(c, z, x, y, user, versions), cached is not None


def _tile_key(c: Collection, z: int, x: int, y: int, user: User) -> tuple[object, ...]:
    return "tile", TILE_FORMAT, c.id, z, x, y, user.whole_country, user.scope_codes


def _kept(c: Collection, z: int, x: int, y: int, user: User,
          versions: tile_versions.Versions | None) -> tuple[str, bytes] | None:
    lag_s = OVERVIEW_LAG_S if z <= OVERVIEW_MAX_ZOOM else 0.0

    def current(tile: Tile) -> bool:
        return not c.tile_versioned or (versions is not None and (
            tile_versions.stamp(tile[2], versions) == tile[3] or time.time() - tile[4] < lag_s))

    key = _tile_key(c, z, x, y, user)
    found = _TILES.get(key)
    if found is None or not current(found):
        shared = shared_tiles.get(key)  # another process may have made it again already
        if shared is None or not current(shared[0]):
            return None
        found = shared[0]
        _TILES.put(key, found, _weight(found), shared[1])
    return found[0], found[1]


def _weight(tile: Tile) -> int:
    return len(tile[1]) + 200


def _new_tile(c: Collection, z: int, x: int, y: int, user: User,
              versions: tile_versions.Versions | None) -> tuple[str, bytes]:
    """Make the tile, or wait for this process's making of it already under way for the same versions (a z6 tile
    asked by every client right after its province changed is made once, not once per request meanwhile: a
    making started under older versions could miss a change this request must see, so it is not shared)."""
    making = (_tile_key(c, z, x, y, user), None if versions is None else tuple(sorted(versions.items())))
    return _MAKING.made(making, lambda: _made_and_kept(c, z, x, y, user, versions))


def _made_and_kept(c: Collection, z: int, x: int, y: int, user: User,
                   versions: tile_versions.Versions | None) -> tuple[str, bytes]:
    """Make the tile; keep it with the stamp of the versions read before it was made (a change committed between
    makes the kept tile newer than its stamp: made once more at the next request, never served stale)."""
    etag, body, provinces = _make_tile(c, z, x, y, user)
    if c.tile_versioned and versions is None:
        return etag, body  # no versions to check it against later: not kept
    made: Tile = (etag, body, provinces, tile_versions.stamp(provinces, versions) if versions is not None else (),
                  time.time())
    kept_s = KEPT_S if c.tile_versioned else TILE_TTL_S
    key = _tile_key(c, z, x, y, user)
    _TILES.put(key, made, _weight(made), kept_s)
    shared_tiles.put(key, made, kept_s)
    return etag, body


def _make_tile(c: Collection, z: int, x: int, y: int, user: User) -> tuple[str, bytes, tuple[str, ...]]:
    with read_connect() as conn:
        row = conn.execute(queries.load(c.tile_query), {
            "z": z, "x": x, "y": y, "tolerance_deg": tolerance_for_zoom(z),
            "whole_country": user.whole_country, "scope": list(user.scope_codes)}).one()
    body = bytes(row[0] or b"")
    provinces = tuple(sorted(p for p in row[1] or () if p)) if c.tile_versioned else ()
    return hashlib.sha256(body).hexdigest()[:32], body, provinces


def _tilejson(cid: str) -> Any:
    c = _readable(cid)
    if isinstance(c, flask.Response):
        return c
    root = flask.request.url_root.rstrip("/")
    extent = scope_extent(request_user()) or [102.1, 8.4, 109.5, 23.4]  # Viet Nam when the scope is empty
    audit_read("tiles", c.id)
    return flask.jsonify({
        "tilejson": "3.0.0", "name": c.id, "description": c.description,
        "tiles": [f"{root}/tiles/{c.id}/{{z}}/{{x}}/{{y}}.mvt"], "scheme": "xyz",
        "minzoom": 0, "maxzoom": MAX_ZOOM, "bounds": extent,
        "center": [(extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2, 8],
        "vector_layers": [{"id": c.tile_layer or c.id, "description": c.title, "minzoom": 0, "maxzoom": MAX_ZOOM}],
        "attribution": "phusong; 2025 boundaries: thanglequoc/vietnamese-provinces-database (MIT)"})
