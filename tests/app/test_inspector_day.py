"""The inspector's day, the rest of issue 21: a small map with "vị trí của tôi", the visit time, counters, a
confirmation and an undo for "Đã thanh lý", their own inspections of the day corrected, a photo too large refused
when picked, the distance warning. On today's main none of these exist (no map, no undo, no correction)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from tests.app.conftest import log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
HANOI = {"timezone_id": "Asia/Ho_Chi_Minh", "locale": "vi-VN"}


def _facility(demo_database: str, name: str) -> Any:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT f.id, f.status, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat FROM facility f "
            "WHERE coalesce(f.name, '') = :n ORDER BY f.id LIMIT 1"), {"n": name}).one()
    engine.dispose()
    return row


def _latest(demo_database: str, facility_id: int) -> Any:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT id, status_found, note, inspected_at, withdrawn_at, corrects_id FROM inspection "
            "WHERE facility_id = :f AND source = 'app' ORDER BY id DESC LIMIT 1"), {"f": facility_id}).one()
    engine.dispose()
    return row


def _open(page: Any, app_url: str, index: int) -> str:
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-items .inspection-item", timeout=30_000)
    page.locator("#insp-items .inspection-item").nth(index).click()
    page.wait_for_selector("#insp-form-view", state="visible")
    wait_until(page, "document.querySelector('#insp-form-title').innerText.length > 0")
    return str(page.inner_text("#insp-form-title"))


def test_decommissioned_is_confirmed_can_be_undone_and_the_day_corrected_on_a_phone(
        browser: Any, app_url: str, demo_database: str) -> None:
    page = log_in(browser, app_url, "inspector", **PHONE, **HANOI)
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-map path.insp-point", state="attached", timeout=30_000)
    assert page.locator("#insp-map path.insp-point").count() > 25  # every facility in scope
    screenshot(page, "inspection_phone_390x844")
    name = _open(page, app_url, 2)
    facility = _facility(demo_database, name)
    # The visit time: now by default, never later than now.
    visited = page.input_value("#insp-visited")
    assert visited and page.get_attribute("#insp-visited", "max") == visited
    page.fill("#insp-note", "Cột loa đổ")
    wait_until(page, "document.querySelector('#insp-note-count').innerText === '10 / 2000'")
    page.click("#insp-status label:has-text('Đã thanh lý')")
    page.click("#insp-save")
    page.wait_for_selector("#insp-confirm .modal-body", timeout=20_000)  # asked once more, nothing saved yet
    screenshot(page, "inspection_phone_confirm_decommissioned")
    assert _facility(demo_database, name).status == facility.status
    page.click("#insp-confirm-no")
    page.wait_for_selector("#insp-confirm .modal-body", state="detached")
    assert _facility(demo_database, name).status == facility.status
    page.click("#insp-save")
    page.click("#insp-confirm-yes")
    page.wait_for_selector("#insp-saved #insp-undo", timeout=30_000)
    assert _facility(demo_database, name).status == "decommissioned"
    page.click("#insp-undo")
    page.wait_for_selector("#insp-undone", timeout=30_000)
    assert _facility(demo_database, name).status == facility.status  # back as it was
    assert _latest(demo_database, facility.id).withdrawn_at is not None
    # Their day: the undone one marked; another saved and then corrected.
    name2 = _open(page, app_url, 0)
    page.click("#insp-status label:has-text('Hư hỏng')")
    page.fill("#insp-note", "Mất điện")
    page.click("#insp-save")
    page.wait_for_selector("#insp-saved", timeout=30_000)
    item = page.locator("#insp-my-day-items .my-day-item", has_text=name2).first
    item.wait_for(timeout=20_000)
    assert page.locator("#insp-my-day-items .my-day-item", has_text=name).first.inner_text().count("hoàn tác")
    item.locator("button:has-text('Sửa')").click()
    page.wait_for_selector("#insp-correct-modal .modal-body", timeout=20_000)
    assert page.input_value("#insp-correct-note") == "Mất điện"
    page.click("#insp-correct-status label:has-text('Xuống cấp')")
    page.fill("#insp-correct-note", "Có điện lại, loa rè")
    screenshot(page, "inspection_phone_correct")
    page.click("#insp-correct-save")
    page.wait_for_selector("#insp-corrected", timeout=30_000)
    second = _facility(demo_database, name2)
    corrected = _latest(demo_database, second.id)
    assert (second.status, corrected.status_found, corrected.note) == ("degraded", "degraded", "Có điện lại, loa rè")
    assert corrected.corrects_id is not None
    page.context.close()


def test_my_location_distance_visit_time_and_a_photo_too_large_on_a_desktop(
        browser: Any, app_url: str, demo_database: str, tmp_path: Path) -> None:
    page = log_in(browser, app_url, "inspector", **DESKTOP, **HANOI)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-items .inspection-item", timeout=30_000)
    name = page.locator("#insp-items .inspection-item b").first.inner_text()
    facility = _facility(demo_database, name)
    # The inspector stands 2 km north of the facility: the map shows them, the form warns.
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": facility.lat + 0.018, "longitude": facility.lon})
    page.click("#insp-locate")
    page.wait_for_selector("#insp-map path.insp-me", state="attached", timeout=30_000)
    page.wait_for_selector("#insp-location-text:has-text('Vị trí hiện tại')", timeout=30_000)
    box = page.locator("#insp-map").bounding_box()  # the map pans and zooms without errors
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 40, steps=5)
    page.mouse.up()
    page.wait_for_timeout(500)
    page.locator("#insp-items .inspection-item", has_text=name).first.click()
    page.wait_for_selector("#insp-far", timeout=20_000)
    assert "2,0 km" in page.inner_text("#insp-far")
    screenshot(page, "inspection_desktop_1366x768")
    # A visit time in the future is refused at the save.
    page.click("#insp-status label:has-text('Hoạt động')")
    page.fill("#insp-visited", "2099-01-01T08:00")
    page.click("#insp-save")
    page.wait_for_selector("#insp-photo-error:has-text('tương lai')", timeout=20_000)
    # A photo larger than any phone's is refused when picked.
    big = tmp_path / "qua_lon.png"
    Image.frombytes("RGB", (3000, 3000), os.urandom(3000 * 3000 * 3)).save(big, compress_level=0)
    assert big.stat().st_size > 25 * 1024 * 1024
    page.set_input_files("#insp-photo input[type=file]", str(big))
    page.wait_for_selector("#insp-photo-refused:has-text('quá lớn')", state="visible", timeout=30_000)
    assert page.get_attribute("#insp-photo input[type=file]", "accept") == "image/*"  # the camera is offered
    # The Kobo/ODK form is a download from the same page.
    page.click("#insp-cancel")
    with page.expect_download() as download:
        page.click("#insp-kobo-form")
    assert download.value.suggested_filename == "phusong_mau_kiem_tra.xlsx"
    assert not errors and not page.blocked, (errors, page.blocked)
    page.context.close()
