"""Underserved communes as a table for planners: the issue-4 columns, a priority score, and file writers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from numpy.typing import NDArray
from sqlalchemy import Connection

from analysis.refresh import staleness, staleness_metadata
from analysis.rules import RuleSet, group_label, judge_communes, rule_set_for_data
from sql import queries
from sql.safe_cells import text_only_workbook, write_csv

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
# Vietnamese headers for the XLSX (GLOSSARY.md words); the CSV/GPKG keep the machine names.
HEADERS_VI: dict[str, str] = {
    "commune_code": "Mã xã",
    "commune_name": "Xã",
    "province_code": "Mã tỉnh",
    "province_name": "Tỉnh",
    "area_km2": "Diện tích (km²)",
    "covered_area_km2": "Diện tích được phủ sóng (km²)",
    "covered_area_share": "Tỷ lệ diện tích được phủ sóng",
    "pop_total": "Dân số",
    "pop_covered": "Dân số được phủ sóng",
    "pop_covered_share": "Tỷ lệ dân số được phủ sóng",
    "villages_total": "Số thôn",
    "villages_reached": "Thôn có loa",
    "station_operational": "Đài truyền thanh hoạt động",
    "ntm_8_3": "Tiêu chí 8.3",
    "class": "Phân loại",
    "reason": "Lý do",
    "pop_uncovered": "Dân số chưa được phủ sóng",
    "villages_not_reached": "Thôn chưa có loa",
    "clusters_working": "Cụm loa hoạt động",
    "clusters_broken": "Cụm loa hư hỏng / không hoạt động",
    "ntm_8_1": "Tiêu chí 8.1",
    "ntm_6_3_share": "Tiêu chí 6.3: tỷ lệ thôn có nhà văn hóa",
    "priority_score": "Điểm ưu tiên",
    "reason_en": "Reason (English)",
    "population_method": "Nguồn dân số",
    "rule_version": "Bộ tiêu chí",
    "data_date": "Ngày dữ liệu",
    "computed_at": "Thời điểm tính",
    "run_id": "Mã lần tính",
    "commune_group": "Nhóm xã (QĐ 51/2025/QĐ-TTg)",
    "rules_provisional": "Ngưỡng tạm tính",
}
CLASS_VI = {
    "unserved": "Chưa được phục vụ",
    "underserved": "Phục vụ chưa đầy đủ",
    "served": "Đã được phục vụ",
}
# Priority: mostly how many people are still out of reach (relative to the worst commune exported), then how
# far the commune is from the 90 % line, villages without a loudspeaker, and a missing station. A planner's
# first sort key, not a plan (analysis/planning.py optimises); weights stored with each export.
PRIORITY_WEIGHTS: dict[str, float] = {
    "uncovered_people": 0.5,
    "uncovered_share": 0.2,
    "villages_not_reached_share": 0.2,
    "no_station": 0.1,
}
FORMATS = ("csv", "xlsx", "gpkg", "geojson")


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
) -> list[tuple[str, str]]:
    """Return (key, value) rows saying what produced the export: runs, parameters, rule, data dates."""
    run_ids = sorted({int(r) for r in gaps["run_id"].dropna()}) if len(gaps) else []
    runs = conn.execute(queries.load("coverage_runs_by_id"), {"run_ids": run_ids}).all()
    meta: list[tuple[str, str]] = [
        ("export", "phusong export gaps"),
        ("scope", province_code or "all communes analysed"),
        ("communes", str(len(gaps))),
        ("shares", "fractions 0-1"),
        ("priority_weights", json.dumps(PRIORITY_WEIGHTS)),
        ("data_date_min", str(min((d for d in gaps["data_date"].dropna()), default=""))),
        ("data_date_max", str(max((d for d in gaps["data_date"].dropna()), default=""))),
        ("rules", f"{gaps.attrs.get('rules_name', '')} sha256 {gaps.attrs.get('rules_hash', '')}"),
    ]
    # Figures a change has made stale say so, here as on every read (issue 15).
    meta += staleness_metadata(staleness(conn, province_code=province_code))
    for run in runs:
        prefix = f"run {run.id}"
        meta += [
            (f"{prefix} computed_at", str(run.computed_at)),
            (f"{prefix} scope", str(run.scope)),
            (f"{prefix} rule_version", str(run.rule_version)),
            (f"{prefix} data_date", str(run.data_date)),
            (f"{prefix} population_source", str(run.population_source)),
            (f"{prefix} params", json.dumps(run.params, ensure_ascii=False, sort_keys=True)),
        ]
    return meta


def write_gaps(gaps: gpd.GeoDataFrame, path: Path, *, fmt: str, metadata: list[tuple[str, str]]) -> Path:
    """Write the gaps table as csv (UTF-8 with BOM), xlsx (with a parameters sheet), gpkg (with a metadata
    table) or geojson (metadata in a top-level "metadata" member); return the path."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    plain = _plain(gaps)
    if fmt == "csv":
        write_csv(plain, path)
    elif fmt == "xlsx":
        _write_xlsx(plain, path, metadata)
    elif fmt == "gpkg":
        out = gpd.GeoDataFrame(plain, geometry=gaps.geometry.values, crs=4326)
        if path.exists():
            path.unlink()
        pyogrio.write_dataframe(out, path, layer="coverage_gaps", driver="GPKG")
        meta = pd.DataFrame(metadata, columns=["key", "value"])
        pyogrio.write_dataframe(meta, path, layer="metadata", driver="GPKG", append=True)
    else:
        out = gpd.GeoDataFrame(plain, geometry=gaps.geometry.values, crs=4326)
        doc: dict[str, Any] = json.loads(out.to_json(na="null", drop_id=True))
        doc["metadata"] = dict(metadata)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _plain(gaps: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(gaps.drop(columns="geometry", errors="ignore"))
    for col in ("data_date", "computed_at"):
        if col in frame:
            frame[col] = frame[col].astype(str).replace({"None": "", "NaT": ""})
    return frame


def _write_xlsx(frame: pd.DataFrame, path: Path, metadata: list[tuple[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "coverage_gaps"
    # Row 1 keeps the machine names (so tools read the columns the issue names); each header carries its
    # Vietnamese label as a comment, and the "columns" sheet lists both.
    sheet.append(list(frame.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.comment = Comment(HEADERS_VI.get(str(cell.value), str(cell.value)), "phusong")
    for row in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    sheet.freeze_panes = "C2"
    columns = book.create_sheet("columns")
    columns.append(["column", "Tiếng Việt"])
    for c in frame.columns:
        columns.append([c, HEADERS_VI.get(c, c)])
    columns.append(["class", "; ".join(f"{k} = {v}" for k, v in CLASS_VI.items())])
    params = book.create_sheet("parameters")
    params.append(["key", "value"])
    for key, value in metadata:
        params.append([key, value])
    text_only_workbook(book).save(path)


def _cell(value: Any) -> Any:
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    return value
