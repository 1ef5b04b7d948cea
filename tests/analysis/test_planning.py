"""The planning core: exact answers checked by brute force on tiny instances, and its guarantees."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.planning import (
    MinimumReach,
    PlanningProblem,
    PlanSolution,
    attribute_gains,
    build_coverage_matrix,
    check_plan,
    evaluate_plan,
    reach_bound,
    solve_exact_highs,
    solve_greedy,
    solve_plan,
    union_columns,
)
from analysis.planning.solvers import _exact_within_deadline


def _brute_force(problem: PlanningProblem) -> float:
    """The best objective over every subset of candidates that meets every constraint."""
    best = -1.0
    for k in range(problem.n_candidates + 1):
        for subset in itertools.combinations(range(problem.n_candidates), k):
            if not check_plan(problem, subset):
                best = max(best, evaluate_plan(problem, subset)[0])
    return best


def _random_problem(seed: int, *, n: int = 25, m: int = 9, with_rules: bool = True) -> PlanningProblem:
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 3000, size=(n, 2))
    candidate_xy = rng.uniform(0, 3000, size=(m, 2))
    radius = rng.choice([300.0, 500.0, 800.0], size=m)
    coverage = build_coverage_matrix(demand_xy, candidate_xy, radius)
    weight = rng.integers(0, 400, size=n).astype(float)
    cost = rng.choice([6e6, 8e6, 35e6, 240e6], size=m)
    budget = float(rng.uniform(0.2, 0.6) * cost.sum())
    requires: tuple[tuple[int, tuple[int, ...]], ...] = ()
    exclusive: tuple[tuple[int, ...], ...] = ()
    if with_rules:
        requires = ((m - 1, (0,)), (m - 2, (0, 1)))
        exclusive = ((2, 3),)
    return PlanningProblem(weight=weight, coverage=coverage, cost_vnd=cost, budget_vnd=budget,
                           requires_any=requires, exclusive=exclusive)


@pytest.mark.parametrize("seed", range(12))
def test_highs_matches_brute_force_on_tiny_instances(seed: int) -> None:
    problem = _random_problem(seed)
    solution = solve_exact_highs(problem)
    assert solution.status == "optimal"
    assert solution.objective == pytest.approx(_brute_force(problem), abs=1e-6)
    assert not check_plan(problem, solution.chosen)


@pytest.mark.parametrize("seed", range(6))
def test_budget_is_never_exceeded_by_any_solver(seed: int) -> None:
    problem = _random_problem(seed, n=60, m=14)
    for solution in (solve_exact_highs(problem), solve_greedy(problem)):
        assert solution.cost_vnd <= problem.budget_vnd
        assert solution.cost_vnd == pytest.approx(problem.cost_vnd[solution.chosen].sum())


def test_each_person_is_counted_once_where_discs_overlap() -> None:
    # Two candidates reach the same 100 people; both chosen still reach 100, so only one is bought.
    coverage = sp.csc_matrix(np.array([[1, 1]], dtype=np.int8))
    problem = PlanningProblem(weight=np.array([100.0]), coverage=coverage, cost_vnd=np.array([8e6, 8e6]),
                              budget_vnd=1e9)
    solution = solve_exact_highs(problem)
    assert solution.objective == 100
    assert len(solution.chosen) == 1


def test_results_are_deterministic() -> None:
    problem = _random_problem(3, n=200, m=30)
    first, second = solve_exact_highs(problem), solve_exact_highs(problem)
    assert first.chosen.tolist() == second.chosen.tolist()
    assert solve_greedy(problem).chosen.tolist() == solve_greedy(problem).chosen.tolist()


def test_an_already_covered_candidate_adds_nothing_and_is_not_bought() -> None:
    # Candidate 1 reaches nobody new (its column is empty: everyone near it is already covered).
    coverage = sp.csc_matrix(np.array([[1, 0], [1, 0]], dtype=np.int8))
    problem = PlanningProblem(weight=np.array([50.0, 70.0]), coverage=coverage,
                              cost_vnd=np.array([35e6, 6e6]), budget_vnd=1e9)
    for solution in (solve_exact_highs(problem), solve_greedy(problem)):
        assert solution.chosen.tolist() == [0]
        assert solution.people_reached == 120


def test_repairs_win_where_cheaper_per_person() -> None:
    # A repair (8 M) and a new IP cluster (35 M) reach the same 300 people: the repair is chosen; with budget
    # for one 35 M action only, the repair plus a second cheap repair beats the new cluster.
    coverage = sp.csc_matrix(np.array([[1, 1, 0], [0, 0, 1]], dtype=np.int8))
    problem = PlanningProblem(weight=np.array([300.0, 200.0]), coverage=coverage,
                              cost_vnd=np.array([8e6, 35e6, 8e6]), budget_vnd=35e6)
    solution = solve_exact_highs(problem)
    assert solution.chosen.tolist() == [0, 2]
    assert solution.objective == 500


def test_prerequisite_is_respected() -> None:
    # Cluster 1 (huge gain) needs station 0 (no gain of its own); the budget allows both only together.
    coverage = sp.csc_matrix(np.array([[0, 1, 0], [0, 0, 1]], dtype=np.int8))
    base = dict(weight=np.array([1000.0, 10.0]), coverage=coverage, cost_vnd=np.array([450e6, 35e6, 35e6]),
                requires_any=((1, (0,)),))
    rich = PlanningProblem(**base, budget_vnd=485e6)  # type: ignore[arg-type]
    assert solve_exact_highs(rich).chosen.tolist() == [0, 1]
    poor = PlanningProblem(**base, budget_vnd=100e6)  # type: ignore[arg-type]
    solution = solve_exact_highs(poor)
    assert solution.chosen.tolist() == [2]
    assert not check_plan(poor, solve_greedy(poor).chosen)


def test_must_cover_and_minimum_reach_are_met_or_reported_infeasible() -> None:
    coverage = sp.csc_matrix(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.int8))
    weight = np.array([500.0, 10.0, 20.0])
    # Village row 1 must be reached (8.3): candidate 1 is forced even though 0 and 2 give more per VND.
    problem = PlanningProblem(weight=weight, coverage=coverage, cost_vnd=np.array([10e6, 10e6, 10e6]),
                              budget_vnd=20e6, must_cover=((1,),))
    assert solve_exact_highs(problem).chosen.tolist() == [0, 1]
    assert _brute_force(problem) == 510
    too_much = PlanningProblem(weight=weight, coverage=coverage, cost_vnd=np.array([10e6, 10e6, 10e6]),
                               budget_vnd=10e6, min_reach=(MinimumReach(np.array([1, 2]), 30.0, "xã A"),))
    assert solve_exact_highs(too_much).status == "infeasible"


def test_greedy_is_labelled_and_never_claims_optimality() -> None:
    problem = _random_problem(5)
    greedy = solve_greedy(problem)
    assert greedy.solver == "greedy" and greedy.status == "heuristic" and greedy.mip_gap is None
    assert greedy.objective <= solve_exact_highs(problem).objective + 1e-9


def test_time_limit_fallback_is_said_in_the_output() -> None:
    problem = _random_problem(1, n=3000, m=400, with_rules=False)
    solution = solve_plan(problem, time_limit_s=1e-6)
    assert solution.status in {"time_limit", "heuristic"}
    assert "time limit" in solution.note
    assert "not proven optimal" in solution.note


@pytest.mark.parametrize("seed", range(12))
def test_the_reach_bound_is_never_below_the_optimum(seed: int) -> None:
    problem = _random_problem(seed)
    assert reach_bound(problem) >= _brute_force(problem) - 1e-9


def test_the_reach_bound_is_the_optimum_when_actions_do_not_overlap() -> None:
    coverage = sp.csc_matrix(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]]))
    problem = PlanningProblem(weight=np.array([100.0, 60.0, 30.0, 30.0]), coverage=coverage,
                              cost_vnd=np.array([10e6, 10e6, 20e6]), budget_vnd=20e6)
    assert reach_bound(problem) == _brute_force(problem) == 160.0
    problem = PlanningProblem(weight=problem.weight, coverage=coverage, cost_vnd=problem.cost_vnd, budget_vnd=25e6)
    assert reach_bound(problem) == 160.0 + 60.0 * 5 / 20  # the third action in part: a bound, not a plan


def test_a_greedy_fallback_says_how_far_from_the_best_it_can_be(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS stopped without a plan or a bound (as on 52,000 candidates): the greedy plan comes with the reach
    bound's gap."""
    from analysis.planning import solvers

    problem = _random_problem(1, n=3000, m=400, with_rules=False)
    killed = PlanSolution(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, "highs", "time_limit", None, 0.1,
                          note="HiGHS ran past its time limit", constraints_met=False)
    monkeypatch.setattr(solvers, "_exact_within_deadline", lambda *_args, **_kwargs: killed)
    solution = solve_plan(problem, time_limit_s=1.0)
    assert solution.solver == "greedy (fallback)" and solution.bound == reach_bound(problem)
    assert solution.mip_gap is not None and 0 <= solution.mip_gap < 1
    assert f"at most {solution.mip_gap:.1%} below the best plan" in solution.note


