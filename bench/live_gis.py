"""`python -m bench.live_gis`: GIS clients against the served app (issue 19), on the 3,321 real 2025 communes.

Needs the national communes (PHUSONG_BENCH_DATABASE_URL; or the bench loads ../shared/data/admin_2025 into a
throwaway cluster) and serves the app with `phusong serve --workers 2 --threads 16` (gunicorn) on loopback.
Measures, in one run:

1. vector tiles: 100 concurrent clients (each its own keep-alive http.client connection, a whole-country
   planner's token as HTTP Basic) fetching zoom 6–12 tiles of `communes` over the whole country — every zoom-6..8
   tile over Viet Nam and tiles at zoom 9..12 around random communes — first cold (each tile made once), then
   warm (the same tiles again, in another order), then warm by one client alone (what a tile costs without
   queueing): latency p50/p95/p99 per request, and the CPU seconds per tile of the server's processes and of
   the client (what our code costs, apart from what the machine's other jobs take). Baseline in the same run:
   the same tiles from a plain ST_AsMVT query (no simplification, no scope, no cache) through psycopg2, 16 at a
   time (the server's thread count);
2. the national `communes` items (3,321 features) read page by page (limit=1000, following `next`), gzipped (as
   GDAL, QGIS and requests ask) right after a change of the communes' data (no page kept yet: the server makes
   them, app/live_gis/pages.py), gzipped again (pages kept), gzipped a few seconds after another change (the
   pages asked before made again meanwhile, app/live_gis/ahead.py), and not gzipped, split into receiving the
   pages and parsing them with Python's json; the same through GDAL's OAPIF driver (with the CPU seconds of the
   server and of GDAL); baseline: the same features as GeoJSON from one psycopg2 query.
Target (issue 19): tiles p95 < 100 ms warm; the national items < 3 s (gzip, first read after a change).

`--items-only [--rounds N] [--against DIR]` runs part 2 alone, N times; with --against, a second server runs the
source tree DIR (e.g. `git archive main | tar -x -C DIR`) and each round reads both, one after the other.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import math
import os
import random
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from sqlalchemy import create_engine, text

from app.auth import add_user
from app.live_gis.tokens import create_token
from bench._support import bench_database, percentile, served_app, wait_for_port
from bench.map_paint import MVT_SQL, _load_national_communes
from sql.cluster import free_loopback_port
from sql.settings import PROJECT_ROOT

USER = "bench-gis"
TILE_P95_TARGET_S = 0.100
ITEMS_TARGET_S = 3.0
FLOOR = "floor: a WSGI app doing nothing, same gunicorn and clients, warm"
GZIP_FIRST = "gzip, first read after a change"
AHEAD_WAIT_S = 6.0  # a client arriving this long after a change finds the pages it asked before made again
GZIP_AHEAD = f"gzip, first read {AHEAD_WAIT_S:.0f} s after a change"
GENERALISED = "communes-generalised"  # the same communes, outlines simplified to ~100 m (national overviews)
WEB_WORKERS = 2  # `phusong serve --workers 2 --threads 16`: one process per core, as deployed (issue 22)


def _tile(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2 ** z
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def tiles_over_the_country(url: str, *, per_zoom: int, seed: int = 19) -> list[tuple[int, int, int]]:
    """Every zoom 6–8 tile over Viet Nam, and ``per_zoom`` tiles at each zoom 9–12 around random communes."""
    found: set[tuple[int, int, int]] = set()
    for z in (6, 7, 8):
        (_, x0, y0), (_, x1, y1) = _tile(102.0, 23.5, z), _tile(110.0, 8.3, z)
        found |= {(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)}
    engine = create_engine(url)
    with engine.connect() as conn:
        points = conn.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p, code "
                                   "FROM commune) s ORDER BY code")).all()
    engine.dispose()
    rng = random.Random(seed)
    for z in (9, 10, 11, 12):
        found |= {_tile(*rng.choice(points), z) for _ in range(per_zoom)}
    return sorted(found)


def _fetch_all(base: str, auth: tuple[str, str], tiles: list[tuple[int, int, int]], clients: int,
               seed: int) -> list[float]:
    """Latency of every request when ``clients`` clients share the list, each on its own keep-alive connection.

    The clients are http.client connections, not requests: in one Python process next to the server, a requests
    client spent 1.46 ms of CPU per tile against the server's 0.88 ms, so the bench measured its own client. A
    GIS client (QGIS, GDAL: C++ on another machine) costs the server nothing of the kind.
    """
    order = list(tiles)
    random.Random(seed).shuffle(order)
    latencies: list[float] = []
    lock = threading.Lock()
    parts = urlsplit(base)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()}

    def client(share: list[tuple[int, int, int]]) -> None:
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
        mine = []
        for z, x, y in share:
            start = time.perf_counter()
            connection.request("GET", f"/tiles/communes/{z}/{x}/{y}.mvt", headers=headers)
            answer = connection.getresponse()
            answer.read()
            mine.append(time.perf_counter() - start)
            if answer.status != 200:
                raise RuntimeError(f"tile {z}/{x}/{y}: HTTP {answer.status}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(order[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def _baseline_tiles(url: str, tiles: list[tuple[int, int, int]], workers: int) -> tuple[list[float], float]:
    engine = create_engine(url, pool_size=workers)

    def one(tile: tuple[int, int, int]) -> float:
        z, x, y = tile
        start = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text(MVT_SQL), {"z": z, "x": x, "y": y}).scalar()
        return time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        latencies = list(pool.map(one, tiles))
    wall = time.perf_counter() - start
    engine.dispose()
    return latencies, wall


@dataclass
class ItemsRead:
    """One national read page by page: seconds in all, of which receiving the pages and parsing them."""

    seconds: float = 0.0
    fetch_s: float = 0.0
    parse_s: float = 0.0
    features: int = 0
    pages: int = 0
    wire_bytes: int = 0
    parse_cpu_s: float = 0.0   # CPU seconds of the parsing (what it costs apart from the machine's other jobs)
    server_cpu_s: float = 0.0  # CPU seconds of the server's processes meanwhile


def _items(base: str, auth: tuple[str, str], encoding: str) -> ItemsRead:
    """Every page of the national communes (limit=1000, following next), parsed by Python's json, asking for
    ``encoding`` ('gzip' as GDAL, QGIS and requests do, or 'identity')."""
    session = requests.Session()
    session.auth = auth
    session.headers["Accept-Encoding"] = encoding
    read = ItemsRead()
    server_cpu, start = _server_cpu_s(), time.perf_counter()
    href: str | None = f"{base}/ogcapi/collections/communes/items?limit=1000"
    while href:
        began = time.perf_counter()
        answer = session.get(href, timeout=120, stream=True)
        wire = answer.raw.read(decode_content=False)
        answer.raise_for_status()
        body = zlib.decompress(wire, wbits=47) if answer.headers.get("Content-Encoding") == "gzip" else wire
        parsing, parsing_cpu = time.perf_counter(), time.process_time()
        page = json.loads(body)
        read.fetch_s += parsing - began
        read.parse_s += time.perf_counter() - parsing
        read.parse_cpu_s += time.process_time() - parsing_cpu
        read.wire_bytes += len(wire)
        read.features += len(page["features"])
        read.pages += 1
        href = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    read.seconds = time.perf_counter() - start
    read.server_cpu_s = _server_cpu_s() - server_cpu
    return read


@dataclass
class GdalRead:
    """GDAL's OAPIF read of the whole layer: seconds in all, features, and the CPU seconds of the server's
    processes and of GDAL (pyogrio, in this process) meanwhile: where the time goes apart from the machine's load."""

    seconds: float
    features: int
    server_cpu_s: float
    client_cpu_s: float


