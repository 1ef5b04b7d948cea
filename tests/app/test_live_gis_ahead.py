"""Items pages made again right after their data changed (app/live_gis/ahead.py), against the served app with
GDAL's OAPIF driver: the pages GDAL asked are ready before it asks again, each for the scope it was asked with,
and a page asked once or never is not made."""

from __future__ import annotations

import time
from typing import Any

import pyogrio
import pytest
import requests
from sqlalchemy import create_engine, text

from tests.app.test_live_gis import _new_token

pytestmark = [pytest.mark.db]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
ONLY_KEPT = {"Cache-Control": "only-if-cached", "Accept-Encoding": "gzip"}


def _gdal_communes(app_url: str, user: str, token: str) -> Any:
    pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": f"{user}:{token}", "GDAL_HTTP_AUTH": "BASIC"})
    try:
        return pyogrio.read_dataframe(f"OAPIF:{app_url}/ogcapi", layer="communes")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": None, "GDAL_HTTP_AUTH": None})


def _kept(url: str, auth: tuple[str, str], within_s: float = 45) -> requests.Response:
    """The page at ``url`` once the server keeps it (asked only-if-cached: 504 until then, nothing is made)."""
    deadline = time.monotonic() + within_s
    while True:
        answer = requests.get(url, auth=auth, headers=ONLY_KEPT, timeout=30)
        if answer.status_code != 504 or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def test_pages_gdal_asked_are_made_again_after_a_change(app_url: str, demo_database: str) -> None:
    planner = ("quyhoach", _new_token(demo_database, "quyhoach", "ahead"))
    inspector = ("kiemtra", _new_token(demo_database, "kiemtra", "ahead"))
    for _ in range(2):  # a layer each of them comes back to
        everything = _gdal_communes(app_url, *planner)
        assert len(everything) > 2 and {"03160", "03162"} <= set(everything["code"])
        assert set(_gdal_communes(app_url, *inspector)["code"]) == {"03160", "03162"}
    # Limits no other test asks (the served app is shared by the whole suite: a page another test asked counts)
    once = f"{app_url}/ogcapi/collections/communes/items?limit=997&crs={CRS84}&province_code=11"
    never = f"{app_url}/ogcapi/collections/communes/items?limit=998&crs={CRS84}&province_code=42"
    assert requests.get(once, auth=planner, timeout=30).status_code == 200  # asked once: remembered, not made

    engine = create_engine(demo_database)
    with engine.connect() as conn:
        old = conn.execute(text("SELECT reason_en FROM coverage_commune WHERE commune_code = '03162'")).scalar_one()
    # GDAL's pages (the 20 features it reads the schema from, then 1,000 at a time) under the new data version
    page = f"{app_url}/ogcapi/collections/communes/items?limit=1000&crs={CRS84}"
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE coverage_commune SET reason_en = 'changed by the ahead test' "
                              "WHERE commune_code = '03162'"))
        for auth, expected in ((planner, set(everything["code"])), (inspector, {"03160", "03162"})):
            for url in (page, f"{app_url}/ogcapi/collections/communes/items?limit=20"):
                made = _kept(url, auth)
                assert made.status_code == 200 and made.headers["X-Cache"] == "hit", (url, made.status_code)
                features = made.json()["features"]
                assert {f["id"] for f in features} <= expected
                assert {f["properties"]["reason_en"] for f in features if f["id"] == "03162"} <= {
                    "changed by the ahead test"}
            assert {f["id"] for f in made.json()["features"]} == expected or len(expected) > 20
        # a page asked once (a pan's bbox, a one-off filter) is not made ahead, nor one nobody asked; and
        # only-if-cached asks nothing of the token check
        for url in (once, never):
            assert requests.get(url, auth=planner, headers=ONLY_KEPT, timeout=30).status_code == 504
        assert requests.get(page, headers=ONLY_KEPT, timeout=30).status_code == 401
        again = _gdal_communes(app_url, *planner)
        assert len(again) == len(everything)
        assert again.loc[again["code"] == "03162", "reason_en"].tolist() == ["changed by the ahead test"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE coverage_commune SET reason_en = :old WHERE commune_code = '03162'"),
                         {"old": old})
        engine.dispose()
