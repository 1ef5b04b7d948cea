"""`phusong plan` and `phusong scenarios` as a user runs them, on committed rows removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from app.cli import main
from tests.analysis.test_planning_db import SETUP

pytestmark = pytest.mark.db

@pytest.fixture()
def committed_area(use_database: str) -> Iterator[None]:
    """Commit the small area in this test's own database (the CLI opens its own connections)."""
    engine = create_engine(use_database)
    with engine.begin() as conn:
        conn.execute(text(SETUP))
    yield
    engine.dispose()


def test_plan_writes_every_format_and_scenarios_compare(committed_area: None, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    costs = tmp_path / "costs.yaml"
    costs.write_text("new_ip_cluster: 30e6\n", encoding="utf-8")
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lon,lat,action,cost_vnd\nchợ,105.815,21.002,new_fm_cluster,5000000\n",
                     encoding="utf-8")
    assert main(["plan", "--budget-vnd", "6e7", "--province", "P1", "--costs", str(costs), "--candidates",
                 str(sites), "--name", "cli-a", "--out", str(tmp_path / "a.csv")]) == 0
    out = capsys.readouterr().out
    for words in ("budget used", "people newly reached", "communes changing class", "solver: highs",
                  "status: optimal", "gap:"):
        assert words in out
    plan = pd.read_csv(tmp_path / "a.csv", encoding="utf-8-sig")
    assert plan["cost_vnd"].sum() <= 6e7 and {"action", "commune_name", "added_villages"} <= set(plan.columns)
    assert main(["plan", "--budget-vnd", "1e9", "--province", "P1", "--name", "cli-b", "--greedy",
                 "--priority", "B=2", "--min-share", "A=0.2",
                 "--out", str(tmp_path / "b.xlsx")]) == 0
    assert "greedy" in capsys.readouterr().out
    assert set(pd.read_excel(tmp_path / "b.xlsx", sheet_name=None)) >= {"Hạng mục", "Dự toán", "Theo xã",
                                                                        "Tham số"}
    assert main(["scenarios", "list"]) == 0
    assert "cli-a" in capsys.readouterr().out
    assert main(["scenarios", "compare", "cli-a", "cli-b"]) == 0
    assert "difference (B - A)" in capsys.readouterr().out
    assert main(["scenarios", "export", "cli-b", "--out", str(tmp_path / "b.gpkg")]) == 0
    assert (tmp_path / "b.gpkg").stat().st_size > 0


def test_bad_inputs_give_one_clean_message(committed_area: None, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("lon,lat\n105.81,21.0\n\"105,8\",21.0\n", encoding="utf-8")
    assert main(["plan", "--budget-vnd", "1e8", "--candidates", str(sites), "--out",
                 str(tmp_path / "x.csv")]) == 1
    assert "row 3, field 'lon'" in capsys.readouterr().err
    assert main(["scenarios", "export", "cli-nothing", "--out", str(tmp_path / "x.csv")]) == 1
    assert "no scenario named" in capsys.readouterr().err
    assert main(["plan", "--budget-vnd", "1e8", "--out", str(tmp_path / "x.txt")]) == 1


def test_every_planning_command_has_help_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["plan"], ["scenarios"], ["scenarios", "list"], ["scenarios", "compare"],
                 ["scenarios", "export"]):
        with pytest.raises(SystemExit):
            main([*argv, "--help"])
        assert "Example:" in capsys.readouterr().out


def test_costs_files_in_yaml_and_csv(tmp_path: Path) -> None:
    from analysis.planning import PlanningInputError
    from app.commands.plan import read_unit_costs

    csv_file = tmp_path / "costs.csv"
    csv_file.write_text("action,cost_vnd\nrepair_cluster,9000000\nbuild_station,5e8\n", encoding="utf-8")
    costs = read_unit_costs(csv_file)
    assert (costs.repair_cluster, costs.build_station, costs.new_ip_cluster) == (9e6, 5e8, 35e6)
    bad = tmp_path / "bad.yaml"
    bad.write_text("repair_clusters: 9e6\n", encoding="utf-8")
    with pytest.raises(PlanningInputError, match="unknown cost name"):
        read_unit_costs(bad)
    bad.write_text("repair_cluster: tám triệu\n", encoding="utf-8")
    with pytest.raises(PlanningInputError, match="not a number"):
        read_unit_costs(bad)