def _items_gdal(base: str, auth: tuple[str, str], layer: str = "communes") -> GdalRead:
    import pyogrio

    pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": f"{auth[0]}:{auth[1]}", "GDAL_HTTP_AUTH": "BASIC"})
    server_cpu, client_cpu, start = _server_cpu_s(), time.process_time(), time.perf_counter()
    frame = pyogrio.read_dataframe(f"OAPIF:{base}/ogcapi", layer=layer)
    return GdalRead(time.perf_counter() - start, len(frame), _server_cpu_s() - server_cpu,
                    time.process_time() - client_cpu)


def _items_baseline(url: str) -> tuple[float, int]:
    engine = create_engine(url)
    start = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT code, name, ST_AsGeoJSON(geom, 6) FROM commune ORDER BY code")).all()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, len(rows)


def _prepare(url: str) -> None:
    _load_national_communes(url)
    # Statistics as autovacuum would have them a minute after a load: without them the planner takes the
    # just-loaded admin_unit for one row and joins each page's 1,000 codes by scanning (0.37 s a page).
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _bench_token(url: str) -> tuple[str, int]:
    engine = create_engine(url)
    with engine.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM app_user WHERE name = :n"), {"n": USER}).first():
            add_user(conn, USER, "bench-password", role="planner", actor="bench")
        token, _ = create_token(conn, USER, name="bench", actor="bench")
        communes = int(conn.execute(text("SELECT count(*) FROM commune")).scalar() or 0)
    engine.dispose()
    return token, communes


