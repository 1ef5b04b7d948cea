"""Underserved communes as a table for planners: the issue-4 columns, a priority score, and file writers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from sqlalchemy import Connection

from analysis.outputs.gaps import gap_parameters, write_gap_file
from analysis.rules import RuleSet, group_label, judge_communes, rule_set_for_data
from sql import queries

# Issue 4: these columns, in this order, then the extras. Shares are fractions 0-1.
GAP_COLUMNS = (
    "commune_code",
    "commune_name",
    "province_code",
    "province_name",
    "area_km2",
    "covered_area_km2",
    "covered_area_share",
    "pop_total",
    "pop_covered",
    "pop_covered_share",
    "villages_total",
    "villages_reached",
    "station_operational",
    "ntm_8_3",
    "class",
    "reason",
)
EXTRA_COLUMNS = (
    "pop_uncovered",
    "villages_not_reached",
    "clusters_working",
    "clusters_broken",
    "ntm_8_1",
    "ntm_6_3_share",
    "priority_score",
    "reason_en",
    "population_method",
    "rule_version",
    "data_date",
    "computed_at",
    "run_id",
)
# Headers (Vietnamese / English) and labels of these columns: analysis/outputs/catalogue.py (GAP_CATALOGUE).
# Priority: mostly how many people are still out of reach (relative to the worst commune exported), then how
# far the commune is from the 90 % line, villages without a loudspeaker, and a missing station. A planner's
# first sort key, not a plan (analysis/planning.py optimises); weights stored with each export.
PRIORITY_WEIGHTS: dict[str, float] = {
    "uncovered_people": 0.5,
    "uncovered_share": 0.2,
    "villages_not_reached_share": 0.2,
    "no_station": 0.1,
}


def score_gap_priority(
    uncovered_people: NDArray[np.float64],
    pop_covered_share: NDArray[np.float64],
    villages_not_reached_share: NDArray[np.float64],
    station_working: NDArray[np.bool_],
    *,
    weights: Mapping[str, float] = PRIORITY_WEIGHTS,
) -> NDArray[np.float64]:
    """Return a 0-1 priority per commune (1 = most urgent) as a weighted sum of 0-1 terms."""
    top = float(np.nanmax(uncovered_people)) if len(uncovered_people) else 0.0
    people = np.divide(uncovered_people, top, out=np.zeros(len(uncovered_people)), where=top > 0)
    score = (
        weights["uncovered_people"] * people
        + weights["uncovered_share"] * (1 - np.nan_to_num(pop_covered_share))
        + weights["villages_not_reached_share"] * np.nan_to_num(villages_not_reached_share)
        + weights["no_station"] * (~station_working.astype(bool))
    )
    return np.asarray(np.clip(score / sum(weights.values()), 0.0, 1.0), dtype=float)


def coverage_gaps(
    conn: Connection, *, province_code: str | None = None, rule_set: RuleSet | None = None
) -> gpd.GeoDataFrame:
    """Return the stored coverage per commune as the gaps table: GAP_COLUMNS then EXTRA_COLUMNS, then
    commune_group, rules_provisional and ``verdict_<indicator>`` per indicator of ``rule_set`` (default: the set
    in force on the data date); one row per analysed commune ordered by province and commune code, with the
    commune polygons (EPSG:4326). ``attrs`` name the set and its sha256."""
    rows = conn.execute(queries.load("coverage_gaps"), {"province_code": province_code}).all()
    frame = pd.DataFrame([r._asdict() for r in rows])
    if frame.empty:
        return gpd.GeoDataFrame(columns=[*GAP_COLUMNS, *EXTRA_COLUMNS], geometry=[], crs=4326)
    geoms = shapely.from_wkb([bytes(b) for b in frame.pop("geom_wkb")])
    frame["pop_uncovered"] = (frame["pop_total"].fillna(0) - frame["pop_covered"].fillna(0)).clip(lower=0)
    frame["villages_not_reached"] = frame["villages_total"] - frame["villages_reached"]
    not_reached_share = np.divide(
        frame["villages_not_reached"].to_numpy(float),
        frame["villages_total"].to_numpy(float),
        out=np.zeros(len(frame)),
        where=frame["villages_total"].to_numpy() > 0,
    )
    frame["priority_score"] = score_gap_priority(
        frame["pop_uncovered"].to_numpy(float),
        frame["pop_covered_share"].to_numpy(float),
        not_reached_share,
        frame["station_operational"].to_numpy(bool),
    )
    rule_set = rule_set or rule_set_for_data(conn, frame["data_date"])
    verdicts = judge_communes(frame, rule_set).drop(columns="passes")
    frame["commune_group"] = [group_label(g)[0] for g in frame["commune_group"]]
    frame["rules_provisional"] = rule_set.provisional
    frame = pd.concat([frame[[*GAP_COLUMNS, *EXTRA_COLUMNS, "commune_group", "rules_provisional"]], verdicts],
                      axis=1)
    out = gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)
    out.attrs.update(rules_name=rule_set.name, rules_hash=rule_set.sha256)
    return out


def gaps_metadata(
    conn: Connection, gaps: pd.DataFrame, *, province_code: str | None
) -> list[tuple[str, Any]]:
    """Return readable (name, value) rows saying what produced the export: scope, data dates, "số liệu tính
    đến", rule set, priority weights, each run's settings (analysis.outputs.gaps.gap_parameters)."""
    rules = f"{gaps.attrs.get('rules_name', '')} (sha256 {str(gaps.attrs.get('rules_hash', ''))[:12]})"
    return gap_parameters(conn, gaps, province_code=province_code, weights=PRIORITY_WEIGHTS, rules=rules)


def write_gaps(gaps: gpd.GeoDataFrame, path: Path, *, fmt: str, metadata: Sequence[tuple[str, Any]],
               lang: str = "vi") -> Path:
    """Write the gaps table as xlsx (typed, Vietnamese headers, "Tham số" sheet), csv (standard), csv-excel
    (";", decimal comma), gpkg (GeoPackage 1.2, aliases, style, metadata) or geojson (RFC 7946); return the
    path. The one writer is analysis/outputs/."""
    return write_gap_file(gaps, path, fmt=fmt, parameters=metadata, lang=lang)
