"""Investment over years on the demo province (issue 23): a 4-year plan keeps every year's line, funds nothing
twice and its first year reaches at least the one-year plan's people; the plan page's year slider shows the
actions up to the chosen year and the year x line table, on a desktop (1366x768) and a phone (390x844)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import create_engine

from analysis.planning import PlanResult, budget_per_year, plan_investments, plan_phased, save_scenario
from app.components.planning_views import ACTION_COLOURS
from sql.bulk import set_actor
from tests.analysis.test_phased import at_least
from tests.app.conftest import log_in, screenshot, wait_until
from tests.app.test_planner_journeys import DESKTOP, PHONE, _console_errors

pytestmark = [pytest.mark.db]
SIZES = {"1366x768": DESKTOP, "390x844": PHONE}
SCENARIO = "Kế hoạch 2027-2030 (thử nghiệm nhiều năm)"


@pytest.fixture(scope="module")
def four_years(demo_database: str) -> Iterator[tuple[PlanResult, PlanResult, int]]:
    """The demo province's plan over 2027-2030 at 1.5 billion VND a year, the one-year plan of 1.5 billion VND,
    and the id of the first saved as the planner's scenario."""
    engine = create_engine(demo_database)
    with engine.begin() as conn:
        phased = plan_phased(conn, budget=budget_per_year((2027, 2030), 1.5e9), province_code="11")
        single = plan_investments(conn, budget_vnd=1.5e9, province_code="11")
        set_actor(conn, "quyhoach")
        scenario_id = save_scenario(conn, SCENARIO, phased, owner="quyhoach")
    engine.dispose()
    yield phased, single, scenario_id


def test_four_years_keep_each_line_fund_once_and_the_first_year_beats_the_one_year_plan(
        four_years: tuple[PlanResult, PlanResult, int]) -> None:
    phased, single, _ = four_years
    actions = phased.actions
    assert sorted(actions["year"].unique()) == [2027, 2028, 2029, 2030]   # every year spends
    for year, spent in actions.groupby("year")["cost_vnd"].sum().items():
        assert spent <= 1.5e9, year
    assert (phased.by_year["cost_vnd"] <= phased.by_year["budget_vnd"]).all()
    keys = list(zip(actions["action"], actions["facility_id"].astype(str), actions["lon"].round(5),
                    actions["lat"].round(5), strict=True))
    assert len(keys) == len(set(keys))   # no action funded twice
    first = actions[actions["year"] == 2027]["added_population"]
    at_least(first, single.actions["added_population"])
    later = [actions[actions["year"] == y]["added_population"].sum() for y in (2028, 2029, 2030)]
    assert first.sum() > max(later)   # earlier years reach the most people first
    assert phased.solution.mip_gap is not None and phased.solution.mip_gap <= 0.005 + 1e-9
    assert phased.params["first_year_status"] == "optimal"


