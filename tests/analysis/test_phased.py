"""Investment over years (issue 23): budget files refused with codes, the phased plan's rules on a tiny area,
the saved scenario with its years and budget, the workbook's summary by year and line, and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Connection, text

from analysis.outputs.plans import locate_actions, scenario_phases, write_plan
from analysis.planning import (
    BudgetFileError,
    budget_per_year,
    parse_years,
    plan_investments,
    plan_phased,
    read_budget_file,
    save_scenario,
    scenario_actions,
    scenario_budget,
)
from app.cli import main
from tests.analysis.test_planning_cli import committed_area  # noqa: F401 - a fixture
from tests.analysis.test_planning_db import SETUP

HEADER = "year,line,budget_vnd,actions,communes\n"


def at_least(people: pd.Series, other: pd.Series | float) -> float:
    """Assert ``people`` (an action table's column, each action's people rounded to 0.1) add up to at least
    ``other`` (a column likewise, or an exact total); return the total."""
    slack = 0.05 * (len(people) + (len(other) if isinstance(other, pd.Series) else 0)) + 1e-6
    total = float(people.sum())
    assert total >= float(other.sum() if isinstance(other, pd.Series) else other) - slack
    return total


def _sheet(book: Any, name: str) -> pd.DataFrame:
    """A sheet as openpyxl reads it: the header row as column names, the typed cells as values."""
    values = list(book[name].values)
    return pd.DataFrame(values[1:], columns=values[0])


def _csv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "ngan_sach.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(("body", "code", "words"), [
    ("2027,ntm,9e8,,\n2028,tinh,abc,,\n", "budget_amount_invalid", "row 3, field 'budget_vnd': 'abc'"),
    ("2027,ntm,-5,,\n2028,ntm,1e8,,\n", "budget_amount_invalid", "row 2, field 'budget_vnd': '-5'"),
    ("2027,ngân hàng,9e8,,\n2028,ntm,1e8,,\n", "budget_line_unknown", "row 2, field 'line': 'ngân hàng'"),
    ("2027,ntm,9e8,,\n2031,ntm,1e8,,\n", "budget_year_outside", "row 3, field 'year': '2031'"),
    ("2027,ntm,9e8,,\nhai nghìn,ntm,1e8,,\n", "budget_year_invalid", "row 3, field 'year': 'hai nghìn'"),
    ("2027,ntm,9e8,sửa loa,\n2028,ntm,1e8,,\n", "budget_action_unknown", "row 2, field 'actions': 'sửa loa'"),
    ("2027,ntm,9e8,,xã A\n2028,ntm,1e8,,\n", "budget_commune_invalid", "row 2, field 'communes': 'xã A'"),
    ("2027,ntm,9e8,,\n2027,NTM,1e8,,\n2028,ntm,1e8,,\n", "budget_line_repeated", "row 3: year 2027 and line 'ntm'"),
    ("2027,ntm,9e8,,\n", "budget_year_missing", "year 2028 of the plan's years 2027-2028 has no budget line"),
    ("", "budget_file_empty", "no budget rows"),
])
def test_a_bad_budget_file_is_refused_with_its_code_row_field_and_value(tmp_path: Path, body: str, code: str,
                                                                         words: str) -> None:
    with pytest.raises(BudgetFileError) as refused:
        read_budget_file(_csv(tmp_path, body), (2027, 2028))
    assert refused.value.code == code
    assert words in str(refused.value) and str(refused.value).startswith("ngan_sach.csv")
    assert refused.value.vi.startswith("ngan_sach.csv") and refused.value.vi != str(refused.value)
    assert str(tmp_path) not in str(refused.value)   # the file's name, never the server's path


def test_a_budget_file_needs_its_columns_and_a_known_format(tmp_path: Path) -> None:
    with pytest.raises(BudgetFileError, match="column 'budget_vnd' is missing") as refused:
        read_budget_file(_csv(tmp_path, "2027,ntm\n", header="year,line\n"), (2027, 2027))
    assert refused.value.code == "budget_column_missing"
    other = tmp_path / "ngan_sach.ods"
    other.write_bytes(b"x")
    with pytest.raises(BudgetFileError) as refused:
        read_budget_file(other, (2027, 2027))
    assert refused.value.code == "budget_file_format"
    for bad in ("2030-2027", "2027-2040", "năm sau"):
        with pytest.raises(BudgetFileError) as refused:
            parse_years(bad)
        assert refused.value.code == "plan_years_invalid"
    with pytest.raises(BudgetFileError) as refused:
        budget_per_year((2027, 2028), "nhiều")
    assert refused.value.code == "plan_budget_invalid"


def test_an_xlsx_budget_in_vietnamese_is_read_line_by_line(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Năm", "Nguồn vốn", "Ngân sách (đồng)", "Hạng mục", "Xã"])
    sheet.append([2027, "Chương trình MTQG nông thôn mới", 900000000, "new_ip_cluster; build_station", "nhóm 3"])
    sheet.append([2027, "Ngân sách tỉnh", 600000000, None, 3160])   # Excel dropped the code's leading zero
    sheet.append([2028, "Nguồn khác", 1e8, "tất cả", None])
    path = tmp_path / "ngan_sach.xlsx"
    book.save(path)
    budget = read_budget_file(path, (2027, 2028))
    ntm, provincial, other = budget.lines
    assert (ntm.year, ntm.line, ntm.budget_vnd) == (2027, "ntm", 9e8)
    assert ntm.actions == {"new_ip_cluster", "build_station"} and ntm.groups == {3} and not ntm.communes
    assert provincial.communes == {"03160"} and not provincial.actions
    assert (other.year, other.line, other.actions, other.communes) == (2028, "other", frozenset(), frozenset())
    assert ntm.funds("build_station", "03999", 3) and not ntm.funds("repair_cluster", "03999", 3)
    assert not ntm.funds("build_station", "03999", None)   # a commune whose group is not known is not group 3


@pytest.mark.db
def test_a_phased_plan_keeps_every_line_funds_once_and_its_first_year_beats_none(db_conn: Connection,
                                                                                tmp_path: Path) -> None:
    db_conn.execute(text(SETUP))
    budget = read_budget_file(_csv(tmp_path, "2027,ntm,20000000,repair_cluster;new_fm_cluster,\n"
                                             "2027,provincial,10000000,,\n2028,provincial,480000000,,\n"
                                             "2029,other,60000000,,\n"), (2027, 2029))
    result = plan_phased(db_conn, budget=budget, province_code="P1")
    actions = result.actions
    assert {"year", "budget_line"} <= set(actions.columns) and len(actions) > 0
    spent = actions.groupby(["year", "budget_line"])["cost_vnd"].sum()
    for line in budget.lines:   # never more than a year's line
        assert spent.get((line.year, line.line), 0.0) <= line.budget_vnd
        mine = actions[(actions["year"] == line.year) & (actions["budget_line"] == line.line)]
        assert not line.actions or set(mine["action"]) <= line.actions   # only what the line may fund
    keys = actions.apply(lambda r: (r["action"], r["facility_id"], round(r["lon"], 5), round(r["lat"], 5)), axis=1)
    assert keys.is_unique   # nothing funded twice
    first = actions[actions["year"] == 2027]["added_population"]
    assert at_least(first, result.params["first_year_target"]) > 0   # the best one-year plan of 2027's two lines
    one_line = plan_phased(db_conn, budget=budget_per_year((2027, 2029), 30e6), province_code="P1")
    single = plan_investments(db_conn, budget_vnd=30e6, province_code="P1")
    first = one_line.actions[one_line.actions["year"] == 2027]["added_population"]
    assert at_least(first, single.actions["added_population"]) > 0   # the one-year plan, same first-year budget
    assert result.by_year["cost_vnd"].sum() == pytest.approx(actions["cost_vnd"].sum())
    assert result.params["first_year"] == 2027 and result.solution.mip_gap is not None

    scenario_id = save_scenario(db_conn, "ba-nam", result, owner="quyhoach")
    saved = scenario_actions(db_conn, scenario_id)
    assert saved[["year", "budget_line"]].notna().all().all() and len(saved) == len(actions)
    assert scenario_budget(db_conn, scenario_id)["budget_vnd"].sum() == pytest.approx(570e6)
    years = db_conn.execute(text("SELECT first_year, last_year FROM scenario WHERE id = :id"),
                            {"id": scenario_id}).one()
    assert tuple(years) == (2027, 2029)
    audited = db_conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'scenario_budget' "
                                   "AND entity_id = :id"), {"id": str(scenario_id)}).scalar_one()
    assert audited == len(budget.lines)

    located = locate_actions(db_conn, saved)
    out = write_plan(tmp_path / "ba-nam.xlsx", located, fmt="xlsx", parameters=[("Phương án", "ba-nam")],
                     phases=scenario_phases(db_conn, scenario_id, located))
    book = load_workbook(out)
    assert book.sheetnames[:4] == ["Tổng hợp theo năm", "Năm 2027", "Năm 2028", "Năm 2029"]
    summary = _sheet(book, "Tổng hợp theo năm")
    lines = summary[~summary["Nguồn vốn"].isin(["Cộng năm", "Tổng cộng"])]
    assert set(lines["Nguồn vốn"]) == {"Chương trình MTQG nông thôn mới", "Ngân sách tỉnh", "Nguồn khác"}
    for year in (2027, 2028, 2029):
        sheet = _sheet(book, f"Năm {year}")
        assert set(sheet["Năm"]) <= {year}
        total = summary[(summary["Năm"] == year) & (summary["Nguồn vốn"] == "Cộng năm")]
        assert int(total["Chi phí (đồng)"].iloc[0]) == int(sheet["Chi phí (đồng)"].sum())   # typed numbers
        assert int(total["Số hạng mục"].iloc[0]) == len(sheet)
    grand = summary[summary["Nguồn vốn"] == "Tổng cộng"]
    assert int(grand["Chi phí (đồng)"].iloc[0]) == int(round(located["cost_vnd"].sum()))
    assert int(grand["Kế hoạch vốn (đồng)"].iloc[0]) == 570_000_000


@pytest.mark.db
def test_the_cli_plans_years_and_refuses_a_bad_budget_file_in_one_sentence(
        committed_area: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    bad = _csv(tmp_path, "2027,ntm,9e8,,\n2028,tinh,\"1,5 tỷ\",,\n")
    assert main(["plan", "--years", "2027-2028", "--budget-file", str(bad), "--province", "P1",
                 "--out", str(tmp_path / "x.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "ngan_sach.csv, row 3, field 'budget_vnd': '1,5 tỷ'" in err and "Traceback" not in err
    assert main(["plan", "--years", "2027-2028", "--province", "P1", "--out", str(tmp_path / "x.xlsx")]) == 1
    assert "needs a budget per year or a budget file" in capsys.readouterr().err
    assert main(["plan", "--years", "2027-2028", "--budget-per-year", "3e7", "--province", "P1",
                 "--name", "hai-nam", "--out", str(tmp_path / "hai-nam.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "people x years of service" in out and "2028  provincial" in out and "gap" in out
    assert {"Tổng hợp theo năm", "Năm 2027", "Năm 2028"} <= set(load_workbook(tmp_path / "hai-nam.xlsx").sheetnames)
    assert main(["scenarios", "export", "hai-nam", "--out", str(tmp_path / "again.xlsx")]) == 0
    assert "Năm 2028" in load_workbook(tmp_path / "again.xlsx").sheetnames
