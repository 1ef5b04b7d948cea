"""Plan investments: build the problem from the area and its candidates, solve it, and join the chosen actions
back to places and communes (the actions table and the class each commune moves to)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from analysis.coverage import CoverageParams
from analysis.criteria import CriteriaRule, classify_communes, rule_for
from analysis.planning.area import _Area
from analysis.planning.build import _Inputs, build_planning_inputs
from analysis.planning.params import PLAN_COLUMNS, CandidateSite, PlanOptions, PlanResult, UnitCosts
from analysis.planning.problem import PlanningProblem, PlanSolution, Solver, attribute_gains
from analysis.planning.scenarios import _records
from analysis.planning.solvers import solve_plan


# ------------------------------------------------------------------------------------------- planning
def plan_investments(
    conn: Connection,
    *,
    budget_vnd: float,
    province_code: str | None = None,
    costs: UnitCosts | None = None,
    user_sites: Sequence[CandidateSite] = (),
    options: PlanOptions | None = None,
    solver: Solver | None = None,
    params: CoverageParams | None = None,
    rule: CriteriaRule | None = None,
) -> PlanResult:
    """Plan where to spend ``budget_vnd`` so the most people are newly reached; solve exactly by default.

    Parameters
    ----------
    conn : an open connection (reads communes, facilities, villages, the active population raster).
    budget_vnd : the budget in VND.
    province_code : a 2025 province code, or None for every commune loaded.
    costs : unit costs (defaults DOMAIN.md §3.1).
    user_sites : the user's candidate sites (EPSG:4326).
    options : 8.3 communes, minimum shares, priority weights, time limit.
    solver : a :data:`analysis.planning.Solver` (e.g. ``solve_greedy`` for an instant preview); exact HiGHS
        with an announced fallback when None.
    params, rule : the coverage model and criteria rule (defaults as ``phusong analyse``): today's coverage,
        people reached and classes are the coverage analysis's for these, and new discs use its radii.

    Returns
    -------
    PlanResult whose ``actions`` has PLAN_COLUMNS (lon/lat in EPSG:4326), one row per action.
    """
    costs, options = costs or UnitCosts(), options or PlanOptions()
    params, rule = params or CoverageParams(), rule or rule_for(None)
    inputs, area, source = build_planning_inputs(
        conn,
        budget_vnd=budget_vnd,
        province_code=province_code,
        costs=costs,
        user_sites=user_sites,
        options=options,
        params=params,
        rule=rule,
    )
    problem = inputs.problem
    solution = solve_plan(problem, solver=solver, time_limit_s=options.time_limit_s)
    actions = _actions_table(inputs, area, solution)
    changes = _class_changes(inputs, solution)
    recorded = _recorded(costs, options, params, rule, solution, problem, actions, changes, source)
    recorded["data_date"] = data_date_of(area)
    return PlanResult(
        actions,
        solution,
        float(budget_vnd),
        province_code,
        changes,
        source,
        problem.n_demand,
        problem.n_candidates,
        recorded,
    )


def _recorded(
    costs: UnitCosts,
    options: PlanOptions,
    params: CoverageParams,
    rule: CriteriaRule,
    solution: PlanSolution,
    problem: PlanningProblem,
    actions: pd.DataFrame,
    changes: pd.DataFrame,
    source: str,
) -> dict[str, Any]:
    """What a plan records about how it was made (saved with the scenario, written in the export's parameters)."""
    return {
        "costs": asdict(costs),
        "options": _jsonable(asdict(options)),
        "solver": solution.solver,
        "status": solution.status,
        "mip_gap": solution.mip_gap,
        "time_s": round(solution.time_s, 3),
        "note": solution.note,
        "demand_source": source,
        "n_demand": problem.n_demand,
        "n_candidates": problem.n_candidates,
        "added_population": float(actions["added_population"].sum()),
        "cost_vnd": float(actions["cost_vnd"].sum()),
        "communes_changing_class": len(changes),
        "coverage": params.to_dict(),
        "rule_version": rule.version,
    }

def data_date_of(area: _Area) -> str | None:
    """The newest survey date of the planned communes' facilities (ISO), as the coverage analysis has it."""
    dates = [d for d in area.today.get("data_date", pd.Series(dtype=object)) if d is not None and not pd.isna(d)]
    return str(max(dates)) if dates else None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: dict(o) if isinstance(o, Mapping) else str(o)))


