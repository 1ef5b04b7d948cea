"""`python -m bench.mixed_load`: a national deployment's mixed load for a bounded time (issue 22), one command.

Loopback only. The database is the Điện Biên demo (facilities, villages, people) plus the 3,321 real 2025
communes of the country (../shared/data/admin_2025, or PHUSONG_SHARED_DATA), brought current by `phusong worker
--once`; or PHUSONG_BENCH_DATABASE_URL as it is. The app runs as in production: `phusong serve --workers N`
(gunicorn) and one `phusong worker` (woken by LISTEN/NOTIFY). Simulated users, each with its own session
(logged in through the login form before the clock starts) and its own think time:

- planners (300): open the map page, move around (the map's communes callback at zoom 6–12 around a commune,
  then, as the browser, GETs of the URLs it gives: the view's outlines once, the scope's classes when the
  coverage version moved, with the ETag of that URL's last answer), ask the NTM summary above the map again when
  the map's poll sees a new coverage version, open
  communes (the panel callback) and follow the coverage version (the map's poll), 3–10 s apart;
- inspectors (150): save an inspection through the Kiểm tra page's callback, a photo with one save in five and
  one save in twenty sent twice with the same submission id (a retry over 3G), 5–15 s apart;
- budget officers (30): download the gaps as XLSX and the report as PDF of their province, 10–30 s apart, as
  the browser does: a file made by the worker is a 303 to its job's page, asked again every 3 s until the file
  is ready (the page and the ask are timed as pages, the whole from ask to file as the export);
- GIS clients (20): vector tiles of `communes` at zoom 6–12 over the country and, one request in twenty, a page
  of OGC API `communes` items, with a personal token, 0.05–0.2 s apart (QGIS panning).

The users are spread over ``--clients`` processes (default 4): in one process their 500 threads were bound by its
GIL, and the latencies it printed were partly the client's own queue; the client processes' CPU is printed.

Prints p50/p95/p99 per request type with its errors, whether every acknowledged inspection is stored exactly once,
how far behind the saves the coverage of their communes was recomputed, and how long after the load the last
stale commune became current. Targets (issue 22, this 2-core machine): p95 < 300 ms for pages and callbacks,
< 100 ms for tiles, 0 errors.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from app.auth import add_user
from app.export_jobs import REFRESH_S
from app.live_gis.tokens import create_token
from bench import _support
from bench._support import bench_database, coverage_after, load_demo, log_in, percentile, served_app, server_cpu
from bench.app_load import PASSWORD, _payload, _photo_data_url
from bench.live_gis import _tile
from bench.map_paint import _load_national_communes
from sql.settings import PROJECT_ROOT

ROLES = {"planner": 300, "inspector": 150, "budget": 30, "gis": 20}
PAGE_TARGET_MS, TILE_TARGET_MS = 300.0, 100.0
EXPORT_WAIT_S = 300  # how long a budget officer waits for a job's file after the load
PROVINCE = "11"  # Điện Biên: the demo's facilities, the inspectors' and budget officers' province
STATUSES = ("operational", "degraded", "broken")


@dataclass
class Tally:
    """Latencies and errors per request type, and the inspections the server acknowledged."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    acknowledged: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, elapsed_ms: float, problem: str = "") -> None:
        with self.lock:
            self.latencies_ms[kind].append(elapsed_ms)
            if problem:
                self.errors[kind].append(problem)

    def plain(self) -> dict[str, Any]:
        """What a client process sends back to the parent (no lock)."""
        return {"latencies_ms": dict(self.latencies_ms), "errors": dict(self.errors),
                "acknowledged": sorted(self.acknowledged)}

    def add(self, plain: dict[str, Any]) -> None:
        for kind, values in plain["latencies_ms"].items():
            self.latencies_ms[kind].extend(values)
        for kind, values in plain["errors"].items():
            self.errors[kind].extend(values)
        self.acknowledged.update(plain["acknowledged"])

    def timed(self, kind: str, session: requests.Session, method: str, url: str,
              ok: Callable[[requests.Response], bool], **kwargs: Any) -> requests.Response | None:
        """Send one request, record its latency under ``kind`` and, when ``ok`` says no, an error."""
        start = time.perf_counter()
        try:
            answer: requests.Response | None = session.request(method, url, timeout=300, **kwargs)
            good = answer is not None and ok(answer)
            problem = "" if good else f"HTTP {answer.status_code if answer is not None else '?'}"
        except requests.RequestException as exc:
            answer, problem = None, type(exc).__name__
        self.record(kind, (time.perf_counter() - start) * 1000, problem)
        return answer


