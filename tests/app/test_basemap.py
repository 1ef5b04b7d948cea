"""Base layers (issue 21): the offline tiles always, OpenStreetMap only when a setting allows it (and then the CSP
admits exactly that image origin), a user-supplied MBTiles file read with TMS rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import flask
import plotly
import pytest

from app.basemap import read_tile
from app.components.map_layers import OFFLINE_TILES, base_layers
from app.security_headers import content_security_policy
from etl.basemap_tiles import ZOOMS, tile_range
from sql.settings import PROJECT_ROOT, get_settings


def _layers(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    for name in ("PHUSONG_ONLINE_BASEMAP", "PHUSONG_TILE_URL", "PHUSONG_BASEMAP_MBTILES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with flask.Flask(__name__).test_request_context():
        return json.dumps(base_layers("t"), cls=plotly.utils.PlotlyJSONEncoder)


def test_the_online_base_map_only_when_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    offline = _layers(monkeypatch)
    assert OFFLINE_TILES in offline and "openstreetmap" not in offline and "\"/basemap/" not in offline
    assert "tile.openstreetmap.org" not in content_security_policy([], get_settings().online_tile_url)
    online = _layers(monkeypatch, PHUSONG_ONLINE_BASEMAP="true", PHUSONG_BASEMAP_MBTILES="/x.mbtiles")
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in online and "/basemap/{z}/{x}/{y}.png" in online
    policy = content_security_policy([], get_settings().online_tile_url)
    assert "img-src 'self' data: blob: https://tile.openstreetmap.org;" in policy
    get_settings.cache_clear()


def test_every_offline_tile_the_map_may_ask_for_is_vendored() -> None:
    """The layer's bounds cover exactly the tiles on disk: no 404 in the console at any zoom 5–8."""
    for zoom in ZOOMS:
        xs, ys = tile_range(zoom)
        missing = [(x, y) for x in xs for y in ys
                   if not (PROJECT_ROOT / "app" / "assets" / "basemap" / str(zoom) / str(x) / f"{y}.png").is_file()]
        assert missing == [], (zoom, missing[:5])


def test_an_mbtiles_tile_is_read_with_its_row_flipped(tmp_path: Path) -> None:
    path = tmp_path / "nen.mbtiles"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)")
        db.execute("INSERT INTO tiles VALUES (5, 25, 32 - 1 - 14, x'89504e47')")
    assert read_tile(path, 5, 25, 14) == b"\x89PNG"
    assert read_tile(path, 5, 25, 15) is None and read_tile(path, 5, 99, 14) is None
