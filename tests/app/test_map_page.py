"""The coverage map page in Debian's Chromium: the commune polygons of the demo province are drawn."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.db, pytest.mark.browser]


def test_map_page_draws_the_demo_communes_without_internet(browser: Any, app_url: str, tmp_path: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    blocked: list[str] = []
    # Any request that leaves the machine would fail in the field with no internet: record and refuse it.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(app_url)
               else (blocked.append(route.request.url), route.abort()))
    page.goto(app_url)
    page.wait_for_selector("path.leaflet-interactive", timeout=30_000)
    polygons = page.locator("path.leaflet-interactive").count()
    assert polygons >= 45  # Điện Biên's 45 communes (multi-part communes draw one path per part at most)
    assert "45 xã/phường/đặc khu" in page.inner_text("#map-commune-count")
    assert page.locator("nav").inner_text().count("Bản đồ phủ sóng") == 1
    assert blocked == []
    page.screenshot(path=str(tmp_path / "map.png"))
    page.close()
