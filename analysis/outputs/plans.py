"""Plan and scenario outputs a budget office can locate and cost (issue 17).

Every action row carries the identifiers a person uses (facility survey code and name, the nearest village and
its distance, commune and province codes and names); the workbook adds a cost sheet in the usual budget layout
(hạng mục, đơn vị, số lượng, đơn giá, thành tiền) with a subtotal per commune, totals per action type and a grand
total, the communes' totals, the class changes and the "Tham số" sheet (scenario, owner, province, budget, unit
costs, solver and its optimality gap, data, phusong version). GeoPackage: 1.2, points, the same parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection

from analysis.outputs.catalogue import ACTION_LABELS, ACTION_UNITS, COST_COLUMNS, PLAN_CATALOGUE
from analysis.outputs.geo import write_geojson, write_gpkg
from sql import queries
from sql.table_writer import Table, columns_for, vietnam_time, write_table_csv, write_workbook

PHASE_COLUMNS = ("year", "budget_line")
YEAR_LINE_COLUMNS = ("year", "budget_line", "budget_vnd", "cost_vnd", "remaining_vnd", "actions", "added_population")
PLAN_FORMATS = ("xlsx", "csv", "csv-excel", "gpkg", "geojson")
ACTION_COLUMNS = ("action", "facility_code", "facility_name", "village_name", "village_distance_m", "commune_code",
                  "commune_name", "province_code", "province_name", "lon", "lat", "cost_vnd", "added_population",
                  "added_villages", "reason")
COST_NAMES = {"repair_cluster": "Đơn giá sửa chữa cụm loa (đồng)", "new_ip_cluster": "Đơn giá cụm loa IP (đồng)",
              "new_fm_cluster": "Đơn giá cụm loa FM (đồng)", "upgrade_station_ip": "Đơn giá nâng cấp đài (đồng)",
              "build_station": "Đơn giá xây đài (đồng)", "integration": "Đơn giá thiết bị tích hợp (đồng)",
              "build_station_clusters": "Số cụm loa kèm đài mới", "upgrade_clusters": "Số cụm IP kèm nâng cấp",
              "worn_out_after_years": "Cụm loa hết khấu hao sau (năm)"}


def locate_actions(conn: Connection, actions: pd.DataFrame) -> pd.DataFrame:
    """``actions`` (PLAN_COLUMNS) with the identifiers a person uses, in ACTION_COLUMNS order."""
    frame = actions.reset_index(drop=True).copy()
    if frame.empty:
        return frame.reindex(columns=_columns_of(actions))
    ids = [None if pd.isna(v) else int(v) for v in frame.get("facility_id", pd.Series([None] * len(frame)))]
    rows = conn.execute(queries.load("plan_action_places"), {
        "lons": [float(v) for v in frame["lon"]], "lats": [float(v) for v in frame["lat"]],
        "facility_ids": ids, "communes": [None if pd.isna(c) else str(c) for c in frame["commune_code"]],
    }).mappings().all()
    places = pd.DataFrame(rows).drop(columns="n")
    for column in places.columns:
        frame[column] = places[column].to_numpy()
    return frame.reindex(columns=_columns_of(actions))


def _columns_of(actions: pd.DataFrame) -> list[str]:
    """ACTION_COLUMNS, led by the year and budget line of a plan over years."""
    phased = [c for c in PHASE_COLUMNS if c in actions.columns]
    return [*phased, *ACTION_COLUMNS]


def commune_totals(actions: pd.DataFrame) -> pd.DataFrame:
    """Totals per commune of a plan: actions, cost_vnd, added_population, added_villages."""
    return (actions.groupby(["commune_code", "commune_name"], as_index=False, dropna=False)
            .agg(actions=("action", "size"), cost_vnd=("cost_vnd", "sum"),
                 added_population=("added_population", "sum"), added_villages=("added_villages", "sum"))
            .sort_values("added_population", ascending=False, kind="stable"))


def cost_table(actions: pd.DataFrame, lang: str = "vi") -> Table:
    """The cost sheet: one line per (commune, action type), a subtotal per commune, a total per action type and
    a grand total; unit price = amount / quantity (the unit cost unless a site had its own)."""
    en = lang == "en"
    rows: list[dict[str, Any]] = []
    bold: set[int] = set()
    if len(actions):
        for (code, name), group in actions.groupby(["commune_code", "commune_name"], dropna=False, sort=True):
            label = f"{name or ''} ({code})"
            for action, lines in group.groupby("action", sort=True):
                rows.append(_cost_line(label, str(action), lines, en))
            bold.add(len(rows))
            rows.append({"commune": label, "item": ("Subtotal " if en else "Cộng xã ") + str(name or code),
                         "amount": float(group["cost_vnd"].sum())})
        for action, lines in actions.groupby("action", sort=True):
            rows.append(_cost_line("Total by item" if en else "Tổng theo hạng mục", str(action), lines, en))
            bold.add(len(rows) - 1)
    bold.add(len(rows))
    rows.append({"commune": "", "item": "Grand total" if en else "Tổng cộng",
                 "quantity": len(actions), "amount": float(actions["cost_vnd"].sum()) if len(actions) else 0.0})
    return Table("Dự toán", "Cost estimate", list(COST_COLUMNS), pd.DataFrame(rows), frozenset(bold))


def _cost_line(commune: str, action: str, lines: pd.DataFrame, en: bool) -> dict[str, Any]:
    amount = float(lines["cost_vnd"].sum())
    return {"commune": commune, "item": ACTION_LABELS.get(action, (action, action))[int(en)],
            "unit": ACTION_UNITS.get(action, ("", ""))[int(en)], "quantity": len(lines),
            "unit_price": amount / len(lines), "amount": amount}


def plan_parameters(*, name: str, owner: str | None, province: str | None, budget_vnd: float,
                    params: Mapping[str, Any], created_at: Any = None) -> list[tuple[str, Any]]:
    """Readable (name, value) rows for a plan or saved scenario (no JSON, no server paths)."""
    gap = params.get("mip_gap")
    rows: list[tuple[str, Any]] = [
        ("Phương án", name), ("Người lập", owner or ""), ("Tỉnh", province or "Cả nước"),
        ("Ngân sách (đồng)", int(round(float(budget_vnd)))),
        ("Chi phí phương án (đồng)", int(round(float(params.get("cost_vnd", 0) or 0)))),
        ("Số dân được phủ sóng thêm", int(round(float(params.get("added_population", 0) or 0)))),
        ("Bộ giải", str(params.get("solver") or "")), ("Trạng thái lời giải", str(params.get("status") or "")),
        ("Khoảng cách tối ưu (MIP gap)", "không có chứng minh tối ưu" if gap is None else f"{float(gap):.2%}"),
        ("Thời gian giải (giây)", params.get("time_s")),
        ("Nguồn dân số", str(params.get("demand_source") or "")),
        ("Bộ tiêu chí", str(params.get("rule_version") or "")),
    ]
    if params.get("data_date"):
        rows.append(("Ngày dữ liệu", date.fromisoformat(str(params["data_date"])[:10])))
    if params.get("first_year"):
        rows += _phase_parameters(params)
    if created_at is not None:
        rows.append(("Lập lúc (phương án)", vietnam_time(created_at)))
    for key, value in (params.get("costs") or {}).items():
        rows.append((COST_NAMES.get(key, key), value))
    if params.get("note"):
        rows.append(("Ghi chú của bộ giải", str(params["note"])))
    return rows


def _phase_parameters(params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A plan over years: its years, where the budget came from, the objective and the first year's stage."""
    first_gap = params.get("first_year_gap")
    return [("Kỳ kế hoạch", f"{params['first_year']}-{params['last_year']}"),
            ("Nguồn số liệu ngân sách", "Ngân sách mỗi năm" if params.get("budget_source") == "budget_per_year"
             else str(params.get("budget_source") or "")),
            ("Số dân × số năm được phục vụ (mục tiêu)", int(round(float(params.get("people_years") or 0)))),
            ("Năm đầu: số dân tối thiểu (phương án một năm)", int(round(float(params.get("first_year_target") or 0)))),
            ("Năm đầu: trạng thái lời giải", str(params.get("first_year_status") or "")),
            ("Năm đầu: khoảng cách tối ưu", "–" if first_gap is None else f"{float(first_gap):.2%}")]


