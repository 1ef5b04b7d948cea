"""Assess communes: every stored column of coverage_commune (coverage, people reached, villages, NTM verdicts,
class) computed for a set of communes, without writing them (analysis.store writes them).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection

from analysis.cover import cover_communes
from analysis.coverage import CoverageParams
from analysis.criteria import (
    CriteriaRule,
    classify_communes,
    share_with_cultural_house,
)
from analysis.population import (
    spread_evenly,
)
from analysis.population_raster import RasterInfo, RasterPeopleCounter, cache_totals, cached_totals
from analysis.rules import RuleSet, commune_groups, judge_indicator, rule_set_for_data

CENSUS_EVENLY = "census 2019 commune total spread evenly over the commune (no population raster)"
RASTER_CELL_CENTRES = "population raster, cells counted by their centre"
NO_POPULATION = "no population known (no raster, no census): share of people = share of area covered"


def assess_communes(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    *,
    params: CoverageParams,
    rule: CriteriaRule,
    raster: RasterInfo | None,
    workers: int | None = None,
    timings: dict[str, float] | None = None,
    rule_set: RuleSet | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Compute every stored column for these communes (see coverage_commune); writes only raster totals.

    ``timings`` (optional) receives the seconds spent on coverage, people and criteria; ``rule_set`` judges
    the NTM indicators (default: the set in force on the data date).
    """
    return _assess_communes(
        conn,
        communes,
        facilities,
        villages,
        params=params,
        rule=rule,
        rule_set=rule_set or rule_set_for_data(conn, facilities["data_date"]),
        raster=raster,
        workers=workers,
        timings=timings,
        geometries=True,
    )


