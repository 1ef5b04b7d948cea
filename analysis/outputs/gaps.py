"""The gap export (underserved communes) as XLSX, CSV (standard or "CSV cho Excel"), GeoPackage 1.2 or GeoJSON.

Columns and headers come from catalogue.GAP_CATALOGUE; the parameters are :func:`gap_parameters` (readable
Vietnamese rows: scope, data date, "số liệu tính đến", rule set, priority weights, each run's settings), the same in
every format (XLSX "Tham số" sheet, GeoPackage metadata, GeoJSON ``metadata`` member, PDF section).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection

from analysis.outputs.catalogue import CLASS_LABELS, GAP_CATALOGUE
from analysis.outputs.geo import categorized_qml, write_geojson, write_gpkg
from analysis.palette import CLASS_COLOURS
from analysis.refresh import staleness
from sql import queries
from sql.table_writer import (
    Column,
    Table,
    columns_for,
    no_server_path,
    vietnam_time,
    write_table_csv,
    write_workbook,
)

# An absolute path on the server inside a stored text (the population raster of a run).
SERVER_PATH = re.compile(r"/[^\s()]*/[^\s()/]+")
# What the user picks; "csv-excel" is the "CSV cho Excel" (;, decimal comma, Vietnamese headers).
FORMATS = ("xlsx", "csv", "csv-excel", "gpkg", "geojson")
FORMAT_LABELS = {"xlsx": ("Bảng tính Excel (.xlsx)", "Excel workbook (.xlsx)"),
                 "csv": ("CSV chuẩn (dấu phẩy, cho phần mềm)", "Standard CSV (comma, for software)"),
                 "csv-excel": ("CSV cho Excel tiếng Việt (dấu ;)", "CSV for Vietnamese Excel (;)"),
                 "gpkg": ("Dữ liệu GIS cho QGIS (.gpkg)", "GIS data for QGIS (.gpkg)"),
                 "geojson": ("Dữ liệu bản đồ GeoJSON", "GeoJSON map data")}
SUFFIXES = {"xlsx": ".xlsx", "csv": ".csv", "csv-excel": ".csv", "gpkg": ".gpkg", "geojson": ".geojson"}
PARAM_LABELS: Mapping[str, str] = {
    "coverage.default_radius_m": "Bán kính phủ sóng mặc định (m)",
    "population_method": "Cách tính dân số",
    "uncovered_people": "số dân chưa được phủ sóng",
    "uncovered_share": "tỷ lệ dân số chưa được phủ sóng",
    "villages_not_reached_share": "tỷ lệ thôn chưa có loa",
    "no_station": "không có đài hoạt động",
}


def gap_table(gaps: pd.DataFrame, lang: str = "vi") -> Table:
    """The gap table as a typed Table (one row per commune, every column of ``gaps`` but the geometry)."""
    frame = pd.DataFrame(gaps.drop(columns="geometry", errors="ignore"))
    columns = columns_for(frame, GAP_CATALOGUE)
    columns = [c if not c.key.startswith("verdict_") else Column(c.key, f"Đánh giá {c.key[8:]}",
                                                                  f"Verdict {c.key[8:]}") for c in columns]
    return Table("Khoảng trống phủ sóng", "Coverage gaps", columns, frame)


def as_of(gaps: pd.DataFrame) -> datetime | None:
    """When the newest figure of ``gaps`` was computed, in Viet Nam time ("số liệu tính đến")."""
    if "computed_at" not in gaps or gaps["computed_at"].dropna().empty:
        return None
    return vietnam_time(max(gaps["computed_at"].dropna()))


def as_of_text(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%d/%m/%Y %H:%M}"


def gap_parameters(conn: Connection, gaps: pd.DataFrame, *, province_code: str | None,
                   weights: Mapping[str, float], rules: str) -> list[tuple[str, Any]]:
    """Readable (name, value) rows saying what made the gap figures (no JSON, no server paths)."""
    dates = [d for d in gaps.get("data_date", pd.Series(dtype=object)).dropna()]
    rows: list[tuple[str, Any]] = [
        ("Phạm vi", f"Tỉnh {province_code}" if province_code else "Mọi xã đã phân tích"),
        ("Số xã", len(gaps)),
        ("Số liệu tính đến (giờ Việt Nam)", as_of(gaps)),
        ("Ngày dữ liệu (sớm nhất)", min(dates) if dates else ""),
        ("Ngày dữ liệu (muộn nhất)", max(dates) if dates else ""),
        ("Bộ tiêu chí", rules),
        ("Tỷ lệ", "phân số 0–1, hiển thị dạng phần trăm"),
        ("Điểm ưu tiên: trọng số", "; ".join(f"{PARAM_LABELS.get(k, k)} {v:.0%}" for k, v in weights.items())),
    ]
    stale = staleness(conn, province_code=province_code)
    rows.append(("Số xã có số liệu cần tính lại", stale.communes))
    if stale.communes:
        rows.append(("Cần tính lại từ", vietnam_time(stale.since) if stale.since else ""))
    run_ids = sorted({int(r) for r in gaps["run_id"].dropna()}) if len(gaps) else []
    for runs in _same_settings(conn.execute(queries.load("coverage_runs_by_id"), {"run_ids": run_ids}).all()):
        rows += _run_rows(runs)
    return rows


def _same_settings(runs: Sequence[Any]) -> list[list[Any]]:
    """The runs grouped by what made their figures (data date, population source, settings), in id order.
    Under inspections each recompute is its own run: a province's 45 communes came from 19 runs after 40 s of the
    mixed load (541 rows in "Tham số", the PDF's longest table); their settings are one block."""
    groups: dict[str, list[Any]] = {}
    for run in runs:
        key = json.dumps([str(run.data_date), str(run.population_source or ""), run.params or {}],
                         sort_keys=True, default=str)
        groups.setdefault(key, []).append(run)
    return list(groups.values())


def _run_rows(runs: Sequence[Any]) -> list[tuple[str, Any]]:
    """One block of rows for runs of the same settings: one run's id and time, or the ids and first/last time."""
    run, when = runs[0], None  # type: Any, Any
    if len(runs) == 1:
        prefix, when = f"Lần tính {run.id}", vietnam_time(run.computed_at)
    else:
        ids = [r.id for r in runs]
        listed = ", ".join(map(str, ids)) if len(ids) <= 5 else f"{ids[0]}, {ids[1]} … {ids[-1]}"
        prefix = f"Lần tính {listed} ({len(ids)} lần)"
        times = [t for t in (vietnam_time(r.computed_at) for r in runs) if t is not None]
        when = f"{min(times):%d/%m/%Y %H:%M:%S} – {max(times):%d/%m/%Y %H:%M:%S}" if times else ""
    rows: list[tuple[str, Any]] = [(f"{prefix}: lúc", when),
                                   (f"{prefix}: phạm vi", _listed(list(dict.fromkeys(str(r.scope) for r in runs)))),
                                   (f"{prefix}: ngày dữ liệu", run.data_date),
                                   (f"{prefix}: nguồn dân số", file_names_only(str(run.population_source or "")))]
    flat = pd.json_normalize(run.params or {}, sep=".").to_dict("records")
    for key, value in (flat[0] if flat else {}).items():
        if isinstance(value, (list, dict)):
            value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        rows.append((f"{prefix}: {PARAM_LABELS.get(str(key), str(key))}", value))
    return rows


def file_names_only(text: str) -> str:
    """The stored population source with each server path cut to its file name: an export leaves the department,
    and where its files sit on the server is not the reader's business (nor an attacker's)."""
    return SERVER_PATH.sub(lambda m: m.group(0).rsplit("/", 1)[-1], text)


def _listed(values: Sequence[str]) -> str:
    """Up to five values, else the first two, the last and how many."""
    return "; ".join(values) if len(values) <= 5 else f"{'; '.join(values[:2])} … {values[-1]} ({len(values)})"


def gap_style() -> str:
    """QGIS style: communes filled by class (layer_styles of the GeoPackage)."""
    return categorized_qml("class", [(k, CLASS_LABELS[k][0], CLASS_COLOURS[k]) for k in CLASS_COLOURS])


def write_gap_file(gaps: gpd.GeoDataFrame, path: Path, *, fmt: str, parameters: Sequence[tuple[str, Any]],
                   lang: str = "vi") -> Path:
    """Write the gap table at ``path`` in ``fmt`` (FORMATS); return the path."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    table = gap_table(gaps, lang)
    if fmt == "xlsx":
        write_workbook(path, [table], parameters, lang=lang)
    elif fmt in ("csv", "csv-excel"):
        write_table_csv(path, table, dialect="excel_vi" if fmt == "csv-excel" else "standard", lang=lang)
    elif fmt == "gpkg":
        write_gpkg(path, table, gaps.geometry, layer="coverage_gaps", parameters=parameters,
                   style_qml=gap_style(), lang=lang)
    else:
        write_geojson(path, table, gaps.geometry, parameters=parameters, lang=lang)
    return path


def readable(value: Any) -> str:
    """A parameter value as a person reads it (dates dd/mm/yyyy, numbers with a dot every three digits)."""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    return "" if value is None else no_server_path(str(value))
