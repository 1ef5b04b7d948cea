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
