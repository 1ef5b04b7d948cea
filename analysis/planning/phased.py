"""Investment phased over years and budget lines (issue 23): which action in which year, paid by which line.

The candidates and their coverage matrix are the one-year planner's (:func:`build_planning_inputs`); the MILP
(HiGHS) gives each chosen action a year ``t`` and a budget line ``l`` that may fund it::

    x[j,t,l] binary   action j funded in year t by line l (only where line l of year t may fund j)
    z[j,t] = sum_{tau <= t, l} x[j,tau,l] <= 1         chosen by year t; funded once at most
    y[k,t] <= sum_{j covers k} z[j,t]                  demand k reached by year t
    sum_j c_j x[j,t,l] <= B[t,l]                       each year's spend within each of its lines
    z[j,t] <= sum_{p in P(j)} z[p,t]                   a prerequisite (the commune's station) by the same year
    max  sum_t sum_k w_k y[k,t]                        people x years of service in the plan's years

A person reached in year t counts once for each year from t to the last year, so earlier years reach the most
people first. On top of that weighting the first year is never worse than the one-year plan with that year's
budget, by construction (two stages): stage 1 solves the first year alone (the one-year plan over the first
year's lines); stage 2 solves all years with "the first year reaches at least stage 1's people" as a constraint.
Should the solver's tolerances still leave the first year a fraction short, stage 2 is solved again with the
first year fixed to stage 1's actions. The optimality gap of each stage is stated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sqlalchemy import Connection

from analysis.coverage import CoverageParams
from analysis.criteria import CriteriaRule, rule_for
from analysis.planning.area import _Area
from analysis.planning.budget import Budget, check_budget_communes
from analysis.planning.build import _Inputs, build_planning_inputs
from analysis.planning.params import CandidateSite, PlanOptions, PlanResult, UnitCosts
from analysis.planning.problem import (
    _EPS,
    _INF,
    DEFAULT_MIP_REL_GAP,
    PlanningProblem,
    PlanSolution,
    _reduce_demand,
    _Reduced,
    attribute_gains,
)
from analysis.planning.solve import _action_rows, _class_changes, _recorded, data_date_of
from analysis.planning.solvers import _quiet_highs
from sql import queries

#: The all-years stage stops once proven within 0.5 % of the best people x years: the years after the first are
#: re-planned every year anyway, and proving the last 0.1 % of a 4-year demo plan takes minutes on 2 cores
#: (measured: 0.10 % gap left after 60 s). The first year is solved to DEFAULT_MIP_REL_GAP (proven optimal).
PHASED_MIP_REL_GAP = 5e-3


@dataclass(frozen=True)
class Slot:
    """One way to fund a candidate: candidate ``j`` in year index ``t`` (0 = first year) by budget line ``b``
    (an index into :attr:`Budget.lines`)."""

    j: int
    t: int
    b: int


@dataclass(frozen=True)
class PhasedSolution:
    """The chosen slots and how sure the solver is (stage 2); stage 1 is the first year alone."""

    slots: tuple[Slot, ...]
    objective: float          # people x years of service (weighted)
    status: str               # optimal, time_limit, infeasible, error
    mip_gap: float | None
    bound: float | None
    time_s: float
    first_year_target: float  # stage 1: the best first year (weighted people)
    first_year_status: str
    first_year_gap: float | None
    note: str


def funding_slots(problem: PlanningProblem, budget: Budget, actions: Sequence[str], communes: Sequence[str],
                  groups: Sequence[int | None]) -> list[Slot]:
    """Every (candidate, year, line) the budget allows: the line funds the action type in the candidate's commune
    and the candidate costs no more than the line's amount that year."""
    cost = problem.cost_vnd
    slots = []
    for b, line in enumerate(budget.lines):
        t = line.year - budget.first_year
        for j in map(int, np.flatnonzero(cost <= line.budget_vnd * (1 + 1e-12))):
            if line.funds(actions[j], communes[j], groups[j]):
                slots.append(Slot(j, t, b))
    return slots


