"""Issue 22: the coverage map's communes as a GET (app/map_data.py): the URL the communes callback gives, answered
for the session's user and scope only (never the URL's word), gzipped once per data version, 304 when unchanged."""

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


def test_the_communes_callback_gives_a_url_whose_answer_is_the_users_view(flask_client: Any) -> None:
    from app.auth import User
    from app.components.map_answers import communes_url, map_communes

    planner = User("quyhoach", "planner", ())
    url, count = communes_url(planner, zoom=8)
    assert url.startswith(ROUTE) and parse_qs(urlsplit(url).query)["zoom"] == ["8"]
    session_as(flask_client, "quyhoach")
    answer = flask_client.get(url, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert "private" in answer.headers["Cache-Control"]
    served = json.loads(gzip.decompress(answer.data))
    assert len(served["features"]) == count > 40
    assert served == json.loads(json.dumps(map_communes(planner, zoom=8)))  # what the callback used to send
    again = flask_client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    plain = flask_client.get(url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert json.loads(plain.data)["features"] == served["features"]


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