@dataclass
class Served:
    """What the served app did: tile latencies (s) and walls per pass, the CPU seconds the server's processes and
    this client spent in each pass, the national items reads, GDAL's."""

    tiles: dict[str, tuple[list[float], float]]
    cpu: dict[str, tuple[float, float]]
    items: dict[str, ItemsRead]
    gdal: GdalRead


def _server_cpu_s() -> float:
    """CPU seconds (user + system) used so far by the processes this bench started and theirs (the gunicorn
    master and its web processes; not PostgreSQL, which runs detached): what the server cost, apart from what
    the other jobs on the machine took meanwhile. Linux /proc."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    mine, found = {os.getpid()}, True
    while found:
        found = False
        for pid, parent in parents.items():
            if parent in mine and pid not in mine:
                mine.add(pid)
                found = True
    mine.discard(os.getpid())
    return sum(ticks[pid] for pid in mine) / os.sysconf("SC_CLK_TCK")


def _against_the_server(base: str, auth: tuple[str, str], tiles: list[tuple[int, int, int]],
                        clients: int, url: str) -> Served:
    requests.get(f"{base}/ogcapi", auth=auth, timeout=60).raise_for_status()  # the server is up
    passes: dict[str, tuple[list[float], float]] = {}
    cpu: dict[str, tuple[float, float]] = {}
    for label, n, seed in (("cold", clients, 1), ("warm", clients, 2), ("warm, one client alone", 1, 3)):
        server_cpu, client_cpu, start = _server_cpu_s(), time.process_time(), time.perf_counter()
        latencies = _fetch_all(base, auth, tiles, n, seed=seed)
        passes[label] = (latencies, time.perf_counter() - start)
        cpu[label] = (_server_cpu_s() - server_cpu, time.process_time() - client_cpu)
    items = _items_reads(base, auth, url)
    return Served(passes, cpu, items, _items_gdal(base, auth))


def _items_reads(base: str, auth: tuple[str, str], url: str) -> dict[str, ItemsRead]:
    """The national read with gzip right after a change of the communes' data (no page kept yet), the same again
    (pages kept), the first read a few seconds after another change (pages asked before made again meanwhile,
    app/live_gis/ahead.py), and without gzip."""
    _change_the_data(url)
    reads = {GZIP_FIRST: _items(base, auth, "gzip")}
    reads["gzip, read again"] = _items(base, auth, "gzip")
    _change_the_data(url)
    time.sleep(AHEAD_WAIT_S)  # e.g. a recompute a few seconds before the client opens the layer
    reads[GZIP_AHEAD] = _items(base, auth, "gzip")
    reads["identity"] = _items(base, auth, "identity")
    return reads


def _change_the_data(url: str) -> None:
    """A write to coverage_commune as a recompute makes (one commune's row written again), which moves the data
    version: every items page kept before is made anew."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE coverage_commune SET reason = reason WHERE commune_code = "
                          "(SELECT min(commune_code) FROM coverage_commune)"))
    engine.dispose()