def _action_pixels(page: Any) -> int:
    """Pixels of the plan map drawn in an action's colour (the actions are canvas circles, not elements)."""
    image = Image.open(io.BytesIO(page.locator("#plan-map").screenshot())).convert("RGB")
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in ACTION_COLOURS.values()}
    return sum(count for count, rgb in image.getcolors(1 << 20) or [] if rgb in colours)


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_the_year_slider_shows_the_actions_up_to_its_year(browser: Any, app_url: str, size: str,
                                                          four_years: tuple[PlanResult, PlanResult, int]) -> None:
    page = log_in(browser, app_url, "planner", **SIZES[size])
    errors = _console_errors(page)
    page.goto(f"{app_url}/ke-hoach")
    page.wait_for_selector("#plan-map .leaflet-overlay-pane canvas", timeout=30_000)
    page.click("#plan-saved-pick")
    page.locator("[role=option]", has_text=SCENARIO).first.click()
    page.click("#plan-saved-open")
    page.wait_for_selector("#plan-years-table", timeout=30_000)
    rows = page.locator("#plan-years-table tbody tr")
    assert rows.count() == 8   # 4 years x 1 line, and each year's total
    assert "Ngân sách tỉnh" in rows.first.inner_text() and "2027" in rows.first.inner_text()
    page.locator("#plan-map").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    every_year = _action_pixels(page)
    screenshot(page, f"plan_years_all_{size}")
    thumb = page.locator("#plan-year [role=slider]")
    thumb.focus()
    thumb.press("Home")   # the keyboard moves it as a mouse does: to the first year
    wait_until(page, "() => document.querySelector('#plan-year [role=slider]')"
                     ".getAttribute('aria-valuenow') === '2027'")
    page.wait_for_timeout(1500)
    first_year = _action_pixels(page)
    screenshot(page, f"plan_years_2027_{size}")
    assert 0 < first_year < every_year   # later years' actions hidden
    thumb.press("End")
    wait_until(page, "() => document.querySelector('#plan-year [role=slider]')"
                     ".getAttribute('aria-valuenow') === '2030'")
    page.wait_for_timeout(1500)
    assert _action_pixels(page) == pytest.approx(every_year, rel=0.05)
    assert errors == []
    if size == "1366x768":   # the scenario's download: the summary by year and line, then a sheet per year
        answer = page.request.get(f"{app_url}/download/scenario/{four_years[2]}.xlsx")
        assert answer.ok
        book = load_workbook(io.BytesIO(answer.body()))
        assert book.sheetnames[:5] == ["Tổng hợp theo năm", "Năm 2027", "Năm 2028", "Năm 2029", "Năm 2030"]
        summary = list(book["Tổng hợp theo năm"].values)
        grand = summary[-1]
        assert grand[1] == "Tổng cộng" and grand[2] == 6_000_000_000
        year_sheets = [list(book[f"Năm {y}"].values) for y in (2027, 2028, 2029, 2030)]
        cost = year_sheets[0][0].index("Chi phí (đồng)")
        assert grand[3] == sum(row[cost] for sheet in year_sheets for row in sheet[1:])
        assert grand[5] == sum(len(sheet) - 1 for sheet in year_sheets)
    page.context.close()


@pytest.mark.browser
def test_a_plan_over_years_from_the_form_and_a_refused_budget_file(browser: Any, app_url: str,
                                                                   tmp_path: Any) -> None:
    page = log_in(browser, app_url, "planner", **DESKTOP)
    page.goto(f"{app_url}/ke-hoach")
    page.wait_for_selector("#plan-map .leaflet-overlay-pane canvas", timeout=30_000)
    bad = tmp_path / "ngan_sach.csv"
    bad.write_text("năm,nguồn vốn,ngân sách\n2027,ngân hàng,5e8\n", encoding="utf-8")
    page.fill("#plan-years", "2027-2028")
    page.set_input_files("#plan-budget-file input[type=file]", str(bad))
    page.wait_for_selector("#plan-budget-file-name:has-text('ngan_sach.csv')")
    page.click("#plan-run")
    page.wait_for_selector("#plan-totals .alert-danger", timeout=60_000)
    refusal = page.inner_text("#plan-totals")
    assert "ngan_sach.csv, dòng 2, cột 'line': 'ngân hàng'" in refusal and "/tmp" not in refusal
    page.goto(f"{app_url}/ke-hoach")
    page.wait_for_selector("#plan-years")
    page.fill("#plan-years", "2027-2028")
    page.fill("#plan-budget", "400000000")
    page.click("#plan-run")
    page.wait_for_selector("#plan-years-table", timeout=300_000)
    assert page.locator("#plan-years-table tbody tr").count() == 4
    assert page.get_attribute("#plan-year [role=slider]", "aria-valuemin") == "2027"
    assert page.get_attribute("#plan-year [role=slider]", "aria-valuemax") == "2028"
    screenshot(page, "plan_years_form_1366x768")
    page.context.close()
