"""Issue 17 (with the security issue): communes, villages and facilities whose names start with =, +, - or @
go through every export (gap XLSX/CSV/CSV cho Excel/GeoPackage/GeoJSON, gap report XLSX, plan XLSX/CSV) and no
spreadsheet cell is ever a formula: XLSX cells read back by openpyxl are never of type 'f', CSV cells that start
with a formula character are quoted with a leading '."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, text

from analysis.gaps import coverage_gaps, gaps_metadata, write_gaps
from analysis.outputs.gap_report import write_report_xlsx
from analysis.outputs.plans import locate_actions, plan_parameters, write_plan
from analysis.planning import plan_investments
from analysis.refresh import bring_current
from tests.analysis.test_planning_db import area  # noqa: F401  (the fixture)

pytestmark = pytest.mark.db
EVIL = {"A": '=HYPERLINK("http://evil.example","bấm")', "B": "+1+cmd|' /C calc'!A0"}
VILLAGES = ("-2+3", "@SUM(1,1)")
STARTS = ("=", "+", "-", "@")


def _no_formula_cells(path: Path) -> set[str]:
    texts = set()
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name} {sheet.title}!{cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    return texts


def _csv_quoted(path: Path, delimiter: str) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        cells = {c for row in csv.reader(handle, delimiter=delimiter) for c in row}
    for cell in cells:
        # a plain number ("-5", "-1,5") is not a formula; any other text starting so is quoted
        if cell.startswith(STARTS):
            assert cell.replace(",", ".").lstrip("+-").replace(".", "", 1).replace("e", "").isdigit(), cell
    return cells


def test_no_export_contains_a_formula(area: Connection, tmp_path: Path) -> None:  # noqa: F811
    for code, name in EVIL.items():
        area.execute(text("UPDATE admin_unit SET name = :n WHERE code = :c"), {"n": name, "c": code})
    area.execute(text("UPDATE village SET name = :n WHERE name = 'Thôn 2'"), {"n": VILLAGES[0]})
    area.execute(text("UPDATE village SET name = :n WHERE name = 'Thôn Đông'"), {"n": VILLAGES[1]})
    area.execute(text("UPDATE facility SET name = '=1+1', external_id = '@A' || id"))
    bring_current(area)
    gaps = coverage_gaps(area, province_code="P1")
    meta = [("Người xuất", "=cmd"), *gaps_metadata(area, gaps, province_code="P1")]
    texts = _no_formula_cells(write_gaps(gaps, tmp_path / "g.xlsx", fmt="xlsx", metadata=meta))
    assert set(EVIL.values()) <= texts and "=cmd" in texts
    assert "'" + EVIL["A"] in _csv_quoted(write_gaps(gaps, tmp_path / "g.csv", fmt="csv", metadata=meta), ",")
    assert "'" + EVIL["B"] in _csv_quoted(
        write_gaps(gaps, tmp_path / "e.csv", fmt="csv-excel", metadata=meta), ";")
    plan = plan_investments(area, budget_vnd=2e9, province_code="P1")
    actions = locate_actions(area, plan.actions)
    assert set(actions["village_name"]) & set(VILLAGES)
    texts = _no_formula_cells(write_report_xlsx(tmp_path / "r.xlsx", gaps, actions, meta))
    assert set(EVIL.values()) <= texts
    params = plan_parameters(name="=plan", owner="@me", province="P1", budget_vnd=2e9, params=plan.params)
    texts = _no_formula_cells(write_plan(tmp_path / "p.xlsx", actions, fmt="xlsx", parameters=params))
    assert {"=plan", "@me"} <= texts and set(VILLAGES) & texts
    for fmt, sep in (("csv", ","), ("csv-excel", ";")):
        cells = _csv_quoted(write_plan(tmp_path / f"p_{fmt}.csv", actions, fmt=fmt, parameters=params), sep)
        assert {"'" + v for v in VILLAGES} & cells