def _overrunning_solver(problem: PlanningProblem, *, time_limit_s: float) -> PlanSolution:
    time.sleep(60)  # a solver that ignores its time limit, as HiGHS did in presolve on a huge model
    return solve_exact_highs(problem, time_limit_s=time_limit_s)


def test_an_exact_solver_that_overruns_its_time_limit_is_stopped() -> None:
    started = time.perf_counter()
    stopped = _exact_within_deadline(_random_problem(2), 0.2, solve=_overrunning_solver, grace_s=0.5)
    assert time.perf_counter() - started < 10
    assert stopped.status == "time_limit" and len(stopped.chosen) == 0
    assert "ran past its 0.2 s time limit" in stopped.note and "stopped at 0.7 s" in stopped.note


def test_the_exact_solver_in_its_child_gives_the_same_plan() -> None:
    problem = _random_problem(3)
    direct, child = solve_exact_highs(problem), _exact_within_deadline(problem, 60.0)
    assert child.status == direct.status == "optimal"
    assert child.chosen.tolist() == direct.chosen.tolist() and child.objective == direct.objective


def test_the_solver_is_injected() -> None:
    problem = _random_problem(2)
    seen: list[PlanningProblem] = []

    def fake(p: PlanningProblem) -> PlanSolution:
        seen.append(p)
        return solve_greedy(p)

    assert solve_plan(problem, solver=fake).solver == "greedy"
    assert seen == [problem]


