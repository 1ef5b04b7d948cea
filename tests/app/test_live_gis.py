"""Issue 19: GIS clients read the served app live — GDAL's OAPIF driver, owslib and a vector-tile decoder
against /ogcapi and /tiles, with personal access tokens, each user's scope, and refusals (no token, a revoked
token, a disabled user's token)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pyogrio
import pytest
import requests
from owslib.ogcapi.features import Features
from owslib.util import Authentication
from sqlalchemy import create_engine, text

from sql.settings import PROJECT_ROOT

pytestmark = [pytest.mark.db]


def _phusong(url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    if password:
        env["PHUSONG_NEW_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def _new_token(url: str, user: str, name: str = "test") -> str:
    done = _phusong(url, "tokens", "add", "--user", user, "--expires", "90d", "--name", name)
    assert done.returncode == 0, done.stderr
    token = done.stdout.splitlines()[1].strip()
    assert token.startswith("psg_") and len(token) > 40
    return token


def _sql(url: str, query: str, **binds: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(query), binds))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def planner_token(demo_database: str) -> str:
    return _new_token(demo_database, "quyhoach", "QGIS máy bàn")


@pytest.fixture(scope="module")
def inspector_token(demo_database: str) -> str:
    return _new_token(demo_database, "kiemtra")


@pytest.fixture(scope="module")
def province(demo_database: str) -> str:
    return str(_sql(demo_database, "SELECT province_code FROM commune GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")[0][0])


@pytest.fixture()
def gdal_basic_auth(planner_token: str) -> Iterator[None]:
    pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": f"quyhoach:{planner_token}", "GDAL_HTTP_AUTH": "BASIC"})
    yield
    pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": None, "GDAL_HTTP_AUTH": None})


def test_gdal_oapif_lists_collections_and_reads_a_province(app_url: str, demo_database: str, province: str,
                                                           gdal_basic_auth: None) -> None:
    layers = {name for name, _ in pyogrio.list_layers(f"OAPIF:{app_url}/ogcapi")}
    assert {"communes", "facilities", "villages", "coverage", "gaps", "plan-actions"} <= layers
    communes = pyogrio.read_dataframe(f"OAPIF:{app_url}/ogcapi", layer="communes",
                                      where=f"province_code = '{province}'")
    expected = _sql(demo_database, """SELECT c.code, c.name, cc.class FROM commune c
                                      LEFT JOIN coverage_commune cc ON cc.commune_code = c.code
                                      WHERE c.province_code = :p ORDER BY c.code""", p=province)
    assert len(communes) == len(expected) > 0
    got = communes.sort_values("code")
    assert list(got["code"]) == [r.code for r in expected]
    assert list(got["name"]) == [r.name for r in expected]
    assert list(got["class"]) == [r[2] for r in expected]
    assert {"pop_covered_share", "reason", "ntm_8_3", "data_date"} <= set(communes.columns)
    assert communes.crs is not None and communes.crs.to_string() == "OGC:CRS84"
    assert communes.geometry.is_valid.all() and (communes.geometry.geom_type.isin(["Polygon", "MultiPolygon"])).all()


def test_gdal_with_a_bearer_header(app_url: str, planner_token: str) -> None:
    # GDAL ≥ 3.9: GDAL_HTTP_AUTH=BEARER sends "Authorization: Bearer" (the OAPIF driver sets its own headers,
    # so GDAL_HTTP_HEADERS does not reach its requests)
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": planner_token})
    try:
        facilities = pyogrio.read_dataframe(f"OAPIF:{app_url}/ogcapi", layer="facilities", max_features=5)
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})
    assert len(facilities) == 5 and {"survey_code", "status", "type"} <= set(facilities.columns)


def test_items_paging_filters_and_one_feature(app_url: str, demo_database: str, province: str,
                                              planner_token: str) -> None:
    auth = ("quyhoach", planner_token)
    total = _sql(demo_database, "SELECT count(*) FROM commune WHERE province_code = :p", p=province)[0][0]
    first = requests.get(f"{app_url}/ogcapi/collections/communes/items",
                         params={"province_code": province, "limit": 7}, auth=auth, timeout=30)
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/geo+json")
    page = first.json()
    assert page["numberMatched"] == total and page["numberReturned"] == len(page["features"]) == min(7, total)
    seen = [f["id"] for f in page["features"]]
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    while nxt:
        more = requests.get(nxt, auth=auth, timeout=30).json()
        assert any(link["rel"] == "prev" for link in more["links"])
        seen += [f["id"] for f in more["features"]]
        nxt = next((link["href"] for link in more["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == total
    one = requests.get(f"{app_url}/ogcapi/collections/communes/items/{seen[0]}", auth=auth, timeout=30)
    assert one.status_code == 200 and one.json()["properties"]["code"] == seen[0]
    assert requests.get(f"{app_url}/ogcapi/collections/communes/items/nope", auth=auth, timeout=30).status_code == 404
    bad = requests.get(f"{app_url}/ogcapi/collections/communes/items", params={"bbox": "1,2,3"}, auth=auth, timeout=30)
    assert bad.status_code == 400 and "bbox" in bad.json()["description"]
    unknown = requests.get(f"{app_url}/ogcapi/collections/communes/items", params={"colour": "red"}, auth=auth,
                           timeout=30)
    assert unknown.status_code == 400 and "colour" in unknown.json()["description"]
    landing = requests.get(f"{app_url}/ogcapi", auth=auth, timeout=30).json()
    assert {"service-desc", "conformance", "data"} <= {link["rel"] for link in landing["links"]}
    conformance = requests.get(f"{app_url}/ogcapi/conformance", auth=auth, timeout=30).json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conformance


def test_owslib_reads_facilities_within_an_inspectors_scope(app_url: str, demo_database: str,
                                                           inspector_token: str, planner_token: str) -> None:
    scope = list(_sql(demo_database, "SELECT scope_codes FROM app_user WHERE name = 'kiemtra'")[0][0])
    in_scope = _sql(demo_database, """SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code
                                      WHERE c.code = ANY(:s) OR c.province_code = ANY(:s) ORDER BY f.id""", s=scope)
    everywhere = _sql(demo_database, "SELECT count(*) FROM facility")[0][0]
    assert 0 < len(in_scope) < everywhere
    inspector = Features(f"{app_url}/ogcapi", auth=Authentication("kiemtra", inspector_token))
    assert "gaps" not in {c["id"] for c in inspector.collections()["collections"]}
    got = inspector.collection_items("facilities", limit=10_000)
    assert got["numberMatched"] == len(in_scope)
    assert sorted(f["id"] for f in got["features"]) == [r.id for r in in_scope]
    scoped_communes = {str(r[0]) for r in _sql(demo_database, """SELECT code FROM commune
                                      WHERE code = ANY(:s) OR province_code = ANY(:s)""", s=scope)}
    assert {f["properties"]["commune_code"] for f in got["features"]} <= scoped_communes
    assert {"type", "status", "survey_code", "last_inspected_at"} <= set(got["features"][0]["properties"])
    # Out of scope by id looks like absent; gaps are not an inspector's collection.
    outside = _sql(demo_database, """SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code
                                     WHERE NOT (c.code = ANY(:s) OR c.province_code = ANY(:s)) LIMIT 1""", s=scope)
    bearer = {"Authorization": f"Bearer {inspector_token}"}
    assert requests.get(f"{app_url}/ogcapi/collections/facilities/items/{outside[0].id}", headers=bearer,
                        timeout=30).status_code == 404
    assert requests.get(f"{app_url}/ogcapi/collections/gaps/items", headers=bearer, timeout=30).status_code == 403
    planner = Features(f"{app_url}/ogcapi", auth=Authentication("quyhoach", planner_token))
    assert planner.collection_items("facilities", limit=1)["numberMatched"] == everywhere


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_vector_tile_decodes_with_scope_and_etag(app_url: str, demo_database: str, inspector_token: str,
                                                 planner_token: str) -> None:
    lon, lat = _sql(demo_database, "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM "
                                   "commune) e")[0]
    z = 7
    x, y = _tile_of(lon, lat, z)
    url = f"{app_url}/tiles/communes/{z}/{x}/{y}.mvt"
    planner = requests.get(url, auth=("quyhoach", planner_token), timeout=60)
    assert planner.status_code == 200 and planner.headers["Content-Type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(planner.content)
    assert list(layers) == ["communes"]
    codes = {f["properties"]["code"] for f in layers["communes"]["features"]}
    inside = {r[0] for r in _sql(demo_database, "SELECT code FROM commune WHERE ST_Intersects(geom, "
                                                "ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326))", z=z, x=x, y=y)}
    near = {r[0] for r in _sql(demo_database, "SELECT code FROM commune WHERE ST_Intersects(geom, ST_Transform("
                                              "ST_TileEnvelope(:z, :x, :y, margin => 64.0 / 4096), 4326))",
                               z=z, x=x, y=y)}
    assert inside and inside <= codes <= near  # the tile's communes, and those in its 64-unit buffer
    assert {"class", "name", "province_code"} <= set(layers["communes"]["features"][0]["properties"])
    etag = planner.headers["ETag"]
    again = requests.get(url, auth=("quyhoach", planner_token), headers={"If-None-Match": etag}, timeout=30)
    assert again.status_code == 304 and again.content == b""
    scope = list(_sql(demo_database, "SELECT scope_codes FROM app_user WHERE name = 'kiemtra'")[0][0])
    scoped = {str(r[0]) for r in _sql(demo_database, "SELECT code FROM commune WHERE code = ANY(:s) "
                                                     "OR province_code = ANY(:s)", s=scope)}
    inspector = requests.get(url, headers={"Authorization": f"Bearer {inspector_token}"}, timeout=60)
    got = {f["properties"]["code"] for f in mapbox_vector_tile.decode(inspector.content)["communes"]["features"]}
    assert got == scoped & codes and len(got) < len(codes)
    assert inspector.headers["ETag"] != etag
    tilejson = requests.get(f"{app_url}/tiles/communes.json", auth=("quyhoach", planner_token), timeout=30).json()
    assert tilejson["tiles"][0].endswith("/tiles/communes/{z}/{x}/{y}.mvt")
    assert tilejson["vector_layers"][0]["id"] == "communes"


def test_gdal_mvt_driver_reads_a_facilities_tile(app_url: str, demo_database: str, planner_token: str,
                                                 tmp_path: Any) -> None:
    lon, lat = _sql(demo_database, "SELECT ST_X(geom), ST_Y(geom) FROM facility ORDER BY id LIMIT 1")[0]
    x, y = _tile_of(lon, lat, 12)
    tile = requests.get(f"{app_url}/tiles/facilities/12/{x}/{y}.mvt", auth=("quyhoach", planner_token), timeout=30)
    path = tmp_path / "t.mvt"
    path.write_bytes(tile.content)
    frame = pyogrio.read_dataframe(f"MVT:{path}", layer="facilities")
    assert len(frame) >= 1 and {"type", "status"} <= set(frame.columns)


def test_refusals_no_token_revoked_disabled(app_url: str, demo_database: str) -> None:
    url = f"{app_url}/ogcapi/collections/communes/items"
    nobody = requests.get(url, timeout=30, allow_redirects=False)
    assert nobody.status_code == 401 and "Basic" in nobody.headers["WWW-Authenticate"]
    tile = requests.get(f"{app_url}/tiles/communes/0/0/0.mvt", timeout=30, allow_redirects=False)
    assert tile.status_code == 401 and "Bearer" in tile.headers["WWW-Authenticate"]
    assert requests.get(url, headers={"Authorization": "Bearer psg_made-up"}, timeout=30).status_code == 401
    # a token for another user's name is refused too
    token = _new_token(demo_database, "taichinh", "thu hồi")
    assert requests.get(url, auth=("taichinh", token), timeout=30).status_code == 200
    assert requests.get(url, auth=("quyhoach", token), timeout=30).status_code == 401
    token_id = _sql(demo_database, "SELECT max(id) FROM api_token WHERE user_name = 'taichinh'")[0][0]
    revoked = _phusong(demo_database, "tokens", "revoke", str(token_id))
    assert revoked.returncode == 0, revoked.stderr
    assert requests.get(url, auth=("taichinh", token), timeout=30).status_code == 401
    listed = _phusong(demo_database, "tokens", "list", "--user", "taichinh").stdout
    assert any(line.split()[:2] == [str(token_id), "taichinh"] and "revoked" in line for line in listed.splitlines())
    again = _phusong(demo_database, "tokens", "revoke", str(token_id))
    assert again.returncode == 1 and "no live token" in again.stderr and "Traceback" not in again.stderr
    # a disabled user's tokens stop working at once
    assert _phusong(demo_database, "users", "add", "gis-tam", "--role", "planner",
                    password="mat-khau-dai").returncode == 0
    disabled = _new_token(demo_database, "gis-tam")
    assert requests.get(url, auth=("gis-tam", disabled), timeout=30).status_code == 200
    assert _phusong(demo_database, "users", "set", "gis-tam", "--deactivate").returncode == 0
    assert requests.get(url, auth=("gis-tam", disabled), timeout=30).status_code == 401
    # the token never lands in the database or the audit log, only its hash
    assert not _sql(demo_database, "SELECT 1 FROM audit_log WHERE after::text LIKE :t OR before::text LIKE :t",
                    t=f"%{token[4:]}%")
    assert not _sql(demo_database, "SELECT 1 FROM audit_log WHERE entity = 'api_token' AND after ? 'password_hash'")


def test_token_use_is_audited_once_per_collection_and_minute(app_url: str, demo_database: str) -> None:
    token = _new_token(demo_database, "quyhoach", "audit")
    token_id = _sql(demo_database, "SELECT max(id) FROM api_token")[0][0]
    for z, x, y in [(0, 0, 0), (1, 1, 0), (2, 3, 1), (3, 6, 3), (4, 12, 7), (5, 25, 14)]:
        assert requests.get(f"{app_url}/tiles/communes/{z}/{x}/{y}.mvt", auth=("quyhoach", token),
                            timeout=60).status_code == 200
    assert requests.get(f"{app_url}/ogcapi/collections/villages/items", auth=("quyhoach", token),
                        timeout=30).status_code == 200
    uses = _sql(demo_database, """SELECT "user", after ->> 'service', after ->> 'collection', at FROM audit_log
                                  WHERE entity = 'api_token' AND entity_id = :id AND action = 'token_use'""",
                id=str(token_id))
    by_layer: dict[tuple[str, str], int] = {}
    for use in uses:
        assert use[0] == "quyhoach"
        by_layer[(use[1], use[2])] = by_layer.get((use[1], use[2]), 0) + 1
    assert set(by_layer) == {("tiles", "communes"), ("ogcapi", "villages")}
    assert by_layer[("tiles", "communes")] <= 2  # six tiles, one row a minute (two if a minute turned meanwhile)


@pytest.mark.browser
def test_account_page_makes_and_revokes_a_token(app_url: str, browser: Any) -> None:
    from tests.app.conftest import log_in

    page = log_in(browser, app_url, "budget")
    page.goto(f"{app_url}/tai-khoan")
    page.fill("#account-token-name", "QGIS máy bàn")
    page.click("#account-token-add")
    token = page.inner_text("#account-new-token", timeout=30_000).strip()
    items = f"{app_url}/ogcapi/collections/gaps/items"
    assert requests.get(items, auth=("taichinh", token), timeout=30).status_code == 200
    row = page.locator("#account-tokens-table tr", has_text="QGIS máy bàn")
    assert row.count() == 1 and token[:10] in row.inner_text()
    row.get_by_role("button").click()
    page.wait_for_selector("#account-tokens-table tr:has-text('QGIS máy bàn'):has-text('Đã thu hồi mã')",
                           timeout=30_000)
    assert requests.get(items, auth=("taichinh", token), timeout=30).status_code == 401
    assert not page.blocked


def test_shipped_qgis_connections_point_at_served_layers(app_url: str, demo_database: str,
                                                        planner_token: str) -> None:
    import json
    import xml.etree.ElementTree as ElementTree

    folder = PROJECT_ROOT / "app" / "export_assets" / "qgis"
    oapif = ElementTree.parse(folder / "phusong_ogcapi_connection.xml").getroot()
    assert oapif.tag == "qgsWFSConnections" and oapif[0].get("version") == "OGC_API_FEATURES"
    base = oapif[0].get("url", "").replace("http://127.0.0.1:8050", app_url)
    assert requests.get(f"{base}/collections", auth=("quyhoach", planner_token), timeout=30).status_code == 200
    tiles = ElementTree.parse(folder / "phusong_vector_tiles_connection.xml").getroot()
    assert tiles.tag == "qgsVectorTileConnections" and len(tiles) >= 1
    # a zoom-12 tile on a covered area: communes and coverage have features there (facilities, gaps may not)
    lon, lat = _sql(demo_database, "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                                   "FROM coverage_commune WHERE NOT ST_IsEmpty(geom) LIMIT 1) s")[0]
    x, y = _tile_of(lon, lat, 12)
    found = set()
    for connection in tiles:
        url = connection.get("url", "").replace("http://127.0.0.1:8050", app_url).format(z=12, x=x, y=y)
        answer = requests.get(url, auth=("quyhoach", planner_token), timeout=60)
        assert answer.status_code == 200
        found |= set(mapbox_vector_tile.decode(answer.content))
    assert {"communes", "coverage"} <= found
    style = json.loads((folder / "communes_by_class.style.json").read_text(encoding="utf-8"))
    assert style["layers"][0]["source-layer"] == "communes"
    assert {"unserved", "underserved", "served"} <= {v for v in style["layers"][0]["paint"]["fill-color"]
                                                    if isinstance(v, str)}
