"""Turn the area and its candidates into a PlanningProblem: demand = people not yet reached, the coverage matrix,
prerequisites, alternatives and the minimum reach each commune needs (build_planning_inputs)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from sqlalchemy import Connection

from analysis.coverage import CoverageParams, villages_reached
from analysis.criteria import CriteriaRule, rule_for
from analysis.planning.area import _Area, _People, _people_cells, _read_area
from analysis.planning.candidates import (
    _bundles,
    _candidate_rows,
    _dedupe_sites,
    _drop_sites_near_repairs,
    _integrations,
    _site_blocks,
)
from analysis.planning.params import CandidateSite, PlanningInputError, PlanOptions, UnitCosts
from analysis.planning.problem import MinimumReach, PlanningProblem, build_coverage_matrix, union_columns


# ------------------------------------------------------------------------------------------- building
@dataclass
class _Inputs:
    """Everything the plan needs, in the metric CRS, with candidates as rows of ``candidates``."""

    problem: PlanningProblem
    candidates: pd.DataFrame  # action, facility_id, x, y, commune (index), cost_vnd
    demand_group: np.ndarray
    demand_people: np.ndarray
    village_cov: sp.csc_matrix  # unreached villages x candidates
    village_group: np.ndarray
    commune_state: pd.DataFrame  # per commune, as coverage_commune: pop_total, pop_now, villages, station, class
    rule: CriteriaRule


def build_planning_inputs(
    conn: Connection,
    *,
    budget_vnd: float,
    province_code: str | None = None,
    costs: UnitCosts | None = None,
    user_sites: Sequence[CandidateSite] = (),
    options: PlanOptions | None = None,
    params: CoverageParams | None = None,
    rule: CriteriaRule | None = None,
) -> tuple[_Inputs, _Area, str]:
    """Read the area and return the planning problem, the area and where the people came from.

    Today's state (who is reached, villages reached, stations, classes) is the coverage analysis's own
    (:func:`analysis.assessment.assess_communes` with ``params`` and ``rule``): what ``phusong analyse`` stores in
    coverage_commune for the same data.
    """
    costs, options = costs or UnitCosts(), options or PlanOptions()
    params, rule = params or CoverageParams(), rule or rule_for(None)
    area = _read_area(conn, province_code, params, rule)
    code_index = {code: i for i, code in enumerate(area.communes["code"])}
    cells = _people_cells(area, params)
    state = _commune_state(area)
    d_xy, d_group = cells.xy[~cells.now], cells.group[~cells.now]
    d_people = _unreached_people(cells, state)
    v_xy = area.villages[["x", "y"]].to_numpy(float)
    v_group = area.villages["commune_code"].map(code_index).to_numpy(np.int64)
    v_now = area.villages_now
    sites = (
        _generated_sites(area, code_index, v_xy[~v_now], v_group[~v_now], d_xy, d_people, d_group)
        if options.generate_sites
        else pd.DataFrame(columns=["commune", "x", "y"])
    )
    sites = _drop_sites_near_repairs(_dedupe_sites(sites), area, code_index)
    cand = _candidate_rows(area, sites, costs, user_sites, code_index, params)
    disc = build_coverage_matrix(
        d_xy,
        cand[["x", "y"]].to_numpy(float),
        cand["radius_m"].to_numpy(float),
        demand_group=d_group,
        candidate_group=cand["commune"].to_numpy(),
    )
    bundles, members = _bundles(area, cand, disc, d_people, costs)
    integrations = _integrations(area, costs)
    bundles = pd.concat([bundles, integrations], ignore_index=True) if len(integrations) else bundles
    members += [[] for _ in range(len(integrations))]  # joining clusters reaches no one new: no discs
    cand = pd.concat([cand, bundles], ignore_index=True) if len(bundles) else cand
    coverage = sp.hstack([disc, union_columns(disc, members)]).tocsc()
    u_group = v_group[~v_now]
    village_cov = _village_coverage(v_xy[~v_now], u_group, cand, disc.shape[1], members)
    problem = _assemble(
        area, cand, coverage, village_cov, d_people, d_group, u_group, state, budget_vnd, options
    )
    inputs = _Inputs(problem, cand, d_group, d_people, village_cov, u_group, state, rule)
    return inputs, area, cells.source


def _generated_sites(
    area: _Area,
    code_index: dict[str, int],
    v_xy: np.ndarray,
    v_group: np.ndarray,
    d_xy: np.ndarray,
    d_people: np.ndarray,
    d_group: np.ndarray,
) -> pd.DataFrame:
    """Candidate sites phusong proposes: unreached villages, cultural houses, the best blocks of unreached people."""
    return pd.concat(
        [
            pd.DataFrame({"commune": v_group, "x": v_xy[:, 0], "y": v_xy[:, 1]}),
            _cultural_sites(area, code_index),
            _site_blocks(d_xy, d_people, d_group)[["commune", "x", "y"]],
        ],
        ignore_index=True,
    )


def _village_coverage(
    u_xy: np.ndarray, u_group: np.ndarray, cand: pd.DataFrame, n_discs: int, members: list[list[int]]
) -> sp.csc_matrix:
    """Which candidate reaches which unreached village (the discs, then each bundle as the union of its discs)."""
    v_disc = build_coverage_matrix(
        u_xy,
        cand[["x", "y"]].to_numpy(float)[:n_discs],
        cand["radius_m"].to_numpy(float)[:n_discs],
        demand_group=u_group,
        candidate_group=cand["commune"].to_numpy()[:n_discs],
    )
    return sp.hstack([v_disc, union_columns(v_disc, members)]).tocsc()


def _unreached_people(cells: _People, state: pd.DataFrame) -> np.ndarray:
    """People on each cell today's coverage misses, so that each commune's add up to the coverage analysis's
    pop_total - pop_covered.

    With a raster they are the cells' own people (the factor is 1 up to cells on a disc's rim at a commune
    border); with the census spread evenly, the analysis counts covered area exactly and the grid only
    places the rest of the people.
    """
    n = len(state)
    left = ~cells.now
    on_grid = np.bincount(cells.group[left], weights=cells.people[left], minlength=n)
    target = np.clip(state["pop_total"].to_numpy(float) - state["pop_now"].to_numpy(float), 0.0, None)
    factor = np.divide(target, on_grid, out=np.zeros(n), where=on_grid > 0)
    return np.asarray(cells.people[left] * factor[cells.group[left]], dtype=float)


def _cultural_sites(area: _Area, code_index: Mapping[str, int]) -> pd.DataFrame:
    """Cultural houses today's coverage of their commune does not reach (candidate sites)."""
    houses = area.cultural[area.cultural["commune_code"].isin(list(code_index))]
    if len(houses) == 0:
        return pd.DataFrame(columns=["commune", "x", "y"])
    group = np.asarray(houses["commune_code"].map(code_index).to_numpy(np.int64), dtype=np.int64)
    reached = villages_reached(
        area.today.geometry.values.to_numpy(),
        shapely.points(houses["lon"].to_numpy(float), houses["lat"].to_numpy(float)),
        group,
    )
    free = ~reached
    return pd.DataFrame(
        {"commune": group[free], "x": houses["x"].to_numpy(float)[free], "y": houses["y"].to_numpy(float)[free]}
    )


