"""Benchmark the investment planner on a province-sized instance: HiGHS exact vs greedy vs PySAL spopt MCLP.

    python -m bench.planning [--demand 20000] [--candidates 2000] [--spopt-size 20000] [--seed 7]

The instance is synthetic but shaped like a province: ~150 communes over 90 km x 70 km, people in 100 m cells
clustered around villages, candidate sites at villages and populated places, 300 m audible radius (DOMAIN.md
§3.2), costs of DOMAIN.md §3.1 (repairs 8 M, FM clusters 6 M, IP clusters 35 M VND). spopt's MCLP takes a
count of facilities rather than a budget, so it is timed on the count-only form of the same instance, which
phusong also solves, and the two objectives must agree.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import numpy as np

from analysis.planning import (
    PlanningProblem,
    build_coverage_matrix,
    solve_exact_highs,
    solve_greedy,
)

RADIUS_M = 300.0


def make_instance(n_demand: int, n_candidates: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                                         np.ndarray]:
    """Return (demand_xy, people, candidate_xy, cost_vnd), metres: cells around villages, sites near them."""
    rng = np.random.default_rng(seed)
    n_villages = max(10, n_demand // 30)
    villages = rng.uniform([0, 0], [90_000, 70_000], size=(n_villages, 2))
    owner = rng.integers(0, n_villages, size=3 * n_demand)
    # 100 m cells: snap homes scattered ~ 200 m around each village centre to the grid; keep n distinct cells
    cells = np.round((villages[owner] + rng.normal(0, 200, size=(len(owner), 2))) / 100) * 100 + 50
    _, first = np.unique(cells, axis=0, return_index=True)
    demand = cells[np.sort(rng.permutation(first)[:n_demand])]
    people = rng.lognormal(mean=2.0, sigma=0.9, size=len(demand)).round(1)
    site_village = rng.integers(0, n_villages, size=n_candidates)
    sites = villages[site_village] + rng.normal(0, 200, size=(n_candidates, 2))
    kind = rng.choice(3, size=n_candidates, p=[0.2, 0.3, 0.5])   # repair, FM cluster, IP cluster
    cost = np.array([8e6, 6e6, 35e6])[kind]
    return demand, people, sites, cost


def _time(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - started


def run_spopt(demand: np.ndarray, people: np.ndarray, sites: np.ndarray, p: int,
              radius_m: float) -> dict[str, object]:
    """PySAL spopt MCLP (count-only), solved with HiGHS through PuLP: build and solve timed apart."""
    import pulp
    from scipy.spatial.distance import cdist
    from spopt.locate import MCLP

    started = time.perf_counter()
    cost_matrix = cdist(demand, sites)
    model = MCLP.from_cost_matrix(cost_matrix, people, service_radius=radius_m, p_facilities=p)
    built = time.perf_counter() - started
    _, solve_s = _time(model.solve, pulp.HiGHS(msg=False, threads=1))
    objective = float(people[_spopt_covered(model, len(demand))].sum())
    return {"build_s": built, "solve_s": solve_s, "objective": objective,
            "status": pulp.LpStatus[model.problem.status]}


def _spopt_covered(model: object, n: int) -> np.ndarray:
    covered = np.zeros(n, dtype=bool)
    for i, facilities in enumerate(model.cli2fac):  # type: ignore[attr-defined]
        covered[i] = len(facilities) > 0
    return covered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demand", type=int, default=20_000)
    parser.add_argument("--candidates", type=int, default=2_000)
    parser.add_argument("--budget-vnd", type=float, default=1.5e9)
    parser.add_argument("--p", type=int, default=100, help="facilities in the count-only MCLP")
    parser.add_argument("--spopt-size", type=int, default=None,
                        help="demand points of the spopt run (default: the full instance; candidates scale)")
    parser.add_argument("--no-spopt", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--radius-m", type=float, default=RADIUS_M, help="audible radius of every candidate")
    args = parser.parse_args(argv)

    demand, people, sites, cost = make_instance(args.demand, args.candidates, args.seed)
    coverage, build_s = _time(build_coverage_matrix, demand, sites, args.radius_m)
    budgeted = PlanningProblem(weight=people, coverage=coverage, cost_vnd=cost, budget_vnd=args.budget_vnd)
    exact = solve_exact_highs(budgeted)
    greedy = solve_greedy(budgeted)
    rows = [
        ("phusong HiGHS exact, budget", len(demand), args.candidates, build_s, exact.time_s, exact.objective,
         exact.status, f"{exact.mip_gap:.1e}" if exact.mip_gap is not None else "-"),
        ("phusong greedy, budget", len(demand), args.candidates, build_s, greedy.time_s, greedy.objective,
         greedy.status, f"{(exact.objective - greedy.objective) / exact.objective:.2%} below opt"),
    ]
    count = replace(budgeted, cost_vnd=np.ones(args.candidates), budget_vnd=float(args.p))
    count_exact = solve_exact_highs(count)
    rows.append((f"phusong HiGHS exact, p={args.p}", len(demand), args.candidates, build_s,
                 count_exact.time_s, count_exact.objective, count_exact.status, "-"))
    if not args.no_spopt:
        rows.extend(_spopt_rows(args, demand, people, sites, count_exact.objective))
    _print_table(rows, budgeted, args.radius_m)
    return 0


def _spopt_rows(args: argparse.Namespace, demand: np.ndarray, people: np.ndarray, sites: np.ndarray,
                full_objective: float) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    if args.spopt_size and args.spopt_size < args.demand:
        n_small = args.spopt_size
        m_small = max(10, round(args.candidates * args.spopt_size / args.demand))
        demand, people, sites, _ = make_instance(n_small, m_small, args.seed)
        p_small = max(1, round(args.p * m_small / args.candidates))
        small = PlanningProblem(weight=people, coverage=build_coverage_matrix(demand, sites, args.radius_m),
                                cost_vnd=np.ones(m_small), budget_vnd=float(p_small))
        ours = solve_exact_highs(small)
        rows.append((f"phusong HiGHS exact, p={p_small} (spopt size)", len(demand), m_small, 0.0, ours.time_s,
                     ours.objective, ours.status, "-"))
        full_objective, p = ours.objective, p_small
    else:
        p = args.p
    result = run_spopt(demand, people, sites, p, args.radius_m)
    agree = "agrees" if abs(float(result["objective"]) - full_objective) <= 1e-6 * max(1.0, full_objective) \
        else f"DIFFERS from phusong ({full_objective:,.1f})"
    rows.append((f"PySAL spopt MCLP, p={p}", len(demand), len(sites), result["build_s"], result["solve_s"],
                 result["objective"], result["status"], agree))
    return rows


def _print_table(rows: list[tuple[object, ...]], budgeted: PlanningProblem, radius_m: float) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; one solver thread")
    print(f"instance: {budgeted.n_demand} demand cells (100 m), {budgeted.n_candidates} candidates, "
          f"radius {radius_m:.0f} m, {budgeted.coverage.nnz} coverage pairs, "
          f"budget {budgeted.budget_vnd:,.0f} VND")
    header = ("run", "demand", "cands", "build s", "solve s", "people reached", "status", "gap / check")
    fmt = "| {:<40} | {:>7} | {:>6} | {:>8} | {:>8} | {:>14} | {:>10} | {:<28} |"
    print(fmt.format(*header))
    print("|" + "|".join("-" * (w + 2) for w in (40, 7, 6, 8, 8, 14, 10, 28)) + "|")
    for name, n, m, build, solve, objective, status, extra in rows:
        print(fmt.format(name, n, m, f"{float(build):.2f}", f"{float(solve):.2f}", f"{float(objective):,.1f}",
                         status, extra))


if __name__ == "__main__":
    raise SystemExit(main())
