"""Issue 22: a kept vector tile is served until what it shows changes, not for a fixed 60 s. A change of one
commune's stored coverage is in the next tile of that commune (made again: X-Cache miss, new ETag), a change in
another province, or a write that changes nothing the tile shows, leaves the tile kept (answered early), and the
tile_change trigger names the changed commune's province."""

from __future__ import annotations

from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy import create_engine, text

from app.live_gis import shared_tiles, tiles
from app.live_gis.tokens import create_token

pytestmark = [pytest.mark.db]
ZOOM = 13  # a zoom the other tile tests do not ask


def _planner(url: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.begin() as conn:
        token, _ = create_token(conn, "quyhoach", name="tile versions test", actor="test")
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def _commune_and_tile(url: str, zoom: int = ZOOM) -> tuple[str, float, str]:
    """A demo commune with stored coverage (the last by code), its stored share and the path of a tile inside it."""
    engine = create_engine(url)
    with engine.connect() as conn:
        code, share, x, y = conn.execute(text(
            "SELECT c.code, cc.pop_covered_share, floor((ST_X(p) + 180) / 360 * 2 ^ :z)::int, "
            "floor((1 - ln(tan(radians(ST_Y(p))) + 1 / cos(radians(ST_Y(p)))) / pi()) / 2 * 2 ^ :z)::int "
            "FROM (SELECT code, ST_PointOnSurface(geom) p FROM commune) c "
            "JOIN coverage_commune cc ON cc.commune_code = c.code ORDER BY c.code DESC LIMIT 1"), {"z": zoom}).one()
    engine.dispose()
    return str(code), float(share), f"/tiles/communes/{zoom}/{x}/{y}.mvt"


def _share_in(tile: bytes, code: str) -> float:
    features = mapbox_vector_tile.decode(tile)["communes"]["features"]
    return float(next(f["properties"]["pop_covered_share"] for f in features if f["properties"]["code"] == code))


def _write(url: str, sql: str, **values: Any) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql), values)
    engine.dispose()


def test_a_tile_is_made_again_when_its_commune_changes_and_kept_otherwise(flask_client: Any,
                                                                          demo_database: str) -> None:
    planner = _planner(demo_database)
    code, share, path = _commune_and_tile(demo_database)
    flask_client.get(path, headers=planner)
    kept = flask_client.get(path, headers=planner)
    assert kept.status_code == 200 and kept.headers["X-Cache"] == "hit, early"
    assert _share_in(kept.data, code) == pytest.approx(share)
    changed = 0.123456 if abs(share - 0.123456) > 1e-3 else 0.654321
    update = "UPDATE coverage_commune SET pop_covered_share = :share WHERE commune_code = :code"
    try:
        _write(demo_database, update, share=changed, code=code)
        engine = create_engine(demo_database)
        with engine.connect() as conn:
            province = conn.execute(text("SELECT province_code FROM commune WHERE code = :c"), {"c": code}).scalar()
            noted = conn.execute(text("SELECT province_code FROM tile_change ORDER BY id DESC LIMIT 1")).scalar()
        engine.dispose()
        assert noted == province
        # The next request of that commune's tile has the change (no 60 s lag), under a new ETag.
        after = flask_client.get(path, headers=planner)
        assert after.status_code == 200 and after.headers["X-Cache"] == "miss, early"
        assert _share_in(after.data, code) == pytest.approx(changed)
        assert after.headers["ETag"] != kept.headers["ETag"]
        assert flask_client.get(path, headers=planner).headers["X-Cache"] == "hit, early"
        # The same values stored again (a recompute of the commune that changed nothing the tiles show) keep it.
        _write(demo_database, "UPDATE coverage_commune SET computed_at = now() WHERE commune_code = :code", code=code)
        assert flask_client.get(path, headers=planner).headers["X-Cache"] == "hit, early"
        # A change in another province (the row the trigger writes for it) leaves this tile kept.
        _write(demo_database, "INSERT INTO tile_change (province_code) VALUES ('not-' || :p)", p=province)
        elsewhere = flask_client.get(path, headers=planner)
        assert elsewhere.headers["X-Cache"] == "hit, early" and elsewhere.data == after.data
    finally:
        _write(demo_database, update, share=share, code=code)
    restored = flask_client.get(path, headers=planner)
    assert restored.headers["X-Cache"] == "miss, early" and _share_in(restored.data, code) == pytest.approx(share)


def test_an_overview_tile_follows_a_change_once_it_is_old_enough(flask_client: Any, demo_database: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    planner = _planner(demo_database)
    code, share, path = _commune_and_tile(demo_database, zoom=tiles.OVERVIEW_MAX_ZOOM)
    shared_tiles._cache(shared_tiles._directory()).clear()
    tiles._TILES.clear()
    assert flask_client.get(path, headers=planner).headers["X-Cache"] == "miss, early"  # made now
    update = "UPDATE coverage_commune SET pop_covered_share = :share WHERE commune_code = :code"
    changed = 0.234567 if abs(share - 0.234567) > 1e-3 else 0.765432
    try:
        _write(demo_database, update, share=changed, code=code)
        # Younger than OVERVIEW_LAG_S: the zoom-8 tile made before the change is still served.
        young = flask_client.get(path, headers=planner)
        assert young.headers["X-Cache"] == "hit, early" and _share_in(young.data, code) == pytest.approx(share)
        monkeypatch.setattr(tiles, "OVERVIEW_LAG_S", 0.0)  # as if it were old enough now
        after = flask_client.get(path, headers=planner)
        assert after.headers["X-Cache"] == "miss, early" and _share_in(after.data, code) == pytest.approx(changed)
    finally:
        _write(demo_database, update, share=share, code=code)
