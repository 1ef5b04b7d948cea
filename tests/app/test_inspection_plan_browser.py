"""Issue 23 in Chromium: the planner's Kế hoạch kiểm tra page (progress per commune and inspector, an overdue
count, a row picked for reassignment) and the inspector's "Việc của tôi" first on the Kiểm tra page, overdue
first, a tap opening the facility's form; at 1366×768 and 390×844, with screenshots."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.app.conftest import log_in, screenshot, wait_until
from tests.app.plan_helpers import demo_plan

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
HANOI = {"timezone_id": "Asia/Ho_Chi_Minh", "locale": "vi-VN"}


def _overdue_task_name(url: str, plan_id: int) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        name = conn.execute(text(
            "SELECT coalesce(f.name, '') FROM inspection_assignment a JOIN facility f ON f.id = a.facility_id "
            "WHERE a.plan_id = :p AND a.inspector = 'kiemtra' AND a.status = 'open' "
            "ORDER BY a.due_date, a.priority, a.facility_id LIMIT 1"), {"p": plan_id}).scalar_one()
    engine.dispose()
    return str(name)


@pytest.mark.parametrize(("size", "context"), [("1366x768", DESKTOP), ("390x844", PHONE)])
def test_the_planner_sees_progress_and_picks_an_assignment(browser: Any, app_url: str, demo_database: str,
                                                           size: str, context: dict[str, Any]) -> None:
    demo_plan(demo_database)
    page = log_in(browser, app_url, "planner", **context, **HANOI)
    problems: list[str] = []  # the Content-Security-Policy refuses nothing, and nothing throws
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" or "Content Security" in m.text
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{app_url}/ke-hoach-kiem-tra")
    page.wait_for_selector("#iplan-commune-table tbody tr", timeout=30_000)
    assert "Mường Nhé" in page.inner_text("#iplan-commune-table") or page.locator(
        "#iplan-commune-table tbody tr").count() > 2
    assert "kiemtra" in page.inner_text("#iplan-inspector-table")
    overdue = page.inner_text("#iplan-overdue")
    assert overdue.startswith("Quá hạn") and int(overdue.split(":")[1].strip().replace(".", "")) >= 1, overdue
    page.wait_for_selector("#iplan-grid .ag-row", timeout=30_000)
    page.locator("#iplan-grid .ag-row").first.click()
    wait_until(page, "!document.querySelector('#iplan-remove').disabled")
    if page.is_disabled("#iplan-reassign"):  # an unassigned row: nobody holds its commune, and the page says so
        assert "Không có cán bộ kiểm tra nào phụ trách" in page.inner_text("#iplan-inspector")
    screenshot(page, f"inspection_plan_{size}")
    assert not page.blocked and not problems, problems


@pytest.mark.parametrize(("size", "context"), [("1366x768", DESKTOP), ("390x844", PHONE)])
def test_my_tasks_come_first_overdue_first_and_open_the_form(browser: Any, app_url: str, demo_database: str,
                                                             size: str, context: dict[str, Any]) -> None:
    plan_id = demo_plan(demo_database)
    page = log_in(browser, app_url, "inspector", **context, **HANOI)
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-my-tasks-items .insp-task", timeout=30_000)
    # first on the page: above the facility list
    tasks_top = page.locator("#insp-my-tasks-card").bounding_box()["y"]
    page.wait_for_selector("#insp-items", timeout=30_000)
    assert tasks_top < page.locator("#insp-items").bounding_box()["y"]
    first = page.locator("#insp-my-tasks-items .insp-task").first
    assert "Quá hạn" in first.inner_text()
    expected = _overdue_task_name(demo_database, plan_id)
    if expected:
        assert expected in first.inner_text()
    screenshot(page, f"inspection_my_tasks_{size}")
    first.click()
    page.wait_for_selector("#insp-form-view", state="visible")
    wait_until(page, "document.querySelector('#insp-form-title').innerText.length > 0")
    if expected:
        assert page.inner_text("#insp-form-title") == expected
    assert not page.blocked


def test_the_offline_page_carries_my_tasks_overdue_first(browser: Any, app_url: str, demo_database: str) -> None:
    """The area pack holds the inspector's open assignments; the field page lists them first, overdue first."""
    plan_id = demo_plan(demo_database)
    page = log_in(browser, app_url, "inspector", **PHONE, **HANOI, permissions=["geolocation"])
    page.goto(f"{app_url}/thuc-dia/")
    wait_until(page, "document.body?.dataset.ready === '1'")
    wait_until(page, "document.querySelectorAll('#td-list .td-item').length > 0")
    pack = page.evaluate("fetch('/thuc-dia/api/pack').then(function (r) { return r.json(); })")
    assert pack["assignments"] and all(set(a) == {"facility_id", "due_date", "priority", "period"}
                                       for a in pack["assignments"])
    first = page.locator("#td-list .td-item").first
    assert "Quá hạn · hạn 15/10/2026" in first.inner_text()
    expected = _overdue_task_name(demo_database, plan_id)
    if expected:
        assert expected in first.inner_text()
    assert page.locator("#td-list .td-task").count() == min(len(pack["assignments"]),
                                                            page.locator("#td-list .td-item").count())
    screenshot(page, "offline_my_tasks_390x844")
    assert not page.blocked
