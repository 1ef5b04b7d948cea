"""Candidate actions of a plan: repairs, new clusters at the best sites of uncovered people, station builds and
upgrades (bundles of their first clusters), integrations of merged communes, and the user's own sites."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from analysis.coverage import CoverageParams
from analysis.planning.area import _Area, _cluster_radii, _commune_of, _new_cluster_radius_m
from analysis.planning.params import REASONS, SITE_BLOCK_M, TECHNOLOGY_VI, CandidateSite, PlanningInputError, UnitCosts
from analysis.planning.scenarios import _records


def _site_blocks(xy: np.ndarray, people: np.ndarray, group: np.ndarray, *, top: int = 20) -> pd.DataFrame:
    """Candidate sites from uncovered people: the people-weighted centre of each SITE_BLOCK_M block per
    commune, the ``top`` most populous blocks of each commune."""
    if len(xy) == 0:
        return pd.DataFrame(columns=["commune", "x", "y", "people"])
    frame = pd.DataFrame(
        {
            "commune": group,
            "bx": np.floor(xy[:, 0] / SITE_BLOCK_M),
            "by": np.floor(xy[:, 1] / SITE_BLOCK_M),
            "wx": xy[:, 0] * people,
            "wy": xy[:, 1] * people,
            "people": people,
        }
    )
    blocks = frame.groupby(["commune", "bx", "by"], as_index=False)[["wx", "wy", "people"]].sum()
    blocks = blocks[blocks["people"] > 0]
    blocks["x"], blocks["y"] = blocks["wx"] / blocks["people"], blocks["wy"] / blocks["people"]
    blocks = blocks.sort_values(["commune", "people", "bx", "by"], ascending=[True, False, True, True])
    return blocks.groupby("commune").head(top)[["commune", "x", "y", "people"]].reset_index(drop=True)


def _dedupe_sites(sites: pd.DataFrame, *, min_spacing_m: float = 100.0) -> pd.DataFrame:
    """Keep the first of sites closer than ``min_spacing_m`` in one commune (villages first, then houses)."""
    if len(sites) < 2:
        return sites
    pairs = cKDTree(sites[["x", "y"]].to_numpy(float)).query_pairs(min_spacing_m, output_type="ndarray")
    same = sites["commune"].to_numpy()[pairs[:, 0]] == sites["commune"].to_numpy()[pairs[:, 1]]
    drop = set(pairs[same].max(axis=1).tolist())
    return sites.drop(index=sites.index[sorted(drop)]).reset_index(drop=True)


def _drop_sites_near_repairs(
    sites: pd.DataFrame, area: _Area, code_index: Mapping[str, int], *, within_m: float = 150.0
) -> pd.DataFrame:
    """Drop new-cluster sites next to a broken or degraded cluster of the same commune: there the choice is
    to repair it (its own candidate), not to put a second cluster beside it."""
    repairable = area.clusters[area.clusters["status"].isin(["broken", "degraded"])]
    if len(sites) == 0 or len(repairable) == 0:
        return sites
    tree = cKDTree(repairable[["x", "y"]].to_numpy(float))
    near = tree.query_ball_point(sites[["x", "y"]].to_numpy(float), within_m)
    groups = repairable["commune_code"].map(code_index).to_numpy()
    site_group = sites["commune"].to_numpy()
    drop = [i for i, hits in enumerate(near) if any(groups[h] == site_group[i] for h in hits)]
    return sites.drop(index=sites.index[drop]).reset_index(drop=True)


def _top_sites_bundle(
    coverage: sp.csc_matrix, columns: Sequence[int], people: np.ndarray, k: int
) -> list[int]:
    """The ``k`` site columns a station's first clusters go to: greedy by newly reached people."""
    covered = np.zeros(coverage.shape[0], dtype=bool)
    chosen: list[int] = []
    pool = list(columns)
    for _ in range(min(k, len(pool))):
        gains = [
            float(
                people[coverage.indices[coverage.indptr[j] : coverage.indptr[j + 1]]][
                    ~covered[coverage.indices[coverage.indptr[j] : coverage.indptr[j + 1]]]
                ].sum()
            )
            for j in pool
        ]
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        j = pool.pop(best)
        chosen.append(j)
        covered[coverage.indices[coverage.indptr[j] : coverage.indptr[j + 1]]] = True
    return chosen


