"""Each role's journey through the served app in Debian's Chromium, with no internet; screenshots in out/screenshots."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.app.conftest import log_in, screenshot

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "geolocation": {"longitude": 102.40, "latitude": 22.25}, "permissions": ["geolocation"]}


def test_planner_finds_a_commune_without_diacritics_and_reads_its_reason(browser: Any, app_url: str) -> None:
    page = log_in(browser, app_url, "planner", viewport={"width": 1366, "height": 850})
    page.goto(app_url)
    page.wait_for_selector("#map-main .leaflet-overlay-pane canvas", timeout=30_000)
    assert "45 xã/phường/đặc khu" in page.inner_text("#map-commune-count")
    assert page.locator("nav").inner_text().count("Bản đồ phủ sóng") == 1
    # A click on the map opens the commune under it.
    box = page.locator("#map-main").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#map-panel-name", timeout=20_000)
    page.fill("#map-search", "Muong Nhe")
    page.click("text=Mường Nhé · Điện Biên")
    page.wait_for_selector("#map-panel-name:text-is('Mường Nhé')", timeout=20_000)
    assert page.inner_text("#map-panel-reason").strip()
    assert "Đài truyền thanh xã Mường Nhé" in page.inner_text("#map-panel-facilities")
    page.wait_for_timeout(1000)  # the fly to the commune
    screenshot(page, "map_planner_commune")
    assert page.blocked == []  # type: ignore[attr-defined]
    page.context.close()


def test_inspector_on_a_phone_records_an_inspection(browser: Any, app_url: str, demo_database: str,
                                                    tmp_path: Path) -> None:
    photo = tmp_path / "loa.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    page = log_in(browser, app_url, "inspector", **PHONE)
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-items .list-group-item", timeout=30_000)
    assert "Gần nhất ở trên cùng" in page.inner_text("#insp-location-text")
    listed = page.inner_text("#insp-items")
    assert "Mường Nhé" in listed and "Điện Biên Phủ" not in listed  # only the inspector's communes
    screenshot(page, "inspection_phone_list")
    page.locator("#insp-items .list-group-item").first.click()
    page.wait_for_selector("#insp-form-view", state="visible")
    title = page.inner_text("#insp-form-title")
    page.click("label:has-text('Hư hỏng')")
    page.fill("#insp-note", "Loa không kêu, dây đứt")
    page.set_input_files("#insp-photo input[type=file]", str(photo))
    page.wait_for_selector("text=loa.jpg")
    screenshot(page, "inspection_phone_form")
    page.click("#insp-save")
    page.wait_for_selector("#insp-saved", timeout=30_000)
    assert "Đã lưu" in page.inner_text("#insp-saved")
    screenshot(page, "inspection_phone_saved")
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT i.status_found, i.note, i.photo_mime, length(i.photo) > 0, i.geom_reported IS NOT NULL, "
            "f.status, i.inspector FROM inspection i JOIN facility f ON f.id = i.facility_id "
            "WHERE f.name = :name ORDER BY i.id DESC LIMIT 1"), {"name": title}).one()
    engine.dispose()
    assert row == ("broken", "Loa không kêu, dây đứt", "image/jpeg", True, True, "broken", "kiemtra")
    page.context.close()


def test_pages_refuse_roles_they_are_not_for(browser: Any, app_url: str) -> None:
    page = log_in(browser, app_url, "budget", viewport={"width": 1280, "height": 800})
    assert page.locator("#nav-inspection").count() == 0
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#page-no-access", timeout=20_000)
    page.context.close()
