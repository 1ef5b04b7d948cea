"""Issue 21: the coverage map's legend on a phone (390×844) is folded by default under a "Chú giải" button, takes
at most 30 % of the map's height when unfolded, and folds again; on a desk it is open with no button."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 768}}
DRAWN = "#map-main .leaflet-overlay-pane canvas"


def _height(page: Any, selector: str) -> float:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return float(box["height"])


def test_the_legend_folds_on_a_phone(browser: Any, app_url: str) -> None:
    page = log_in(browser, app_url, "planner", **PHONE)
    page.goto(app_url)
    page.wait_for_selector(DRAWN, timeout=30_000)
    page.wait_for_selector("#map-legend [data-layer=facilities]", state="attached")
    toggle = page.locator("#map-legend-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator("#map-legend").is_visible()  # folded by default
    assert _height(page, "#map-legend-box") <= 0.12 * _height(page, "#map-main")
    screenshot(page, "map_legend_folded_390x844")
    toggle.click()
    wait_until(page, "() => document.querySelector('#map-legend-box').classList.contains('open')")
    assert page.locator("#map-legend").is_visible() and toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#map-legend [data-layer=communes]").is_visible()
    assert _height(page, "#map-legend-box") <= 0.30 * _height(page, "#map-main") + 1
    screenshot(page, "map_legend_open_390x844")
    toggle.click()
    wait_until(page, "() => !document.querySelector('#map-legend-box').classList.contains('open')")
    assert not page.locator("#map-legend").is_visible()
    page.context.close()


def test_the_legend_stays_open_on_a_desk(browser: Any, app_url: str) -> None:
    page = log_in(browser, app_url, "planner", **DESK)
    page.goto(app_url)
    page.wait_for_selector(DRAWN, timeout=30_000)
    page.wait_for_selector("#map-legend [data-layer=facilities] img.legend-symbol")  # visible
    assert not page.locator("#map-legend-toggle").is_visible()
    screenshot(page, "map_legend_1366x768")
    page.context.close()
