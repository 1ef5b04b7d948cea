"""Solvers of a PlanningProblem: the exact MILP with HiGHS (under a deadline, in a child process), the greedy
gain-per-cost heuristic, and the reach bound that says how far a greedy plan can be from the best."""

from __future__ import annotations

import heapq
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import highspy
import numpy as np

from analysis.planning.problem import (
    _EPS,
    _INF,
    DEFAULT_MIP_REL_GAP,
    DEFAULT_TIME_LIMIT_S,
    PlanningProblem,
    PlanSolution,
    Solver,
    _column,
    _reduce_demand,
    _Reduced,
    check_plan,
    evaluate_plan,
)


# --------------------------------------------------------------------------------------------- exact: HiGHS
def solve_exact_highs(
    problem: PlanningProblem,
    *,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    mip_rel_gap: float = DEFAULT_MIP_REL_GAP,
    threads: int = 1,
) -> PlanSolution:
    """Solve the MILP exactly with HiGHS; ``status`` says whether optimality was proven.

    Identical demand rows are merged first (same candidates reach them), which keeps the model small without
    changing the optimum. One thread by default: deterministic, and the machine is shared.
    """
    started = time.perf_counter()
    red = _reduce_demand(problem)
    lp = _build_highs_lp(problem, red)
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", int(threads))
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    elapsed = time.perf_counter() - started
    names = highspy.HighsModelStatus
    if status == names.kInfeasible:
        return PlanSolution(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, "highs", "infeasible", None, elapsed,
                            note="HiGHS proved that no plan meets every constraint within the budget",
                            constraints_met=False)
    x = np.asarray(h.getSolution().col_value[: problem.n_candidates]) if info.primal_solution_status else None
    if x is None and status == names.kTimeLimit:
        return PlanSolution(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, "highs", "time_limit", None, elapsed,
                            note=f"HiGHS hit the {time_limit_s:g} s time limit before finding any plan",
                            constraints_met=False)
    if x is None:
        return PlanSolution(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, "highs", "error", None, elapsed,
                            note=f"HiGHS stopped ({h.modelStatusToString(status)}) without any plan")
    chosen = _prune_useless(problem, np.flatnonzero(x > 0.5))
    objective, people, cost = evaluate_plan(problem, chosen)
    proven = status == names.kOptimal
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    note = (f"HiGHS exact MILP: {problem.n_candidates} candidates, {len(red.weight)} merged "
            f"demand rows (from {problem.n_demand}); "
            + ("proven optimal" if proven else f"stopped at the {time_limit_s:g} s time limit, gap {gap}"))
    return PlanSolution(chosen, objective, people, cost, "highs", "optimal" if proven else "time_limit",
                        gap if gap is not None else (0.0 if proven else None), elapsed, bound, note,
                        not check_plan(problem, chosen))