@dataclass(frozen=True)
class World:
    """What the simulated users pick from: commune codes and points, facilities, the callbacks' keys."""

    base: str
    communes: list[tuple[str, float, float]]
    facilities: list[int]
    callbacks: dict[str, dict[str, Any]]
    until: float
    run: str
    token: str


def _prepare(url: str) -> None:
    load_demo(url)
    _load_national_communes(url)
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", "worker", "--once"], env=env, cwd=PROJECT_ROOT, check=True,
                   capture_output=True, timeout=1800)


def _users(url: str, counts: dict[str, int]) -> str:
    """Create the bench users (once) and return a GIS token of a whole-country planner."""
    engine = create_engine(url)
    with engine.begin() as conn:
        existing = set(conn.execute(text("SELECT name FROM app_user WHERE name LIKE 'mix-%'")).scalars())
        for role, n in counts.items():
            for i in range(n):
                name = f"mix-{role}-{i:03d}"
                if name not in existing:
                    scope = [PROVINCE] if role in ("inspector", "budget") else []
                    add_user(conn, name, PASSWORD, role="planner" if role == "gis" else role, scope_codes=scope,
                             actor="bench")
        token, _ = create_token(conn, "mix-gis-000", name="bench mixed load", actor="bench")
    engine.dispose()
    return token


