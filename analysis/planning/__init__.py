"""Investment planning: which repairs, upgrades, new clusters and stations reach the most people per VND.

One question per module, in the order of the work:

- ``params``: the actions, their reasons, unit costs, a candidate site, the options, what a plan returns;
- ``area``: the area read from the database in its UTM zone (communes, clusters, stations, villages, people);
- ``candidates``: candidate actions (repairs, new clusters at the best sites, station bundles, integrations);
- ``build``: the area and candidates as a :class:`PlanningProblem` (``build_planning_inputs``);
- ``problem``: the numeric core on arrays: the problem, its coverage matrix, checking and scoring a plan;
- ``solvers``: the exact HiGHS MILP under a deadline, the greedy heuristic, the reach bound;
- ``solve``: ``plan_investments(conn, ...)``: build, solve, and join the chosen actions back to places;
- ``scenarios``: save, list, find, read and compare saved scenarios;
- ``budget`` and ``phased``: investment over years and budget lines (issue 23): the budget (file), the phased
  MILP on the same candidates and coverage matrix, ``plan_phased(conn, budget=...)``.

The names the app, the CLI, the tests and bench use are re-exported here: ``from analysis.planning import ...``.
They load on first use, so the numeric core (problem, solvers) imports without the geo stack (geopandas,
rasterio, SQLAlchemy): 1 s instead of 3.4 s for bench/planning.py and the solver tests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.planning.budget import (
        BUDGET_LINES,
        Budget,
        BudgetFileError,
        BudgetLine,
        budget_per_year,
        parse_years,
        read_budget_file,
        with_cap_per_year,
    )
    from analysis.planning.build import build_planning_inputs
    from analysis.planning.params import (
        PLAN_COLUMNS,
        CandidateSite,
        PlanningInputError,
        PlanOptions,
        PlanResult,
        UnitCosts,
    )
    from analysis.planning.phased import check_phased, plan_phased, year_line_table
    from analysis.planning.problem import (
        MinimumReach,
        PlanningProblem,
        PlanSolution,
        attribute_gains,
        build_coverage_matrix,
        check_plan,
        evaluate_plan,
        union_columns,
    )
    from analysis.planning.scenarios import (
        ScenarioHeader,
        compare_scenarios,
        find_scenario,
        list_scenarios,
        save_scenario,
        scenario_actions,
        scenario_budget,
    )
    from analysis.planning.solve import plan_investments
    from analysis.planning.solvers import reach_bound, solve_exact_highs, solve_greedy, solve_plan

#: Which module of the package holds each re-exported name.
_HOME = {
    "BUDGET_LINES": "budget",
    "Budget": "budget",
    "BudgetFileError": "budget",
    "BudgetLine": "budget",
    "budget_per_year": "budget",
    "parse_years": "budget",
    "read_budget_file": "budget",
    "with_cap_per_year": "budget",
    "check_phased": "phased",
    "plan_phased": "phased",
    "year_line_table": "phased",
    "scenario_budget": "scenarios",
    "CandidateSite": "params",
    "MinimumReach": "problem",
    "PLAN_COLUMNS": "params",
    "PlanOptions": "params",
    "PlanResult": "params",
    "PlanSolution": "problem",
    "PlanningInputError": "params",
    "PlanningProblem": "problem",
    "ScenarioHeader": "scenarios",
    "UnitCosts": "params",
    "attribute_gains": "problem",
    "build_coverage_matrix": "problem",
    "build_planning_inputs": "build",
    "check_plan": "problem",
    "compare_scenarios": "scenarios",
    "evaluate_plan": "problem",
    "find_scenario": "scenarios",
    "list_scenarios": "scenarios",
    "plan_investments": "solve",
    "reach_bound": "solvers",
    "save_scenario": "scenarios",
    "scenario_actions": "scenarios",
    "solve_exact_highs": "solvers",
    "solve_greedy": "solvers",
    "solve_plan": "solvers",
    "union_columns": "problem",
}
__all__ = [
    "BUDGET_LINES",
    "Budget",
    "BudgetFileError",
    "BudgetLine",
    "budget_per_year",
    "parse_years",
    "read_budget_file",
    "with_cap_per_year",
    "check_phased",
    "plan_phased",
    "year_line_table",
    "scenario_budget",
    "CandidateSite",
    "MinimumReach",
    "PLAN_COLUMNS",
    "PlanOptions",
    "PlanResult",
    "PlanSolution",
    "PlanningInputError",
    "PlanningProblem",
    "ScenarioHeader",
    "UnitCosts",
    "attribute_gains",
    "build_coverage_matrix",
    "build_planning_inputs",
    "check_plan",
    "compare_scenarios",
    "evaluate_plan",
    "find_scenario",
    "list_scenarios",
    "plan_investments",
    "reach_bound",
    "save_scenario",
    "scenario_actions",
    "solve_exact_highs",
    "solve_greedy",
    "solve_plan",
    "union_columns",
]


def __getattr__(name: str) -> Any:
    """Load a re-exported name from its module on first use (PEP 562)."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"analysis.planning.{_HOME[name]}"), name)
    globals()[name] = value
    return value