@contextmanager
def _trivial_server() -> Iterator[str]:
    """bench/_trivial_wsgi.py under gunicorn with the web processes' settings (2 processes, 16 threads, keep-alive)."""
    port = free_loopback_port()
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(WEB_WORKERS), "--threads", "16",
                                "--worker-class", "gthread", "--keep-alive", "75", "--bind", f"127.0.0.1:{port}",
                                "bench._trivial_wsgi:app"], cwd=PROJECT_ROOT, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def _floor(tiles: list[tuple[int, int, int]], clients: int) -> tuple[list[float], float, float]:
    """The same warm pass against a WSGI app that does nothing (the floor of gunicorn and this client on this
    machine now): latencies, wall seconds and the server's CPU seconds."""
    with _trivial_server() as base:
        _fetch_all(base, ("floor", "floor"), tiles, clients, seed=1)  # connections and processes warmed
        server_cpu, start = _server_cpu_s(), time.perf_counter()
        latencies = _fetch_all(base, ("floor", "floor"), tiles, clients, seed=2)
        return latencies, time.perf_counter() - start, _server_cpu_s() - server_cpu


def run(clients: int, per_zoom: int, baseline: bool = True) -> int:
    with bench_database(_prepare) as url:
        token, communes = _bench_token(url)
        tiles = tiles_over_the_country(url, per_zoom=per_zoom)
        print(f"{communes:,} communes; {len(tiles):,} distinct tiles at zoom 6–12; {clients} concurrent clients; "
              f"load average {os.getloadavg()[0]:.1f} before the run", flush=True)
        base_tiles = _baseline_tiles(url, tiles, workers=16) if baseline else None
        with served_app(url, ("--workers", str(WEB_WORKERS), "--threads", "16")) as base:
            served = _against_the_server(base, (USER, token), tiles, clients, url)
        floor_lat, floor_wall, floor_cpu = _floor(tiles, clients)
        served.tiles[FLOOR] = (floor_lat, floor_wall)
        served.cpu[FLOOR] = (floor_cpu, 0.0)
        sql_s, sql_n = _items_baseline(url)
    _report(served, base_tiles, (sql_s, sql_n), clients, communes)
    return 0


def _row_label(label: str, clients: int) -> str:
    if label == FLOOR:
        return label
    return f"tiles via /tiles, {label if 'alone' in label else f'{clients} clients, {label}'}"


def _report(served: Served, base_tiles: tuple[list[float], float] | None, sql: tuple[float, int],
            clients: int, communes: int) -> None:
    rows = [("tiles, plain ST_AsMVT via psycopg2 (16 at a time, no cache) — baseline", *base_tiles)] \
        if base_tiles else []
    rows += [(_row_label(label, clients), *got) for label, got in served.tiles.items()]
    print(f"\n{'measure':<72} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'wall s':>7} {'tiles/s':>8}")
    for label, lat, wall in rows:
        print(f"{label:<72} {len(lat):>6} {percentile(lat, 50) * 1000:>8.1f} {percentile(lat, 95) * 1000:>8.1f} "
              f"{percentile(lat, 99) * 1000:>8.1f} {wall:>7.2f} {len(lat) / wall:>8.0f}")
    for label, (server_s, client_s) in served.cpu.items():
        n = len(served.tiles[label][0])
        print(f"CPU per tile, {label}: server {server_s / n * 1000:.2f} ms, this client {client_s / n * 1000:.2f} ms")
    _print_items(served.items, served.gdal)
    print(f"{'baseline: one psycopg2 query, ST_AsGeoJSON of every commune':<68} {sql[1]:>8,} {'':>8} {'':>8} "
          f"{'':>8} {sql[0]:>8.2f}")
    warm_p95 = percentile(served.tiles["warm"][0], 95)
    items = served.items[GZIP_FIRST]
    ok = warm_p95 < TILE_P95_TARGET_S and items.seconds < ITEMS_TARGET_S and items.features == communes
    print(f"\ntarget: warm tile p95 < {TILE_P95_TARGET_S * 1000:.0f} ms ({warm_p95 * 1000:.1f} ms), national items "
          f"with gzip, first read after a change < {ITEMS_TARGET_S:.0f} s ({items.seconds:.2f} s): "
          f"{'met' if ok else 'NOT met'}")
    print(f"load average after the run: {os.getloadavg()[0]:.1f} (2 cores shared with other jobs)")