def _commune_state(area: _Area) -> pd.DataFrame:
    """Each commune today, as the coverage analysis has it (no population known counts as none)."""
    today = area.today
    return pd.DataFrame(
        {
            "code": area.communes["code"],
            "name": area.communes["name"],
            "pop_total": np.nan_to_num(today["pop_total"].to_numpy(float)),
            "pop_now": np.nan_to_num(today["pop_covered"].to_numpy(float)),
            "pop_share": today["pop_covered_share"].to_numpy(float),
            "villages_total": today["villages_total"].to_numpy(np.int64),
            "villages_now": today["villages_reached"].to_numpy(np.int64),
            "station_working": today["station_operational"].to_numpy(bool),
            "class": today["class"].to_numpy(object),
        }
    )


def _assemble(
    area: _Area,
    cand: pd.DataFrame,
    coverage: sp.csc_matrix,
    village_cov: sp.csc_matrix,
    people: np.ndarray,
    group: np.ndarray,
    v_group: np.ndarray,
    state: pd.DataFrame,
    budget_vnd: float,
    options: PlanOptions,
) -> PlanningProblem:
    code_index = {code: i for i, code in enumerate(area.communes["code"])}
    working = state["station_working"].to_numpy(bool)
    build_of, requires = _station_prerequisites(cand, working)
    exclusive = tuple(
        tuple(idx) for _, idx in cand[cand["site"] >= 0].groupby("site").groups.items() if len(idx) > 1
    )
    must_cover: list[tuple[int, ...]] = []
    # Công văn 271 requires the integration of a merged commune's stations: it comes first in the budget.
    must_choose: list[int] = [int(j) for j in np.flatnonzero(cand["action"].to_numpy() == "integration")]
    for code in options.reach_all_villages:
        c = _index_of(code, code_index)
        if not working[c]:
            must_choose.append(build_of.get(c, -1))
        for v in np.flatnonzero(v_group == c):
            must_cover.append(tuple(village_cov[[v], :].indices.tolist()))
    if -1 in must_choose:
        must_cover.append(())  # no station can be built there: HiGHS will say the plan is infeasible
        must_choose = [j for j in must_choose if j >= 0]
    min_reach = _minimum_reach(options, code_index, group, state)
    factor = np.array([options.commune_weights.get(code, 1.0) for code in area.communes["code"]])
    return PlanningProblem(
        weight=people * factor[group] if len(group) else people,
        coverage=coverage,
        cost_vnd=cand["cost_vnd"].to_numpy(float),
        budget_vnd=float(budget_vnd),
        people=people,
        requires_any=requires,
        exclusive=exclusive,
        must_cover=tuple(must_cover),
        must_choose=tuple(must_choose),
        min_reach=min_reach,
    )