def test_coverage_matrix_respects_radius_and_commune() -> None:
    demand = np.array([[0.0, 0.0], [250.0, 0.0], [400.0, 0.0]])
    candidates = np.array([[0.0, 0.0], [0.0, 0.0]])
    matrix = build_coverage_matrix(demand, candidates, np.array([300.0, 500.0]),
                                   demand_group=np.array([0, 0, 1]), candidate_group=np.array([0, 1]))
    assert matrix.toarray().tolist() == [[1, 0], [1, 0], [0, 1]]
    bundle = union_columns(matrix, [(0, 1)])
    assert bundle.toarray().ravel().tolist() == [1, 1, 1]


@pytest.mark.parametrize("seed", range(8))
def test_highs_matches_brute_force_with_side_constraints(seed: int) -> None:
    base = _random_problem(100 + seed, n=20, m=8)
    rng = np.random.default_rng(seed)
    rows = rng.choice(base.n_demand, size=6, replace=False)
    problem = PlanningProblem(
        weight=base.weight, coverage=base.coverage, cost_vnd=base.cost_vnd, budget_vnd=base.budget_vnd,
        people=base.weight, requires_any=base.requires_any, exclusive=base.exclusive,
        must_cover=(tuple(int(j) for j in rng.choice(8, size=2, replace=False)),),
        min_reach=(MinimumReach(rows, float(base.weight[rows].sum() * 0.3), "some cells"),))
    best = _brute_force(problem)
    solution = solve_exact_highs(problem)
    if best < 0:
        assert solution.status == "infeasible"
    else:
        assert solution.status == "optimal"
        assert solution.objective == pytest.approx(best, abs=1e-6)
        assert not check_plan(problem, solution.chosen)


def test_attributed_gains_add_up_to_the_people_reached() -> None:
    problem = _random_problem(4, n=300, m=40, with_rules=False)
    solution = solve_exact_highs(problem)
    gains = attribute_gains(problem, solution.chosen)
    assert set(gains) == set(solution.chosen.tolist())
    assert sum(gains.values()) == pytest.approx(solution.people_reached)
    assert all(g > 0 for g in gains.values())   # pruned: nothing bought for nobody