def scenario_parameters(conn: Connection, scenario_id: int) -> list[tuple[str, Any]]:
    """:func:`plan_parameters` of a saved scenario."""
    row = conn.execute(queries.load("scenario_by_id"), {"id": scenario_id}).one()
    return plan_parameters(name=row.name, owner=row.owner or row.created_by, province=row.province_code,
                           budget_vnd=float(row.budget_vnd), params=row.params or {}, created_at=row.created_at)


def write_plan(path: Path, actions: pd.DataFrame, *, fmt: str, parameters: Sequence[tuple[str, Any]],
               class_changes: pd.DataFrame | None = None, lang: str = "vi",
               phases: pd.DataFrame | None = None) -> Path:
    """Write located ``actions`` (ACTION_COLUMNS, :func:`locate_actions`) in ``fmt`` (PLAN_FORMATS).

    ``phases`` (a plan over years: YEAR_LINE_COLUMNS, one row per year and budget line) puts the summary by
    year and budget line first in the workbook, then one sheet per year with that year's actions.
    """
    if fmt not in PLAN_FORMATS:
        raise ValueError(f"format must be one of {', '.join(PLAN_FORMATS)}, not {fmt!r}")
    table = Table("Hạng mục", "Actions", columns_for(actions, PLAN_CATALOGUE), actions)
    if fmt == "xlsx":
        totals = commune_totals(actions)
        sheets = [*year_sheets(actions, phases, lang), table, cost_table(actions, lang),
                  Table("Theo xã", "By commune", columns_for(totals, PLAN_CATALOGUE), totals)]
        if class_changes is not None and len(class_changes):
            sheets.append(Table("Thay đổi phân loại", "Class changes",
                                columns_for(class_changes, PLAN_CATALOGUE), class_changes))
        write_workbook(path, sheets, parameters, lang=lang)
    elif fmt in ("csv", "csv-excel"):
        write_table_csv(path, table, dialect="excel_vi" if fmt == "csv-excel" else "standard", lang=lang)
    else:
        points = gpd.GeoSeries(gpd.points_from_xy(actions["lon"], actions["lat"]), crs=4326)
        if fmt == "gpkg":
            write_gpkg(path, table, points, layer="plan_actions", parameters=parameters, lang=lang)
        else:
            write_geojson(path, table, points, parameters=parameters, lang=lang)
    return path


