"""Benchmark: 200,000 synthetic facility rows as CSV, loaded by phusong with full validation vs ogr2ogr.

Run with ``python -m bench.etl [--rows N] [--repeat K]``. Uses the server of the settings (PHUSONG_DATABASE_URL,
or the embedded cluster, started if needed) but a fresh scratch database on it, dropped at the end. The communes are
the real 2025 communes of Điện Biên (../shared/data); the facilities are SYNTHETIC points inside them. ogr2ogr
loads the same CSV into its own table with a GiST index (COPY mode), in the same run, as the baseline: K pairs
of loads, phusong first in odd pairs and ogr2ogr first in even ones, each pair's wall-time ratio printed with the
CPU seconds of the loader and of the database server (from /proc), which a busy machine moves far less than wall
time. ``--phases`` then loads once more and prints the load's wall path: each SQL statement and COPY with its
start, wall and backend CPU; the gaps between them are the loader's Python.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import create_engine, event, text

from etl.boundaries import load_boundaries, read_boundaries
from etl.facilities import load_facilities
from sql import bulk, cluster
from sql.migrate import migrate
from sql.settings import get_settings, to_psycopg2_url

COMMUNES_FILE = "admin_2025/communes_2025_11_dien_bien_fullres.geojson"
HEADER = ["ma", "ten", "loai", "cong_nghe", "xa", "kinh_do", "vi_do", "tinh_trang", "nam", "so_loa",
          "cong_suat_w"]
TYPES = ["Cụm loa truyền thanh"] * 8 + ["Nhà văn hóa", "Đài truyền thanh xã"]
TECH = ["Có dây", "Không dây (FM)", "Ứng dụng CNTT-VT"]
STATUS = ["Hoạt động", "Hoạt động", "Hoạt động", "Xuống cấp", "Hư hỏng"]


def write_synthetic_survey(path: Path, communes_file: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` SYNTHETIC facilities at random points inside the communes of ``communes_file``."""
    communes = read_boundaries(communes_file)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = communes.total_bounds
    tree = shapely.STRtree(communes.geometry.values)
    names = communes["ward_name"].tolist()
    points: list[tuple[float, float, str]] = []
    while len(points) < rows:
        xs, ys = rng.uniform(minx, maxx, rows), rng.uniform(miny, maxy, rows)
        hits = tree.query(shapely.points(xs, ys), predicate="within")
        first: dict[int, int] = {}
        for p, c in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
            first.setdefault(p, c)
        points.extend((xs[p], ys[p], names[c]) for p, c in sorted(first.items()))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i, (x, y, commune) in enumerate(points[:rows]):
            writer.writerow([f"SYN-{i:06d}", f"Cụm loa tổng hợp {i}", TYPES[i % 10], TECH[i % 3], commune,
                             f"{x:.6f}", f"{y:.6f}", STATUS[i % 5], 1995 + i % 30, 2 + i % 2, 30])


def _server_url() -> str:
    settings = get_settings()
    if settings.uses_embedded:
        cluster.up(settings.pgdata_dir, settings.embedded_port)
    return settings.sqlalchemy_url.rsplit("/", 1)[0]


def _ensure_ogr2ogr() -> str:
    found = shutil.which("ogr2ogr")
    if found:
        return found
    if os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "gdal-bin"], env=env, capture_output=True,
                       check=False)
    found = shutil.which("ogr2ogr")
    if not found:
        raise SystemExit("ogr2ogr is missing: apt-get install gdal-bin")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.etl", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3,
                        help="pairs of loads (phusong, ogr2ogr), the order alternating; the table gives each")
    parser.add_argument("--phases", action="store_true",
                        help="one more phusong load, printed statement by statement (start, wall, backend CPU)")
    args = parser.parse_args(argv)
    ogr2ogr = _ensure_ogr2ogr()
    server = _server_url()
    name = f"phusong_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # name made above from hex digits
    url = to_psycopg2_url(f"{server}/{name}")
    engine = create_engine(url)
    work = Path(tempfile.mkdtemp(prefix="phusong-bench-"))
    try:
        migrate(engine)
        with engine.begin() as conn:
            load_boundaries(conn, get_settings().shared_data / COMMUNES_FILE, version="2025")
        survey = work / "facilities_synthetic.csv"
        write_synthetic_survey(survey, get_settings().shared_data / COMMUNES_FILE, args.rows)
        pg = engine.url
        dsn = f"PG:host={pg.host} port={pg.port} user={pg.username} dbname={name}"
        server_cpu = _ServerCpu(engine)
        load_before = os.getloadavg()[0]
        runs: list[_Run] = []
        for k in range(args.repeat):
            steps = (_ours, _theirs) if k % 2 == 0 else (_theirs, _ours)
            timed = {step.__name__: step(engine, survey, work, ogr2ogr, dsn, server_cpu) for step in steps}
            runs.append(_Run(ours=timed["_ours"], theirs=timed["_theirs"]))
        _print_table(args.rows, runs, load_before)
        if args.phases:
            _print_phases(engine, survey, work)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return 0


