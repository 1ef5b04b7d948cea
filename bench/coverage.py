"""National coverage benchmark: phusong's full recompute vs the plain chain a GIS analyst would write.

    python -m bench.coverage [--sample 0.1] [--clusters 200000] [--fresh]

Data: the 3,321 real 2025 communes (../shared/data, simplified national set), 200,000 synthetic loudspeaker
clusters placed uniformly inside communes (SYNTHETIC, seeded), synthetic commune populations
(SYNTHETIC: a seeded log-normal density times the area), and a 100 m population raster over the country
built from them (analysis.population.build_population_raster, EPSG:32648). Runs against the embedded
PostGIS of this checkout (PHUSONG_EMBEDDED_PORT, default 55442 here) or PHUSONG_DATABASE_URL; with --fresh,
against a throwaway cluster made for the run (everything loaded afresh; the raster file stays cached).

Measured, each in its own process (peak memory = that process's max RSS):
- phusong: analysis.store.analyse(conn) for all communes: coverage, people, villages, criteria, classes,
  stored.
  "cold" includes the per-raster commune totals (cached in population_commune_total), "warm" reuses them.
  When the run loaded the clusters (--fresh, or a database without them), "cold" is the first recompute
  after that load, which follows it at once: its read phase is printed next to the warm one's (issue 24).
- baseline: PostGIS ST_Union(ST_Buffer(geom::geography, r)) ∩ commune for each commune, then exactextract
  (exact cell fractions, 'sum') over the same raster. With --sample f, a seeded fraction f of communes is run
  and the time scaled by 1/f (said in the table).
- one commune after one inspection: insert an inspection, analysis.refresh.bring_current(conn, communes=[it]).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

SHARED = Path(os.environ.get("PHUSONG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
COMMUNES = SHARED / "admin_2025" / "communes_2025_national_simplified.gpkg"
CACHE = Path(__file__).resolve().parent / "results"
# A new name when the way phusong writes rasters changes (ZSTD since session 29), so the cached file is rebuilt.
RASTER = CACHE / "population_national_100m_synthetic_zstd.tif"
SEED = 20251


def _peak_mb() -> float:
    """Largest resident set of this process or any of its (geometry worker) children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def _cpu_seconds(since: dict[str, float] | None = None) -> dict[str, float]:
    """CPU seconds (user + system) of this process and of its finished children (the geometry workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    now = {"parent": own.ru_utime + own.ru_stime, "workers": kids.ru_utime + kids.ru_stime}
    return now if since is None else {k: round(v - since[k], 2) for k, v in now.items()}


def _backend_cpu(conn: Any) -> float:
    """CPU seconds so far of this connection's server process (same machine: its /proc entry), 0 if unreadable."""
    from sqlalchemy import text

    pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _in_child(target: Any, *args: Any) -> dict[str, Any]:
    # A fresh interpreter per step, so each peak memory is that step's; not a daemon, so it may fork workers.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        result: dict[str, Any] = pool.submit(target, *args).result()
    return result