def _station_prerequisites(
    cand: pd.DataFrame, working: np.ndarray
) -> tuple[dict[int, int], tuple[tuple[int, tuple[int, ...]], ...]]:
    """Each commune's build_station candidate, and the clusters that need it (their commune has no working
    station): a repair or a new IP cluster there requires the station."""
    build_of = {
        int(c): j
        for j, (a, c) in enumerate(zip(cand["action"], cand["commune"], strict=True))
        if a == "build_station"
    }
    requires = tuple(
        (j, (build_of[c],) if c in build_of else ())
        for j, (a, c) in enumerate(zip(cand["action"], cand["commune"], strict=True))
        if a in ("repair_cluster", "new_ip_cluster") and not working[int(c)]
    )
    return build_of, requires


def _minimum_reach(
    options: PlanOptions, code_index: dict[str, int], group: np.ndarray, state: pd.DataFrame
) -> tuple[MinimumReach, ...]:
    """The people each commune of ``options.min_share`` must newly reach to get to its share."""
    return tuple(
        MinimumReach(
            np.flatnonzero(group == _index_of(code, code_index)),
            max(
                0.0,
                share * state["pop_total"].iloc[_index_of(code, code_index)]
                - state["pop_now"].iloc[_index_of(code, code_index)],
            ),
            code,
        )
        for code, share in options.min_share.items()
    )


def _index_of(code: str, code_index: Mapping[str, int]) -> int:
    if code not in code_index:
        raise PlanningInputError(f"commune {code!r} is not among the planned communes")
    return code_index[code]
