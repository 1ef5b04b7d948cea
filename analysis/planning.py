"""Investment planning: choose repairs, upgrades and new clusters that reach the most people per VND.

The numeric core (this module) works on arrays only, in the spirit of spopt's ``from_cost_matrix``: demand
points with weights, candidate actions with costs, a sparse coverage matrix (built with a KD-tree in a metric
CRS) and an exact MILP solved with HiGHS, or a greedy gain-per-cost heuristic. The geo adapter that reads the
database and builds a :class:`PlanningProblem` lives in :func:`analysis.planning_geo.plan_investments`.

The MILP (a budgeted maximal covering problem with side constraints)::

    max  sum_i w_i y_i
    s.t. y_i <= sum_{j covers i} x_j            each demand counted once, if reached
         sum_j c_j x_j <= B                     the budget
         x_j <= sum_{k in P(j)} x_k             prerequisites (a new cluster needs a station in its commune)
         sum_{j in E} x_j <= 1                  exclusive alternatives (an IP or an FM cluster at one site)
         sum_{j covers v} x_j >= 1              must-cover targets (villages of communes that must pass 8.3)
         sum_{i in C} p_i y_i >= m_C            minimum people reached per commune
         x binary, 0 <= y <= 1 (integral at an optimum once x is)
"""

from __future__ import annotations

import heapq
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

#: Relative MIP gap below which HiGHS stops; 1e-9 means "proven optimal" for any realistic population count.
DEFAULT_MIP_REL_GAP = 1e-9
#: Exact solves running longer than this fall back to the better of HiGHS's incumbent and greedy, and say so.
DEFAULT_TIME_LIMIT_S = 60.0
_EPS = 1e-9
_INF = float(highspy.kHighsInf)


@dataclass(frozen=True)
class MinimumReach:
    """At least ``people`` newly reached among the demand rows ``demand_index`` (one commune's cells)."""

    demand_index: np.ndarray
    people: float
    label: str = ""


@dataclass(frozen=True)
class PlanningProblem:
    """A budgeted maximal covering problem with prerequisites.

    Attributes
    ----------
    weight : (n,) objective weight of each demand row (people, optionally times a commune priority factor).
    coverage : (n, m) sparse 0/1 matrix; ``coverage[i, j]`` is 1 when candidate ``j`` would newly reach
        demand ``i``.
    cost_vnd : (m,) cost of each candidate action in VND.
    budget_vnd : the budget in VND.
    people : (n,) people of each demand row, for reporting and minimum-reach rules (default: ``weight``).
    requires_any : pairs ``(j, (k1, k2, ...))``: ``j`` may be chosen only with at least one of the ``k``.
        An empty tuple means ``j`` can never be chosen.
    exclusive : groups of candidates of which at most one may be chosen.
    must_cover : groups of candidates of which at least one must be chosen (a village of an 8.3 commune).
    must_choose : candidates that must be chosen.
    min_reach : minimum newly reached people over sets of demand rows.
    """

    weight: np.ndarray
    coverage: sp.csc_matrix
    cost_vnd: np.ndarray
    budget_vnd: float
    people: np.ndarray | None = None
    requires_any: tuple[tuple[int, tuple[int, ...]], ...] = ()
    exclusive: tuple[tuple[int, ...], ...] = ()
    must_cover: tuple[tuple[int, ...], ...] = ()
    must_choose: tuple[int, ...] = ()
    min_reach: tuple[MinimumReach, ...] = ()

    def __post_init__(self) -> None:
        # Normalise once so every solver can slice columns directly (frozen: set through object).
        object.__setattr__(self, "coverage", sp.csc_matrix(self.coverage, dtype=np.int8))
        object.__setattr__(self, "weight", np.asarray(self.weight, dtype=float))
        object.__setattr__(self, "cost_vnd", np.asarray(self.cost_vnd, dtype=float))
        if self.people is not None:
            object.__setattr__(self, "people", np.asarray(self.people, dtype=float))
        if self.coverage.shape != (len(self.weight), len(self.cost_vnd)):
            raise ValueError(f"coverage is {self.coverage.shape}, expected ({len(self.weight)}, "
                             f"{len(self.cost_vnd)}) demand x candidates")

    @property
    def n_demand(self) -> int:
        return int(self.coverage.shape[0])

    @property
    def n_candidates(self) -> int:
        return int(self.coverage.shape[1])

    @property
    def people_or_weight(self) -> np.ndarray:
        return self.weight if self.people is None else self.people


@dataclass(frozen=True)
class PlanSolution:
    """What a solver chose and how sure it is.

    ``status`` is ``optimal`` (proven within ``mip_gap``), ``time_limit`` (HiGHS stopped at the time limit
    with an incumbent), ``heuristic`` (greedy: no optimality proof), ``infeasible`` (the constraints
    cannot all be met within the budget) or ``error``. ``note`` says in one sentence what was run and why.
    """

    chosen: np.ndarray
    objective: float
    people_reached: float
    cost_vnd: float
    solver: str
    status: str
    mip_gap: float | None
    time_s: float
    bound: float | None = None
    note: str = ""
    constraints_met: bool = True