# long: a benchmark's one-off set-up script (load, synthesise, cache), run top to bottom once.
def prepare(n_clusters: int) -> dict[str, Any]:
    """Load communes, synthetic populations, the national raster (cached), clusters and stations."""
    import geopandas as gpd
    import shapely
    from sqlalchemy import text

    from analysis.population_raster import build_and_record_population_raster
    from app.commands.db import ensure_database
    from etl.boundaries import load_boundaries
    from sql.bulk import analyze_after_load, copy_rows
    from sql.engine import connect

    ensure_database()
    info: dict[str, Any] = {}
    with connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM commune")).scalar_one()
        if have < 3321:
            load_boundaries(conn, COMMUNES, version="2025")
        conn.execute(
            text(
                "UPDATE admin_unit SET population = round(area_km2 * exp(4.5 + 1.2 * "
                "((('x' || substr(md5(code), 1, 8))::bit(32)::bigint % 10000) / 10000.0 - 0.5) * 2)), "
                "population_source = 'SYNTHETIC (bench)' WHERE version = '2025' AND level = 'commune' "
                "AND population_source IS DISTINCT FROM 'SYNTHETIC (bench)'"
            )
        )
        # Before the facilities: the first recompute follows their load at once, as after a user's load.
        active = conn.execute(text("SELECT path FROM population_raster WHERE active")).scalar()
        if not RASTER.exists() or active != str(RASTER.resolve()):
            CACHE.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            built = build_and_record_population_raster(conn, RASTER, use_villages=False)
            info["raster_build_s"] = time.perf_counter() - t
            info["raster_shape"] = (built.height, built.width)
        n_fac = conn.execute(
            text("SELECT count(*) FROM facility WHERE external_id LIKE 'bench-%'")
        ).scalar_one()
        info["facilities_loaded"] = n_fac != n_clusters + 3321
        if info["facilities_loaded"]:
            conn.execute(text("DELETE FROM coverage_village"))
            conn.execute(text("DELETE FROM facility WHERE external_id LIKE 'bench-%'"))
            communes = gpd.read_postgis(
                text("SELECT code, geom FROM commune ORDER BY code"), conn, geom_col="geom"
            )
            rng = np.random.default_rng(SEED)
            geoms = communes.geometry.values.to_numpy()
            shapely.prepare(geoms)
            b = shapely.bounds(geoms)
            idx = rng.integers(0, len(geoms), n_clusters * 4)
            x = b[idx, 0] + rng.random(len(idx)) * (b[idx, 2] - b[idx, 0])
            y = b[idx, 1] + rng.random(len(idx)) * (b[idx, 3] - b[idx, 1])
            ok = shapely.contains_xy(geoms[idx], x, y)
            idx, x, y = idx[ok][:n_clusters], x[ok][:n_clusters], y[ok][:n_clusters]
            status = rng.choice(
                ["operational", "degraded", "broken", "decommissioned"], len(idx), p=[0.7, 0.12, 0.15, 0.03]
            )
            watts = rng.choice([25.0, 30.0, 50.0], len(idx))
            codes = communes["code"].to_numpy()
            rows = [
                (
                    f"bench-c{i}",
                    "loudspeaker_cluster",
                    "ip",
                    codes[idx[i]],
                    f"SRID=4326;POINT({x[i]} {y[i]})",
                    status[i],
                    2,
                    watts[i],
                    True,
                )
                for i in range(len(idx))
            ]
            pts = shapely.point_on_surface(geoms)
            st = rng.choice(["operational", "degraded", "broken"], len(codes), p=[0.75, 0.1, 0.15])
            rows += [
                (
                    f"bench-s{c}",
                    "commune_radio_station",
                    "ip",
                    c,
                    f"SRID=4326;POINT({p.x} {p.y})",
                    s,
                    None,
                    None,
                    True,
                )
                for c, p, s in zip(codes, pts, st, strict=True)
            ]
            copy_rows(
                conn,
                "facility",
                (
                    "external_id",
                    "type",
                    "technology",
                    "commune_code",
                    "geom",
                    "status",
                    "n_horns",
                    "watts",
                    "synthetic",
                ),
                rows,
            )
            # What every loader does at the end of a load (etl.lineage.batch_writes, etl.boundaries).
            analyze_after_load(conn, "facility", len(rows))
        info["clusters"] = int(
            conn.execute(
                text(
                    "SELECT count(*) FROM facility "
                    "WHERE type = 'loudspeaker_cluster' AND external_id LIKE 'bench-%'"
                )
            ).scalar_one()
        )
    info["peak_mb"] = _peak_mb()
    return info


def run_phusong() -> dict[str, Any]:
    from sqlalchemy import text

    from analysis.store import analyse
    from sql.engine import connect

    out: dict[str, Any] = {}
    with connect() as conn:
        conn.execute(text("DELETE FROM population_commune_total"))
    for label in ("cold", "warm"):
        before = _cpu_seconds()
        t = time.perf_counter()
        with connect() as conn:
            backend = _backend_cpu(conn)
            result = analyse(conn)
            out[label + "_cpu"] = {**_cpu_seconds(before), "server": round(_backend_cpu(conn) - backend, 2)}
        out[label] = time.perf_counter() - t
        out[label + "_phases"] = {k: round(v, 2) for k, v in result.phase_seconds.items()}
        out["communes"] = result.communes
        out["classes"] = result.classes
    out["peak_mb"] = _peak_mb()
    return out


def run_warm_alone() -> dict[str, Any]:
    """One warm recompute in a fresh process (as `phusong analyse` makes it): its time and peak memory alone."""
    from analysis.store import analyse
    from sql.engine import connect

    t = time.perf_counter()
    with connect() as conn:
        result = analyse(conn)
    seconds = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"s": seconds, "phases": {k: round(v, 2) for k, v in result.phase_seconds.items()}, "parent_mb": own,
            "worker_mb": workers}