def _candidate_rows(
    area: _Area,
    sites: pd.DataFrame,
    costs: UnitCosts,
    user_sites: Sequence[CandidateSite],
    code_index: Mapping[str, int],
    params: CoverageParams,
) -> pd.DataFrame:
    """Disc candidates: repairs, new clusters at generated sites, the user's sites (bundles come later)."""
    working = area.today["station_operational"].to_numpy(bool)
    is_fm = (area.communes["station_technology"] == "fm_wireless").to_numpy() & working
    rows: list[dict[str, Any]] = []
    broken = area.clusters[area.clusters["status"].isin(["broken", "degraded"])]
    repaired = _cluster_radii(broken, params, status="operational")
    ip_radius, fm_radius = _new_cluster_radius_m("ip", params), _new_cluster_radius_m("fm_wireless", params)
    age = date.today().year - pd.to_numeric(broken["installed_year"], errors="coerce").to_numpy(float)
    worn = (
        (broken["status"] == "broken").to_numpy()
        & broken["technology"].isin(list(TECHNOLOGY_VI)).to_numpy()
        & (np.nan_to_num(age, nan=-1.0) >= costs.worn_out_after_years)
    )
    for rec, radius, old, years in zip(_records(broken), repaired, worn, age, strict=True):
        # Công văn 271: a worn-out wired/FM cluster is replaced by an IP one, not repaired.
        rows.append(
            dict(
                action="replace_cluster_ip" if old else "repair_cluster",
                facility_id=int(rec["id"]),
                x=rec["x"],
                y=rec["y"],
                commune=code_index[rec["commune_code"]],
                cost_vnd=costs.new_ip_cluster if old else costs.repair_cluster,
                radius_m=ip_radius if old else radius,
                site=-1,
                reason=REASONS["replace_cluster_ip"].format(
                    technology=TECHNOLOGY_VI.get(rec["technology"], ""), age=int(years) if old else 0
                ) if old else REASONS["repair_cluster"],
            )
        )
    for s, rec in enumerate(_records(sites)):
        c = int(rec["commune"])
        # Every site may take an IP cluster; an FM cluster only where the commune's station is FM.
        offers = [("new_ip_cluster", costs.new_ip_cluster, ip_radius)]
        if is_fm[c]:
            offers.append(("new_fm_cluster", costs.new_fm_cluster, fm_radius))
        rows.extend(
            dict(action=action, facility_id=None, x=rec["x"], y=rec["y"], commune=c, cost_vnd=cost,
                 radius_m=radius, site=s, reason=REASONS[action])
            for action, cost, radius in offers
        )
    rows.extend(_user_candidate_rows(area, costs, user_sites, is_fm, params, first_site=len(sites)))
    return pd.DataFrame(rows, columns=_CANDIDATE_COLUMNS)


_CANDIDATE_COLUMNS = ["action", "facility_id", "x", "y", "commune", "cost_vnd", "radius_m", "site", "reason"]