Solver = Callable[[PlanningProblem], PlanSolution]


# ------------------------------------------------------------------------------------------- coverage matrix
def build_coverage_matrix(
    demand_xy: np.ndarray,
    candidate_xy: np.ndarray,
    radius_m: np.ndarray | float,
    *,
    demand_group: np.ndarray | None = None,
    candidate_group: np.ndarray | None = None,
) -> sp.csc_matrix:
    """Return the sparse (n_demand, n_candidates) 0/1 matrix of demand points within each candidate's radius.

    Coordinates are metres in one projected CRS (never degrees). With groups (commune indices), a candidate
    only reaches demand of its own group: a commune's loudspeakers carry that commune's notices
    (DESIGN.md §5).
    """
    demand_xy = np.asarray(demand_xy, dtype=float).reshape(-1, 2)
    candidate_xy = np.asarray(candidate_xy, dtype=float).reshape(-1, 2)
    n, m = len(demand_xy), len(candidate_xy)
    radius = np.broadcast_to(np.asarray(radius_m, dtype=float), (m,))
    if n == 0 or m == 0:
        return sp.csc_matrix((n, m), dtype=np.int8)
    hits = cKDTree(demand_xy).query_ball_point(candidate_xy, radius)
    counts = np.fromiter((len(h) for h in hits), dtype=np.int64, count=m)
    rows = np.fromiter((i for h in hits for i in h), dtype=np.int64, count=int(counts.sum()))
    cols = np.repeat(np.arange(m), counts)
    if demand_group is not None and candidate_group is not None:
        keep = np.asarray(demand_group)[rows] == np.asarray(candidate_group)[cols]
        rows, cols = rows[keep], cols[keep]
    data = np.ones(len(rows), dtype=np.int8)
    return sp.csc_matrix((data, (rows, cols)), shape=(n, m), dtype=np.int8)


def union_columns(coverage: sp.csc_matrix, groups: Sequence[Sequence[int]]) -> sp.csc_matrix:
    """Return one column per group: demand reached by any of the group's columns (a bundle of clusters)."""
    n, m = coverage.shape
    rows, cols = [], []
    for g, members in enumerate(groups):
        sub = coverage[:, list(members)] if len(members) else sp.csc_matrix((n, 0))
        hit = np.flatnonzero(np.asarray(sub.sum(axis=1)).ravel() > 0)
        rows.append(hit)
        cols.append(np.full(len(hit), g))
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    c = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return sp.csc_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, len(groups)), dtype=np.int8)


# ------------------------------------------------------------------------------------------------ evaluation
def evaluate_plan(problem: PlanningProblem, chosen: Sequence[int] | np.ndarray) -> tuple[float, float, float]:
    """Return (objective, people newly reached, cost VND) of choosing ``chosen``; each demand counted once."""
    idx = np.asarray(chosen, dtype=np.int64)
    reached = _reached_mask(problem.coverage, idx)
    return (float(problem.weight[reached].sum()), float(problem.people_or_weight[reached].sum()),
            float(problem.cost_vnd[idx].sum()))


def check_plan(problem: PlanningProblem, chosen: Sequence[int] | np.ndarray) -> list[str]:
    """Return the constraints ``chosen`` breaks, in words (empty when the plan is feasible)."""
    picked = np.zeros(problem.n_candidates, dtype=bool)
    picked[np.asarray(chosen, dtype=np.int64)] = True
    problems = []
    if problem.cost_vnd[picked].sum() > problem.budget_vnd * (1 + 1e-12):
        problems.append(f"cost {problem.cost_vnd[picked].sum():,.0f} VND exceeds the budget "
                        f"{problem.budget_vnd:,.0f} VND")
    for j, needs in problem.requires_any:
        if picked[j] and not any(picked[k] for k in needs):
            problems.append(f"candidate {j} chosen without its prerequisite (one of {list(needs)})")
    for group in problem.exclusive:
        if picked[list(group)].sum() > 1:
            problems.append(f"more than one of the alternatives {list(group)} chosen")
    for group in problem.must_cover:
        if not picked[list(group)].any():
            problems.append(f"none of {list(group)} chosen (a target that must be reached)")
    for j in problem.must_choose:
        if not picked[j]:
            problems.append(f"candidate {j} must be chosen")
    reached = _reached_mask(problem.coverage, np.flatnonzero(picked))
    for rule in problem.min_reach:
        got = float(problem.people_or_weight[rule.demand_index][reached[rule.demand_index]].sum())
        if got + 1e-6 < rule.people:
            problems.append(f"minimum reach {rule.label} {rule.people:,.0f} not met ({got:,.0f})")
    return problems