@dataclass
class _Timed:
    wall: float
    client_cpu: float  # the loader's own process (phusong: this one, every thread; ogr2ogr: the child)
    server_cpu: float | None  # every process of the database server (None: a server on another machine)
    loaded: int = 0
    rejected: int = 0

    @property
    def cpu(self) -> float | None:
        return None if self.server_cpu is None else self.client_cpu + self.server_cpu


@dataclass
class _Run:
    ours: _Timed
    theirs: _Timed


class _ServerCpu:
    """CPU seconds used by the database server's processes so far (the postmaster's finished children and the
    running ones, from /proc): each load's own server work, whatever else runs on the machine. None when the
    server is not a process of this machine."""

    def __init__(self, engine: Any) -> None:
        with engine.connect() as conn:
            backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        try:
            self._postmaster: int | None = int(_proc_stat(backend)[1])
            self._lasting = set(self._children())  # background processes and this benchmark's own connection
        except (OSError, ValueError, IndexError):
            self._postmaster = None

    def _children(self) -> list[str]:
        return Path(f"/proc/{self._postmaster}/task/{self._postmaster}/children").read_text().split()

    def __call__(self) -> float | None:
        """The CPU so far, once the backends a load started have ended (up to 10 s: an autovacuum worker may
        run longer): a backend's CPU is in the postmaster's cutime only once it has ended and been reaped."""
        if self._postmaster is None:
            return None
        ticks = os.sysconf("SC_CLK_TCK")
        try:
            waited = time.perf_counter()
            while set(self._children()) - self._lasting and time.perf_counter() - waited < 10:
                time.sleep(0.05)
            fields = _proc_stat(self._postmaster)
            total = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
            children = self._children()
        except OSError:
            return None
        for child in children:
            try:
                total += sum(int(f) for f in _proc_stat(int(child))[11:13])
            except OSError:  # ended meanwhile: counted in cutime from now on
                pass
        return total / ticks


def _proc_stat(pid: int) -> list[str]:
    """/proc/PID/stat from the field after the command name (index 1 is the parent's pid)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _ours(engine: Any, survey: Path, work: Path, ogr2ogr: str, dsn: str, server_cpu: _ServerCpu) -> _Timed:
    """phusong's load of the survey into an empty facility table (the previous run's rows removed first)."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE facility, load_batch, load_reject, coverage_stale CASCADE"))
    server, cpu, started = server_cpu(), time.process_time(), time.perf_counter()
    with engine.begin() as conn:
        result = load_facilities(conn, survey, loaded_by="bench", report_dir=work)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = server_cpu()
    return _Timed(wall, cpu, None if server is None or after is None else after - server,
                  result.loaded, result.rejected)


def _theirs(engine: Any, survey: Path, work: Path, ogr2ogr: str, dsn: str, server_cpu: _ServerCpu) -> _Timed:
    """ogr2ogr's load of the same CSV into its own table (made afresh), with a GiST index, in COPY mode."""
    server, children, started = server_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([ogr2ogr, "-f", "PostgreSQL", dsn, str(survey), "-nln", "bench_ogr", "-overwrite",
                    "-oo", "X_POSSIBLE_NAMES=kinh_do", "-oo", "Y_POSSIBLE_NAMES=vi_do",
                    "-a_srs", "EPSG:4326", "-lco", "GEOMETRY_NAME=geom",
                    "--config", "PG_USE_COPY", "YES"],
                   check=True, capture_output=True)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = server_cpu()
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return _Timed(wall, cpu, None if server is None or server_after is None else server_after - server)


