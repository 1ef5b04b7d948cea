"""Run the coverage analysis against the database: read inputs, compute, store coverage_commune/_village.

``analyse(conn, ...)`` recomputes and stores the communes it is given; which communes, under which locks, and
when, is analysis.refresh's job (the one path every writer goes through).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection

from analysis.assessment import _assess_communes, population_source
from analysis.coverage import CoverageParams
from analysis.criteria import CriteriaRule
from analysis.inputs import read_coverage_inputs
from analysis.population_raster import RasterInfo, active_population_raster
from analysis.rules import RuleSet, rule_set_for_data
from sql import queries
from sql.bulk import copy_rows
from sql.copy_binary import copy_binary_columns


@dataclass(frozen=True)
class AnalyseResult:
    """What one recompute did: the run, how many communes of each class, the time it took."""

    run_id: int | None
    communes: int
    villages: int
    classes: dict[str, int]
    population_source: str
    seconds: float
    phase_seconds: dict[str, float] = field(default_factory=dict)
    rules_name: str = ""
    rules_provisional: bool = False


def analyse(
    conn: Connection,
    *,
    province_code: str | None = None,
    commune_codes: list[str] | None = None,
    params: CoverageParams | None = None,
    rule: CriteriaRule | None = None,
    rule_set: RuleSet | None = None,
    workers: int | None = None,
) -> AnalyseResult:
    """Recompute and store coverage for a province, some communes, or every commune (both None).

    Stores one coverage_run, and for each commune its coverage_commune row (with the covered geometry) and
    its villages' coverage_village rows, replacing earlier results. Leaves coverage_stale alone: call it
    through :func:`analysis.refresh.bring_current`, which drains and locks the communes first.
    NTM verdicts are judged under ``rule_set`` (default: the set in force on the data date, analysis.rules).
    """
    start = time.perf_counter()
    communes, facilities, villages = read_coverage_inputs(
        conn, province_code=province_code, commune_codes=commune_codes
    )
    rule_set = rule_set or rule_set_for_data(conn, facilities["data_date"])
    params, rule = params or CoverageParams(), rule or CriteriaRule(version=rule_set.model.version)
    if communes.empty:
        return AnalyseResult(None, 0, 0, {}, "", time.perf_counter() - start)
    raster = active_population_raster(conn)
    phases = {"read": time.perf_counter() - start}
    # The stored geometry goes to the database as the EWKB the workers made: no shapely geometries here.
    table, villages_df = _assess_communes(
        conn,
        communes,
        facilities,
        villages,
        params=params,
        rule=rule,
        rule_set=rule_set,
        raster=raster,
        workers=workers,
        timings=phases,
        geometries=False,
    )
    mark = time.perf_counter()
    scope = _scope_name(province_code, commune_codes)
    run_id = _store(
        conn, table, villages_df, scope=scope, params=params, rule=rule, raster=raster, rule_set=rule_set
    )
    phases["store"] = time.perf_counter() - mark
    classes = table["class"].value_counts().to_dict()
    return AnalyseResult(
        run_id,
        len(table),
        len(villages_df),
        {str(k): int(v) for k, v in classes.items()},
        population_source(raster, table["population_method"]),
        time.perf_counter() - start,
        phases,
        rule_set.name,
        rule_set.provisional,
    )


def _scope_name(province_code: str | None, commune_codes: list[str] | None) -> str:
    """The run's scope as stored: one commune's code, the province, "communes" or "all"."""
    return (
        commune_codes[0]
        if commune_codes and len(commune_codes) == 1
        else (province_code or ("communes" if commune_codes else "all"))
    )


def _store(
    conn: Connection,
    table: gpd.GeoDataFrame,
    villages_df: pd.DataFrame,
    *,
    scope: str,
    params: CoverageParams,
    rule: CriteriaRule,
    raster: RasterInfo | None,
    rule_set: RuleSet,
) -> int:
    """Store one coverage_run and, replacing earlier results, its communes' and villages' rows; return the run."""
    run_params = _run_params(table, params=params, rule=rule, raster=raster)
    run_id = _insert_run(conn, table, run_params, scope=scope, rule=rule, raster=raster, rule_set=rule_set)
    codes = table["code"].tolist()
    conn.execute(queries.load("deleted_coverage_villages"), {"commune_codes": codes}).all()
    conn.execute(queries.load("deleted_coverage_communes"), {"commune_codes": codes}).all()
    _copy_communes(conn, table, run_id, run_params, rule=rule)
    _copy_villages(conn, villages_df, run_id)
    return run_id


def _run_params(
    table: gpd.GeoDataFrame, *, params: CoverageParams, rule: CriteriaRule, raster: RasterInfo | None
) -> dict[str, Any]:
    """The parameters a run records: coverage, criteria and where its people figures come from."""
    return {
        "coverage": params.to_dict(),
        "criteria": rule.to_dict(),
        "population": {
            "source": population_source(raster, table["population_method"]),
            "raster_id": raster.id if raster else None,
            "counting": "cell centres",
        },
    }


def _insert_run(
    conn: Connection,
    table: gpd.GeoDataFrame,
    run_params: dict[str, Any],
    *,
    scope: str,
    rule: CriteriaRule,
    raster: RasterInfo | None,
    rule_set: RuleSet,
) -> int:
    dates = [d for d in table["data_date"] if d is not None]
    return int(
        conn.execute(
            queries.load("insert_coverage_run"),
            {
                "scope": scope,
                "rule_version": rule.version,
                "params": json.dumps(run_params, ensure_ascii=False),
                "data_date": max(dates) if dates else None,
                "population_source": population_source(raster, table["population_method"]),
                "rules_name": rule_set.name,
                "rules_hash": rule_set.sha256,
            },
        ).scalar_one()
    )


def _copy_communes(
    conn: Connection, table: gpd.GeoDataFrame, run_id: int, run_params: dict[str, Any], *, rule: CriteriaRule
) -> None:
    base = json.dumps(run_params, ensure_ascii=False)[:-1]
    n = len(table)
    methods = table["population_method"].to_numpy(dtype=object)
    params = {m: base + ', "population_method": ' + json.dumps(m, ensure_ascii=False) + "}" for m in set(methods)}
    # Binary COPY, column by column: the geometries go as the EWKB the workers made (None or NaN when no working
    # cluster), which the server reads without parsing text.
    columns: dict[str, Any] = {
        "commune_code": table["code"].to_numpy(dtype=object),
        "run_id": np.full(n, run_id, dtype=np.int64),
        **{name: table[name].to_numpy() for name in _COMMUNE_COLUMNS_AS_IS},
        "rule_version": np.full(n, rule.version, dtype=object),
        "params": np.array([params[m] for m in methods], dtype=object),
        "data_date": table["data_date"].to_numpy(dtype=object),
        "geom": table["covered_ewkb"].to_numpy(dtype=object),
        "commune_group": pd.to_numeric(table["commune_group"], errors="coerce").to_numpy(dtype=float),
    }
    copy_binary_columns(conn, "coverage_commune", columns)  # by name: the order is the COPY's column list


def _copy_villages(conn: Connection, villages_df: pd.DataFrame, run_id: int) -> None:
    copy_rows(
        conn,
        "coverage_village",
        ("village_id", "commune_code", "reached", "run_id"),
        (
            (int(i), c, bool(r), run_id)
            for i, c, r in zip(
                villages_df["id"], villages_df["commune_code"], villages_df["reached"], strict=True
            )
        ),
    )


# Columns of the assessed table stored under their own name and as they are.
_COMMUNE_COLUMNS_AS_IS = (
    "area_km2",
    "covered_area_km2",
    "covered_area_share",
    "pop_total",
    "pop_covered",
    "pop_covered_share",
    "villages_total",
    "villages_reached",
    "clusters_working",
    "clusters_broken",
    "station_operational",
    "ntm_8_1",
    "ntm_6_3_share",
    "ntm_8_3",
    "class",
    "reason",
    "reason_en",
    "commune_culture_houses",
    "rules_name",
    "rules_hash",
    "rules_provisional",
)
