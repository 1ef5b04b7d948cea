"""The planner's map and plan pages (issue 21, planner part), on a desktop (1366x768) and a phone (390x844):
no console error on any page while panning and zooming, the offline base map with a layer switcher, facility
symbols with an identify popup, a legend for every visible layer, labels at province zoom, search by code and
without "xã"; the plan page's saved scenarios (reopen, rename, duplicate, delete), totals and two-map comparison;
the phone's drawer and bottom sheet. Screenshots in out/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from app.i18n import STATUS_WORDS
from tests.app.conftest import log_in, screenshot, wait_until
from tests.app.test_planner_journeys import DESKTOP, DRAWN_WAIT_MS, PAGES, PHONE, _console_errors

pytestmark = [pytest.mark.db, pytest.mark.browser]
SIZES = {"1366x768": DESKTOP, "390x844": PHONE}


def _pan_and_zoom(page: Any, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + min(box["height"] / 2, 200)
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 50, cy + 30, steps=6)
    page.mouse.up()
    for _ in range(2):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(700)
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(900)


@pytest.mark.parametrize("size", list(SIZES))
def test_no_console_error_on_any_page_while_panning_and_zooming(browser: Any, app_url: str, size: str) -> None:
    page = log_in(browser, app_url, "admin", **SIZES[size])
    errors = _console_errors(page)
    for name, (path, drawn) in PAGES.items():
        page.goto(f"{app_url}{path}")
        page.wait_for_selector(drawn, timeout=DRAWN_WAIT_MS)
        page.wait_for_timeout(800)
        for index in range(page.locator(".leaflet-container").count()):
            _pan_and_zoom(page, f".leaflet-container >> nth={index}")
        assert errors == [], (name, errors)
    assert page.blocked == []  # nothing asked of the internet: the base map is the offline one
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_map_base_layers_symbols_popup_legends_labels_and_search(browser: Any, app_url: str, size: str) -> None:
    phone = size == "390x844"
    page = log_in(browser, app_url, "planner", **SIZES[size])
    errors = _console_errors(page)
    page.goto(app_url)
    page.wait_for_selector("#map-main .leaflet-overlay-pane canvas", timeout=DRAWN_WAIT_MS)
    # The offline base map is drawn from phusong's own tiles, with a switcher of base layers.
    page.wait_for_selector("#map-main img.leaflet-tile[src*='/assets/basemap/']", timeout=15_000)
    assert page.locator("#map-main .leaflet-control-layers").count() == 1
    # Legends: the class colours and the facilities' shapes; the villages' once that layer is on.
    # (attached: on a phone the legend is folded under its button, tests/app/test_legend_fold.py)
    page.wait_for_selector("#map-legend [data-layer=facilities] img.legend-symbol", state="attached")
    assert page.locator("#map-legend [data-layer=villages]").count() == 0
    if phone:  # map first; the filters wait in a drawer, out of the screen
        assert page.locator("#map-main").bounding_box()["y"] < 250
        assert page.locator("#map-filters").bounding_box()["x"] < -100
        page.click("#map-filters-open")
        wait_until(page, "() => document.querySelector('#map-filters').getBoundingClientRect().x >= 0")
        screenshot(page, "map_filters_drawer_390x844")
    page.locator("#map-layers label", has_text="Thôn").click()
    page.wait_for_selector("#map-legend [data-layer=villages]", state="attached", timeout=10_000)
    # Search by commune code, and with the unit word typed without diacritics.
    page.fill("#map-search", "03162")
    page.wait_for_selector("#map-search-hits >> text=Nậm Kè · Điện Biên · 03162", timeout=10_000)
    page.fill("#map-search", "xa nam k")
    page.wait_for_timeout(1000)  # the hits of the new text replace those of the code
    page.click("#map-search-hits >> text=Nậm Kè · Điện Biên")
    page.wait_for_selector("#map-panel-name:text-is('Nậm Kè')", timeout=20_000)
    if phone:  # the drawer gives way to the panel, a bottom sheet
        wait_until(page, "() => document.querySelector('#map-filters').getBoundingClientRect().right <= 0")
        wait_until(page, "() => document.querySelector('#map-sheet').getBoundingClientRect().top < 844")
        screenshot(page, "map_commune_sheet_390x844")
        page.click("#map-sheet-close")
        wait_until(page, "() => document.querySelector('#map-sheet').getBoundingClientRect().top >= 840")
    # Zoomed to the commune (province zoom or more): commune names as labels.
    page.wait_for_selector("#map-main .commune-label", timeout=20_000)
    assert "Nậm Kè" in page.locator("#map-main .commune-label").all_inner_texts()
    # Facilities are symbols (not class colours); a click opens the identify popup.
    for _ in range(5):
        if page.locator("#map-main .fac-icon").count():
            break
        page.locator("#map-main .phusong-cluster-icon").first.click()
        page.wait_for_timeout(1200)
    page.locator("#map-main .fac-icon").first.click()
    page.wait_for_selector("#map-facility-status", timeout=15_000)
    assert page.inner_text("#map-facility-status") in {vi for vi, _ in STATUS_WORDS.values()}
    assert page.inner_text("#map-facility-code").strip() != ""
    assert "Lần kiểm tra gần nhất" in page.inner_text("#map-facility-popup")
    screenshot(page, f"map_identify_{size}")
    assert errors == []
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_the_plan_page_totals_saved_scenarios_and_two_map_comparison(browser: Any, app_url: str, size: str) -> None:
    page = log_in(browser, app_url, "planner", **SIZES[size])
    errors = _console_errors(page)
    page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    page.goto(f"{app_url}/ke-hoach")
    page.wait_for_selector("#plan-map .leaflet-overlay-pane canvas", timeout=DRAWN_WAIT_MS)
    page.wait_for_selector("#plan-legend")
    page.fill("#plan-budget", "800000000")
    page.click("#plan-run")
    page.wait_for_selector("#plan-actions", timeout=180_000)
    line = page.inner_text("#plan-plain-line")
    assert "Ngân sách (đồng): 800.000.000" in line and "đồng/người" in line
    assert not page.is_visible("#plan-details")
    page.click("#plan-details-toggle")
    page.wait_for_selector("#plan-details", state="visible")
    assert page.locator("#plan-totals-action tbody tr").count() >= 1
    assert page.locator("#plan-totals-commune tbody tr").count() >= 1
    name = f"Phương án 1/2027 {size}"
    page.fill("#plan-name", name)
    page.click("#plan-save")
    page.wait_for_selector("#plan-saved", timeout=DRAWN_WAIT_MS)
    screenshot(page, f"planning_result_{size}")
    # The saved scenario: duplicated, renamed, reopened, compared with its copy, then deleted.
    page.click("#plan-saved-pick")
    page.locator("[role=option]", has_text=name).first.click()
    page.click("#plan-saved-duplicate")
    page.wait_for_selector("#plan-saved-done:has-text('(bản sao)')", timeout=20_000)
    page.fill("#plan-saved-name", f"Bản sửa {size}")
    page.click("#plan-saved-rename")
    page.wait_for_selector(f"#plan-saved-done:has-text('Bản sửa {size}')", timeout=20_000)
    page.click("#plan-saved-open")
    page.wait_for_selector("#plan-saved-opened", timeout=20_000)
    assert "đồng/người" in page.inner_text("#plan-plain-line")
    for side, label in (("a", name), ("b", f"Bản sửa {size}")):
        page.click(f"#plan-compare-{side}")
        page.locator("[role=option]", has_text=label).first.click()
    page.wait_for_selector("#plan-compare-map-a .leaflet-overlay-pane canvas", timeout=DRAWN_WAIT_MS)
    page.wait_for_selector("#plan-compare-map-b .leaflet-overlay-pane canvas", timeout=DRAWN_WAIT_MS)
    assert "chỉ có ở đây: 0" in page.inner_text("#plan-compare-only-a")  # a copy: no difference
    screenshot(page, f"planning_compare_{size}")
    page.click("#plan-saved-delete")
    page.wait_for_selector(f"#plan-saved-done:has-text('Đã xoá «Bản sửa {size}»')", timeout=20_000)
    assert errors == []
    page.context.close()
