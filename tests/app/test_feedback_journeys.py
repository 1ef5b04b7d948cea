"""The citizen feedback page as its users meet it (issue 21), at 1366x768 and 390x844: a click on a report opens
its details, the assignee is picked from a list, the commune by name, the form is emptied after saving (a second
click records nothing), and a phone gets cards instead of a wide table. Screenshots in out/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

SIZES = {"1366x768": {"viewport": {"width": 1366, "height": 768}},
         "390x844": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}


def _count(database: str, words: str) -> int:
    engine = create_engine(database)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM feedback WHERE text = :t"), {"t": words}).scalar_one()
    engine.dispose()
    return int(found)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_report_is_selected_by_a_click_and_saved_once(browser: Any, app_url: str, demo_database: str,
                                                        size: str) -> None:
    page = log_in(browser, app_url, "planner", **SIZES[size])
    page.goto(f"{app_url}/phan-anh")
    page.wait_for_selector("#fb-table table", state="attached", timeout=60_000)
    phone = size == "390x844"
    assert page.locator(".fb-card").first.is_visible() == phone
    assert page.locator("#fb-table table").is_visible() != phone
    screenshot(page, f"feedback_{size}")
    clicked = page.locator(".fb-card" if phone else "tr.fb-row").first
    report_id = (clicked.get_attribute("id") or "")
    clicked.click()
    page.wait_for_selector("#fb-detail-text", timeout=30_000)
    assert page.input_value("#fb-act-id") and page.input_value("#fb-act-id") in report_id
    screenshot(page, f"feedback_detail_{size}")
    page.keyboard.press("Escape")
    page.wait_for_selector("#fb-detail-text", state="detached", timeout=10_000)

    words = f"Loa bản Nậm Pồ không kêu ({size})"
    page.click("#fb-new-commune")
    page.keyboard.type("Mường")
    page.keyboard.press("Enter")
    page.fill("#fb-new-text", words)
    page.click("#fb-new-save")
    page.wait_for_selector("#fb-new-saved", timeout=30_000)
    wait_until(page, "() => document.querySelector('#fb-new-text').value === ''")
    page.click("#fb-new-save")  # a second click saves nothing: the form was emptied
    page.wait_for_selector("#fb-new-result .alert-danger", timeout=30_000)
    assert _count(demo_database, words) == 1
    page.context.close()


# The page is ready when the register, the badge, the reports' circles and the communes' outlines are drawn.
READY = """() => {
  const host = document.querySelector('#fb-table');
  const pane = document.querySelector('#fb-map .leaflet-overlay-pane');
  return Boolean(host && host.dataset.count && document.querySelector('#fb-overdue').textContent &&
                 pane && pane.querySelectorAll('path').length > Number(host.dataset.count));
}"""


@pytest.mark.parametrize("size", list(SIZES))
def test_the_page_is_ready_without_errors_and_a_report_opens_from_the_keyboard(browser: Any, app_url: str,
                                                                               size: str) -> None:
    """The register is drawn from data (app/assets/phusong_feedback.js) and the reports are one GeoJSON layer:
    every report a row (desktop) or a card (phone, above the map), one circle each with its tooltip, no console
    error, and Enter on a focused row or card opens that report."""
    page = log_in(browser, app_url, "planner", **SIZES[size])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{app_url}/phan-anh")
    wait_until(page, READY, timeout=60_000)
    count = int(page.get_attribute("#fb-table", "data-count") or 0)
    phone = size == "390x844"
    item = ".fb-card" if phone else "tr.fb-row"
    assert count > 0 and page.locator(item).count() == count
    circles = page.locator("#fb-map .leaflet-overlay-pane path.leaflet-interactive")
    assert circles.count() >= count  # the reports' circles (plus the communes' outlines)
    if phone:
        first_card, map_box = page.locator(".fb-card").first.bounding_box(), page.locator("#fb-map").bounding_box()
        assert first_card and map_box and first_card["y"] < map_box["y"]
    screenshot(page, f"feedback_ready_{size}")
    chosen = page.locator(item).nth(1)
    report_id = (chosen.get_attribute("id") or "").rsplit("-", 1)[-1]
    chosen.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#fb-detail-text", timeout=30_000)
    assert page.input_value("#fb-act-id") == report_id
    assert errors == [] and page.blocked == []
    page.context.close()