def run_incremental() -> dict[str, Any]:
    from sqlalchemy import text

    from analysis.refresh import bring_current
    from sql.engine import connect

    times = []
    for i in range(5):
        with connect() as conn:
            fid, commune = conn.execute(
                text("SELECT id, commune_code FROM facility WHERE external_id = :e"), {"e": f"bench-c{i * 997}"}
            ).one()
            t = time.perf_counter()
            conn.execute(
                text(
                    "INSERT INTO inspection (facility_id, inspector, inspected_at, status_found) "
                    "VALUES (:f, 'bench', now(), :s)"
                ),
                {"f": fid, "s": ("broken", "operational")[i % 2]},
            )
            result = bring_current(conn, communes=[commune])
            times.append(time.perf_counter() - t)
            assert result.communes == (commune,)
    return {"median_s": float(np.median(times)), "max_s": float(max(times)), "peak_mb": _peak_mb()}


BASELINE_SQL = """
    SELECT c.code,
           ST_AsBinary(ST_Intersection(ST_Union(ST_Buffer(f.geom::geography,
               coalesce(f.radius_m, 300.0 * power(f.n_horns * f.watts / 60.0, 0.301))
               * CASE f.status WHEN 'operational' THEN 1.0 ELSE 0.5 END)::geometry), c.geom)) AS g
      FROM facility f JOIN commune c ON c.code = f.commune_code
     WHERE f.type = 'loudspeaker_cluster' AND f.status IN ('operational', 'degraded')
       AND c.code = ANY(:codes)
     GROUP BY c.code, c.geom
"""


def run_baseline(fraction: float) -> dict[str, Any]:
    import geopandas as gpd
    import shapely
    from exactextract import exact_extract
    from sqlalchemy import text

    from sql.engine import connect

    with connect() as conn:
        codes = conn.execute(text("SELECT code FROM commune ORDER BY code")).scalars().all()
        rng = np.random.default_rng(SEED)
        chosen = (
            list(codes)
            if fraction >= 1
            else sorted(rng.choice(codes, int(len(codes) * fraction), replace=False).tolist())
        )
        t = time.perf_counter()
        rows = conn.execute(text(BASELINE_SQL), {"codes": chosen}).all()
        t_union = time.perf_counter() - t
    covered = gpd.GeoDataFrame(
        {"code": [r.code for r in rows]}, geometry=shapely.from_wkb([bytes(r.g) for r in rows]), crs=4326
    )
    covered["km2"] = covered.geometry.to_crs(covered.estimate_utm_crs()).area / 1e6  # reporting only
    t = time.perf_counter()
    people = exact_extract(str(RASTER), covered.to_crs(32648), "sum", include_cols=["code"], output="pandas")
    t_people = time.perf_counter() - t
    return {
        "communes": len(chosen),
        "fraction": len(chosen) / len(codes),
        "union_s": t_union,
        "people_s": t_people,
        "people": dict(zip(people["code"], people["sum"], strict=True)),
        "peak_mb": _peak_mb(),
    }


def run_exact_on_ours() -> dict[str, Any]:
    """exactextract (exact cell fractions) over phusong's own stored coverage: isolates the counting rule."""
    import geopandas as gpd
    from exactextract import exact_extract
    from sqlalchemy import text

    from sql.engine import connect

    with connect() as conn:
        ours = gpd.read_postgis(
            text(
                "SELECT commune_code AS code, pop_covered, geom FROM coverage_commune WHERE geom IS NOT NULL"
            ),
            conn,
            geom_col="geom",
        )
    exact = exact_extract(str(RASTER), ours.to_crs(32648), "sum", include_cols=["code"], output="pandas")
    b = exact["sum"].to_numpy()
    a = ours.set_index("code").loc[exact["code"], "pop_covered"].to_numpy()
    big = b > 100
    return {
        "total_rel": float(a.sum() / b.sum() - 1),
        "median_abs_rel": float(np.median(np.abs(a[big] / b[big] - 1))),
        "p95_abs_rel": float(np.percentile(np.abs(a[big] / b[big] - 1), 95)),
    }


