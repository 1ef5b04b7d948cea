"""Saved scenarios: save a plan, list, find, read and compare scenarios."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from analysis.planning.params import PLAN_COLUMNS, PlanningInputError, PlanResult
from sql import queries


# ------------------------------------------------------------------------------------------- scenarios
def save_scenario(conn: Connection, name: str, result: PlanResult, *, owner: str | None = None) -> int:
    """Save ``result`` as ``owner``'s scenario ``name`` (replacing the owner's own one of that name); return its id.

    Names are unique per owner: another owner's scenario of the same name is left alone. ``owner`` None is the
    transaction's writer (``set_actor``; the database login otherwise). The scenario's scope is the result's
    province (None: the whole country).
    """
    conn.execute(queries.load("delete_scenario_of_owner"), {"name": name, "owner": owner})
    scenario_id = int(
        conn.execute(
            queries.load("insert_scenario"),
            {
                "name": name,
                "owner": owner,
                "budget_vnd": round(result.budget_vnd),
                "province_code": result.province_code,
                "params": json.dumps(result.params, default=str),
            },
        ).scalar_one()
    )
    rows = [
        {
            "scenario_id": scenario_id,
            "action": r["action"],
            "facility_id": None if pd.isna(r["facility_id"]) else int(r["facility_id"]),
            "lon": float(r["lon"]),
            "lat": float(r["lat"]),
            "commune_code": r["commune_code"],
            "cost_vnd": round(float(r["cost_vnd"])),
            "added_population": float(r["added_population"]),
            "added_villages": int(r["added_villages"]),
            "reason": r["reason"],
            "year": None if pd.isna(r.get("year")) else int(r["year"]),
            "budget_line": r.get("budget_line"),
        }
        for r in _records(result.actions)
    ]
    if rows:
        conn.execute(queries.load("insert_scenario_action"), rows)
    if result.budget is not None:
        _save_budget(conn, scenario_id, result)
    return scenario_id


def _save_budget(conn: Connection, scenario_id: int, result: PlanResult) -> None:
    """A phased plan's years and the budget lines it was planned against (issue 23)."""
    budget = result.budget
    conn.execute(queries.load("set_scenario_years"),
                 {"id": scenario_id, "first_year": budget.first_year, "last_year": budget.last_year})
    conn.execute(queries.load("insert_scenario_budget"), [
        {"scenario_id": scenario_id, "year": line.year, "budget_line": line.line,
         "budget_vnd": round(line.budget_vnd), "actions": sorted(line.actions), "communes": sorted(line.communes),
         "commune_groups": sorted(line.groups)} for line in budget.lines])


def scenario_budget(conn: Connection, scenario_id: int) -> pd.DataFrame:
    """The budget lines a phased scenario was planned against (year, budget_line, budget_vnd, actions, communes,
    commune_groups); empty for a one-year scenario."""
    rows = conn.execute(queries.load("scenario_budget_by_id"), {"id": scenario_id}).mappings().all()
    frame = pd.DataFrame(rows, columns=["year", "budget_line", "budget_vnd", "actions", "communes",
                                        "commune_groups"])
    frame["budget_vnd"] = frame["budget_vnd"].astype(float)
    return frame


def list_scenarios(conn: Connection) -> pd.DataFrame:
    """Every saved scenario with its totals (actions, cost_vnd, added_population, added_villages)."""
    return pd.DataFrame(
        conn.execute(queries.load("scenarios_with_totals")).mappings().all(),
        columns=[
            "id",
            "name",
            "owner",
            "budget_vnd",
            "province_code",
            "created_by",
            "created_at",
            "solver",
            "status",
            "actions",
            "cost_vnd",
            "added_population",
            "added_villages",
        ],
    )


@dataclass(frozen=True)
class ScenarioHeader:
    """A saved scenario as the access rules see it: who owns it and which province it covers (None: all)."""

    id: int
    name: str
    owner: str
    province_code: str | None


def find_scenario(conn: Connection, ref: int | str) -> ScenarioHeader:
    """The scenario with id ``ref`` (an int, or a string of digits no name matches), else the one named ``ref``.

    Raise PlanningInputError when there is none, or when several owners have used the name (their ids are listed).
    """
    named = [] if isinstance(ref, int) else conn.execute(queries.load("scenarios_named"), {"name": ref}).all()
    if len(named) > 1:
        which = ", ".join(f"{r.id} ({r.owner})" for r in named)
        raise PlanningInputError(f"several scenarios are named {ref!r}: give the id of one of them: {which}")
    if not named and (isinstance(ref, int) or ref.isdigit()):
        row = conn.execute(queries.load("scenario_by_id"), {"id": int(ref)}).first()
        named = [row] if row is not None else []
    if not named:
        known = ", ".join(list_scenarios(conn)["name"].astype(str).tolist()[:10]) or "none saved yet"
        raise PlanningInputError(f"no scenario named {ref!r} (known: {known})")
    row = named[0]
    return ScenarioHeader(int(row.id), str(row.name), str(row.owner), row.province_code)


def scenario_actions(conn: Connection, ref: int | str) -> pd.DataFrame:
    """The actions of scenario ``ref`` (an id or a name, :func:`find_scenario`) as PLAN_COLUMNS (and ``year``,
    ``budget_line`` for a scenario over years)."""
    header = find_scenario(conn, ref)
    rows = conn.execute(queries.load("scenario_actions_by_id"), {"id": header.id}).mappings().all()
    phased = any(r["year"] is not None for r in rows)   # a plan over years keeps its year and budget line
    frame = pd.DataFrame(rows, columns=[*PLAN_COLUMNS, "year", "budget_line"] if phased else PLAN_COLUMNS)
    for col in ("cost_vnd", "added_population"):
        frame[col] = frame[col].astype(float)
    frame["facility_id"] = frame["facility_id"].astype("Int64")
    return frame


def compare_scenarios(conn: Connection, ref_a: int | str, ref_b: int | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Compare two scenarios (ids or names): (totals per scenario, actions only in A or only in B).

    Actions match on (action, facility id) for repairs and upgrades, and on (action, place to ~1 m) for new
    clusters and stations. Scenarios are labelled by name (with the owner when both have the same name).
    """
    head_a, head_b = find_scenario(conn, ref_a), find_scenario(conn, ref_b)
    same = head_a.name == head_b.name
    name_a, name_b = (f"{h.name} ({h.owner})" if same else h.name for h in (head_a, head_b))
    a, b = scenario_actions(conn, head_a.id), scenario_actions(conn, head_b.id)
    totals = pd.DataFrame(
        [
            {
                "scenario": n,
                "actions": len(f),
                "cost_vnd": float(f["cost_vnd"].sum()),
                "added_population": float(f["added_population"].sum()),
                "added_villages": int(f["added_villages"].sum()),
            }
            for n, f in ((name_a, a), (name_b, b))
        ]
    )
    key_a, key_b = _action_keys(a), _action_keys(b)
    only_a = a[~key_a.isin(set(key_b))].assign(only_in=name_a)
    only_b = b[~key_b.isin(set(key_a))].assign(only_in=name_b)
    return totals, pd.concat([only_a, only_b], ignore_index=True)


def _action_keys(frame: pd.DataFrame) -> pd.Series:
    keys = [
        f"{r['action']}|{r['facility_id']}"
        if not pd.isna(r["facility_id"]) and r["action"] != "build_station"
        else f"{r['action']}|{round(float(r['lon']), 5)}|{round(float(r['lat']), 5)}"
        for r in _records(frame)
    ]
    return pd.Series(keys, index=frame.index, dtype=object)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
