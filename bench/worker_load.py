"""`python -m bench.worker_load`: `phusong worker` alone under the mixed load's stream of saves and exports.

What the worker of bench.mixed_load does, without the web and the 500 users that make its figures noisy on a
shared machine: inspections saved into province 11 (the trigger marks the commune stale and wakes the worker)
and export jobs queued as the web queues them (a PDF report and an XLSX of the gaps in turn, by a budget
officer of province 11), for ``--duration`` seconds; then it waits until nothing is stale or queued. Each tree
given with ``--serve-root`` (another checkout, e.g. main's) runs in turn, its worker started as its systemd unit
starts it (the unit's Nice), province 11 brought current in one run before each. Prints per tree: passes, the
worker's CPU (the coverage process alone, and with its exports process), how long after its save the inspected
commune was current (p50/p95/max), and each export's time from ask to file; with the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from analysis.refresh import bring_current, mark_stale
from bench import _support
from bench._support import bench_database, percentile, recompute_lags, tree_cpu_s
from bench.mixed_load import PROVINCE, _prepare, _users
from sql.settings import PROJECT_ROOT

KINDS = (("report_pdf", "pdf"), ("gaps", "xlsx"))


def _own_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(engine: Engine, run: str, duration_s: float, saves_per_s: float, export_every_s: float) -> None:
    """Saves and export asks at a steady pace (seeded), as the web makes them."""
    rng = random.Random(31)
    with engine.connect() as conn:
        facilities = [int(f) for f in conn.execute(text(
            "SELECT f.id FROM facility f JOIN commune c ON c.code = f.commune_code "
            "WHERE c.province_code = :p AND f.type = 'loudspeaker_cluster' ORDER BY f.id"), {"p": PROVINCE}).scalars()]
    start, saves, asks = time.monotonic(), 0, 0
    while (now := time.monotonic() - start) < duration_s:
        if saves <= now * saves_per_s:
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found, submission_id) "
                    "VALUES (:f, 'mix-inspector-000', now(), :s, :id)"),
                    {"f": rng.choice(facilities), "s": rng.choice(("operational", "degraded", "broken")),
                     "id": f"wl:{run}:{saves}"})
            saves += 1
        if asks <= now / export_every_s:
            kind, fmt = KINDS[asks % 2]
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO export_job (user_name, kind, fmt, province_code, data_version) "
                                  "VALUES ('mix-budget-000', :k, :f, :p, :v)"),
                             {"k": kind, "f": fmt, "p": PROVINCE, "v": f"wl:{run}"})
            asks += 1
        time.sleep(0.01)


def _drained(engine: Engine, run: str, limit_s: float = 600) -> None:
    start = time.monotonic()
    with engine.connect() as conn:
        while time.monotonic() - start < limit_s and conn.execute(text(
                "SELECT (SELECT count(*) FROM coverage_stale) + (SELECT count(*) FROM export_job "
                "WHERE data_version = :v AND status IN ('queued', 'running'))"), {"v": f"wl:{run}"}).scalar():
            conn.commit()
            time.sleep(0.2)


def _figures(engine: Engine, run: str) -> tuple[list[float], list[float]]:
    with engine.connect() as conn:
        lags = recompute_lags(conn, f"wl:{run}:")
        exports = [float(v) for v in conn.execute(text(
            "SELECT extract(epoch FROM finished_at - created_at) FROM export_job "
            "WHERE data_version = :v AND status = 'done'"), {"v": f"wl:{run}"}).scalars()]
    return lags, exports


def run_tree(url: str, root: Path, args: argparse.Namespace) -> str:
    """One tree's worker under the load; its row of figures."""
    engine = create_engine(url)
    with engine.begin() as conn:
        mark_stale(conn, province_code=PROVINCE)
    bring_current(engine)  # the province in one run: the runs an export lists start equal
    env = {**os.environ, "PHUSONG_DATABASE_URL": url}
    log = Path("/tmp") / f"phusong-worker-load-{os.getpid()}-{root.name}.log"
    nice = _support.deployed_nice(root / "deploy" / "systemd" / "phusong-worker@.service")
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env, cwd=root, stdout=out,
                                  stderr=subprocess.STDOUT, preexec_fn=lambda: os.nice(nice))
    try:
        while "listening" not in log.read_text():
            time.sleep(0.2)
        time.sleep(2)
        run, load_before = uuid.uuid4().hex[:8], os.getloadavg()[0]
        own0, tree0 = _own_cpu_s(worker.pid), tree_cpu_s({worker.pid})
        _load(engine, run, args.duration, args.saves_per_s, args.export_every)
        _drained(engine, run)
        own, tree = _own_cpu_s(worker.pid) - own0, tree_cpu_s({worker.pid}) - tree0
        load_after = os.getloadavg()[0]
    finally:
        worker.terminate()
        worker.wait(timeout=120)
    passes = log.read_text().count(" recomputed ")
    lags, exports = _figures(engine, run)
    engine.dispose()
    return (f"{root}: nice {nice}; load {load_before:.1f} -> {load_after:.1f}; {passes} passes; worker CPU "
            f"{own:.1f} s in its own process ({own / max(1, passes):.3f} s a pass), {tree:.1f} s with its "
            f"children; saves' communes current after p50 {percentile(lags, 50):.2f} s, p95 "
            f"{percentile(lags, 95):.2f} s, max {max(lags, default=float('nan')):.2f} s ({len(lags)} saves); "
            f"{len(exports)} exports ask -> file p50 {percentile(exports, 50):.1f} s, p95 "
            f"{percentile(exports, 95):.1f} s, max {max(exports, default=float('nan')):.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_load", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=40.0, help="seconds of saves and asks (default 40)")
    parser.add_argument("--saves-per-s", type=float, default=5.0, help="inspections saved a second (default 5)")
    parser.add_argument("--export-every", type=float, default=3.0, help="seconds between export asks (default 3)")
    parser.add_argument("--serve-root", type=Path, action="append",
                        help="a source tree whose worker to run (repeat to compare in turn; default this one)")
    args = parser.parse_args(argv)
    with bench_database(_prepare) as url:
        _users(url, {"inspector": 1, "budget": 1, "gis": 1})
        for root in args.serve_root or [PROJECT_ROOT]:
            print(run_tree(url, root, args), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
