"""Mapbox vector tiles of each collection at /tiles/{collection}/{z}/{x}/{y}.mvt (ST_AsMVT, Web Mercator XYZ),
their TileJSON at /tiles/{collection}.json, limited to the user's scope.

A tile is made once per collection, tile and scope and kept for ``TILE_TTL_S`` in this process and in the
cache the processes of the machine share (app/live_gis/shared_tiles.py; the scope is part of the key: two
inspectors of different communes never share a tile). A warm tile is answered before Flask
(app/live_gis/warm.py). Its ETag is a hash of its bytes, so a
client that sends If-None-Match gets 304 without the body; Cache-Control asks clients to revalidate every time,
so a map is never older than the server's copy, at most ``TILE_TTL_S`` behind the database.
"""

from __future__ import annotations

import hashlib
from typing import Any

import flask

from app.auth import User
from app.components.common import tolerance_for_zoom
from app.live_gis import audit_read, problem, readable_collection, request_user, shared_tiles
from app.live_gis.cache import TtlCache
from app.live_gis.collections import Collection
from app.live_gis.extent import scope_extent
from app.live_gis.replica import read_connect
from sql import queries

MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 16     # past this clients over-zoom: a 4096-unit tile at z16 resolves 15 cm
TILE_TTL_S = 60   # how far behind the database a served tile may be (inspections change facilities live)
CACHE_CONTROL = "private, no-cache"
# Whether the server had the tile made already ("hit") or made it for this request ("miss"), as tile servers and
# proxies say it: what an operator looks at when a map is slow. A hit answered before Flask says "hit, early".
CACHE_HEADER = "X-Cache"
_TILES: TtlCache[tuple[str, bytes]] = TtlCache(ttl_s=TILE_TTL_S, max_bytes=256 * 1024 * 1024)


def register_routes(server: flask.Flask) -> None:
    server.add_url_rule("/tiles/<cid>.json", "tiles_tilejson", _tilejson)
    server.add_url_rule("/tiles/<cid>/<int:z>/<int:x>/<int:y>.mvt", "tiles_tile", _tile)


def _readable(cid: str) -> Collection | flask.Response:
    return readable_collection(cid, noun="tile layer")


def _tile(cid: str, z: int, x: int, y: int) -> flask.Response:
    c = _readable(cid)
    if isinstance(c, flask.Response):
        return c
    if not (0 <= z <= MAX_ZOOM and 0 <= x < 2 ** z and 0 <= y < 2 ** z):
        return problem(404, "NotFound", f"no tile {z}/{x}/{y} (zoom 0–{MAX_ZOOM}, x and y below 2^zoom)")
    user = request_user()
    cached = cached_tile(c, z, x, y, user)
    etag, body = cached or _new_tile(c, z, x, y, user)
    audit_read("tiles", c.id)
    not_modified = flask.request.if_none_match.contains(etag)
    response = flask.Response(status=304) if not_modified else flask.Response(body, mimetype=MVT)
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers[CACHE_HEADER] = "hit" if cached else "miss"
    return response


def _tile_key(c: Collection, z: int, x: int, y: int, user: User) -> tuple[object, ...]:
    return c.id, z, x, y, user.whole_country, user.scope_codes


def cached_tile(c: Collection, z: int, x: int, y: int, user: User) -> tuple[str, bytes] | None:
    """(ETag, body) of the tile for the user's scope when this process or another made it less than
    ``TILE_TTL_S`` ago, else None (also what app/live_gis/warm.py answers from)."""
    found: tuple[str, bytes] | None = shared_tiles.through(_TILES, _tile_key(c, z, x, y, user),
                                                         lambda tile: len(tile[1]) + 200)
    return found


def _new_tile(c: Collection, z: int, x: int, y: int, user: User) -> tuple[str, bytes]:
    made = _make_tile(c, z, x, y, user)
    key = _tile_key(c, z, x, y, user)
    _TILES.put(key, made, len(made[1]) + 200)
    shared_tiles.put(key, made, TILE_TTL_S)
    return made


def _make_tile(c: Collection, z: int, x: int, y: int, user: User) -> tuple[str, bytes]:
    with read_connect() as conn:
        tile = conn.execute(queries.load(c.tile_query), {
            "z": z, "x": x, "y": y, "tolerance_deg": tolerance_for_zoom(z),
            "whole_country": user.whole_country, "scope": list(user.scope_codes)}).scalar()
    body = bytes(tile or b"")
    return hashlib.sha256(body).hexdigest()[:32], body


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
