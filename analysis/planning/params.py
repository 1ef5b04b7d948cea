"""Plan parameters and results: the actions, their reasons and unit costs, a candidate site, the options and
what a plan returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from analysis.planning.problem import DEFAULT_TIME_LIMIT_S, PlanSolution
from sql.errors import InputRefused

#: Why each action is proposed, naming the rule (the plan's reason column). Công văn 271/TTCSTTĐN-TTCS
#: (19/5/2025, Bộ VHTTDL): a merged commune keeps one station and joins the others' clusters to it with an
#: integration device; wired/FM stations stay in use until worn out; every new or replacement station is IP.
CV_271 = "Công văn 271/TTCSTTĐN-TTCS"
REASONS = {
    "repair_cluster": "Sửa cụm loa hỏng / xuống cấp để phục vụ trở lại",
    "new_ip_cluster": f"Cụm loa mới ứng dụng CNTT-VT (IP) ({CV_271}: đầu tư mới là IP)",
    "new_fm_cluster": f"Mở rộng đài FM đang hoạt động ({CV_271}: đài FM dùng đến khi hết khấu hao)",
    "upgrade_station_ip": f"Nâng cấp / thay thế đài bằng đài ứng dụng CNTT-VT ({CV_271}: đài thay thế là IP)",
    "build_station": f"Xã chưa có đài hoạt động: đầu tư đài ứng dụng CNTT-VT ({CV_271})",
    "integration": f"Xã sau sáp nhập có {{n}} đài đang hoạt động: giữ một đài, ghép cụm loa của {{others}} đài còn "
                   f"lại bằng thiết bị tích hợp, không xây đài mới ({CV_271})",
    "replace_cluster_ip": f"Cụm loa {{technology}} hỏng, đã dùng {{age}} năm (hết khấu hao): thay bằng cụm IP "
                          f"({CV_271}: thay thế là IP)",
}
TECHNOLOGY_VI = {"wired": "hữu tuyến", "fm_wireless": "FM"}
#: Cell size of the census-spread population grid when no population raster is active.
CENSUS_GRID_M = 200.0
#: Uncovered people are grouped into blocks this wide to propose candidate sites (one per block).
SITE_BLOCK_M = 1000.0
PLAN_COLUMNS = [
    "action",
    "facility_id",
    "lon",
    "lat",
    "commune_code",
    "commune_name",
    "cost_vnd",
    "added_population",
    "added_villages",
    "reason",
]


class PlanningInputError(InputRefused):
    """The inputs of a plan cannot be used (unknown province, bad candidate, unknown scenario)."""


@dataclass(frozen=True)
class UnitCosts:
    """Unit costs in VND (2018-2025 prices, all-in): DOMAIN.md §3.1, editable per scenario.

    ``build_station_clusters`` and ``upgrade_clusters`` are how many new clusters the station price includes
    (DOMAIN.md §3.1: a new station comes with ~12 clusters; 240 M upgrades "upgrade/expand" a station, ~6 IP
    clusters at 35 M each is our reading, [DERIVED]).
    """

    repair_cluster: float = 8e6
    new_ip_cluster: float = 35e6
    new_fm_cluster: float = 6e6
    upgrade_station_ip: float = 240e6
    build_station: float = 450e6
    # One integration device per joined station (Công văn 271). No price was found: the station-side part of an
    # IP upgrade, 240 M - 6 x 35 M clusters = 30 M VND [DERIVED]; set the province's own with --costs.
    integration: float = 30e6
    build_station_clusters: int = 12
    upgrade_clusters: int = 6
    # A broken wired/FM cluster this old is worn out and replaced by an IP one (Công văn 271; "FM gets only minor
    # repairs until depreciated", DOMAIN.md §2.2). No depreciation period was found: 10 years is an assumption.
    worn_out_after_years: int = 10

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> UnitCosts:
        """Return the defaults overridden by ``values`` (action name -> VND); unknown names are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise PlanningInputError(f"unknown cost name(s) {unknown}; expected some of {sorted(known)}")
        typed: dict[str, Any] = {}
        for key, value in values.items():
            try:
                typed[key] = int(value) if key.endswith(("_clusters", "_years")) else float(value)
            except (TypeError, ValueError) as exc:
                raise PlanningInputError(f"cost {key!r}: {value!r} is not a number") from exc
            if typed[key] < 0:
                raise PlanningInputError(f"cost {key!r}: {value!r} is negative")
        return replace(cls(), **typed)


@dataclass(frozen=True)
class CandidateSite:
    """A user's candidate site (``--candidates``): a point (EPSG:4326), optional cost, radius and action."""

    lon: float
    lat: float
    action: str = "new_ip_cluster"
    cost_vnd: float | None = None
    radius_m: float | None = None
    label: str = ""


@dataclass(frozen=True)
class PlanOptions:
    """Options of a plan: which communes must pass 8.3, minimum shares, priority weights, solver limits."""

    reach_all_villages: tuple[str, ...] = ()
    min_share: Mapping[str, float] = field(default_factory=dict)
    commune_weights: Mapping[str, float] = field(default_factory=dict)
    generate_sites: bool = True
    time_limit_s: float = DEFAULT_TIME_LIMIT_S


@dataclass(frozen=True)
class PlanResult:
    """A solved plan: one row per action (``actions``, columns PLAN_COLUMNS), totals and class changes."""

    actions: pd.DataFrame
    solution: PlanSolution
    budget_vnd: float
    province_code: str | None
    class_changes: pd.DataFrame
    demand_source: str
    n_demand: int
    n_candidates: int
    params: dict[str, Any]
    budget: Any = None   # analysis.planning.budget.Budget of a plan over years (None: one year, budget_vnd)
    by_year: pd.DataFrame | None = None   # phased: spend and people per year and budget line (year_line_table)

    @property
    def cost_vnd(self) -> float:
        return float(self.actions["cost_vnd"].sum()) if len(self.actions) else 0.0

    @property
    def added_population(self) -> float:
        return float(self.actions["added_population"].sum()) if len(self.actions) else 0.0