def _has_collection(base: str, auth: tuple[str, str], cid: str) -> bool:
    """Whether the served tree has collection ``cid`` (a tree compared against may predate it)."""
    return requests.get(f"{base}/ogcapi/collections/{cid}", auth=auth, timeout=60).status_code == 200


def _print_items(items: dict[str, ItemsRead], gdal: GdalRead | None) -> None:
    print(f"\n{'national communes items':<68} {'features':>8} {'MB sent':>8} {'fetch s':>8} {'parse s':>8} "
          f"{'seconds':>8}")
    for how, read in items.items():
        label = f"/ogcapi items, limit=1000, {read.pages} pages, {how}"
        print(f"{label:<68} {read.features:>8,} {read.wire_bytes / 1e6:>8.1f} {read.fetch_s:>8.2f} "
              f"{read.parse_s:>8.2f} {read.seconds:>8.2f}")
        print(f"    CPU: server {read.server_cpu_s:.2f} s, client parsing {read.parse_cpu_s:.2f} s")
    if gdal is not None:
        print(f"{'GDAL OAPIF driver (pyogrio.read_dataframe), whole layer':<68} {gdal.features:>8,} {'':>8} "
              f"{'':>8} {'':>8} {gdal.seconds:>8.2f}")
        print(f"    CPU: server {gdal.server_cpu_s:.2f} s, GDAL and pyogrio {gdal.client_cpu_s:.2f} s")


def run_items(rounds: int, against: Path | None, gdal: bool) -> int:
    """Only the national items reads (and GDAL's), ``rounds`` times, against this tree's server and, when
    ``against`` names another source tree (e.g. `git archive main`), against that one's too, both served at once
    and read one after the other in each round: a before/after comparison under the same load."""
    trees = [("this tree", PROJECT_ROOT)] + ([(f"tree {against}", against)] if against else [])
    with bench_database(_prepare) as url, contextlib.ExitStack() as servers:
        token, communes = _bench_token(url)
        bases = [(label, servers.enter_context(served_app(url, ("--workers", str(WEB_WORKERS), "--threads", "16"),
                                                            root=root))) for label, root in trees]
        for base in bases:
            requests.get(f"{base[1]}/ogcapi", auth=(USER, token), timeout=60).raise_for_status()
        for round_no in range(1, rounds + 1):
            for label, base in bases if round_no % 2 else bases[::-1]:
                print(f"\nround {round_no}, {label}; load average {os.getloadavg()[0]:.1f}", flush=True)
                reads = _items_reads(base, (USER, token), url)
                _print_items(reads, _items_gdal(base, (USER, token)) if gdal else None)
                if gdal and _has_collection(base, (USER, token), GENERALISED):
                    light = _items_gdal(base, (USER, token), GENERALISED)
                    print(f"GDAL OAPIF, whole layer {GENERALISED} (outlines ~100 m): {light.features:,} features, "
                          f"{light.seconds:.2f} s; CPU: server {light.server_cpu_s:.2f} s, GDAL and pyogrio "
                          f"{light.client_cpu_s:.2f} s", flush=True)
                if any(read.features != communes for read in reads.values()):
                    raise SystemExit(f"bench.live_gis: a read did not return the {communes:,} communes")
    print(f"\nload average after the run: {os.getloadavg()[0]:.1f} (2 cores shared with other jobs)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live_gis", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--per-zoom", type=int, default=400, help="tiles at each zoom 9–12 (around communes)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the 3-minute plain ST_AsMVT baseline")
    parser.add_argument("--items-only", action="store_true", help="only the national items reads (part 2)")
    parser.add_argument("--rounds", type=int, default=1, help="with --items-only: how many times")
    parser.add_argument("--against", type=Path, help="with --items-only: another source tree to serve and read "
                                                     "in turn (e.g. main, from `git archive`)")
    parser.add_argument("--no-gdal", action="store_true", help="with --items-only: skip GDAL's read")
    args = parser.parse_args(argv)
    if args.items_only:
        return run_items(args.rounds, args.against, gdal=not args.no_gdal)
    return run(args.clients, args.per_zoom, baseline=not args.no_baseline)


if __name__ == "__main__":
    raise SystemExit(main())
