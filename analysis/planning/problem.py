"""Investment planning: choose repairs, upgrades and new clusters that reach the most people per VND.

The numeric core (this module; its solvers in analysis.planning.solvers) works on arrays only, in the spirit
of spopt's ``from_cost_matrix``: demand points with weights, candidate actions with costs, a sparse coverage
matrix (built with a KD-tree in a metric CRS) and an exact MILP solved with HiGHS, or a greedy gain-per-cost
heuristic. The geo side that reads the database and builds a :class:`PlanningProblem` is
:func:`analysis.planning.solve.plan_investments`.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