def _print_phases(engine: Any, survey: Path, work: Path) -> None:
    """One more phusong load, its wall path printed: every statement (SQL or COPY) with its start (seconds into the
    load), wall and the backend's CPU (/proc); between them the loader's own work."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE facility, load_batch, load_reject, coverage_stale CASCADE"))
    steps: list[tuple[float, float, float, str]] = []
    with engine.connect() as conn:
        stat = Path(f"/proc/{conn.execute(text('SELECT pg_backend_pid()')).scalar_one()}/stat")
        conn.rollback()  # the load is one transaction of its own
        ticks = os.sysconf("SC_CLK_TCK")

        def backend() -> float:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        def timed(what: str, run: Any) -> Any:
            start, cpu = time.perf_counter(), backend()
            try:
                return run()
            finally:
                steps.append((start - began, time.perf_counter() - start, backend() - cpu, what))

        def before(*args: Any) -> None:
            args[0].info["phase"] = (time.perf_counter(), backend())

        def after(conn_: Any, cursor: Any, statement: str, *rest: Any) -> None:
            start, cpu = conn_.info.pop("phase")
            first = next((line for line in statement.splitlines() if line.strip()), "")
            steps.append((start - began, time.perf_counter() - start, backend() - cpu, first.strip()[:90]))

        copy_stream = bulk.copy_stream
        event.listen(conn, "before_cursor_execute", before)
        event.listen(conn, "after_cursor_execute", after)
        bulk.copy_stream = lambda c, table, *a, **k: timed(f"COPY {table}", lambda: copy_stream(c, table, *a, **k))
        try:
            began, cpu = time.perf_counter(), time.process_time()
            with conn.begin():
                load_facilities(conn, survey, loaded_by="bench", report_dir=work)
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        finally:
            bulk.copy_stream = copy_stream
    print(f"\none more phusong load, statement by statement (load average {os.getloadavg()[0]:.1f}): "
          f"wall {wall:.2f} s, loader CPU {cpu:.2f} s")
    print(f"{'start':>6} {'wall':>6} {'server CPU':>10}  statement (the gaps: the loader's Python)")
    for start, took, server, what in steps:
        if took >= 0.005 or server >= 0.005:
            print(f"{start:6.2f} {took:6.2f} {server:10.2f}  {what}")


def _print_table(rows: int, runs: list[_Run], load_before: float) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}; "
          f"{rows:,} synthetic rows")
    print("wall seconds; CPU seconds = the loader's process + the database server's processes (client + server)")
    print(f"{'run':<5} {'phusong wall':>12} {'ogr2ogr wall':>12} {'ratio':>6}   {'phusong CPU':>18} "
          f"{'ogr2ogr CPU':>18} {'ratio':>6}")
    for k, run in enumerate(runs, start=1):
        ours, theirs = run.ours, run.theirs
        cpus = ("", "", "")
        if ours.cpu is not None and theirs.cpu is not None:
            cpus = (f"{ours.cpu:.2f} ({ours.client_cpu:.2f} + {ours.server_cpu:.2f})",
                    f"{theirs.cpu:.2f} ({theirs.client_cpu:.2f} + {theirs.server_cpu:.2f})",
                    f"{ours.cpu / theirs.cpu:.2f}")
        first = "phusong first" if k % 2 else "ogr2ogr first"
        print(f"{k:<5} {ours.wall:>12.2f} {theirs.wall:>12.2f} {ours.wall / theirs.wall:>6.2f}   {cpus[0]:>18} "
              f"{cpus[1]:>18} {cpus[2]:>6}   {first}; loaded {ours.loaded:,}, rejected {ours.rejected:,}")
    walls = sorted(run.ours.wall / run.theirs.wall for run in runs)
    print(f"ratio phusong / ogr2ogr, wall: median {statistics.median(walls):.2f} (range {walls[0]:.2f}-{walls[-1]:.2f})"
          "   (target <= 1.0)")
    if all(run.ours.cpu is not None and run.theirs.cpu is not None for run in runs):
        ours_cpu = sum(run.ours.cpu or 0.0 for run in runs)
        theirs_cpu = sum(run.theirs.cpu or 0.0 for run in runs)
        print(f"ratio phusong / ogr2ogr, CPU of all runs: {ours_cpu / theirs_cpu:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