def _quiet_highs() -> highspy.Highs:
    """Return a HiGHS instance without its banner (printed to fd 1 by the constructor, before any option)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def _build_highs_lp(problem: PlanningProblem, red: _Reduced) -> highspy.HighsLp:
    m, r = problem.n_candidates, len(red.weight)
    affordable = problem.cost_vnd <= problem.budget_vnd * (1 + 1e-12)
    col_upper = affordable.astype(float)
    for j, needs in problem.requires_any:
        if not needs:
            col_upper[j] = 0.0
    col_lower = np.zeros(m + r)
    col_lower[list(problem.must_choose)] = 1.0
    # y_k - sum_j x_j <= 0 for each merged demand row k
    csr = red.coverage_csr
    scale = max(float(problem.budget_vnd), 1.0)   # budget row in units of the budget: well scaled
    rows_start = [0]
    index: list[np.ndarray] = []
    value: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(idx: np.ndarray, val: np.ndarray, lo: float, hi: float) -> None:
        index.append(np.asarray(idx, dtype=np.int32))
        value.append(np.asarray(val, dtype=float))
        rows_start.append(rows_start[-1] + len(idx))
        lower.append(lo)
        upper.append(hi)

    for k in range(r):
        js = csr.indices[csr.indptr[k]:csr.indptr[k + 1]]
        add(np.concatenate([js, [m + k]]), np.concatenate([-np.ones(len(js)), [1.0]]), -_INF, 0.0)
    add(np.arange(m), problem.cost_vnd / scale, -_INF, problem.budget_vnd / scale)
    for j, needs in problem.requires_any:
        if needs:
            ks = np.array(sorted(set(needs) - {j}), dtype=np.int64)
            add(np.concatenate([[j], ks]), np.concatenate([[1.0], -np.ones(len(ks))]), -_INF, 0.0)
    for group in problem.exclusive:
        add(np.array(sorted(set(group))), np.ones(len(set(group))), -_INF, 1.0)
    for group in problem.must_cover:
        add(np.array(sorted(set(group))), np.ones(len(set(group))), 1.0, _INF)
    for rule, rrows in zip(problem.min_reach, red.rule_rows, strict=True):
        add(m + rrows, red.people[rrows], float(rule.people), _INF)
    lp = highspy.HighsLp()
    lp.num_col_ = m + r
    lp.num_row_ = len(lower)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.concatenate([np.zeros(m), red.weight])
    lp.col_lower_ = col_lower
    lp.col_upper_ = np.concatenate([col_upper, np.ones(r)])
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array(upper)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * r
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = m + r
    lp.a_matrix_.num_row_ = len(lower)
    lp.a_matrix_.start_ = np.array(rows_start, dtype=np.int32)
    lp.a_matrix_.index_ = np.concatenate(index) if index else np.zeros(0, dtype=np.int32)
    lp.a_matrix_.value_ = np.concatenate(value) if value else np.zeros(0)
    return lp


def _prune_useless(problem: PlanningProblem, chosen: np.ndarray) -> np.ndarray:
    """Drop chosen actions that add nobody and that no constraint needs: no money spent for nothing.

    A MILP is free to switch on a zero-gain action when the budget allows; this removes such actions,
    costliest first, so an already-covered candidate is never in a plan.
    """
    keep = [int(j) for j in chosen]
    objective = evaluate_plan(problem, keep)[0]
    for j in sorted(keep, key=lambda k: (-problem.cost_vnd[k], k)):
        trial = [k for k in keep if k != j]
        if evaluate_plan(problem, trial)[0] >= objective - _EPS * max(1.0, abs(objective)) \
                and not check_plan(problem, trial):
            keep = trial
    return np.array(sorted(keep), dtype=np.int64)


# ---------------------------------------------------------------------------------------------------- greedy
# long: one lazy-greedy loop whose state (heap, budget, reached weights) the steps share; split, it reads worse.
def solve_greedy(problem: PlanningProblem) -> PlanSolution:
    """Choose actions by newly reached weight per VND (lazy greedy) within the budget; no optimality proof.

    Actions whose prerequisite is not yet chosen wait until it is. Forced actions and must-cover targets are
    bought first (cheapest that satisfies them); the result says when a constraint is still not met. The best
    single affordable action is kept instead when it beats the greedy plan (the classic 1/2-style safeguard).
    """
    # Longer than ~60 lines on purpose: allowed/take/gain are closures over the plan being built (picked, spent,
    # covered), which the phases below (forced actions, must-cover targets, the lazy heap) share.
    started = time.perf_counter()
    m = problem.n_candidates
    csc = problem.coverage.tocsc()
    picked = np.zeros(m, dtype=bool)
    spent = 0.0
    covered = np.zeros(problem.n_demand, dtype=bool)
    needs = {j: set(ks) for j, ks in problem.requires_any}
    excl_of = _exclusive_of(problem)

    def allowed(j: int) -> bool:
        if picked[j] or spent + problem.cost_vnd[j] > problem.budget_vnd * (1 + 1e-12):
            return False
        if j in needs and not any(picked[k] for k in needs[j]):
            return False
        return not any(picked[list(g)].any() for g in excl_of.get(j, []))

    def take(j: int) -> None:
        nonlocal spent
        picked[j] = True
        spent += float(problem.cost_vnd[j])
        covered[_column(csc, j)] = True

    def gain(j: int) -> float:
        col = _column(csc, j)
        return float(problem.weight[col][~covered[col]].sum())

    for j in problem.must_choose:
        if allowed(j):
            take(j)
    for group in problem.must_cover:
        if not picked[list(group)].any():
            options = sorted((k for k in group if allowed(k)), key=lambda k: (problem.cost_vnd[k], k))
            if options:
                take(options[0])
    heap = [(-_ratio(gain(j), problem.cost_vnd[j]), j) for j in range(m) if not picked[j]]
    heapq.heapify(heap)
    waiting: list[tuple[float, int]] = []
    while heap:
        neg_ratio, j = heapq.heappop(heap)
        if picked[j]:
            continue
        fresh = -_ratio(gain(j), problem.cost_vnd[j])
        if fresh > neg_ratio + 1e-12:   # stale: re-queue with its current ratio
            heapq.heappush(heap, (fresh, j))
            continue
        if fresh >= 0:
            break   # nothing left adds anyone
        if allowed(j):
            take(j)
            for item in waiting:   # prerequisites may now be met
                heapq.heappush(heap, item)
            waiting.clear()
        elif j in needs and not any(picked[k] for k in needs[j]):
            waiting.append((fresh, j))
    return _greedy_solution(problem, _best_of_single(problem, np.flatnonzero(picked)), started)


def _exclusive_of(problem: PlanningProblem) -> dict[int, list[tuple[int, ...]]]:
    """The groups of alternatives each action belongs to (an IP or an FM cluster at one site)."""
    excl_of: dict[int, list[tuple[int, ...]]] = {}
    for group in problem.exclusive:
        for j in group:
            excl_of.setdefault(j, []).append(tuple(group))
    return excl_of


def _greedy_solution(problem: PlanningProblem, chosen: np.ndarray, started: float) -> PlanSolution:
    objective, people, cost = evaluate_plan(problem, chosen)
    broken = check_plan(problem, chosen)
    return PlanSolution(chosen, objective, people, cost, "greedy", "heuristic", None,
                        time.perf_counter() - started,
                        note="greedy gain-per-cost heuristic: no optimality proof"
                        + (f"; constraints not met: {'; '.join(broken[:3])}" if broken else ""),
                        constraints_met=not broken)


def _ratio(gain: float, cost: float) -> float:
    return gain / cost if cost > 0 else (np.inf if gain > 0 else 0.0)


def _best_of_single(problem: PlanningProblem, chosen: np.ndarray) -> np.ndarray:
    if problem.must_choose or problem.must_cover or problem.min_reach:
        return chosen
    current = evaluate_plan(problem, chosen)[0]
    needs = dict(problem.requires_any)
    best_j, best = -1, current
    for j in range(problem.n_candidates):
        if problem.cost_vnd[j] > problem.budget_vnd or (j in needs):
            continue
        value = float(problem.weight[_column(problem.coverage, j)].sum())
        if value > best + _EPS:
            best_j, best = j, value
    return np.array([best_j], dtype=np.int64) if best_j >= 0 else chosen


# ------------------------------------------------------------------------------------------- the entry point
def solve_plan(
    problem: PlanningProblem,
    *,
    solver: Solver | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> PlanSolution:
    """Solve exactly (HiGHS) unless another solver is passed; past the time limit, fall back openly.

    When HiGHS stops at ``time_limit_s`` without proving optimality, greedy runs too and the better plan is
    kept; ``solver``, ``status`` and ``note`` always say which one it is and that optimality was not proven.
    """
    if solver is not None:
        return solver(problem)
    exact = _exact_within_deadline(problem, time_limit_s)
    if exact.status != "time_limit":
        return exact
    greedy = solve_greedy(problem)
    if greedy.constraints_met and (greedy.objective > exact.objective + _EPS or not exact.constraints_met):
        bound = exact.bound if exact.bound is not None else reach_bound(problem)
        gap = _gap(greedy.objective, bound)
        return PlanSolution(greedy.chosen, greedy.objective, greedy.people_reached, greedy.cost_vnd,
                            "greedy (fallback)", "heuristic", gap, exact.time_s + greedy.time_s, bound,
                            f"FALLBACK: HiGHS hit the {time_limit_s:g} s time limit; greedy plan kept "
                            + ("(better than HiGHS's incumbent)" if len(exact.chosen) else f"({exact.note})")
                            + ", not proven optimal"
                            + (f"; at most {gap:.1%} below the best plan" if gap is not None else ""))
    return PlanSolution(exact.chosen, exact.objective, exact.people_reached, exact.cost_vnd,
                        "highs (time limit)", "time_limit", exact.mip_gap, exact.time_s + greedy.time_s,
                        exact.bound, f"HiGHS hit the {time_limit_s:g} s time limit: best plan found kept, "
                        f"not proven optimal (gap {exact.mip_gap})", exact.constraints_met)


def _exact_within_deadline(
    problem: PlanningProblem,
    time_limit_s: float,
    *,
    solve: Callable[..., PlanSolution] | None = None,
    grace_s: float | None = None,
) -> PlanSolution:
    """:func:`solve_exact_highs` in a child process that is stopped if HiGHS overruns its own time limit.

    HiGHS checks its time limit inside branch and bound, not always in presolve or the root LP: 52,042
    candidate sites over 226,464 merged demand rows (a province with 58,000 villages and a WorldPop raster)
    ran for minutes past a 60 s limit. The child gets the limit plus a grace period; past it, it is killed and
    the result says so, and the caller falls back to greedy openly. Forked, so the problem is not copied.
    """
    started = time.perf_counter()
    deadline = time_limit_s + (max(10.0, 0.25 * time_limit_s) if grace_s is None else grace_s)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_solve_into, args=(solve or solve_exact_highs, problem, time_limit_s, send),
                            daemon=True)
    child.start()
    send.close()
    try:
        if receive.poll(deadline):
            solution: PlanSolution = receive.recv()
            return solution
        child.kill()
        note = (f"HiGHS ran past its {time_limit_s:g} s time limit ({problem.n_candidates} candidates, "
                f"{problem.n_demand} demand points) and was stopped at {deadline:g} s without a plan")
    except EOFError:  # the child died without an answer (out of memory, killed)
        note = f"HiGHS stopped without an answer (exit code {child.exitcode})"
    finally:
        child.join()
        receive.close()
    return PlanSolution(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, "highs", "time_limit", None,
                        time.perf_counter() - started, note=note, constraints_met=False)


def _solve_into(
    solve: Callable[..., PlanSolution], problem: PlanningProblem, time_limit_s: float, send: Connection
) -> None:
    send.send(solve(problem, time_limit_s=time_limit_s))
    send.close()


def reach_bound(problem: PlanningProblem) -> float:
    """An upper bound on the objective of any plan, found in milliseconds when the exact solve gives none.

    A plan never reaches more than the sum of what its actions reach one by one (a person reached twice counts
    once), so no plan beats the best fractional knapsack of the actions' own reach within the budget; nor more
    than everyone some affordable action reaches. The constraints (prerequisites, exclusive sites, forced
    actions) only remove plans. Tight where the actions' discs seldom overlap, as at scattered villages; loose
    where they overlap much.
    """
    reach = np.asarray(problem.coverage.T @ problem.weight, dtype=float).ravel()
    cost = problem.cost_vnd
    usable = (reach > 0) & (cost <= problem.budget_vnd * (1 + 1e-12))
    free = usable & (cost <= 0)
    bound = float(reach[free].sum())
    paid = np.flatnonzero(usable & ~free)
    paid = paid[np.argsort(-reach[paid] / cost[paid], kind="stable")]
    spent = np.cumsum(cost[paid])
    whole = spent <= problem.budget_vnd
    bound += float(reach[paid[whole]].sum())
    if not whole.all():  # the first action that does not fit, in part
        j = paid[int(np.argmin(whole))]
        left = problem.budget_vnd - (float(spent[whole][-1]) if whole.any() else 0.0)
        bound += float(reach[j]) * left / float(cost[j])
    reachable = np.asarray(problem.coverage[:, np.flatnonzero(usable)].sum(axis=1)).ravel() > 0
    return min(bound, float(problem.weight[reachable].sum()))


def _gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(0.0, (bound - objective) / max(abs(bound), 1e-9))
