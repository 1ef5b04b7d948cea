"""A user-supplied raster MBTiles base map served at /basemap/{z}/{x}/{y}.png (issue 21, closed networks).

PHUSONG_BASEMAP_MBTILES names the file (e.g. one made with QGIS "Generate XYZ tiles (MBTiles)" or gdal_translate
-of MBTILES); phusong reads it read-only with sqlite3. MBTiles stores rows in TMS order, so y is flipped. Any
logged-in user may read it (it holds no project data); without the setting, or for a tile the file lacks: 404.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import flask

from app.auth import AccessDenied, require
from sql.settings import get_settings

ROLES = ("planner", "budget", "admin", "inspector")
TILE_SQL = "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?"


def read_tile(path: Any, z: int, x: int, y: int) -> bytes | None:
    """The tile (z, x, y) in XYZ numbering from an MBTiles file, or None."""
    if not 0 <= z <= 24 or not 0 <= x < 2 ** z or not 0 <= y < 2 ** z:
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        row = db.execute(TILE_SQL, (z, x, 2 ** z - 1 - y)).fetchone()
    return None if row is None else bytes(row[0])


def _tile(z: int, x: int, y: int) -> Any:
    require(*ROLES)
    path = get_settings().basemap_mbtiles
    data = read_tile(path, z, x, y) if path else None
    if data is None:
        raise AccessDenied("không có ô bản đồ nền này (no such base map tile)", status=404)
    mime = "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"
    response = flask.Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def install(server: flask.Flask) -> None:
    server.add_url_rule("/basemap/<int:z>/<int:x>/<int:y>.png", "basemap_tile", _tile)
