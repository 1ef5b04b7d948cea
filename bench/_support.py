"""What the app benchmarks share: a throwaway migrated database (or the one PHUSONG_BENCH_DATABASE_URL names), the demo
loaded into it, `phusong serve` on a loopback port, a browser-like log-in and percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from sqlalchemy import Connection, create_engine, text

from sql import cluster
from sql.cluster import free_loopback_port
from sql.migrate import migrate
from sql.settings import PROJECT_ROOT, to_psycopg2_url

SERVED: dict[str, int] = {}  # base URL -> the pid of `phusong serve` (for the CPU of its process tree)


@contextmanager
def bench_database(prepare: Callable[[str], None]) -> Iterator[str]:
    """Yield a database URL: the given one as it is, or a private cluster's migrated database after ``prepare``."""
    given = os.environ.get("PHUSONG_BENCH_DATABASE_URL")
    if given:
        yield to_psycopg2_url(given)
        return
    with cluster.throwaway("phusong-bench-pg-") as port:
        admin = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('CREATE DATABASE "phusong_bench"'))
        admin.dispose()
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{port}/phusong_bench"
        engine = create_engine(url)
        migrate(engine)
        engine.dispose()
        prepare(url)
        yield url


def load_demo(url: str) -> None:
    """`phusong demo --no-serve` into the database at ``url``."""
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "app.cli", "demo", "--no-serve"], env=env, cwd=PROJECT_ROOT,
                   check=True, capture_output=True, timeout=900)


@contextmanager
def served_app(url: str, args: tuple[str, ...] = (), root: Path = PROJECT_ROOT) -> Iterator[str]:
    """`phusong serve` (with ``args``, e.g. ("--workers", "2")) on a free loopback port; yields its base URL.
    ``root``: the source tree to serve (another checkout, to compare with in the same run)."""
    port = free_loopback_port()
    env = {**os.environ, "PHUSONG_DATABASE_URL": url, "PHUSONG_PORT": str(port)}
    env.pop("PHUSONG_TILE_URL", None)
    log = open(Path(tempfile.gettempdir()) / f"phusong-bench-serve-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", *args], env=env, cwd=root,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        SERVED[f"http://127.0.0.1:{port}"] = process.pid
        yield f"http://127.0.0.1:{port}"
    finally:
        SERVED.pop(f"http://127.0.0.1:{port}", None)
        process.terminate()
        process.wait(timeout=90)  # gunicorn lets requests in flight finish (graceful_timeout 30 s)
        log.close()


def wait_for_port(port: int, seconds: float = 60) -> None:
    """Return once something listens on 127.0.0.1:``port``, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)


def log_in(base: str, name: str, password: str) -> requests.Session:
    """Log in through the login form as a browser does: its CSRF token first, then the name and password."""
    session = requests.Session()
    for _ in range(3):  # a login form answered with an error under the log-in rush: said, then asked again
        got = session.get(f"{base}/login", timeout=30)
        if 'name="csrf_token" value="' in got.text:
            break
        print(f"login form for {name}: HTTP {got.status_code} {got.text[:200]!r}", file=sys.stderr, flush=True)
        time.sleep(1)
    token = got.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = session.post(f"{base}/login", data={"name": name, "password": password, "csrf_token": token},
                          allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"login of {name} failed: {answer.status_code}")
    return session


def tree_cpu_s(roots: set[int]) -> float:
    """CPU seconds (user + system) used so far by the processes ``roots`` and all their descendants (/proc),
    those that ended included: a process's own time plus its waited-for children's (cutime, cstime), so a
    PostgreSQL backend, parallel or autovacuum worker that ended during the load still counts (in the
    postmaster's children's time) and nothing counts twice (an ended process is no longer in /proc)."""
    parents, cpu = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
    total = 0.0
    for pid, seconds in cpu.items():
        ancestor = pid
        while ancestor and ancestor not in roots:
            ancestor = parents.get(ancestor, 0)
        total += seconds if ancestor else 0.0
    return total


def postmaster_pid(port: int) -> int | None:
    """The pid of the PostgreSQL server listening on ``port`` of this machine (its command line says -p PORT)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if args and args[0].endswith(b"postgres") and b"-p" in args and str(port).encode() in args:
                return int(entry.name)
    return None


def deployed_nice(unit: Path = PROJECT_ROOT / "deploy" / "systemd" / "phusong-worker@.service") -> int:
    """The worker's niceness as deployed: the unit's ``Nice=`` (0 when it sets none)."""
    values = [line.split("=", 1)[1] for line in unit.read_text().splitlines() if line.startswith("Nice=")]
    return int(values[-1]) if values else 0


def server_cpu(base: str, worker_pid: int, url: str) -> Callable[[], dict[str, float]]:
    """CPU seconds so far of the web processes, the worker and the PostgreSQL server (when on this machine)."""
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0]) if url.count(":") >= 2 else 5432
    postmaster = postmaster_pid(port)
    return lambda: {"web": tree_cpu_s({SERVED[base]}), "worker": tree_cpu_s({worker_pid}),
                    "postgres": tree_cpu_s({postmaster}) if postmaster else 0.0}


def coverage_after(url: str, submissions: str) -> tuple[int, int, list[float], float]:
    """Inspections stored whose submission id starts with ``submissions`` (a bench run's prefix), distinct
    submissions, each one's seconds until its commune was recomputed, and the seconds after the load until no
    commune was stale (at most 120 s)."""
    engine = create_engine(url)
    start = time.perf_counter()
    with engine.connect() as conn:
        while conn.execute(text("SELECT count(*) FROM coverage_stale")).scalar() and \
                time.perf_counter() - start < 120:
            conn.commit()
            time.sleep(0.2)
        current_s = time.perf_counter() - start
        rows, distinct = conn.execute(text(
            "SELECT count(*), count(DISTINCT submission_id) FROM inspection WHERE submission_id LIKE :p"),
            {"p": f"{submissions}%"}).one()
        lags = recompute_lags(conn, submissions)
    engine.dispose()
    return int(rows), int(distinct), lags, current_s


def recompute_lags(conn: Connection, submissions: str) -> list[float]:
    """For each inspection whose submission id starts with ``submissions``, the seconds from its save until the
    first coverage run of its commune after it: a run of that commune, or a pass of several communes (stored as
    one run of scope 'communes': the worker drains every stale commune in a pass), or of all."""
    return [float(v) for v in conn.execute(text(
        "SELECT extract(epoch FROM r.computed_at - i.recorded_at) FROM inspection i "
        "JOIN facility f ON f.id = i.facility_id "
        "CROSS JOIN LATERAL (SELECT min(computed_at) AS computed_at FROM coverage_run "
        "                    WHERE scope IN (f.commune_code, 'communes', 'all') "
        "                      AND computed_at >= i.recorded_at) r "
        "WHERE i.submission_id LIKE :p"), {"p": f"{submissions}%"}).scalars() if v is not None]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else float("nan")
