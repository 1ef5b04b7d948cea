"""Issue 19's speed work keeps the answers: a warm tile answered before Flask is the route's tile (body, ETag,
304, security headers) for the token's scope only, found by another process through the shared cache, refused
once the token is revoked; items gzipped when the client accepts it; the token check's cache refreshed by one
thread while the others use the last check, and never kept across a revocation."""

from __future__ import annotations

import gzip
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy import create_engine, text

from app.live_gis import shared_tiles, tiles
from app.live_gis.cache import MadeOnce, TtlCache
from app.live_gis.tokens import create_token, revoke_token
from tests.app.conftest import session_as

pytestmark = [pytest.mark.db]


def _token(url: str, user: str) -> tuple[dict[str, str], int]:
    engine = create_engine(url)
    with engine.begin() as conn:
        token, row = create_token(conn, user, name="speed test", actor="test")
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}, int(row["id"])


def _demo_tile(url: str, z: int) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        x, y = conn.execute(text(
            "SELECT floor((ST_X(c) + 180) / 360 * 2 ^ :z)::int, "
            "floor((1 - ln(tan(radians(ST_Y(c))) + 1 / cos(radians(ST_Y(c)))) / pi()) / 2 * 2 ^ :z)::int "
            "FROM (SELECT ST_Centroid(ST_Extent(geom)) c FROM commune) e"), {"z": z}).one()
    engine.dispose()
    return f"/tiles/communes/{z}/{x}/{y}.mvt"


def test_warm_tiles_answered_early_match_the_route(flask_client: Any, demo_database: str) -> None:
    shared_tiles._cache(shared_tiles._directory()).clear()
    tiles._TILES.clear()
    planner, planner_token_id = _token(demo_database, "quyhoach")
    path = _demo_tile(demo_database, 8)
    made = flask_client.get(path, headers=planner)
    assert made.status_code == 200 and made.headers["X-Cache"] == "miss, early"
    warm = flask_client.get(path, headers=planner)
    assert warm.status_code == 200 and warm.headers["X-Cache"] == "hit, early"
    assert warm.data == made.data and warm.headers["ETag"] == made.headers["ETag"]
    assert list(mapbox_vector_tile.decode(warm.data)) == ["communes"]
    for name in ("Content-Type", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"):
        assert warm.headers[name] == made.headers[name], name
    not_modified = flask_client.get(path, headers={**planner, "If-None-Match": made.headers["ETag"]})
    assert not_modified.status_code == 304 and not_modified.data == b""
    # Another process finds it in the cache the processes share (this one's memory emptied stands for that).
    tiles._TILES.clear()
    other = flask_client.get(path, headers=planner)
    assert other.headers["X-Cache"] == "hit, early" and other.headers["ETag"] == made.headers["ETag"]
    # Another scope never gets this tile; a revoked token gets no warm tile either.
    inspector, _ = _token(demo_database, "kiemtra")
    scoped = flask_client.get(path, headers=inspector)
    assert scoped.headers["X-Cache"] == "miss, early" and scoped.headers["ETag"] != made.headers["ETag"]
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        revoke_token(conn, planner_token_id, actor="test")
    engine.dispose()
    refused = flask_client.get(path, headers=planner)
    assert refused.status_code == 401 and refused.data != made.data
    # The route's own answer (a browser session of the same user: Flask) is the one answered early.
    session_as(flask_client, "quyhoach")
    routed = flask_client.get(path)
    assert routed.status_code == 200 and routed.headers["X-Cache"] == "hit" and routed.data == made.data
    for name in ("ETag", "Content-Type", "Cache-Control", "Content-Security-Policy", "X-Content-Type-Options"):
        assert routed.headers[name] == made.headers[name], name


def test_items_gzipped_when_accepted(flask_client: Any, demo_database: str) -> None:
    headers, _ = _token(demo_database, "quyhoach")
    path = "/ogcapi/collections/communes/items?limit=30"
    plain = flask_client.get(path, headers={**headers, "Accept-Encoding": "identity"})
    packed = flask_client.get(path, headers={**headers, "Accept-Encoding": "gzip, deflate"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and packed.mimetype == "application/geo+json"
    unpacked = json.loads(gzip.decompress(packed.data))
    assert len(packed.data) < len(plain.data) / 2
    first = json.loads(plain.data)
    assert unpacked["features"] == first["features"] and len(first["features"]) == 30
    assert first["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_an_expired_check_is_made_once_while_others_use_the_last() -> None:
    now = [0.0]
    cache: TtlCache[str] = TtlCache(ttl_s=1.0, max_bytes=1000, clock=lambda: now[0])
    assert cache.get_or_make("k", lambda: "first", len) == "first"
    now[0] = 2.0  # expired
    started, release = threading.Event(), threading.Event()
    made: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(10)
        made.append("second")
        return "second"

    maker = threading.Thread(target=lambda: cache.get_or_make("k", slow, len))
    maker.start()
    assert started.wait(10)
    assert cache.get_or_make("k", lambda: "third", len) == "first"  # not made again meanwhile
    release.set()
    maker.join(10)
    assert made == ["second"] and cache.get_or_make("k", lambda: "fourth", len) == "second"


def test_a_check_made_across_a_revocation_is_not_kept() -> None:
    cache: TtlCache[str] = TtlCache(ttl_s=60.0, max_bytes=1000)

    def made_while_revoked() -> str:
        cache.clear()  # the revocation lands while the check is in flight
        return "holder before the revocation"

    assert cache.get_or_make("token", made_while_revoked, len) == "holder before the revocation"
    assert cache.get("token") is None


def test_a_value_asked_by_threads_at_once_is_made_once_and_a_failure_reaches_every_waiter() -> None:
    made_once: MadeOnce[int] = MadeOnce(wait_s=10)
    started, release, makings = threading.Event(), threading.Event(), []

    def slow_make() -> int:
        makings.append(1)
        started.set()
        release.wait(10)
        return 42

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(made_once.made, "tile", slow_make)
        started.wait(10)
        others = [pool.submit(made_once.made, "tile", slow_make) for _ in range(3)]
        release.set()
        assert first.result() == 42 and [f.result() for f in others] == [42, 42, 42]
    assert len(makings) == 1

    started.clear()
    release.clear()

    def failing() -> int:
        started.set()
        release.wait(10)
        raise RuntimeError("database gone")

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(made_once.made, "page", failing)
        started.wait(10)
        waiter = pool.submit(made_once.made, "page", failing)
        time.sleep(0.1)  # the waiter is waiting on the making under way
        release.set()
        for future in (first, waiter):
            with pytest.raises(RuntimeError, match="database gone"):
                future.result()
    assert made_once.made("page", lambda: 7) == 7  # nothing is left under way after a failure