def solve_phased(problem: PlanningProblem, budget: Budget, slots: Sequence[Slot], *,
                 time_limit_s: float = 60.0, mip_rel_gap: float = PHASED_MIP_REL_GAP) -> PhasedSolution:
    """Solve the phased plan in two stages (module docstring); each stage gets ``time_limit_s``, the all-years
    stage stops within ``mip_rel_gap`` of the best plan (the first year is solved to proven optimality)."""
    started = time.perf_counter()
    red = _reduce_demand(problem)
    n_years = budget.last_year - budget.first_year + 1
    stage1 = _solve(problem, red, [s for s in slots if s.t == 0], budget, 1, time_limit_s, DEFAULT_MIP_REL_GAP,
                    forced=False)
    target = _value(red, stage1[0], 1)
    rolling = _year_by_year(problem, red, slots, budget, stage1[0], time_limit_s)
    stage2 = _solve(problem, red, slots, budget, n_years, time_limit_s, mip_rel_gap, first_year_min=target,
                    start=rolling)
    note = "all years with the first year at least stage 1's people, started from the year-by-year plan"
    short = _value(red, _first(stage2[0]), 1) < target - _EPS * max(1.0, target)
    if stage2[1] in ("infeasible", "error") or short or _value(red, stage2[0], n_years) < _value(
            red, rolling, n_years) - _EPS:
        stage2 = (rolling, "heuristic", _gap(_value(red, rolling, n_years), stage2[3]), stage2[3])
        note = "the year-by-year plan kept (each year the best one-year plan on top of the earlier years)"
    chosen = _prune(problem, red, stage2[0], budget, n_years)
    objective = _value(red, chosen, n_years)
    gap, bound, status = stage2[2], stage2[3], stage2[1]
    text = (f"HiGHS phased MILP over {n_years} years and {len(budget.lines)} budget lines: {len(slots)} ways to "
            f"fund {problem.n_candidates} candidates, {len(red.weight)} merged demand rows; first year: "
            f"{stage1[1]} (gap {_pct(stage1[2])}); all years: {status} (gap {_pct(gap)}); {note}")
    return PhasedSolution(tuple(chosen), objective, status, gap, bound, time.perf_counter() - started, target,
                          stage1[1], stage1[2], text)


