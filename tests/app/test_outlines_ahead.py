"""Session 31: the coverage map's simplified outlines are made ahead by the worker (and `phusong demo`), with each
outline's GeoJSON Feature stored as text (migration 0301), so no user's map or tile request pays for them."""

from __future__ import annotations

import json
import math

import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, text

from app.components.common import map_binds, tolerance_for_zoom
from app.coverage_refresh import run_worker
from app.outlines_ahead import LEVELS
from sql import queries

pytestmark = pytest.mark.db


class _Country:
    whole_country = True
    scope_codes: tuple[str, ...] = ()


def _levels(conn: object) -> dict[int, int]:
    rows = conn.execute(text(  # type: ignore[attr-defined]
        "SELECT zoom_level, count(feature) FROM commune_map_geometry GROUP BY 1 ORDER BY 1")).all()
    return {int(z): int(n) for z, n in rows}


def test_the_worker_fills_every_level_ahead_and_again_after_a_boundary_change(
        demo_communes: Engine) -> None:
    engine = demo_communes
    with engine.connect() as conn:
        assert _levels(conn) == {}  # nobody asked a map yet
    run_worker(engine, once=True)  # a worker's pass: what a boundaries load wakes
    with engine.connect() as conn:
        assert _levels(conn) == {level: 45 for level in LEVELS}
    with engine.begin() as conn:
        conn.execute(text("UPDATE admin_unit SET name = 'Xã Đổi Tên' WHERE version = '2025' AND level = 'commune' "
                          "AND code = '03127'"))
        assert conn.execute(text("SELECT count(*) FROM commune_map_geometry WHERE code = '03127'")).scalar() == 0
    run_worker(engine, once=True)
    with engine.connect() as conn:
        assert _levels(conn) == {level: 45 for level in LEVELS}
        feature = conn.execute(text(
            "SELECT feature FROM commune_map_geometry WHERE code = '03127' AND zoom_level = 6")).scalar()
    assert '"Xã Đổi Tên"' in feature


def test_the_stored_features_answer_what_building_them_gives(
        demo_communes: Engine) -> None:
    engine = demo_communes
    run_worker(engine, once=True)
    demo_view = [[21.0, 102.8], [22.6, 103.6]]  # from zoom 9 only the communes in view (all 45 here)
    for zoom in (5, 6, 8, 9, 12):
        binds = map_binds(_Country(), zoom=zoom, bounds=demo_view)  # type: ignore[arg-type]
        assert binds["zoom_level"] == zoom and (binds["xmin"] is None) == (zoom < 9)
        with engine.begin() as conn:
            stored = json.loads(conn.execute(queries.load("map_commune_outlines_geojson"), binds).scalar())
            conn.execute(text("UPDATE commune_map_geometry SET decimals = NULL"))  # built here, as before 0301
            built = json.loads(conn.execute(queries.load("map_commune_outlines_geojson"), binds).scalar())
            conn.rollback()
        assert len(stored["features"]) == 45
        assert stored == built
    with engine.begin() as conn:  # a view at zoom 12 reads the stored text (what the worker made), not a new one
        conn.execute(text("UPDATE commune_map_geometry SET feature = replace(feature, name, 'Kept Ahead') "
                          "FROM commune c WHERE c.code = commune_map_geometry.code AND c.code = '03127' "
                          "AND zoom_level = 12"))
        view = json.loads(conn.execute(queries.load("map_commune_outlines_geojson"),
                                       map_binds(_Country(), zoom=12, bounds=demo_view)).scalar())  # type: ignore[arg-type]
        conn.rollback()
    assert {f["properties"]["name"] for f in view["features"] if f["properties"]["code"] == "03127"} == {"Kept Ahead"}


def _tile_of(conn: object, z: int, code: str) -> tuple[int, int, int]:
    lon, lat = conn.execute(text(  # type: ignore[attr-defined]
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM commune WHERE code = :c) s"),
        {"c": code}).one()
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def test_overview_tiles_are_made_from_the_outlines_simplified_ahead_once_per_commune(
        demo_communes: Engine) -> None:
    engine = demo_communes
    run_worker(engine, once=True)
    with engine.begin() as conn:
        # A stored outline unlike any simplification of the commune: its bounding box (5 points).
        conn.execute(text("UPDATE commune_map_geometry SET geom = ST_Envelope(geom) WHERE code = '03127'"))
        for z, wanted in ((8, 5), (12, None)):
            z, x, y = _tile_of(conn, z, "03127")
            binds = {"z": z, "x": x, "y": y, "tolerance_deg": tolerance_for_zoom(z), "whole_country": True,
                     "scope": []}
            body = conn.execute(queries.load("ogc_communes_tile"), binds).one()[0]
            layer = mapbox_vector_tile.decode(bytes(body))["communes"]  # the tile contract: layer and attributes
            feature = next(f for f in layer["features"] if f["properties"]["code"] == "03127")
            assert {"code", "name", "province_code"} <= set(feature["properties"])
            ring = feature["geometry"]["coordinates"][0]
            if wanted:  # zoom 4-10: the stored outline
                assert len(ring) == wanted
            else:  # past zoom 10: the full outline, simplified here
                assert len(ring) > 5
            plan = "\n".join(conn.execute(text("EXPLAIN (VERBOSE) " + queries.load("ogc_communes_tile").text),
                                          binds).scalars())
            assert plan.lower().count("st_asmvtgeom(") == 1  # made once per commune, not again for the filter


def test_a_failing_fill_never_stops_the_worker_bringing_coverage_current(
        demo_communes: Engine) -> None:
    engine = demo_communes
    with engine.begin() as conn:  # every outline the fill writes is refused
        conn.execute(text("ALTER TABLE commune_map_geometry ADD CONSTRAINT refused CHECK (zoom_level > 99) NOT VALID"))
    tally = run_worker(engine, once=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM commune_map_geometry")).scalar() == 0
    assert tally.failures == 0 and tally.communes == 45
