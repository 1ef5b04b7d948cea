"""Issue 22: the coverage map's communes as GETs (app/map_data.py): the URLs the communes callback gives — the view's
outlines and the scope's classes — answered for the session's user and scope only (never the URL's word), gzipped
once per data version, 304 when unchanged; joined, they are the communes the callback used to send."""

from __future__ import annotations

import gzip
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text

from app.auth import add_user
from tests.app.conftest import session_as

pytestmark = pytest.mark.db

ROUTE = "/map-data/communes.geojson"
CLASSES = "/map-data/classes.json"
INSPECTOR_COMMUNES = {"03160", "03162"}  # the demo inspector's scope, in Điện Biên (11)


@pytest.fixture()
def planner12(demo_database: str) -> str:
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM app_user WHERE name = 'quyhoach12'")).first() is None:
            add_user(conn, "quyhoach12", "mat-khau-dai", role="planner", scope_codes=["12"])
    engine.dispose()
    return "quyhoach12"


def _codes(answer: Any) -> set[str]:
    return {f["properties"]["code"] for f in json.loads(gzip.decompress(answer.data))["features"]}


def _joined(outlines: dict[str, Any], classes: dict[str, Any]) -> dict[str, Any]:
    """What app/assets/phusong_map.js joined() makes of the two answers."""
    blank = dict.fromkeys(classes["fields"])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"],
         "properties": {**f["properties"], **classes["by_code"].get(f["properties"]["code"], blank)}}
        for f in outlines["features"]]}


def test_the_communes_callback_gives_urls_whose_answers_join_into_the_users_view(flask_client: Any) -> None:
    from app.auth import User
    from app.components.map_answers import communes_urls, map_communes

    planner = User("quyhoach", "planner", ())
    urls, count = communes_urls(planner, zoom=8)
    assert urls["outlines"].startswith(ROUTE) and parse_qs(urlsplit(urls["outlines"]).query)["zoom"] == ["8"]
    assert urls["classes"].startswith(CLASSES)
    session_as(flask_client, "quyhoach")
    answer = flask_client.get(urls["outlines"], headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert "private" in answer.headers["Cache-Control"]
    outlines = json.loads(gzip.decompress(answer.data))
    assert len(outlines["features"]) == count > 40
    assert "class" not in outlines["features"][0]["properties"]  # a recompute does not change the outlines
    got = flask_client.get(urls["classes"], headers={"Accept-Encoding": "gzip"})
    assert got.status_code == 200 and got.headers["Content-Encoding"] == "gzip"
    classes = json.loads(gzip.decompress(got.data))
    assert {"class", "share"} <= set(classes["fields"]) and any(f.startswith("pass_") for f in classes["fields"])
    # Joined as the browser joins them: what the callback used to send, commune by commune.
    assert _joined(outlines, classes) == json.loads(json.dumps(map_communes(planner, zoom=8)))
    for url, first in ((urls["outlines"], answer), (urls["classes"], got)):
        again = flask_client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
        plain = flask_client.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
        assert json.loads(plain.data) == json.loads(gzip.decompress(first.data))


def test_the_classes_are_the_sessions_scope_whatever_the_url_says(flask_client: Any, planner12: str) -> None:
    session_as(flask_client, "kiemtra")  # an inspector of two communes of Điện Biên
    mine = flask_client.get(f"{CLASSES}?v=1", headers={"Accept-Encoding": "gzip"})
    assert mine.status_code == 200 and set(json.loads(gzip.decompress(mine.data))["by_code"]) == INSPECTOR_COMMUNES
    session_as(flask_client, planner12)  # a planner of province 12: none of Điện Biên's communes
    theirs = json.loads(gzip.decompress(flask_client.get(CLASSES, headers={"Accept-Encoding": "gzip"}).data))
    assert set(theirs["by_code"]).isdisjoint(INSPECTOR_COMMUNES)
    session_as(flask_client, "quyhoach")  # a planner of the whole country: those two and the others
    everyone = json.loads(gzip.decompress(flask_client.get(CLASSES, headers={"Accept-Encoding": "gzip"}).data))
    assert set(everyone["by_code"]) > INSPECTOR_COMMUNES
    with flask_client.session_transaction() as session:  # no session: sent to the login page, no data
        session.clear()
    anonymous = flask_client.get(CLASSES)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_answer_is_the_sessions_scope_whatever_the_url_says(flask_client: Any, planner12: str) -> None:
    session_as(flask_client, "kiemtra")  # an inspector of two communes of Điện Biên
    mine = flask_client.get(f"{ROUTE}?zoom=8&v=1.1", headers={"Accept-Encoding": "gzip"})
    assert mine.status_code == 200 and _codes(mine) == INSPECTOR_COMMUNES
    assert flask_client.get(f"{ROUTE}?zoom=8&province=12").status_code == 403  # another province: refused
    session_as(flask_client, planner12)  # a planner of province 12 asking for Điện Biên
    assert flask_client.get(f"{ROUTE}?zoom=8&province=11").status_code == 403
    assert _codes(flask_client.get(f"{ROUTE}?zoom=8", headers={"Accept-Encoding": "gzip"})).isdisjoint(
        INSPECTOR_COMMUNES)
    with flask_client.session_transaction() as session:  # no session: sent to the login page, no data
        session.clear()
    anonymous = flask_client.get(f"{ROUTE}?zoom=8")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_view_that_is_not_one_is_refused(flask_client: Any) -> None:
    session_as(flask_client, "quyhoach")
    for query in ("zoom=x", "zoom=10&bbox=1,2,3", "zoom=10&bbox=103,22,102,23", "zoom=10&bbox=nan,1,2,3"):
        assert flask_client.get(f"{ROUTE}?{query}").status_code == 400, query
    inside = flask_client.get(f"{ROUTE}?zoom=10&bbox=102.5,21.5,103.5,22.5", headers={"Accept-Encoding": "gzip"})
    assert inside.status_code == 200 and 0 < len(_codes(inside)) < 45
