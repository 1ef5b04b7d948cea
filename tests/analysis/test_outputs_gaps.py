"""Issue 17: the gap export read back with real readers (openpyxl, pyogrio/GDAL + sqlite, json + jsonschema)."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import jsonschema
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from sqlalchemy import Connection

from analysis.gaps import coverage_gaps, gaps_metadata, write_gaps
from analysis.outputs.gaps import file_names_only
from analysis.refresh import bring_current
from tests.analysis.test_coverage_db import two_communes  # noqa: F401  (the fixture)

pytestmark = pytest.mark.db

# A compact RFC 7946 schema (what geojson.org's schema checks for the types phusong writes).
POSITION = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
RING = {"type": "array", "minItems": 4, "items": POSITION}
GEOJSON_SCHEMA = {
    "type": "object", "required": ["type", "features"],
    "not": {"required": ["crs"]},
    "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array", "items": {
        "type": "object", "required": ["type", "properties", "geometry"],
        "properties": {"type": {"const": "Feature"}, "properties": {"type": ["object", "null"]},
                       "geometry": {"oneOf": [
                           {"type": "null"},
                           {"type": "object", "required": ["type", "coordinates"], "properties": {
                               "type": {"const": "Polygon"}, "coordinates": {"type": "array", "items": RING}}},
                           {"type": "object", "required": ["type", "coordinates"], "properties": {
                               "type": {"const": "MultiPolygon"},
                               "coordinates": {"type": "array", "items": {"type": "array", "items": RING}}}}]}}}}},
}


@pytest.fixture()
def gaps(two_communes: Connection) -> tuple[gpd.GeoDataFrame, list[tuple[str, object]]]:  # noqa: F811
    bring_current(two_communes)
    table = coverage_gaps(two_communes, province_code="99")
    return table, gaps_metadata(two_communes, table, province_code="99")


def test_the_gaps_workbook_is_typed_frozen_filtered_and_vietnamese(gaps, tmp_path: Path) -> None:
    table, meta = gaps
    sheet = load_workbook(write_gaps(table, tmp_path / "g.xlsx", fmt="xlsx", metadata=meta))["Khoảng trống phủ sóng"]
    headers = {c.value: c.column for c in sheet[1]}
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    assert sheet.column_dimensions["B"].width >= 10
    code = sheet.cell(2, headers["Mã xã"])
    assert code.data_type == "s" and code.value == "99001"   # codes stay text
    people = sheet.cell(2, headers["Dân số"])
    assert isinstance(people.value, int) and people.number_format == "#,##0"
    share = sheet.cell(2, headers["Tỷ lệ dân số được phủ sóng"])
    assert isinstance(share.value, float) and share.number_format == "0.0%" and share.value == round(share.value, 3)
    when = sheet.cell(2, headers["Ngày dữ liệu"])
    assert isinstance(when.value, datetime) and when.number_format == "dd/mm/yyyy"
    assert sheet.cell(2, headers["Phân loại"]).value == "Chưa được phục vụ"   # a label, not `unserved`
    score = sheet.cell(2, headers["Điểm ưu tiên"]).value
    assert len(repr(score)) <= 6   # rounded, not 15-17 digits
    params = {r[0].value: r[1].value for r in load_workbook(tmp_path / "g.xlsx")["Tham số"].iter_rows(min_row=2)}
    assert isinstance(params["Số liệu tính đến (giờ Việt Nam)"], datetime)
    assert not any(str(v).startswith("{") for v in params.values())   # no raw JSON
    english = load_workbook(write_gaps(table, tmp_path / "e.xlsx", fmt="xlsx", metadata=meta, lang="en"))
    assert english["Coverage gaps"]["A1"].value == "Commune code"


def test_the_csv_for_vietnamese_excel_splits_on_semicolons_with_a_decimal_comma(gaps, tmp_path: Path) -> None:
    table, meta = gaps
    path = write_gaps(table, tmp_path / "g.csv", fmt="csv-excel", metadata=meta)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    header = rows[0]
    assert header[:2] == ["Mã xã", "Xã"] and rows[1][0] == "99001"
    share = rows[1][header.index("Tỷ lệ diện tích được phủ sóng")]
    assert "," in share and "." not in share and share.endswith("%")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", rows[1][header.index("Ngày dữ liệu")])   # dd/mm/yyyy


def test_the_geopackage_is_version_1_2_with_aliases_style_and_typed_fields(gaps, tmp_path: Path) -> None:
    table, meta = gaps
    path = write_gaps(table, tmp_path / "g.gpkg", fmt="gpkg", metadata=meta)
    with sqlite3.connect(path) as db:
        app_id, version = db.execute("PRAGMA application_id").fetchone()[0], db.execute(
            "PRAGMA user_version").fetchone()[0]
        aliases = dict(db.execute("SELECT column_name, name FROM gpkg_data_columns "
                                  "WHERE table_name = 'coverage_gaps'").fetchall())
        style = db.execute("SELECT styleQML, useAsDefault FROM layer_styles "
                           "WHERE f_table_name = 'coverage_gaps'").fetchone()
    assert app_id == 0x47504B47 and version == 10200   # "GPKG", 1.2.0
    assert aliases["commune_code"] == "Mã xã" and aliases["pop_covered_share"] == "Tỷ lệ dân số được phủ sóng"
    assert 'attr="class"' in style[0] and style[1] == 1
    info = pyogrio.read_info(path, layer="coverage_gaps")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["commune_code"] == "object" and types["pop_total"] == "int64"
    assert types["pop_covered_share"] == "float64"
    assert all(f.isascii() and f == f.lower() for f in info["fields"])
    assert "metadata" in [name for name, _ in pyogrio.list_layers(path)]
    dataset = pyogrio.read_info(path, layer="coverage_gaps")["dataset_metadata"] or {}
    assert dataset.get("so_xa") == "2" and "phien_ban_phusong" in dataset


def test_the_geojson_follows_rfc_7946(gaps, tmp_path: Path) -> None:
    table, meta = gaps
    # A clockwise ring with repeated points and 12 decimals, as the stored polygons came out on main.
    ring = [(103.0, 21.0), (103.0, 21.0), (103.0, 21.010000000001), (103.01, 21.01), (103.01, 21.0),
            (103.01, 21.0), (103.0, 21.0)]
    table = table.copy()
    table.loc[table.index[0], "geometry"] = shapely.Polygon(ring)
    doc = json.loads(write_gaps(table, tmp_path / "g.geojson", fmt="geojson", metadata=meta).read_text())
    jsonschema.validate(doc, GEOJSON_SCHEMA)
    for feature in doc["features"]:
        geom = shapely.geometry.shape(feature["geometry"])
        assert shapely.is_valid(geom)
        for poly in getattr(geom, "geoms", [geom]):
            assert poly.exterior.is_ccw
            coords = list(poly.exterior.coords)
            assert all(a != b for a, b in zip(coords, coords[1:], strict=False))
            assert all(len(repr(c).split(".")[-1]) <= 6 for xy in coords for c in xy)


def test_the_gap_pdf_has_metadata_a_method_section_and_no_raw_json(gaps, tmp_path: Path) -> None:
    import subprocess

    from pypdf import PdfReader

    from analysis.outputs.gap_report import write_report_pdf

    table, meta = gaps
    path = write_report_pdf(tmp_path / "r.pdf", table, table.iloc[0:0], title="Báo cáo thử", metadata=meta)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Phương pháp và tham số" in text and "Bán kính phủ sóng mặc định (m)" in text
    assert "{" not in text and "Số liệu tính đến" in text and "Xã Thử 99001" in text
    info = PdfReader(path).metadata
    assert info is not None and (info.title, info.author) == ("Báo cáo thử", "phusong") and info.subject
    out = Path(__file__).resolve().parents[2] / "out" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(out / "gap_report")],
                   check=True, timeout=60)


def test_machine_files_write_times_with_their_offset(gaps, tmp_path: Path) -> None:
    """Issue 17: people read Viet Nam time; a machine field says its zone (+07:00), so it is never taken for UTC."""
    table, meta = gaps
    with write_gaps(table, tmp_path / "g.csv", fmt="csv", metadata=meta).open(encoding="utf-8-sig") as handle:
        row = next(csv.DictReader(handle))
    assert row["computed_at"].endswith("+07:00") and len(row["data_date"]) == 10 and row["data_date"][4] == "-"
    doc = json.loads(write_gaps(table, tmp_path / "g.geojson", fmt="geojson", metadata=meta).read_text())
    assert doc["features"][0]["properties"]["computed_at"].endswith("+07:00")


def test_runs_of_the_same_settings_are_one_block_of_parameters(two_communes: Connection) -> None:  # noqa: F811
    """Under inspections every recompute is its own run; "Tham số" (the PDF's longest table under the mixed load)
    lists their settings once, with the runs' ids and first and last time, not once per run."""
    first, second = bring_current(two_communes, communes=["99001"]), bring_current(two_communes, communes=["99002"])
    runs = [*first.run_ids, *second.run_ids]
    table = coverage_gaps(two_communes, province_code="99")
    assert sorted(table["run_id"].unique()) == sorted(runs) and len(runs) == 2
    meta = gaps_metadata(two_communes, table, province_code="99")
    run_keys = [k for k, _ in meta if k.startswith("Lần tính")]
    prefix = f"Lần tính {runs[0]}, {runs[1]} (2 lần)"
    assert run_keys and all(k.startswith(prefix + ": ") for k in run_keys)
    assert len(run_keys) == len(set(run_keys))   # each setting once
    when = dict(meta)[f"{prefix}: lúc"]
    assert isinstance(when, str) and " – " in when
    assert dict(meta)[f"{prefix}: phạm vi"] == "99001; 99002"


def test_an_export_names_the_population_raster_by_its_file_not_its_server_path() -> None:
    source = "population raster, cells counted by their centre: "
    stored = f"{source}/srv/phusong/gis_data/population/population_100m_derived.tif (derived: WorldPop 2020)"
    assert file_names_only(stored) == f"{source}population_100m_derived.tif (derived: WorldPop 2020)"
    assert file_names_only("census (41 communes)") == "census (41 communes)"