def format_of(path: Path) -> str:
    """The plan format a file name asks for (.xlsx, .csv, .gpkg, .geojson)."""
    return {".xlsx": "xlsx", ".csv": "csv", ".gpkg": "gpkg", ".geojson": "geojson"}.get(path.suffix.lower(), "")


# --------------------------------------------------------------------------------------- plans over years
def phases_of(result: Any) -> pd.DataFrame | None:
    """The year x budget line table of a plan result (None: a one-year plan)."""
    by_year: pd.DataFrame | None = getattr(result, "by_year", None)
    return by_year


def scenario_phases(conn: Connection, scenario_id: int, actions: pd.DataFrame) -> pd.DataFrame | None:
    """The year x budget line table of a saved scenario (None: a one-year scenario): its saved budget lines and
    the spend and people of its actions (``actions`` with year and budget_line)."""
    budget = pd.DataFrame(conn.execute(queries.load("scenario_budget_by_id"), {"id": scenario_id}).mappings().all(),
                          columns=["year", "budget_line", "budget_vnd", "actions", "communes", "commune_groups"])
    if budget.empty or "year" not in actions.columns:
        return None
    rows = []
    for line in budget.to_dict("records"):
        mine = actions[(actions["year"] == line["year"]) & (actions["budget_line"] == line["budget_line"])]
        spent = float(mine["cost_vnd"].astype(float).sum())
        rows.append({"year": int(line["year"]), "budget_line": line["budget_line"],
                     "budget_vnd": float(line["budget_vnd"]), "cost_vnd": spent,
                     "remaining_vnd": float(line["budget_vnd"]) - spent, "actions": len(mine),
                     "added_population": float(mine["added_population"].astype(float).sum())})
    return pd.DataFrame(rows, columns=list(YEAR_LINE_COLUMNS))


def year_sheets(actions: pd.DataFrame, phases: pd.DataFrame | None, lang: str = "vi") -> list[Table]:
    """The summary by year and budget line (the budget office's layout: each year's lines, the year's subtotal in
    bold, the grand total), then one sheet per year with its actions; nothing for a one-year plan."""
    if phases is None:
        return []
    en = lang == "en"
    rows: list[dict[str, Any]] = []
    bold: set[int] = set()
    sums = ["budget_vnd", "cost_vnd", "remaining_vnd", "actions", "added_population"]
    for year, lines in phases.groupby("year", sort=True):
        rows += [{str(k): v for k, v in r.items()} for r in lines.to_dict("records")]
        bold.add(len(rows))
        rows.append({"year": year, "budget_line": "Total of the year" if en else "Cộng năm",
                     **{c: lines[c].sum() for c in sums}})
    bold.add(len(rows))
    rows.append({"budget_line": "Grand total" if en else "Tổng cộng", **{c: phases[c].sum() for c in sums}})
    summary = pd.DataFrame(rows, columns=list(YEAR_LINE_COLUMNS))
    sheets = [Table("Tổng hợp theo năm", "Summary by year", columns_for(summary, PLAN_CATALOGUE), summary,
                    frozenset(bold))]
    for year in sorted(int(y) for y in phases["year"].unique()):
        mine = actions[actions["year"] == year].reset_index(drop=True) if len(actions) else actions
        sheets.append(Table(f"Năm {year}", f"Year {year}", columns_for(mine, PLAN_CATALOGUE), mine))
    return sheets
