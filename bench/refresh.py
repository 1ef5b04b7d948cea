"""Coverage kept current (issue 15): what a change costs until its communes are current, against recomputing
the whole country (what a user had to run after any change before: `phusong analyse`).

    python -m bench.refresh [--clusters 200000]

Data: bench.coverage's national set (3,321 real 2025 communes, SYNTHETIC clusters and populations, a derived
100 m raster), in the embedded PostGIS of this checkout (PHUSONG_EMBEDDED_PORT, default 55442 here).

Measured, warm (raster commune totals cached), in one process:
- baseline: analysis.store.analyse(conn) for every commune (one transaction, no locks);
- the country through the refresh path: every commune marked stale, bring_current(engine) (batches of 500,
  a try-lock per commune) — what a national boundary or raster load runs;
- one facility changed (its status updated and committed), then bring_current(engine) as the CLI runs it after
  a load: median and max of 7; and the same commune's analyse alone (what the locks and the drain add);
- a 1,000-row survey of 40 communes re-loaded with every status changed (etl.facilities.load_facilities,
  committed), then bring_current(engine): the load and the refresh timed apart.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.coverage import _in_child, _peak_mb, prepare

SURVEY_COMMUNES = 40
SURVEY_ROWS = 1_000
STATUSES = ("Hoạt động", "Hư hỏng", "Xuống cấp")


def _survey(conn: Any, path: Path, status_shift: int) -> list[str]:
    """Write a 1,000-row survey of loudspeaker clusters in 40 communes (seeded points inside each); return them."""
    from sqlalchemy import text

    rows = conn.execute(text(
        "SELECT c.code, ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat "
        "FROM (SELECT code, geom FROM commune ORDER BY code LIMIT :n OFFSET 500) c, "
        "LATERAL ST_Dump(ST_GeneratePoints(c.geom, :k, 20251)) p ORDER BY c.code, p.path"),
        {"n": SURVEY_COMMUNES, "k": SURVEY_ROWS // SURVEY_COMMUNES}).all()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Mã thiết chế", "Loại thiết chế", "Công nghệ", "Kinh độ", "Vĩ độ", "Tình trạng", "Số loa",
                         "Công suất (W)", "Ghi chú"])
        stamp = f"bench {time.time_ns()}"  # a new file each run: never "already loaded"
        for i, r in enumerate(rows):
            writer.writerow([f"bench-r{i}", "Cụm loa truyền thanh", "IP", f"{r.lon:.6f}", f"{r.lat:.6f}",
                             STATUSES[(i + status_shift) % len(STATUSES)], 2, 30, stamp])
    return sorted({str(r.code) for r in rows})


def run() -> dict[str, Any]:
    from sqlalchemy import text

    from analysis.refresh import bring_current, mark_stale
    from analysis.store import analyse
    from etl.facilities import load_facilities
    from sql.engine import connect, get_engine

    engine = get_engine()
    out: dict[str, Any] = {}
    bring_current(engine)  # whatever the preparation left stale; the raster totals cached (warm)
    t = time.perf_counter()
    with connect() as conn:
        out["communes"] = analyse(conn).communes
    out["baseline_s"] = time.perf_counter() - t

    with connect() as conn:
        mark_stale(conn)
    t = time.perf_counter()
    national = bring_current(engine)
    out["national_s"] = time.perf_counter() - t
    assert len(national.communes) == out["communes"]

    one, alone = [], []
    for i in range(7):
        with connect() as conn:
            code = conn.execute(text("UPDATE facility SET status = :s WHERE external_id = :e RETURNING commune_code"),
                                {"s": ("broken", "operational")[i % 2], "e": f"bench-c{i * 1009}"}).scalar_one()
        t = time.perf_counter()
        report = bring_current(engine)
        one.append(time.perf_counter() - t)
        assert report.communes == (code,)
        t = time.perf_counter()
        with connect() as conn:  # the same commune's compute alone: what the locks and the drain add
            analyse(conn, commune_codes=[code])
        alone.append(time.perf_counter() - t)
    out["one_median_s"], out["one_max_s"] = float(np.median(one)), float(max(one))
    out["alone_median_s"] = float(np.median(alone))

    with tempfile.TemporaryDirectory() as tmp:
        survey = Path(tmp) / "khao_sat_1000.csv"
        with connect() as conn:
            _survey(conn, survey, 0)
            load_facilities(conn, survey, loaded_by="bench")
        bring_current(engine)
        with connect() as conn:
            codes = _survey(conn, survey, 1)  # every status changed
        t = time.perf_counter()
        with connect() as conn:
            loaded = load_facilities(conn, survey, loaded_by="bench")
        out["survey_load_s"] = time.perf_counter() - t
        t = time.perf_counter()
        report = bring_current(engine)
        out["survey_refresh_s"] = time.perf_counter() - t
    out["survey_updated"] = loaded.updated
    out["survey_communes"] = len(report.communes)
    out["survey_communes_written"] = len(codes)  # the communes the points were drawn in (the loader locates them)
    out["peak_mb"] = _peak_mb()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.refresh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=200_000)
    args = parser.parse_args(argv)
    os.environ.setdefault("PHUSONG_EMBEDDED_PORT", "55442")
    prep = _in_child(prepare, args.clusters)
    print(f"prepared: {prep}", flush=True)
    r = _in_child(run)
    print(f"refresh: {r}", flush=True)
    print()
    print(f"Coverage kept current ({os.cpu_count()} cores; {r['communes']:,} communes; {prep['clusters']:,} clusters; "
          "100 m raster; warm)")
    print("| step | time (s) | vs baseline | target |")
    print("|---|---|---|---|")
    base = r["baseline_s"]
    print(f"| baseline: recompute the country (`analyse`, one transaction) | {base:.2f} | 1 | |")
    print(f"| the country through the refresh path (batches of 500, try-locks) | {r['national_s']:.2f} "
          f"| {r['national_s'] / base:.2f}x | |")
    print(f"| one facility changed → its commune current (median of 7; max) | {r['one_median_s']:.3f}; "
          f"{r['one_max_s']:.3f} | {base / r['one_median_s']:.0f}x faster | ≤ 0.1 |")
    print(f"| (that commune's compute alone, analyse(conn, [it]), median) | {r['alone_median_s']:.3f} | | |")
    print(f"| 1,000-row survey re-load ({r['survey_updated']} updated) → {r['survey_communes']} communes current "
          f"| {r['survey_refresh_s']:.2f} (load itself {r['survey_load_s']:.2f}) "
          f"| {base / r['survey_refresh_s']:.0f}x faster | ≤ 2 |")
    print(f"peak RSS {r['peak_mb']:.0f} MB; load average {os.getloadavg()[0]:.1f} (2 cores shared with other jobs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
