"""`python -m bench.map_paint`: how fast the national coverage map (3,321 communes) paints, and the options.

Needs a database with the national 2025 communes (PHUSONG_BENCH_DATABASE_URL; or the bench loads
../shared/data/admin_2025 into a throwaway cluster). Measures, in one run:

1. the server side of each way to ship the communes: GeoJSON simplified to half a pixel at zoom 5, 6 and 7 (what
   the map page sends), the foundation skeleton's fixed 0.001° (≈ 100 m, the baseline), and Mapbox vector tiles
   from PostGIS (ST_AsMVT) for every zoom-6 tile over Viet Nam: query time and bytes (raw and gzip);
2. the paint in headless Debian Chromium of the real page, logged in as a whole-country planner: from navigation
   start to the first frame after the communes are on the canvas (median of 3 loads).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time

from sqlalchemy import create_engine, text

from app.auth import User, add_user
from app.components.common import map_binds
from bench._support import bench_database
from sql import queries
from sql.cluster import free_loopback_port
from sql.settings import PROJECT_ROOT, get_settings

BUDGET_S = 2.0
USER, PASSWORD = "bench-planner", "bench-password"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# One zoom-6 web-mercator tile row/column range covering Viet Nam (102°E–110°E, 8°N–24°N).
MVT_SQL = """
WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS geom),
mvt AS (
  SELECT ST_AsMVTGeom(ST_Transform(c.geom, 3857), b.geom, 4096, 64, true) AS geom, c.code, c.name
  FROM commune c, bounds b
  WHERE ST_Transform(c.geom, 3857) && b.geom)
SELECT ST_AsMVT(mvt.*, 'communes', 4096, 'geom') FROM mvt
"""


def _load_national_communes(url: str) -> None:
    shared = get_settings().shared_data / "admin_2025"
    if not (shared / "communes_2025_national_simplified.gpkg").is_file():
        raise SystemExit(f"bench.map_paint: the national communes are not at {shared}; set PHUSONG_SHARED_DATA")
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    for name in ("provinces_2025.gpkg", "communes_2025_national_simplified.gpkg"):
        subprocess.run([sys.executable, "-m", "app.cli", "load", "boundaries", str(shared / name),
                        "--version", "2025"], env=env, cwd=PROJECT_ROOT, check=True, capture_output=True)


def _tiles(z: int) -> list[tuple[int, int]]:
    def tile(lon: float, lat: float) -> tuple[int, int]:
        n = 2 ** z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        return x, y

    (x0, y0), (x1, y1) = tile(102.0, 24.0), tile(110.0, 8.0)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def measure_server(url: str) -> list[tuple[str, float, int, int, int]]:
    """(option, seconds, features, bytes, gzip bytes) for each way to ship the national communes."""
    engine = create_engine(url)
    results = []
    planner = User("bench", "planner", ())
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM commune_map_geometry"))  # measure the simplification too
    with engine.connect() as conn:
        options = [(f"GeoJSON, half a pixel at zoom {z}, simplified per request", {**map_binds(planner, zoom=z),
                                                                                   "zoom_level": None})
                   for z in (5, 6, 7)]
        options += [(f"GeoJSON, zoom {z}, outlines simplified ahead (chosen)", map_binds(planner, zoom=z))
                    for z in (5, 6)]
        options += [("GeoJSON, fixed 0.001° (skeleton, baseline)",
                     {**map_binds(planner, zoom=5), "zoom_level": None, "tolerance": 0.001, "decimals": 5})]
        for label, binds in options:
            if binds["zoom_level"] is not None:
                with engine.begin() as writer:
                    writer.execute(queries.load("fill_commune_map_geometry"),
                                   {"zoom_level": binds["zoom_level"], "tolerance": binds["tolerance"]})
            start = time.perf_counter()
            data = conn.execute(queries.load("map_communes_geojson"), binds).scalar()
            body = json.dumps(data, separators=(",", ":")).encode()
            results.append((label, time.perf_counter() - start, len(data["features"]), len(body),
                            len(gzip.compress(body))))
        for z in (5, 6):
            tiles = _tiles(z)
            start = time.perf_counter()
            blobs = [bytes(conn.execute(text(MVT_SQL), {"z": z, "x": x, "y": y}).scalar() or b"")
                     for x, y in tiles]
            raw = sum(len(b) for b in blobs)
            results.append((f"ST_AsMVT, {len(tiles)} tiles at zoom {z}", time.perf_counter() - start,
                            len([b for b in blobs if b]), raw, sum(len(gzip.compress(b)) for b in blobs)))
    engine.dispose()
    return results


def measure_paint(url: str, loads: int = 3) -> list[float]:
    """Seconds from navigation start to the first frame after 3,321 communes are on the map's canvas."""
    from playwright.sync_api import sync_playwright

    port = free_loopback_port()
    env = {**os.environ, "PHUSONG_DATABASE_URL": url, "PHUSONG_PORT": str(port)}
    env.pop("PHUSONG_TILE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], env=env, cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1366, "height": 850})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#login-name", USER)
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector("#nav-logout", state="attached")
            for _ in range(loads + 1):  # the first load warms the server's caches and the browser's
                page.goto(base)
                page.wait_for_function(
                    "document.querySelector('#map-commune-count') && "
                    "document.querySelector('#map-commune-count').innerText.startsWith('3.321') && "
                    "document.querySelector('#map-main .leaflet-overlay-pane canvas')", timeout=60_000)
                painted = page.evaluate(
                    "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => "
                    "r(performance.now()))))")
                times.append(painted / 1000)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return times[1:]


def main() -> int:
    with bench_database(_load_national_communes) as url:
        engine = create_engine(url)
        with engine.begin() as conn:
            communes = conn.execute(text("SELECT count(*) FROM commune")).scalar_one()
            if not conn.execute(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": USER}).first():
                add_user(conn, USER, PASSWORD, role="planner", actor="bench")
        engine.dispose()
        server = measure_server(url)
        paint = measure_paint(url)
    print(f"national communes in the database: {communes}")
    print(f"{'how the communes are shipped':<58} {'query s':>8} {'features':>8} {'kB':>8} {'gzip kB':>8}")
    for label, seconds, features, size, zipped in server:
        print(f"{label:<58} {seconds:>8.2f} {features:>8} {size / 1024:>8.0f} {zipped / 1024:>8.0f}")
    median = statistics.median(paint)
    print(f"paint of the national map page in headless Chromium (navigation start -> communes drawn): "
          f"{', '.join(f'{p:.2f}' for p in paint)} s; median {median:.2f} s (budget {BUDGET_S:.1f} s): "
          f"{'ok' if median <= BUDGET_S else 'OVER'}")
    return 0 if median <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