def _user_candidate_rows(
    area: _Area,
    costs: UnitCosts,
    user_sites: Sequence[CandidateSite],
    is_fm: np.ndarray,
    params: CoverageParams,
    *,
    first_site: int,
) -> list[dict[str, Any]]:
    if not user_sites:
        return []
    x, y = area.to_metric.transform(
        np.array([s.lon for s in user_sites]), np.array([s.lat for s in user_sites])
    )
    commune = _commune_of(np.column_stack([x, y]), area.polygons_m)
    rows = []
    for n, (site, cx, cy, c) in enumerate(zip(user_sites, x, y, commune, strict=True), start=2):
        where = f"candidates row {n}{f' ({site.label})' if site.label else ''}"
        if site.action not in ("new_ip_cluster", "new_fm_cluster", "repair_cluster"):
            raise PlanningInputError(
                f"{where}, field 'action': {site.action!r} is not a cluster action "
                "(use new_ip_cluster, new_fm_cluster or repair_cluster)"
            )
        if c < 0:
            raise PlanningInputError(
                f"{where}: point (lon {site.lon}, lat {site.lat}) is in none of the planned "
                "communes; were lat/lon swapped?"
            )
        if site.action == "new_fm_cluster" and not is_fm[c]:
            raise PlanningInputError(f"{where}: an FM cluster needs a working FM station in its commune")
        rows.append(
            dict(
                action=site.action,
                facility_id=None,
                x=float(cx),
                y=float(cy),
                commune=int(c),
                cost_vnd=site.cost_vnd if site.cost_vnd is not None else getattr(costs, site.action),
                radius_m=site.radius_m
                or _new_cluster_radius_m("fm_wireless" if site.action == "new_fm_cluster" else "ip", params),
                site=first_site + n,
                reason=f"Điểm do người dùng đề xuất: {REASONS[site.action]}",
            )
        )
    return rows


def _bundles(
    area: _Area, cand: pd.DataFrame, coverage: sp.csc_matrix, people: np.ndarray, costs: UnitCosts
) -> tuple[pd.DataFrame, list[list[int]]]:
    """Station actions as bundles of their first clusters: build where no station works, upgrade wired/FM.

    A merged commune with several working stations gets neither (Công văn 271: it keeps one station and joins
    the others' clusters: :func:`_integrations`).
    """
    rows, members = [], []
    ip_sites = cand.index[(cand["action"] == "new_ip_cluster") & (cand["site"] >= 0)]
    by_commune = cand.loc[ip_sites].groupby("commune").groups
    working = area.today["station_operational"].to_numpy(bool)
    for c, rec in enumerate(_records(area.communes)):
        if (working[c] and rec["station_technology"] == "ip") or rec["stations_working"] > 1:
            continue
        action = "upgrade_station_ip" if working[c] else "build_station"
        k = costs.upgrade_clusters if working[c] else costs.build_station_clusters
        chosen = _top_sites_bundle(coverage, list(by_commune.get(c, [])), people, k)
        if not chosen:
            continue
        if rec["station_lon"] is not None and np.isfinite(rec["station_lon"]):
            x, y = area.to_metric.transform(rec["station_lon"], rec["station_lat"])
        else:
            x, y = cand.at[chosen[0], "x"], cand.at[chosen[0], "y"]
        facility = None if rec["station_id"] is None or pd.isna(rec["station_id"]) else int(rec["station_id"])
        rows.append(
            dict(
                action=action,
                facility_id=facility,
                x=float(x),
                y=float(y),
                commune=c,
                cost_vnd=getattr(costs, action),
                radius_m=np.nan,
                site=-1,
                reason=REASONS[action],
            )
        )
        members.append(chosen)
    return pd.DataFrame(rows, columns=cand.columns), members


def _integrations(area: _Area, costs: UnitCosts) -> pd.DataFrame:
    """One ``integration`` per merged commune with several working stations (Công văn 271): at the station
    kept (the newest technology), one integration device per other station. The plan must include them."""
    rows = []
    for c, rec in enumerate(_records(area.communes)):
        n = int(rec["stations_working"])
        if n < 2:
            continue
        x, y = area.to_metric.transform(rec["station_lon"], rec["station_lat"])
        rows.append(dict(action="integration", facility_id=int(rec["station_id"]), x=float(x), y=float(y),
                         commune=c, cost_vnd=costs.integration * (n - 1), radius_m=np.nan, site=-1,
                         reason=REASONS["integration"].format(n=n, others=n - 1)))
    return pd.DataFrame(rows, columns=_CANDIDATE_COLUMNS)
