"""Issue 17: plans a budget office can locate and cost, read back with openpyxl and GDAL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyogrio
import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, text

from analysis.outputs.plans import locate_actions, plan_parameters, scenario_parameters, write_plan
from analysis.planning import plan_investments, save_scenario, scenario_actions
from tests.analysis.test_planning_db import area  # noqa: F401  (the fixture)

pytestmark = pytest.mark.db


@pytest.fixture()
def plan(area: Connection):  # noqa: F811
    area.execute(text("UPDATE facility SET external_id = 'DB-A-0' || id, name = 'Cụm loa chợ' "
                      "WHERE type = 'loudspeaker_cluster'"))
    result = plan_investments(area, budget_vnd=2e9, province_code="P1")
    scenario_id = save_scenario(area, "dự toán thử", result)
    located = locate_actions(area, scenario_actions(area, scenario_id))
    return area, result, scenario_id, located


def test_every_action_row_names_its_village_survey_code_commune_and_province(plan) -> None:
    _, result, _, located = plan
    assert "facility_id" not in located.columns
    assert located["village_name"].notna().all() and located["province_name"].eq("Tỉnh Thử").all()
    repair = located[located["action"] == "repair_cluster"].iloc[0]
    assert repair["facility_code"].startswith("DB-A-0") and repair["facility_name"] == "Cụm loa chợ"
    assert repair["village_name"] == "Thôn 2" and repair["village_distance_m"] < 1


def test_the_plan_workbook_has_a_cost_sheet_with_subtotals_and_a_parameters_sheet(plan, tmp_path: Path) -> None:
    conn, result, scenario_id, located = plan
    path = write_plan(tmp_path / "p.xlsx", located, fmt="xlsx", parameters=scenario_parameters(conn, scenario_id),
                      class_changes=result.class_changes)
    book = load_workbook(path)
    actions = book["Hạng mục"]
    headers = [c.value for c in actions[1]]
    assert headers[:4] == ["Hạng mục", "Mã khảo sát thiết chế", "Tên thiết chế", "Thôn gần nhất"]
    assert actions.freeze_panes == "A2" and actions.auto_filter.ref
    labels = {c.value for c in actions["A"][1:]}
    assert labels <= {"Sửa chữa cụm loa", "Lắp mới cụm loa IP", "Lắp mới cụm loa FM",
                      "Nâng cấp đài lên ứng dụng CNTT-VT", "Xây dựng đài truyền thanh xã"}
    cost = actions.cell(2, headers.index("Chi phí (đồng)") + 1)
    assert isinstance(cost.value, int) and cost.value % 1000 == 0 and cost.number_format == "#,##0"
    sheet = book["Dự toán"]
    assert [c.value for c in sheet[1]] == ["Xã", "Hạng mục", "Đơn vị", "Số lượng", "Đơn giá (đồng)",
                                           "Thành tiền (đồng)"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    subtotals = [r for r in rows if str(r[1]).startswith("Cộng xã")]
    total = rows[-1]
    assert total[1] == "Tổng cộng" and total[5] == pytest.approx(result.cost_vnd, abs=1000)
    assert sum(r[5] for r in subtotals) == total[5] and len(subtotals) == located["commune_code"].nunique()
    by_item = [r for r in rows if r[0] == "Tổng theo hạng mục"]
    assert sum(r[5] for r in by_item) == total[5] and sheet.cell(len(rows) + 1, 1).font.b is not None
    params = {r[0].value: r[1].value for r in book["Tham số"].iter_rows(min_row=2)}
    for name in ("Phương án", "Người lập", "Tỉnh", "Ngân sách (đồng)", "Bộ giải", "Khoảng cách tối ưu (MIP gap)",
                 "Đơn giá cụm loa IP (đồng)", "Phiên bản phusong", "Lập lúc (giờ Việt Nam)"):
        assert params.get(name) not in (None, ""), name
    assert params["Ngân sách (đồng)"] == 2_000_000_000
    assert not any(str(v).startswith("/") for v in params.values())


def test_the_plan_geopackage_is_1_2_with_text_codes_and_no_float_ids(plan, tmp_path: Path) -> None:
    _, result, _, located = plan
    parameters = plan_parameters(name="x", owner="o", province="P1", budget_vnd=2e9, params=result.params)
    path = write_plan(tmp_path / "p.gpkg", located, fmt="gpkg", parameters=parameters)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    info = pyogrio.read_info(path, layer="plan_actions")
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert types["facility_code"] == "object" and types["cost_vnd"] == "int64" and "facility_id" not in types
    assert info["geometry_type"] == "Point" and info["features"] == len(located)
