"""Benchmark: 200,000 synthetic facility rows as CSV, loaded by phusong with full validation vs ogr2ogr.

Run with ``python -m bench.etl [--rows N]``. Uses the server of the settings (PHUSONG_DATABASE_URL, or the
embedded cluster, started if needed) but a fresh scratch database on it, dropped at the end. The communes are
the real 2025 communes of Điện Biên (../shared/data); the facilities are SYNTHETIC points inside them. ogr2ogr
loads the same CSV into its own table with a GiST index (COPY mode), in the same run, as the baseline.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import create_engine, text

from etl.boundaries import load_boundaries, read_boundaries
from etl.facilities import load_facilities
from sql import cluster
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
        started = time.perf_counter()
        with engine.begin() as conn:
            result = load_facilities(conn, survey, loaded_by="bench", report_dir=work)
        ours = time.perf_counter() - started
        pg = engine.url
        dsn = f"PG:host={pg.host} port={pg.port} user={pg.username} dbname={name}"
        started = time.perf_counter()
        subprocess.run([ogr2ogr, "-f", "PostgreSQL", dsn, str(survey), "-nln", "bench_ogr", "-overwrite",
                        "-oo", "X_POSSIBLE_NAMES=kinh_do", "-oo", "Y_POSSIBLE_NAMES=vi_do",
                        "-a_srs", "EPSG:4326", "-lco", "GEOMETRY_NAME=geom",
                        "--config", "PG_USE_COPY", "YES"],
                       check=True, capture_output=True)
        theirs = time.perf_counter() - started
        _print_table(args.rows, result.loaded, result.rejected, ours, theirs)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _print_table(rows: int, loaded: int, rejected: int, ours: float, theirs: float) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0]
    print(f"machine: {cpu}, {os.cpu_count()} cores, load average {load:.1f}; {rows:,} synthetic rows")
    print(f"{'loader':<44} {'seconds':>8}")
    print(f"{'phusong load facilities (full validation)':<44} {ours:>8.2f}   "
          f"loaded {loaded:,}, rejected {rejected:,}")
    print(f"{'ogr2ogr -f PostgreSQL (COPY, GiST index)':<44} {theirs:>8.2f}")
    print(f"{'ratio phusong / ogr2ogr':<44} {ours / theirs:>8.2f}   (target <= 1.5)")


if __name__ == "__main__":
    raise SystemExit(main())