def _world_data(url: str) -> tuple[list[tuple[str, float, float]], list[int]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        communes = [(str(c), float(x), float(y)) for c, x, y in conn.execute(text(
            "SELECT code, ST_X(p), ST_Y(p) FROM (SELECT code, ST_PointOnSurface(geom) p FROM commune) s "
            "ORDER BY code"))]
        facilities = [int(i) for i in conn.execute(text(
            "SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code WHERE c.province_code = :p "
            "AND f.type IN ('loudspeaker_cluster', 'commune_radio_station')"), {"p": PROVINCE}).scalars()]
    engine.dispose()
    return communes, facilities


def _callbacks(sessions: dict[str, list[requests.Session]], base: str) -> dict[str, dict[str, Any]]:
    """The callbacks the users call, by the first output they write, as /_dash-dependencies lists them to a
    planner and an inspector (each role is told of its own pages' callbacks)."""
    wanted = {"map-communes-url.data": "communes", "map-panel.children": "panel",
              "map-coverage-version.data": "version", "insp-result.children": "save",
              "map-rules-count.children": "summary"}
    found: dict[str, dict[str, Any]] = {}
    listed = [d for role in ("planner", "inspector")
              for d in sessions[role][0].get(f"{base}/_dash-dependencies", timeout=60).json()]
    for dependency in listed:
        first = dependency["output"].lstrip(".").split("...")[0].rstrip(".")
        if first == "insp-result.children" and "insp-pending.data" not in dependency["output"]:
            continue  # the save is the callback of insp-result that also starts the follow-up (insp-pending)
        if first in wanted and wanted[first] not in found:
            found[wanted[first]] = dependency
    missing = set(wanted.values()) - set(found)
    if missing:
        raise RuntimeError(f"callbacks not found in /_dash-dependencies: {sorted(missing)}")
    return found


def _call(dependency: dict[str, Any], values: dict[str, Any], changed: str) -> dict[str, Any]:
    """A /_dash-update-component body for ``dependency`` with ``values`` ("id.property" -> value; else None)."""
    key = dependency["output"]
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]

    def filled(items: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [{**item, "value": values.get(f"{item['id']}.{item['property']}")} for item in items]

    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": filled(dependency["inputs"]), "state": filled(dependency["state"]), "changedPropIds": [changed]}


def _dash_ok(answer: requests.Response) -> bool:
    return answer.status_code in (200, 204)


def _planner(world: World, session: requests.Session, tally: Tally, rng: random.Random) -> None:
    version, shown = None, None
    browser = _Browser()  # what the page keeps: the outlines by URL, the last classes URL and the ETags
    update = f"{world.base}/_dash-update-component"
    while time.monotonic() < world.until:
        code, lon, lat = rng.choice(world.communes)
        action = rng.choices(("page", "move", "open", "poll"), weights=(1, 3, 2, 2))[0]
        if action == "page":
            tally.timed("page: map (HTML)", session, "GET", f"{world.base}/", _dash_ok)
            browser = _Browser()  # a page load starts the page's memory afresh (the ETags stay: HTTP cache)
        elif action == "move":
            # Zoom in or out one level, or pan: the map asks again only when the detail level changes or,
            # from zoom 9, the view does (the browser sends the level it shows).
            zoom = min(12, max(6, (shown or 6) + rng.choice((-1, 0, 0, 1))))
            half = 180 / 2 ** zoom * 2
            values = {"map-main.zoom": zoom, "map-main.bounds": [[lat - half, lon - half], [lat + half, lon + half]],
                      "map-coverage-version.data": version, "map-detail-zoom.data": shown}
            body = _call(world.callbacks["communes"], values, "map-main.bounds")
            answer = tally.timed("callback: map communes (zoom 6–12)", session, "POST", update, _dash_ok,
                                 json=body)
            shown = zoom if answer is not None and answer.status_code == 200 else shown
            urls = answer.json()["response"].get("map-communes-url", {}).get("data") if answer is not None and \
                answer.status_code == 200 else None
            if urls:  # none when all is drawn already (a pan below zoom 9): the browser fetches nothing either
                browser.fetch(world, session, tally, urls)
        elif action == "open":
            body = _call(world.callbacks["panel"], {"map-selected.data": code}, "map-selected.data")
            tally.timed("callback: commune panel", session, "POST", update, _dash_ok, json=body)
        else:
            body = _call(world.callbacks["version"], {"map-coverage-poll.n_intervals": 1,
                                                      "map-coverage-version.data": version},
                         "map-coverage-poll.n_intervals")
            answer = tally.timed("callback: coverage poll", session, "POST", update, _dash_ok, json=body)
            new = answer.json()["response"].get("map-coverage-version", {}).get("data") if answer is not None \
                and answer.status_code == 200 else None
            if new is not None and new != version:  # the page redraws: the NTM summary above the map asks again
                version = new
                body = _call(world.callbacks["summary"], {"map-coverage-version.data": version},
                             "map-coverage-version.data")
                tally.timed("callback: NTM summary (new version)", session, "POST", update, _dash_ok, json=body)
        time.sleep(rng.uniform(3, 10))


@dataclass
class _Browser:
    """What app/assets/phusong_map.js fetchCommunes does with the communes callback's URLs: the view's outlines
    fetched once per URL and kept, the scope's classes fetched when their URL changes (a new coverage version),
    each with the ETag of that URL's last answer (If-None-Match: 304). Timed as GETs."""

    outlines: set[str] = field(default_factory=set)
    last: tuple[str, str] | None = None
    etags: dict[str, str] = field(default_factory=dict)

    def fetch(self, world: World, session: requests.Session, tally: Tally, urls: dict[str, str] | str) -> None:
        if isinstance(urls, str):  # the code before session 30 (--serve-root): one joined answer per view
            self._get(world, session, tally, urls, "page: map communes GeoJSON (GET)")
            return
        if (urls["outlines"], urls["classes"]) == self.last:
            return
        self.last = (urls["outlines"], urls["classes"])
        if urls["outlines"] not in self.outlines and self._get(world, session, tally, urls["outlines"],
                                                               "page: map outlines GeoJSON (GET)"):
            self.outlines.add(urls["outlines"])
        self._get(world, session, tally, urls["classes"], "page: map classes JSON (GET)")

    def _get(self, world: World, session: requests.Session, tally: Tally, url: str, kind: str) -> bool:
        headers = {"If-None-Match": self.etags[url]} if url in self.etags else {}
        got = tally.timed(kind, session, "GET", f"{world.base}{url}", lambda a: a.status_code in (200, 304),
                          headers=headers)
        if got is not None and got.status_code == 200 and got.headers.get("ETag"):
            self.etags[url] = got.headers["ETag"]
        return got is not None and got.status_code in (200, 304)


def _inspector(world: World, session: requests.Session, tally: Tally, rng: random.Random, name: str) -> None:
    photo = _photo_data_url()
    key = world.callbacks["save"]["output"]
    count = 0
    while time.monotonic() < world.until:
        count += 1
        submission = f"mix:{world.run}:{name}:{count}"
        facility = rng.choice(world.facilities)
        body = _payload(key, facility, rng.choice(STATUSES), submission, photo if count % 5 == 0 else None)
        sends = 2 if rng.random() < 0.05 else 1
        for _ in range(sends):
            answer = tally.timed("callback: inspection save", session, "POST",
                                 f"{world.base}/_dash-update-component", _dash_ok, json=body)
            if answer is not None and "Đã lưu" in json.dumps(answer.json(), ensure_ascii=False):
                with tally.lock:
                    tally.acknowledged.add(submission)
        time.sleep(rng.uniform(5, 15))


def _budget(world: World, session: requests.Session, tally: Tally, rng: random.Random) -> None:
    time.sleep(rng.uniform(0, 10))
    while time.monotonic() < world.until:
        fmt = rng.choice(("gaps.xlsx", "report.pdf"))
        _export(world, session, tally, f"export: {fmt.split('.')[1].upper()} ({fmt.split('.')[0]})", fmt)
        time.sleep(rng.uniform(10, 30))


def _export(world: World, session: requests.Session, tally: Tally, kind: str, fmt: str) -> None:
    """One download as the browser makes it: the file at once, or (a job for the worker: 303) the job's page
    every REFRESH_S seconds until it is ready, then the file. ``kind`` times the whole, from ask to file."""
    start = time.perf_counter()
    got = tally.timed("page: export ask (303 to its job)", session, "GET", f"{world.base}/download/{fmt}",
                      lambda a: a.status_code in (200, 303), params={"province": PROVINCE}, allow_redirects=False)
    if got is not None and got.status_code == 303:
        job, deadline = got.headers["Location"], time.monotonic() + EXPORT_WAIT_S
        page = tally.timed("page: export job (poll)", session, "GET", f"{world.base}{job}",
                           lambda a: a.status_code in (200, 202), allow_redirects=False)
        while page is not None and page.status_code == 202 and time.monotonic() < deadline:
            time.sleep(REFRESH_S)
            page = tally.timed("page: export job (poll)", session, "GET", f"{world.base}{job}",
                               lambda a: a.status_code in (200, 202), allow_redirects=False)
        got = None if page is None or page.status_code != 200 else session.get(f"{world.base}{job}/file",
                                                                                 timeout=300)
    good = got is not None and got.status_code == 200 and len(got.content) > 1000
    tally.record(kind, (time.perf_counter() - start) * 1000,
                 "" if good else f"HTTP {got.status_code if got is not None else '?'}")


def _gis(world: World, tally: Tally, rng: random.Random) -> None:
    session = requests.Session()
    session.auth = ("mix-gis-000", world.token)
    count = 0
    while time.monotonic() < world.until:
        count += 1
        code, lon, lat = rng.choice(world.communes)
        if count % 20 == 0:
            bbox = f"{lon - 0.5},{lat - 0.5},{lon + 0.5},{lat + 0.5}"
            tally.timed("ogcapi: communes items (limit 100)", session, "GET",
                        f"{world.base}/ogcapi/collections/communes/items", lambda a: a.status_code == 200,
                        params={"limit": 100, "bbox": bbox})
        else:
            z, x, y = _tile(lon, lat, rng.randint(6, 12))
            tally.timed("tile: communes z6–12", session, "GET", f"{world.base}/tiles/communes/{z}/{x}/{y}.mvt",
                        lambda a: a.status_code == 200)
        time.sleep(rng.uniform(0.05, 0.2))


@contextmanager
def _coverage_worker(url: str, root: Path = PROJECT_ROOT) -> Iterator[int]:
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    log = open(Path("/tmp") / f"phusong-mixed-worker-{os.getpid()}.log", "wb")  # noqa: SIM115
    nice = _support.deployed_nice(root / "deploy" / "systemd" / "phusong-worker@.service")  # as the unit starts it
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env, cwd=root,
                               stdout=log, stderr=subprocess.STDOUT, preexec_fn=lambda: os.nice(nice))
    try:
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=60)
        log.close()


