"""Items pages kept gzipped (app/live_gis/pages.py): a kept page is only ever given to the scope it was made for,
never outlives a change of its data, answers If-None-Match with 304, and the next page is made ahead while the
client reads this one."""

from __future__ import annotations

import gzip
import json
import random
import zlib
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from urllib3.response import GzipDecoder

from app.live_gis import ahead, pages, shared_tiles
from app.live_gis.tokens import create_token

pytestmark = [pytest.mark.db]
GZIP = {"Accept-Encoding": "gzip"}


def _bearer(url: str, user: str) -> dict[str, str]:
    engine = create_engine(url)
    with engine.begin() as conn:
        token, _ = create_token(conn, user, name="pages test", actor="test")
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


def _forget_kept_pages() -> None:
    """Empty this process's pages, what it remembers being asked, and the shared cache (a fresh start of every
    web process)."""
    ahead._ASKED.clear()  # else its watcher may make pages earlier tests asked while this one counts its own
    pages._PAGES.clear()
    shared_tiles._cache(shared_tiles._directory()).clear()


def _background_done() -> None:
    """Wait for what this process's pages were given to do in the background (one worker, first in first out)."""
    pages._AHEAD.submit(lambda: None).result(timeout=60)


def _page(answer: Any) -> dict[str, Any]:
    assert answer.status_code == 200, answer.data[:300]
    body = gzip.decompress(answer.data) if answer.headers.get("Content-Encoding") == "gzip" else answer.data
    return dict(json.loads(body))


def test_kept_pages_never_cross_scopes(flask_client: Any, demo_database: str) -> None:
    _forget_kept_pages()
    planner, inspector = _bearer(demo_database, "quyhoach"), _bearer(demo_database, "kiemtra")
    path = "/ogcapi/collections/communes/items?limit=50&province_code=11"
    made = flask_client.get(path, headers={**planner, **GZIP})
    again = flask_client.get(path, headers={**planner, **GZIP})
    assert (made.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit") and again.data == made.data
    whole = _page(made)
    assert whole["numberMatched"] > 2 and {"03160", "03162"} <= {f["id"] for f in whole["features"]}

    # The same URL for an inspector of two communes: never the planner's kept page, nor a 304 on its ETag.
    for forget_memory in (False, True):  # True: another process, which finds pages in the shared cache only
        if forget_memory:
            _background_done()  # the shared cache is written in the background
            pages._PAGES.clear()
        scoped = flask_client.get(path, headers={**inspector, **GZIP, "If-None-Match": made.headers["ETag"]})
        mine = _page(scoped)
        assert mine["numberMatched"] == 2 and {f["id"] for f in mine["features"]} == {"03160", "03162"}
        assert scoped.headers["ETag"] != made.headers["ETag"]
        planners = flask_client.get(path, headers={**planner, **GZIP})
        assert planners.headers["X-Cache"] == "hit" and _page(planners)["numberMatched"] == whole["numberMatched"]

    not_modified = flask_client.get(path, headers={**planner, **GZIP, "If-None-Match": made.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b""
    plain = flask_client.get(path, headers={**planner, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and json.loads(plain.data) == _page(made)
    assert plain.headers["ETag"] == made.headers["ETag"] and "Accept-Encoding" in plain.headers["Vary"]


def test_a_kept_page_never_outlives_its_data(flask_client: Any, demo_database: str) -> None:
    planner = _bearer(demo_database, "quyhoach")
    path = "/ogcapi/collections/communes/items?code=03162"
    before = flask_client.get(path, headers={**planner, **GZIP})
    assert flask_client.get(path, headers={**planner, **GZIP}).headers["X-Cache"] == "hit"
    old = _page(before)["features"][0]["properties"]["reason_en"]
    engine = create_engine(demo_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE coverage_commune SET reason_en = 'changed by the pages test' "
                              "WHERE commune_code = '03162'"))
        after = flask_client.get(path, headers={**planner, **GZIP, "If-None-Match": before.headers["ETag"]})
        assert after.status_code == 200 and after.headers["X-Cache"] == "miss"
        assert _page(after)["features"][0]["properties"]["reason_en"] == "changed by the pages test"
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE coverage_commune SET reason_en = :old WHERE commune_code = '03162'"),
                         {"old": old})
        engine.dispose()
    assert _page(flask_client.get(path, headers={**planner, **GZIP}))["features"][0]["properties"]["reason_en"] == old


def test_the_next_page_is_made_ahead(flask_client: Any, demo_database: str) -> None:
    _forget_kept_pages()
    planner = _bearer(demo_database, "quyhoach")
    first = flask_client.get("/ogcapi/collections/communes/items?limit=4", headers={**planner, **GZIP})
    assert first.headers["X-Cache"] == "miss"
    href = next(link["href"] for link in _page(first)["links"] if link["rel"] == "next")
    path = href[href.index("/ogcapi"):]
    _background_done()
    assert len(pages._PAGES._entries) == 2  # this page and the next, made in the background
    following = flask_client.get(path, headers={**planner, **GZIP})
    assert following.headers["X-Cache"] == "hit"
    ids = [f["id"] for f in _page(first)["features"] + _page(following)["features"]]
    assert len(ids) == len(set(ids)) == 8 and ids == sorted(ids)


def test_coverage_and_gaps_pages_are_kept_and_still_refused_to_an_inspector(flask_client: Any,
                                                                          demo_database: str) -> None:
    planner, inspector = _bearer(demo_database, "quyhoach"), _bearer(demo_database, "kiemtra")
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        expected = {cid: int(conn.execute(text(query)).scalar_one()) for cid, query in (
            ("coverage", "SELECT count(*) FROM coverage_commune WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)"),
            ("gaps", "SELECT count(*) FROM coverage_commune WHERE class <> 'served'"))}
    engine.dispose()
    for cid, count in expected.items():
        path = f"/ogcapi/collections/{cid}/items?limit=10000"
        first = flask_client.get(path, headers={**planner, **GZIP})
        again = flask_client.get(path, headers={**planner, **GZIP})
        assert again.headers["X-Cache"] == "hit" and again.data == first.data
        assert _page(first)["numberMatched"] == len(_page(first)["features"]) == count
        scoped = flask_client.get(path, headers={**inspector, **GZIP})
        if cid == "gaps":  # a planners' collection: the role is checked before any kept page is looked at
            assert scoped.status_code == 403
        else:
            mine = _page(scoped)
            assert mine["numberMatched"] <= 2 < count
            assert {f["properties"]["commune_code"] for f in mine["features"]} <= {"03160", "03162"}


def test_a_page_packed_in_two_halves_is_one_gzip_every_reader_unpacks() -> None:
    rng = random.Random(19)
    data = json.dumps([[round(rng.uniform(102, 110), 6), round(rng.uniform(8, 24), 6)]
                       for _ in range(200_000)]).encode()
    assert len(data) > 2 * pages.CHUNK  # packed in two halves
    packed = pages.gzipped(data)
    decoder = GzipDecoder()  # what requests unpacks with
    assert gzip.decompress(packed) == data == decoder.decompress(packed) + decoder.flush()
    assert zlib.decompress(packed, wbits=47) == data and len(packed) < len(data) / 2
    assert b"".join(pages.unpacked(packed)) == data