def compare(baseline: dict[str, Any]) -> dict[str, float]:
    from sqlalchemy import text

    from sql.engine import connect

    with connect() as conn:
        ours = dict(conn.execute(text("SELECT commune_code, pop_covered FROM coverage_commune")).all())
    codes = [c for c in baseline["people"] if c in ours]
    a = np.array([ours[c] for c in codes])
    b = np.array([baseline["people"][c] for c in codes])
    big = b > 100
    return {
        "total_rel": float(a.sum() / b.sum() - 1),
        "median_abs_rel": float(np.median(np.abs(a[big] / b[big] - 1))),
        "p95_abs_rel": float(np.percentile(np.abs(a[big] / b[big] - 1), 95)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.coverage",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sample", type=float, default=1.0, help="fraction of communes the baseline runs")
    parser.add_argument("--clusters", type=int, default=200_000)
    parser.add_argument("--fresh", action="store_true", help="run on a throwaway cluster: everything loaded afresh")
    args = parser.parse_args(argv)
    if not args.fresh:
        os.environ.setdefault("PHUSONG_EMBEDDED_PORT", "55442")
        return _run(args)
    from sql import cluster

    with cluster.throwaway("phusong-bench-coverage-") as port:
        cluster.create_database(port, "phusong")
        os.environ["PHUSONG_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{port}/phusong"  # for the steps
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    load_start = os.getloadavg()[0]
    prep = _in_child(prepare, args.clusters)
    print(f"prepared: {prep}", flush=True)
    ours = _in_child(run_phusong)
    print(f"phusong: {ours}", flush=True)
    alone = _in_child(run_warm_alone)
    print(f"warm alone: {alone}", flush=True)
    inc = _in_child(run_incremental)
    print(f"incremental: {inc}", flush=True)
    base = _in_child(run_baseline, args.sample)
    agreement = compare(base)
    same_polygons = _in_child(run_exact_on_ours)
    _print_table(prep, ours, alone, inc, base, agreement, same_polygons, load_start)
    return 0


# long: the benchmark's printed table, one row per print.
def _print_table(
    prep: dict[str, Any],
    ours: dict[str, Any],
    alone: dict[str, Any],
    inc: dict[str, Any],
    base: dict[str, Any],
    agreement: dict[str, float],
    same_polygons: dict[str, Any],
    load_start: float,
) -> None:
    scale = 1 / base["fraction"]
    base_total = (base["union_s"] + base["people_s"]) * scale
    n_run = base["communes"]
    sampled = f" (x{scale:.0f} from {n_run} communes)" if scale > 1 else ""
    cpu = os.cpu_count()
    print()
    print(
        f"National coverage benchmark ({cpu} cores; 3,321 communes; {prep['clusters']:,} clusters; "
        "100 m raster)"
    )
    print("| step | time (s) | peak RSS (MB) |")
    print("|---|---|---|")
    print(
        f"| phusong full recompute, cold (incl. commune totals) | {ours['cold']:.2f} "
        f"| {ours['peak_mb']:.0f} |"
    )
    print(f"| phusong full recompute, warm | {ours['warm']:.2f} | |")
    cpu_warm = ours["warm_cpu"]
    print(
        f"| phusong warm, CPU: parent; workers; server backend | {cpu_warm['parent']:.2f}; "
        f"{cpu_warm['workers']:.2f}; {cpu_warm['server']:.2f} | |"
    )
    print(
        f"| phusong warm recompute alone in a fresh process (parent; largest worker) | {alone['s']:.2f} "
        f"| {alone['parent_mb']:.0f}; {alone['worker_mb']:.0f} |"
    )
    first, later = ours["cold_phases"]["read"], ours["warm_phases"]["read"]
    cold = "first after this run's load" if prep["facilities_loaded"] else "cold (no load in this run; see --fresh)"
    print(f"| phusong read phase: {cold}; warm; ratio | {first:.2f}; {later:.2f}; {first / later:.2f}x | |")
    print(
        f"| baseline PostGIS ST_Union(ST_Buffer(geography)) ∩ commune"
        f"{sampled} "
        f"| {base['union_s'] * scale:.2f} | |"
    )
    print(f"| baseline exactextract sum | {base['people_s'] * scale:.2f} | {base['peak_mb']:.0f} |")
    print(f"| baseline total | {base_total:.2f} | |")
    print(
        f"| ratio baseline / phusong (warm; cold) | {base_total / ours['warm']:.1f}x; "
        f"{base_total / ours['cold']:.1f}x | |"
    )
    print(
        f"| one commune after one inspection (median of 5; max) | {inc['median_s']:.3f}; {inc['max_s']:.3f} |"
        f" {inc['peak_mb']:.0f} |"
    )
    print(
        f"people reached vs the baseline chain (its PostGIS 32-gons are 0.64 % smaller than circles): total "
        f"{agreement['total_rel']:+.3%}, per commune median |err| {agreement['median_abs_rel']:.2%}, "
        f"p95 {agreement['p95_abs_rel']:.2%}"
    )
    print(
        f"people reached, cell centres vs exact cell fractions (exactextract) on phusong's own polygons: "
        "total "
        f"{same_polygons['total_rel']:+.3%}, per commune median |err| {same_polygons['median_abs_rel']:.2%}, "
        f"p95 {same_polygons['p95_abs_rel']:.2%}"
    )
    print(
        f"load average (1 min) at the start and the end of the run: {load_start:.1f} -> {os.getloadavg()[0]:.1f} "
        f"({cpu} cores shared with other jobs)"
    )


if __name__ == "__main__":
    sys.exit(main())