def _users_of(counts: dict[str, int], clients: int) -> list[list[tuple[str, int]]]:
    """(role, index) of every simulated user, dealt round-robin to ``clients`` client processes."""
    users = [(role, i) for role, n in counts.items() for i in range(n)]
    return [users[k::clients] for k in range(clients)]


def _thread(world: World, role: str, i: int, session: requests.Session | None, tally: Tally) -> threading.Thread:
    if role == "planner":
        return threading.Thread(target=_planner, args=(world, session, tally, random.Random(i)))
    if role == "inspector":
        return threading.Thread(target=_inspector, args=(world, session, tally, random.Random(1000 + i), f"i{i}"))
    if role == "budget":
        return threading.Thread(target=_budget, args=(world, session, tally, random.Random(2000 + i)))
    return threading.Thread(target=_gis, args=(world, tally, random.Random(3000 + i)))


def _client(world: World, users: list[tuple[str, int]], duration_s: float, ready: Any, start_at: Any,
            results: Any) -> None:
    """One client process: log its users in (8 at a time), say so, wait for the common start, run them for
    ``duration_s`` as threads and send back the tally and its own CPU seconds during the load."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        sessions = list(pool.map(lambda u: None if u[0] == "gis" else log_in(world.base, f"mix-{u[0]}-{u[1]:03d}",
                                                                             PASSWORD), users))
    ready.put(len(users))
    while start_at.value == 0:
        time.sleep(0.05)
    world = replace(world, until=time.monotonic() + duration_s - (time.time() - start_at.value))
    tally, cpu_before = Tally(), os.times()
    threads = [_thread(world, role, i, session, tally) for (role, i), session in zip(users, sessions, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu_after = os.times()
    results.put({**tally.plain(), "cpu_s": (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)})


def _run_load(world: World, counts: dict[str, int], duration_s: float, clients: int,
              cpu: Callable[[], dict[str, float]]) -> tuple[Tally, float, float, dict[str, float]]:
    """The simulated users in ``clients`` processes (500 threads in one process were bound by its GIL on these
    two cores: what it timed would have been the client's queue). Returns the tally, the wall seconds of the load,
    the CPU seconds all client processes used during it and the server's (``cpu()`` before and after the load)."""
    context = multiprocessing.get_context("fork")
    ready, results, start_at = context.Queue(), context.Queue(), context.Value("d", 0.0)
    processes = [context.Process(target=_client, args=(world, users, duration_s, ready, start_at, results))
                 for users in _users_of(counts, clients) if users]
    login_start = time.perf_counter()
    for process in processes:
        process.start()
    logged_in = sum(ready.get(timeout=1800) for _ in processes)
    print(f"{logged_in} users logged in in {time.perf_counter() - login_start:.0f} s by {len(processes)} client "
          f"processes (not counted)", flush=True)
    started, cpu_before = time.perf_counter(), cpu()
    start_at.value = time.time()
    tally, cpu_s = Tally(), 0.0
    for _ in processes:
        plain = results.get(timeout=duration_s + EXPORT_WAIT_S + 600)
        cpu_s += plain.pop("cpu_s")
        tally.add(plain)
    wall_s, cpu_after = time.perf_counter() - started, cpu()
    for process in processes:
        process.join(timeout=60)
    return tally, wall_s, cpu_s, {k: cpu_after[k] - cpu_before[k] for k in cpu_after}


def _print(tally: Tally, wall_s: float) -> bool:
    print(f"\n{'request type':<40} {'n':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'req/s':>6}  target")
    met = True
    for kind in sorted(tally.latencies_ms):
        values = tally.latencies_ms[kind]
        target = TILE_TARGET_MS if kind.startswith("tile") else PAGE_TARGET_MS if kind.startswith(
            ("page", "callback")) else None
        p95 = percentile(values, 95)
        verdict = "" if target is None else f"p95 < {target:.0f}: {'met' if p95 < target else 'NOT met'}"
        met = met and (target is None or p95 < target) and not tally.errors.get(kind)
        print(f"{kind:<40} {len(values):>6} {len(tally.errors.get(kind, [])):>6} {percentile(values, 50):>8.0f} "
              f"{p95:>8.0f} {percentile(values, 99):>8.0f} {max(values):>8.0f} {len(values) / wall_s:>6.1f}  "
              f"{verdict}")
    for kind, problems in sorted(tally.errors.items()):
        if problems:
            print(f"  errors of {kind}: {sorted(set(problems))[:4]}")
    return met


def run(counts: dict[str, int], duration_s: float, web_workers: int, threads: int, clients: int,
        root: Path = PROJECT_ROOT) -> int:  # long: one benchmark from the database to the printed verdict
    with bench_database(_prepare) as url:
        token = _users(url, counts)
        communes, facilities = _world_data(url)
        print(f"{len(communes):,} communes, {len(facilities)} facilities in province {PROVINCE}; users: "
              + ", ".join(f"{n} {role}" for role, n in counts.items())
              + f"; {duration_s:.0f} s; `phusong serve --workers {web_workers} --threads {threads}` + 1 "
              f"`phusong worker`; {clients} client processes; {os.cpu_count()} cores; load average "
              f"{os.getloadavg()[0]:.1f} before", flush=True)
        with _coverage_worker(url, root) as worker_pid, \
                served_app(url, ("--workers", str(web_workers), "--threads", str(threads)), root) as base:
            sessions = {role: [log_in(base, f"mix-{role}-000", PASSWORD)] for role in ("planner", "inspector")}
            world = World(base, communes, facilities, _callbacks(sessions, base), 0.0, uuid.uuid4().hex[:8], token)
            tally, wall_s, client_cpu_s, used_cpu = _run_load(world, counts, duration_s, clients,
                                                              server_cpu(base, worker_pid, url))
            load_after = os.getloadavg()[0]
            rows, distinct, lags, current_s = coverage_after(url, f"mix:{world.run}:")
    met = _print(tally, duration_s)
    once = rows == distinct == len(tally.acknowledged)
    print(f"\ninspections: {len(tally.acknowledged)} acknowledged, {rows} stored ({distinct} distinct submission "
          f"ids): every inspection stored exactly once: {'yes' if once else 'NO'}")
    if lags:
        print(f"coverage of the inspected commune recomputed after the save: p50 {percentile(lags, 50):.2f} s, "
              f"p95 {percentile(lags, 95):.2f} s, max {max(lags):.2f} s ({len(lags)} of {rows}); "
              f"no commune stale {current_s:.1f} s after the load ended")
    answered = sum(len(v) for k, v in tally.latencies_ms.items() if not k.startswith("export:"))
    print("server CPU during the load: " + ", ".join(f"{k} {v:.1f} s = {v / max(1, answered) * 1000:.1f} ms per "
                                                       f"request" for k, v in used_cpu.items())
          + f" ({answered} requests)")
    errors = sum(len(v) for v in tally.errors.values())
    print(f"client processes: {client_cpu_s:.1f} s CPU in {wall_s:.0f} s ({client_cpu_s / wall_s * 100:.0f} % of "
          f"one core, of {os.cpu_count()})")
    print(f"errors: {errors}; load average {load_after:.1f} at the end of the load (2 cores, shared)")
    return 0 if met and once and not errors else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed_load", description=__doc__.splitlines()[0],
                                     epilog="Example:\n  python -m bench.mixed_load --duration 30 --scale 0.2")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the 300/150/30/20 users to simulate (default 1)")
    parser.add_argument("--web-workers", type=int, default=2, help="web processes (default 2)")
    parser.add_argument("--threads", type=int, default=16, help="threads per web process (default 16)")
    parser.add_argument("--clients", type=int, default=4,
                        help="client processes the simulated users are spread over (default 4)")
    parser.add_argument("--serve-root", type=Path, default=PROJECT_ROOT,
                        help="the source tree whose web app and worker to run (another checkout, to compare "
                             "with in the same minutes; default this one)")
    args = parser.parse_args(argv)
    counts = {role: max(1, round(n * args.scale)) for role, n in ROLES.items()}
    return run(counts, args.duration, args.web_workers, args.threads, max(1, args.clients), args.serve_root)


if __name__ == "__main__":
    sys.exit(main())