def attribute_gains(problem: PlanningProblem, chosen: Sequence[int] | np.ndarray) -> dict[int, float]:
    """Split the people a plan reaches among its actions, each person once: largest marginal gain first.

    Ties go to the cheaper action, then the lower index, so the split is deterministic.
    """
    covered = np.zeros(problem.n_demand, dtype=bool)
    people = problem.people_or_weight

    def gain(j: int) -> float:
        col = _column(problem.coverage, j)
        return float(people[col][~covered[col]].sum())

    heap = [(-gain(int(j)), float(problem.cost_vnd[j]), int(j)) for j in chosen]
    heapq.heapify(heap)
    out: dict[int, float] = {}
    while heap:   # lazy: a gain only shrinks, so a popped entry still equal to its fresh value is the best
        neg, cost, j = heapq.heappop(heap)
        fresh = gain(j)
        if heap and fresh < -neg - 1e-12 and (-fresh, cost, j) > heap[0]:
            heapq.heappush(heap, (-fresh, cost, j))
            continue
        out[j] = fresh
        covered[_column(problem.coverage, j)] = True
    return out


def _column(coverage: sp.csc_matrix, j: int) -> np.ndarray:
    column: np.ndarray = coverage.indices[coverage.indptr[j]:coverage.indptr[j + 1]]
    return column


def _reached_mask(coverage: sp.csc_matrix, chosen: np.ndarray) -> np.ndarray:
    reached = np.zeros(coverage.shape[0], dtype=bool)
    for j in chosen:
        reached[_column(coverage, int(j))] = True
    return reached


# ------------------------------------------------------------------------------------------------- reduction
@dataclass(frozen=True)
class _Reduced:
    """Demand rows merged by identical candidate sets (and identical minimum-reach membership)."""

    coverage_csr: sp.csr_matrix   # (r, m)
    weight: np.ndarray            # (r,)
    people: np.ndarray            # (r,)
    rule_rows: list[np.ndarray] = field(default_factory=list)   # reduced rows of each min_reach rule


def _reduce_demand(problem: PlanningProblem) -> _Reduced:
    csr = problem.coverage.tocsr()
    csr.sort_indices()
    people = problem.people_or_weight
    membership: list[tuple[int, ...]] = [()] * problem.n_demand
    for r, rule in enumerate(problem.min_reach):
        for i in np.asarray(rule.demand_index, dtype=np.int64):
            membership[i] = (*membership[i], r)
    keys: dict[tuple[bytes, tuple[int, ...]], int] = {}
    row_of = np.full(problem.n_demand, -1, dtype=np.int64)
    starts, ends = csr.indptr[:-1], csr.indptr[1:]
    for i in np.flatnonzero(ends > starts):   # rows no candidate reaches cannot change the plan
        if problem.weight[i] <= 0 and not membership[i]:
            continue   # counts for nothing
        key = (csr.indices[starts[i]:ends[i]].tobytes(), membership[i])
        row_of[i] = keys.setdefault(key, len(keys))
    kept = np.flatnonzero(row_of >= 0)
    r = len(keys)
    weight = np.bincount(row_of[kept], weights=problem.weight[kept], minlength=r)
    ppl = np.bincount(row_of[kept], weights=people[kept], minlength=r)
    first = np.full(r, -1, dtype=np.int64)
    first[row_of[kept][::-1]] = kept[::-1]   # first original row of each reduced row
    reduced_csr = csr[first] if r else sp.csr_matrix((0, problem.n_candidates))
    rule_rows = []
    for rule in problem.min_reach:
        rows = row_of[np.asarray(rule.demand_index, dtype=np.int64)]
        rule_rows.append(np.unique(rows[rows >= 0]))
    return _Reduced(sp.csr_matrix(reduced_csr), weight, ppl, rule_rows)


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
def solve_greedy(problem: PlanningProblem) -> PlanSolution:
    """Choose actions by newly reached weight per VND (lazy greedy) within the budget; no optimality proof.

    Actions whose prerequisite is not yet chosen wait until it is. Forced actions and must-cover targets are
    bought first (cheapest that satisfies them); the result says when a constraint is still not met. The best
    single affordable action is kept instead when it beats the greedy plan (the classic 1/2-style safeguard).
    """
    started = time.perf_counter()
    m = problem.n_candidates
    csc = problem.coverage.tocsc()
    picked = np.zeros(m, dtype=bool)
    spent = 0.0
    covered = np.zeros(problem.n_demand, dtype=bool)
    needs = {j: set(ks) for j, ks in problem.requires_any}
    excl_of: dict[int, list[tuple[int, ...]]] = {}
    for group in problem.exclusive:
        for j in group:
            excl_of.setdefault(j, []).append(tuple(group))

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
    chosen = np.flatnonzero(picked)
    chosen = _best_of_single(problem, chosen)
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