def _assess_communes(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    *,
    params: CoverageParams,
    rule: CriteriaRule,
    rule_set: RuleSet,
    raster: RasterInfo | None,
    workers: int | None,
    timings: dict[str, float] | None,
    geometries: bool,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The steps: cover (discs, villages and raster people, in workers), people (census or raster), the
    facilities' counts per commune, the people's share, then the NTM verdicts and class of each commune."""
    timings = timings if timings is not None else {}
    mark = time.perf_counter()
    coverage, villages_df, cached = _cover(
        conn, communes, facilities, villages, params=params, raster=raster, workers=workers, geometries=geometries
    )
    timings["coverage_and_people"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pop_total, pop_covered, method = _people(conn, communes, coverage, raster, cached)
    codes = communes["code"].to_numpy()
    counts = _facility_counts(codes, facilities, villages_df)
    pop_share = _people_share(pop_total, pop_covered, coverage)
    verdicts = _verdicts(counts, pop_share, communes["commune_group"], rule=rule, rule_set=rule_set)
    table = gpd.GeoDataFrame(
        {
            "code": codes,
            "area_km2": _area_km2(communes, coverage),
            "covered_area_km2": coverage["covered_area_km2"],
            "covered_area_share": coverage["covered_area_share"],
            "pop_total": pop_total,
            "pop_covered": np.minimum(pop_covered, pop_total),
            "pop_covered_share": pop_share,
            "villages_total": counts["villages_total"],
            "villages_reached": counts["villages_reached"],
            "clusters_working": coverage["clusters_working"],
            "clusters_broken": coverage["clusters_broken"],
            "station_operational": counts["station_operational"],
            "ntm_8_1": counts["ntm_8_1"],
            "ntm_6_3_share": counts["ntm_6_3_share"],
            **verdicts,  # ntm_8_3, class, reason, reason_en
            "population_method": method,
            "data_date": _data_dates(facilities, codes),
            "covered_ewkb": coverage["covered_ewkb"].to_numpy(),
            "commune_culture_houses": counts["commune_culture_houses"],
            "commune_group": communes["commune_group"].to_numpy(),
            "rules_name": rule_set.name,
            "rules_hash": rule_set.sha256,
            "rules_provisional": rule_set.provisional,
        },
        geometry=coverage.geometry.values,
        crs=4326,
    )
    timings["criteria"] = time.perf_counter() - mark
    return table, villages_df


def _verdicts(
    counts: dict[str, np.ndarray], pop_share: np.ndarray, commune_group: pd.Series, *, rule: CriteriaRule,
    rule_set: RuleSet,
) -> dict[str, Any]:
    """NTM 8.3 under the rule set in force, and the class of each commune with its reason (Vietnamese, English)."""
    station, v_total, v_reached = counts["station_operational"], counts["villages_total"], counts["villages_reached"]
    group, _ = commune_groups(commune_group)
    classes, reason_vi, reason_en = classify_communes(station, pop_share, v_total, v_reached, rule=rule)
    ntm_8_3 = judge_indicator(
        pd.DataFrame({"station_operational": station, "villages_total": v_total, "villages_reached": v_reached}),
        rule_set.radio,
        group,
    ).astype(bool)
    return {"ntm_8_3": ntm_8_3, "class": classes, "reason": reason_vi, "reason_en": reason_en}


def _cover(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    facilities: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    *,
    params: CoverageParams,
    raster: RasterInfo | None,
    workers: int | None,
    geometries: bool,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, np.ndarray | None]:
    """Coverage of each commune and village, with the raster's people counted in the same pass; returns the
    raster totals already cached (NaN where not yet), or None without a raster."""
    # cover_communes reads the lon/lat columns: no 200,000 shapely points to make.
    clusters = gpd.GeoDataFrame(facilities)
    cached = None
    if raster is not None:
        cached, _ = cached_totals(conn, raster, communes["code"].tolist())
    coverage, villages_df, _ = cover_communes(
        communes,
        clusters,
        villages,
        params=params,
        workers=workers,
        people=RasterPeopleCounter(raster.path) if raster is not None else None,
        need_total=np.isnan(cached) if cached is not None else None,
        geometries=geometries,
    )
    return coverage, villages_df, cached


def _facility_counts(codes: np.ndarray, facilities: pd.DataFrame, villages_df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per commune: working station and post-culture point, villages total/reached, the share of villages with a
    cultural house (NTM 6.3) and the commune's own cultural halls."""
    working = facilities[facilities["is_working"].astype(bool)]
    # Hashed look-ups (np.isin sorts the code strings: 0.09 s nationally).
    station = pd.Index(codes).isin(working.loc[working["type"] == "commune_radio_station", "commune_code"])
    post = pd.Index(codes).isin(working.loc[working["type"] == "post_culture_point", "commune_code"])
    v_total = _count_by(villages_df["commune_code"], codes)
    v_reached = _count_by(villages_df.loc[villages_df["reached"], "commune_code"], codes)
    houses = working[(working["type"] == "cultural_house") & working["village_id"].notna()]
    with_house = villages_df[villages_df["id"].isin(houses["village_id"].astype("int64"))]
    # The commune's own cultural house / multi-purpose hall: a working cultural house tied to no village.
    hall = working.loc[(working["type"] == "cultural_house") & working["village_id"].isna(), "commune_code"]
    return {
        "station_operational": station,
        "ntm_8_1": post,
        "villages_total": v_total,
        "villages_reached": v_reached,
        "ntm_6_3_share": share_with_cultural_house(v_total, _count_by(with_house["commune_code"], codes)),
        "commune_culture_houses": _count_by(hall, codes),
    }


def _people_share(pop_total: np.ndarray, pop_covered: np.ndarray, coverage: gpd.GeoDataFrame) -> np.ndarray:
    # No population known at all (no raster, no census loaded): people spread evenly means the share of people
    # reached is the share of area covered; the totals stay empty and population_method says so.
    known = np.isfinite(pop_total) & (pop_total > 0)
    return np.clip(
        np.where(
            known,
            np.divide(pop_covered, pop_total, out=np.zeros(len(pop_total)), where=known),
            coverage["covered_area_share"].to_numpy(),
        ),
        0,
        1,
    )


def _area_km2(communes: gpd.GeoDataFrame, coverage: gpd.GeoDataFrame) -> np.ndarray:
    share = coverage["covered_area_share"].to_numpy()
    km2 = coverage["covered_area_km2"].to_numpy()
    area = pd.to_numeric(communes["area_km2"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(area), area, np.divide(km2, share, out=np.zeros_like(km2), where=share > 0))


def _people(
    conn: Connection | None,
    communes: gpd.GeoDataFrame,
    coverage: gpd.GeoDataFrame,
    raster: RasterInfo | None,
    cached_totals: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Combine the raster counts made during coverage with census totals; cache new raster totals."""
    census = pd.to_numeric(communes["population"], errors="coerce").to_numpy(dtype=float)
    census_covered = np.where(
        np.isfinite(census), spread_evenly(census, coverage["covered_area_share"].to_numpy()), np.nan
    )
    census_method = [CENSUS_EVENLY if np.isfinite(c) else NO_POPULATION for c in census]
    if raster is None or cached_totals is None:
        return census, census_covered, census_method
    totals = cached_totals.copy()
    new = np.flatnonzero(np.isnan(totals))
    totals[new] = coverage["pop_total_raster"].to_numpy()[new]
    if len(new):
        codes = communes["code"].tolist()
        cache_totals(conn, raster, [codes[i] for i in new], totals[new])
    covered = coverage["pop_covered_raster"].to_numpy()
    # A commune the raster does not reach (outside it, or all nodata) falls back to its census total.
    fallback = (totals <= 0) & ~(census <= 0)
    method = [m if f else RASTER_CELL_CENTRES for f, m in zip(fallback, census_method, strict=True)]
    return (np.where(fallback, census, totals), np.where(fallback, census_covered, covered), method)


def population_source(raster: RasterInfo | None, methods: pd.Series) -> str:
    """What the run's people figures come from; without a raster, what the communes' own methods say (a commune
    without a census total has no population: only its share of area is known)."""
    if raster is None:
        counts = methods.value_counts()
        if len(counts) <= 1:
            return str(counts.index[0]) if len(counts) else NO_POPULATION
        return "; ".join(f"{method} ({count} communes)" for method, count in counts.items())
    kind = "derived" if raster.derived else "observed"
    note = f": {raster.description}" if raster.description else ""
    return f"{RASTER_CELL_CENTRES}: {raster.path} ({kind}{note})"


def _count_by(values: pd.Series, codes: np.ndarray) -> np.ndarray:
    return values.value_counts().reindex(codes, fill_value=0).to_numpy(dtype=np.int64)


def _data_dates(facilities: pd.DataFrame, codes: np.ndarray) -> list[date | None]:
    if facilities.empty:
        return [None] * len(codes)
    # As datetime64: the maximum of strings per group runs in Python (0.25 s for 200,000 facilities).
    days = pd.to_datetime(facilities["data_date"], format="%Y-%m-%d")
    latest = days.groupby(facilities["commune_code"]).max().reindex(codes)
    return [None if pd.isna(d) else d.date() for d in latest]