def _actions_table(inputs: _Inputs, area: _Area, solution: PlanSolution) -> pd.DataFrame:
    gains = attribute_gains(inputs.problem, solution.chosen)
    return _action_rows(inputs, area, gains, sorted(gains, key=lambda j: (-gains[j], j)))


def _action_rows(inputs: _Inputs, area: _Area, gains: Mapping[int, float], order: Sequence[int]) -> pd.DataFrame:
    """The chosen candidates ``order`` as PLAN_COLUMNS rows: people from ``gains``, villages newly reached
    counted in that order (each village once)."""
    covered_v = np.zeros(inputs.village_cov.shape[0], dtype=bool)
    rows = []
    for j in order:
        col = inputs.village_cov.indices[inputs.village_cov.indptr[j] : inputs.village_cov.indptr[j + 1]]
        added_v = int((~covered_v[col]).sum())
        covered_v[col] = True
        rec = _records(inputs.candidates.iloc[[j]])[0]
        lon, lat = area.to_lonlat.transform(rec["x"], rec["y"])
        commune = area.communes.iloc[int(rec["commune"])]
        rows.append(
            {
                "action": rec["action"],
                "facility_id": None if pd.isna(rec["facility_id"]) else int(rec["facility_id"]),
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
                "commune_code": commune["code"],
                "commune_name": commune["name"],
                "cost_vnd": float(rec["cost_vnd"]),
                "added_population": round(gains[j], 1),
                "added_villages": added_v,
                "reason": rec["reason"],
            }
        )
    frame = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    frame["facility_id"] = frame["facility_id"].astype("Int64")
    return frame


def _class_changes(inputs: _Inputs, solution: PlanSolution) -> pd.DataFrame:
    """Communes whose class (analysis.criteria, the rule of coverage_commune.class) the plan changes."""
    state = inputs.commune_state
    chosen = np.asarray(solution.chosen, dtype=np.int64)
    reached = np.zeros(inputs.problem.n_demand, dtype=bool)
    for j in chosen:
        reached[
            inputs.problem.coverage.indices[
                inputs.problem.coverage.indptr[j] : inputs.problem.coverage.indptr[j + 1]
            ]
        ] = True
    n = len(state)
    added = np.bincount(inputs.demand_group[reached], weights=inputs.demand_people[reached], minlength=n)
    v_reached = (
        np.asarray(inputs.village_cov[:, chosen].sum(axis=1)).ravel() > 0
        if len(chosen)
        else np.zeros(inputs.village_cov.shape[0], dtype=bool)
    )
    v_added = np.bincount(inputs.village_group[v_reached], minlength=n)
    built = np.zeros(n, dtype=bool)
    station = inputs.candidates["action"].to_numpy()[chosen] == "build_station"
    built[inputs.candidates["commune"].to_numpy(np.int64)[chosen][station]] = True
    total, now = state["pop_total"].to_numpy(float), state["pop_now"].to_numpy(float)
    share_before = state["pop_share"].to_numpy(float)
    share_after = np.clip(
        np.where(total > 0, np.divide(now + added, total, out=np.zeros(n), where=total > 0), share_before),
        0.0,
        1.0,
    )
    after, _, _ = classify_communes(
        state["station_working"].to_numpy(bool) | built,
        share_after,
        state["villages_total"].to_numpy(np.int64),
        state["villages_now"].to_numpy(np.int64) + v_added,
        rule=inputs.rule,
    )
    before = state["class"].to_numpy(object)
    changed = np.flatnonzero(before != np.asarray(after, dtype=object))
    return pd.DataFrame(
        {
            "commune_code": state["code"].to_numpy()[changed],
            "commune_name": state["name"].to_numpy()[changed],
            "class_before": before[changed],
            "class_after": np.asarray(after, dtype=object)[changed],
            "pop_share_before": np.round(share_before[changed], 4),
            "pop_share_after": np.round(share_after[changed], 4),
        },
        columns=[
            "commune_code",
            "commune_name",
            "class_before",
            "class_after",
            "pop_share_before",
            "pop_share_after",
        ],
    )
