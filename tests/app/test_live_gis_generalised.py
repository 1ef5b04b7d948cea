"""The `communes-generalised` collection (sql/queries/ogc_communes_items.sql with `simplify_deg`) read by GDAL's OAPIF
driver from the served app: the same communes, ids and attributes as `communes` with fewer vertices, outlines
within about 100 m of the full ones, and the same scope rules (an inspector's token sees its communes only, no
token is refused)."""

from __future__ import annotations

from typing import Any

import pyogrio
import pytest
import requests
import shapely

from tests.app.test_live_gis import _new_token

pytestmark = [pytest.mark.db]


def _read(app_url: str, layer: str, user: str, token: str) -> Any:
    pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": f"{user}:{token}", "GDAL_HTTP_AUTH": "BASIC"})
    try:
        return pyogrio.read_dataframe(f"OAPIF:{app_url}/ogcapi", layer=layer).sort_values("code")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": None, "GDAL_HTTP_AUTH": None})


def test_generalised_communes_are_the_communes_with_fewer_vertices(app_url: str, demo_database: str) -> None:
    planner = ("quyhoach", _new_token(demo_database, "quyhoach", "generalised"))
    full = _read(app_url, "communes", *planner)
    light = _read(app_url, "communes-generalised", *planner)
    assert list(light["code"]) == list(full["code"]) and len(light) > 2
    attributes = [c for c in full.columns if c != "geometry"]
    assert list(light.columns) == list(full.columns)
    assert light[attributes].reset_index(drop=True).equals(full[attributes].reset_index(drop=True))
    vertices = (shapely.get_num_coordinates(light.geometry.values).sum(),
                shapely.get_num_coordinates(full.geometry.values).sum())
    assert vertices[0] < 0.6 * vertices[1]
    assert set(light.geom_type) <= {"MultiPolygon", "Polygon"}
    apart = shapely.hausdorff_distance(light.geometry.values, full.geometry.values)
    assert float(apart.max()) < 0.0015  # degrees: within ~150 m everywhere

    inspector = ("kiemtra", _new_token(demo_database, "kiemtra", "generalised"))
    assert set(_read(app_url, "communes-generalised", *inspector)["code"]) == {"03160", "03162"}
    url = f"{app_url}/ogcapi/collections/communes-generalised/items"
    assert requests.get(url, timeout=30).status_code == 401
    # its vector tiles are the communes' (simplified per zoom already): the TileJSON names the tiles' layer
    tilejson = requests.get(f"{app_url}/tiles/communes-generalised.json", auth=planner, timeout=30).json()
    assert [layer["id"] for layer in tilejson["vector_layers"]] == ["communes"]