def _year_by_year(problem: PlanningProblem, red: _Reduced, slots: Sequence[Slot], budget: Budget,
                  first: Sequence[Slot], time_limit_s: float) -> list[Slot]:
    """A valid plan to start from: the first year's best, then each next year the best one-year plan over the
    people the earlier years leave (prerequisites bought earlier count; nothing funded twice)."""
    chosen = list(first)
    csc = sp.csc_matrix(red.coverage_csr)
    for t in range(1, budget.last_year - budget.first_year + 1):
        done = {s.j for s in chosen}
        taken = {j for g in problem.exclusive if done & set(g) for j in g}
        reached = np.zeros(len(red.weight), dtype=bool)
        for j in done:
            reached[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = True
        left = replace(red, weight=red.weight * ~reached)
        needs = tuple((j, ks) for j, ks in problem.requires_any if not done & set(ks))
        year = [Slot(s.j, 0, s.b) for s in slots if s.t == t and s.j not in done | taken]
        picked = _solve(replace(problem, requires_any=needs), left, year, budget, 1, time_limit_s,
                        DEFAULT_MIP_REL_GAP, forced=False)[0]
        chosen += [Slot(s.j, t, s.b) for s in picked]
    return chosen


def _gap(objective: float, bound: float | None) -> float | None:
    return None if bound is None else max(0.0, (bound - objective) / max(abs(bound), 1e-9))


def _pct(gap: float | None) -> str:
    return "n/a" if gap is None else f"{gap:.2%}"


def _first(chosen: Sequence[Slot]) -> list[Slot]:
    return [s for s in chosen if s.t == 0]


# long: one HiGHS model of columns x | z | y and rows that each need the same index arithmetic; split, it reads worse.
def _solve(problem: PlanningProblem, red: _Reduced, slots: Sequence[Slot], budget: Budget, n_years: int,
           time_limit_s: float, mip_rel_gap: float, *, first_year_min: float | None = None, forced: bool = True,
           start: Sequence[Slot] = ()) -> tuple[list[Slot], str, float | None, float | None]:
    """One stage: (chosen slots, status, gap, bound); ``start`` a valid plan HiGHS starts from."""
    m, r, n_slots = problem.n_candidates, len(red.weight), len(slots)
    z0, y0 = n_slots, n_slots + m * n_years

    def z(j: int, t: int) -> int:
        return z0 + j * n_years + t

    def y(k: int, t: int) -> int:
        return y0 + k * n_years + t

    n_cols = y0 + r * n_years
    lower, upper = np.zeros(n_cols), np.ones(n_cols)
    has_slot = np.zeros(m, dtype=bool)
    has_slot[[s.j for s in slots]] = True
    for none in np.flatnonzero(~has_slot):
        upper[z0 + int(none) * n_years: z0 + (int(none) + 1) * n_years] = 0.0
    rows = _Rows()
    by_candidate: dict[int, list[int]] = {}
    for i, s in enumerate(slots):
        by_candidate.setdefault(s.j, []).append(i)
    for j in range(m):   # z[j,t] - sum_{tau <= t} x = 0
        for t in range(n_years):
            xs = [i for i in by_candidate.get(j, []) if slots[i].t <= t]
            rows.add([z(j, t), *xs], [1.0, *([-1.0] * len(xs))], 0.0, 0.0)
    csr = red.coverage_csr
    for k in range(r):   # y[k,t] - sum_{j covers k} z[j,t] <= 0
        js = csr.indices[csr.indptr[k]:csr.indptr[k + 1]]
        for t in range(n_years):
            rows.add([y(k, t), *(z(int(j), t) for j in js)], [1.0, *([-1.0] * len(js))], -_INF, 0.0)
    for b, line in enumerate(budget.lines):   # each year's line
        xs = [i for i, s in enumerate(slots) if s.b == b]
        if xs:
            scale = max(line.budget_vnd, 1.0)
            rows.add(xs, [problem.cost_vnd[slots[i].j] / scale for i in xs], -_INF, line.budget_vnd / scale)
    if budget.cap_per_year_vnd is not None:   # the province's total per year over all lines
        scale = max(budget.cap_per_year_vnd, 1.0)
        for t in range(n_years):
            xs = [i for i, s in enumerate(slots) if s.t == t]
            rows.add(xs, [problem.cost_vnd[slots[i].j] / scale for i in xs], -_INF, budget.cap_per_year_vnd / scale)
    for j, needs in problem.requires_any:   # the prerequisite by the same year
        for t in range(n_years):
            if needs:
                ks = sorted(set(needs) - {j})
                rows.add([z(j, t), *(z(k, t) for k in ks)], [1.0, *([-1.0] * len(ks))], -_INF, 0.0)
            else:
                upper[z(j, t)] = 0.0
    last = n_years - 1
    for group in problem.exclusive:
        rows.add([z(j, last) for j in sorted(set(group))], [1.0] * len(set(group)), -_INF, 1.0)
    if forced:
        for j in problem.must_choose:
            lower[z(j, last)] = 1.0
        for group in problem.must_cover:
            rows.add([z(j, last) for j in sorted(set(group))], [1.0] * len(set(group)), 1.0, _INF)
        for rule, rrows in zip(problem.min_reach, red.rule_rows, strict=True):
            rows.add([y(int(k), last) for k in rrows], list(red.people[rrows]), float(rule.people), _INF)
    if first_year_min is not None and first_year_min > 0:
        rows.add([y(k, 0) for k in range(r)], list(red.weight), first_year_min * (1 - 1e-9), _INF)
    cost = np.zeros(n_cols)
    for t in range(n_years):
        cost[y0 + t: n_cols: n_years] = red.weight
    integer = np.zeros(n_cols, dtype=bool)
    integer[:n_slots] = True
    initial = _start_values(red, slots, start, m, n_years) if start else None
    return _run(rows.lp(n_cols, cost, lower, upper, integer), slots, time_limit_s, mip_rel_gap, initial)


def _start_values(red: _Reduced, slots: Sequence[Slot], start: Sequence[Slot], m: int,
                  n_years: int) -> np.ndarray:
    """Column values x | z | y of the plan ``start`` (a MIP start)."""
    index = {s: i for i, s in enumerate(slots)}
    x = np.zeros(len(slots))
    z = np.zeros((m, n_years))
    for s in start:
        x[index[s]] = 1.0
        z[s.j, s.t:] = 1.0
    y = (red.coverage_csr @ z > 0).astype(float)
    return np.concatenate([x, z.ravel(), np.asarray(y).ravel()])


class _Rows:
    """Rows of a HiGHS model, row-wise."""

    def __init__(self) -> None:
        self.start, self.index, self.value, self.lower, self.upper = [0], [], [], [], []  # type: ignore[var-annotated]

    def add(self, index: Sequence[int], value: Sequence[float], lo: float, hi: float) -> None:
        self.index.extend(int(i) for i in index)
        self.value.extend(float(v) for v in value)
        self.start.append(len(self.index))
        self.lower.append(lo)
        self.upper.append(hi)

    def lp(self, n_cols: int, cost: np.ndarray, lower: np.ndarray, upper: np.ndarray,
           integer: np.ndarray) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_cols, len(self.lower)
        lp.sense_ = highspy.ObjSense.kMaximize
        lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
        lp.row_lower_, lp.row_upper_ = np.array(self.lower), np.array(self.upper)
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in integer]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_cols, len(self.lower)
        lp.a_matrix_.start_ = np.array(self.start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(self.index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(self.value, dtype=float)
        return lp


def _run(lp: highspy.HighsLp, slots: Sequence[Slot], time_limit_s: float, mip_rel_gap: float,
         initial: np.ndarray | None = None) -> tuple[list[Slot], str, float | None, float | None]:
    h = _quiet_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    if initial is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(initial)
        solution.value_valid = True
        h.setSolution(solution)
    h.run()
    status, info = h.getModelStatus(), h.getInfo()
    names = highspy.HighsModelStatus
    if status == names.kInfeasible:
        return [], "infeasible", None, None
    if not info.primal_solution_status:
        return [], "time_limit" if status == names.kTimeLimit else "error", None, None
    x = np.asarray(h.getSolution().col_value[: len(slots)])
    chosen = [slots[int(i)] for i in np.flatnonzero(x > 0.5)]
    gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else None
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else None
    proven = status == names.kOptimal
    return chosen, "optimal" if proven else "time_limit", (gap if gap is not None else 0.0) if proven else gap, bound


def _value(red: _Reduced, chosen: Sequence[Slot], n_years: int, csc: sp.csc_matrix | None = None) -> float:
    """People x years of service of ``chosen`` over the first ``n_years`` years (each person once, from the
    first year any chosen action reaches them)."""
    first = np.full(len(red.weight), n_years, dtype=np.int64)
    csc = sp.csc_matrix(red.coverage_csr) if csc is None else csc
    for s in chosen:
        if s.t < n_years:
            rows = csc.indices[csc.indptr[s.j]:csc.indptr[s.j + 1]]
            first[rows] = np.minimum(first[rows], s.t)
    return float((red.weight * (n_years - first)).sum())


def _prune(problem: PlanningProblem, red: _Reduced, chosen: Sequence[Slot], budget: Budget,
           n_years: int) -> list[Slot]:
    """Drop chosen actions that add nobody and that no rule needs, costliest first: no money spent for nothing
    (the MILP is free to fund a zero-gain action when a line has room)."""
    keep = list(chosen)
    csc = sp.csc_matrix(red.coverage_csr)
    value = _value(red, keep, n_years, csc)
    for s in sorted(chosen, key=lambda s: (-problem.cost_vnd[s.j], s.j)):
        trial = [k for k in keep if k != s]
        if _value(red, trial, n_years, csc) >= value - _EPS * max(1.0, abs(value)) and not check_phased(
                problem, budget, trial):
            keep = trial
    return sorted(keep, key=lambda s: (s.t, s.j))


def check_phased(problem: PlanningProblem, budget: Budget, chosen: Sequence[Slot]) -> list[str]:
    """The rules ``chosen`` breaks, in words: a line overspent, an action funded twice, a prerequisite later
    than the action that needs it, a forced action missing (empty: the phased plan is valid)."""
    found = []
    spent = np.zeros(len(budget.lines))
    for s in chosen:
        spent[s.b] += problem.cost_vnd[s.j]
    for b, line in enumerate(budget.lines):
        if spent[b] > line.budget_vnd * (1 + 1e-12):
            found.append(f"{line.year} {line.line}: {spent[b]:,.0f} VND spent of {line.budget_vnd:,.0f}")
    if budget.cap_per_year_vnd is not None:
        for t in {s.t for s in chosen}:
            total = sum(problem.cost_vnd[s.j] for s in chosen if s.t == t)
            if total > budget.cap_per_year_vnd * (1 + 1e-12):
                found.append(f"{budget.first_year + t}: {total:,.0f} VND spent of {budget.cap_per_year_vnd:,.0f}")
    year_of: dict[int, int] = {}
    for s in chosen:
        if s.j in year_of:
            found.append(f"candidate {s.j} funded twice")
        year_of[s.j] = min(year_of.get(s.j, s.t), s.t)
    for j, needs in problem.requires_any:
        if j in year_of and not any(k in year_of and year_of[k] <= year_of[j] for k in needs):
            found.append(f"candidate {j} funded before its prerequisite (one of {list(needs)})")
    for group in problem.exclusive:
        if sum(j in year_of for j in group) > 1:
            found.append(f"more than one of the alternatives {list(group)} chosen")
    for j in problem.must_choose:
        if j not in year_of:
            found.append(f"candidate {j} must be chosen")
    return found


# ------------------------------------------------------------------------------------------- the geo adapter
def plan_phased(conn: Connection, *, budget: Budget, province_code: str | None = None,
                costs: UnitCosts | None = None, user_sites: Sequence[CandidateSite] = (),
                options: PlanOptions | None = None, params: CoverageParams | None = None,
                rule: CriteriaRule | None = None) -> PlanResult:
    """Plan ``budget``'s years and lines: each action with its year and budget line (columns PLAN_COLUMNS +
    ``year``, ``budget_line``; people and villages counted in the year that first reaches them).

    The candidates, today's coverage and the options are :func:`plan_investments`'s; ``result.by_year`` is the
    spend and people per year and line, ``result.budget`` the budget, ``result.params`` what made the plan.
    """
    costs, options = costs or UnitCosts(), options or PlanOptions()
    params, rule = params or CoverageParams(), rule or rule_for(None)
    total = float(sum(line.budget_vnd for line in budget.lines))
    inputs, area, source = build_planning_inputs(conn, budget_vnd=total, province_code=province_code, costs=costs,
                                                 user_sites=user_sites, options=options, params=params, rule=rule)
    codes = [str(c) for c in area.communes["code"]]
    check_budget_communes(budget, codes)
    groups = {r.commune_code: int(r.commune_group)
              for r in conn.execute(queries.load("commune_groups_by_code"), {"codes": codes})}
    communes = [codes[int(c)] for c in inputs.candidates["commune"]]
    slots = funding_slots(inputs.problem, budget, [str(a) for a in inputs.candidates["action"]], communes,
                          [groups.get(c) for c in communes])
    phased = solve_phased(inputs.problem, budget, slots, time_limit_s=options.time_limit_s)
    actions = _phased_actions(inputs, area, budget, phased)
    solution = PlanSolution(np.array(sorted(s.j for s in phased.slots), dtype=np.int64), phased.objective,
                            float(actions["added_population"].sum()), float(actions["cost_vnd"].sum()),
                            "highs (phased)", phased.status, phased.mip_gap, phased.time_s, phased.bound, phased.note,
                            not check_phased(inputs.problem, budget, phased.slots))
    changes = _class_changes(inputs, solution)
    recorded = _recorded(costs, options, params, rule, solution, inputs.problem, actions, changes, source)
    recorded.update({"first_year": budget.first_year, "last_year": budget.last_year, "budget_source": budget.source,
                     "budget_lines": budget.table().to_dict("records"), "people_years": phased.objective,
                     "first_year_target": phased.first_year_target, "first_year_status": phased.first_year_status,
                     "first_year_gap": phased.first_year_gap, "data_date": data_date_of(area)})
    return PlanResult(actions, solution, total, province_code, changes, source, inputs.problem.n_demand,
                      inputs.problem.n_candidates, recorded, budget=budget, by_year=year_line_table(actions, budget))


def _phased_actions(inputs: _Inputs, area: _Area, budget: Budget, phased: PhasedSolution) -> pd.DataFrame:
    """The chosen actions year by year: each person counted in the first year that reaches them."""
    problem = inputs.problem
    covered = np.zeros(problem.n_demand, dtype=bool)
    gains: dict[int, float] = {}
    order: list[int] = []
    for t in sorted({s.t for s in phased.slots}):
        year = [s.j for s in phased.slots if s.t == t]
        left = replace(problem, people=problem.people_or_weight * ~covered, weight=problem.weight * ~covered)
        found = attribute_gains(left, year)
        gains.update(found)
        order += sorted(found, key=lambda j: (-found[j], j))
        for j in year:
            covered[problem.coverage.indices[problem.coverage.indptr[j]:problem.coverage.indptr[j + 1]]] = True
    frame = _action_rows(inputs, area, gains, order)
    slot_of = {s.j: s for s in phased.slots}
    frame["year"] = [budget.lines[slot_of[j].b].year for j in order]
    frame["budget_line"] = [budget.lines[slot_of[j].b].line for j in order]
    return frame


def year_line_table(actions: pd.DataFrame, budget: Budget) -> pd.DataFrame:
    """Per year and budget line: the budget, what the plan spends, what is left, its actions and the people
    they newly reach (columns year, budget_line, budget_vnd, cost_vnd, remaining_vnd, actions,
    added_population)."""
    rows = []
    for line in budget.lines:
        mine = actions[(actions["year"] == line.year) & (actions["budget_line"] == line.line)] \
            if len(actions) else actions
        spent = float(mine["cost_vnd"].sum()) if len(mine) else 0.0
        rows.append({"year": line.year, "budget_line": line.line, "budget_vnd": line.budget_vnd, "cost_vnd": spent,
                     "remaining_vnd": line.budget_vnd - spent, "actions": len(mine),
                     "added_population": float(mine["added_population"].sum()) if len(mine) else 0.0})
    return pd.DataFrame(rows, columns=["year", "budget_line", "budget_vnd", "cost_vnd", "remaining_vnd", "actions",
                                       "added_population"])
