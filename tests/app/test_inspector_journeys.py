"""The inspector's day on a phone (issue 21): nothing entered is lost when the session ends, a photo belongs to
the form it was picked in, and every facility in scope can be found without a location."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from etl.names import fold_text
from tests.app.conftest import LOGINS, log_in, screenshot, wait_until

pytestmark = [pytest.mark.db, pytest.mark.browser]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
EXPIRED = "Phiên đăng nhập đã hết hạn – đăng nhập lại; dữ liệu đã nhập vẫn được giữ"
SCOPE = ["03160", "03162"]  # kiemtra's communes (app/demo.py): Mường Nhé and Nậm Kè


def _open_list(browser: Any, app_url: str) -> Any:
    """The inspector's list on a phone that gives no location (no permission asked for)."""
    page = log_in(browser, app_url, "inspector", **PHONE)
    page.goto(f"{app_url}/kiem-tra")
    page.wait_for_selector("#insp-items .inspection-item", timeout=30_000)
    page.wait_for_selector("#insp-location-text:has-text('Không có vị trí')", timeout=30_000)
    return page


def _open_item(page: Any, index: int) -> str:
    page.locator("#insp-items .inspection-item").nth(index).click()
    page.wait_for_selector("#insp-form-view", state="visible")
    wait_until(page, "document.querySelector('#insp-form-title').innerText.length > 0")
    return str(page.inner_text("#insp-form-title"))


def _save_and_settle(page: Any) -> str:
    """Save, wait for the message and for the commune's recomputation it follows; return the message."""
    page.click("#insp-save")
    page.wait_for_selector("#insp-saved", timeout=30_000)
    wait_until(page, "!document.querySelector('#insp-result-class').innerText.includes('tính lại')",
                           timeout=30_000)
    return str(page.inner_text("#insp-saved-message"))


def _jpeg(path: Path, size: tuple[int, int]) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "JPEG", quality=95)
    path.write_bytes(buffer.getvalue())
    return path


def _latest_inspection(demo_database: str, facility_name: str) -> Any:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT i.id, i.status_found, i.note, i.photo, i.photo_mime, i.inspector FROM inspection i "
            "JOIN facility f ON f.id = i.facility_id WHERE coalesce(f.name, '') = :name AND i.source = 'app' "
            "ORDER BY i.id DESC LIMIT 1"), {"name": facility_name}).first()
    engine.dispose()
    return row


def test_a_save_after_the_session_expired_keeps_the_form_and_goes_through_after_logging_in_again(
        browser: Any, app_url: str, demo_database: str) -> None:
    page = _open_list(browser, app_url)
    first = _open_item(page, 0)
    page.click("#insp-status label:has-text('Hoạt động')")
    assert first in _save_and_settle(page)
    # Another form opens: the previous form's message is gone with it.
    second = _open_item(page, 0)
    assert second != first
    page.wait_for_selector("#insp-saved", state="detached")
    page.click("#insp-status label:has-text('Xuống cấp')")
    note = "Loa rè, cần thay củ loa (ghi sau khi hết phiên)"
    page.fill("#insp-note", note)
    page.context.clear_cookies()  # the session ends while the inspector is typing
    page.click("#insp-save")
    page.wait_for_selector("#session-expired", timeout=20_000)
    assert page.inner_text("#session-expired") == EXPIRED
    assert page.input_value("#insp-note") == note and page.is_visible("#insp-form-view")
    assert page.locator("#insp-saved").count() == 0
    assert page.locator("#insp-status input:checked").get_attribute("value") == "degraded"
    page.wait_for_selector("#session-dialog input[name=password]")
    screenshot(page, "inspection_phone_session_expired")
    name, password = LOGINS["inspector"]
    assert page.input_value("#session-dialog input[name=name]") == name  # the name to log in again as
    page.fill("#session-dialog input[name=password]", "not-the-password")
    page.click("#session-dialog [type=submit]")
    page.wait_for_selector("#session-dialog #login-error", timeout=20_000)  # the login page's own refusal
    page.fill("#session-dialog input[name=password]", password)
    page.click("#session-dialog [type=submit]")
    page.wait_for_selector("#insp-saved", timeout=30_000)  # the held save went through
    assert page.locator("#session-dialog").count() == 0
    assert second in page.inner_text("#insp-saved-message")
    stored = _latest_inspection(demo_database, second)
    assert (stored.status_found, stored.note, stored.inspector) == ("degraded", note, name)
    page.context.close()


def test_a_photo_belongs_to_its_form_is_shrunk_in_the_browser_and_a_non_image_is_refused_when_picked(
        browser: Any, app_url: str, demo_database: str, tmp_path: Path) -> None:
    big = _jpeg(tmp_path / "loa_to.jpg", (3200, 2400))
    not_an_image = tmp_path / "ghi_chu.jpg"
    not_an_image.write_text("không phải ảnh", encoding="utf-8")
    page = _open_list(browser, app_url)
    assert page.locator("#insp-status input:checked").count() == 0
    first = _open_item(page, 0)
    assert page.locator("#insp-status input:checked").count() == 0  # no status chosen for the inspector
    page.set_input_files("#insp-photo input[type=file]", str(not_an_image))
    page.wait_for_selector("#insp-photo-refused", state="visible")
    assert not page.is_visible("#insp-photo-preview")
    page.set_input_files("#insp-photo input[type=file]", str(big))
    page.wait_for_selector("#insp-photo-thumb", state="visible")
    assert page.inner_text("#insp-photo-name") == "loa_to.jpg" and not page.is_visible("#insp-photo-refused")
    screenshot(page, "inspection_phone_photo")
    page.click("#insp-status label:has-text('Hoạt động')")
    _save_and_settle(page)
    stored = _latest_inspection(demo_database, first)
    assert stored.photo_mime == "image/jpeg"
    with Image.open(io.BytesIO(stored.photo)) as photo:
        assert photo.size == (1600, 1200)  # shrunk in the browser to 1600 px on the long side
    # The next form starts without the last photo: no name, no thumbnail, and nothing is sent with it.
    second = _open_item(page, 0)
    assert "loa_to.jpg" not in page.inner_text("#insp-form-view")
    assert not page.is_visible("#insp-photo-preview")
    page.set_input_files("#insp-photo input[type=file]", str(big))
    page.wait_for_selector("#insp-photo-thumb", state="visible")
    page.click("#insp-photo-remove")  # changed their mind: the photo goes
    page.wait_for_selector("#insp-photo-preview", state="hidden")
    page.click("#insp-status label:has-text('Hư hỏng')")
    _save_and_settle(page)
    stored = _latest_inspection(demo_database, second)
    assert stored.status_found == "broken" and stored.photo is None
    page.context.close()


def test_the_commune_station_is_found_without_a_location_among_more_than_25_facilities(
        browser: Any, app_url: str, demo_database: str) -> None:
    engine = create_engine(demo_database)
    with engine.connect() as conn:
        in_scope = conn.execute(text(
            "SELECT count(*) FROM facility WHERE commune_code = ANY(:c) AND status <> 'decommissioned'"),
            {"c": SCOPE}).scalar_one()
        station = conn.execute(text(
            "SELECT f.name, f.external_id, c.name AS commune FROM facility f JOIN commune c ON c.code = f.commune_code "
            "WHERE f.commune_code = '03160' AND f.type = 'commune_radio_station' AND f.status <> 'decommissioned' "
            "ORDER BY f.id LIMIT 1")).one()
    engine.dispose()
    assert in_scope > 25 and station.name and station.external_id
    page = _open_list(browser, app_url)
    # More facilities than one page holds: whatever the queue's order, any of them must be found another way.
    first_page = page.inner_text("#insp-items")
    assert page.locator("#insp-items .inspection-item").count() == 25
    assert page.inner_text("#insp-count") == f"1–25 trong {in_scope} thiết chế"
    screenshot(page, "inspection_phone_list_no_location")
    page.click("#insp-next")
    page.wait_for_selector(f"#insp-count:text-is('26–{min(50, in_scope)} trong {in_scope} thiết chế')")
    assert page.inner_text("#insp-items") != first_page
    # Typed on a phone keyboard without diacritics: part of the name.
    folded = "dai truyen thanh"
    assert folded in fold_text(station.name)
    page.fill("#insp-search", folded)
    wait_until(page, "document.querySelector('#insp-count').innerText.startsWith('1–')", timeout=20_000)
    assert station.name in page.inner_text("#insp-items")
    assert f"Mã khảo sát: {station.external_id}" in page.inner_text("#insp-items")
    screenshot(page, "inspection_phone_search")
    # Or its survey code, in lower case.
    page.fill("#insp-search", station.external_id.lower())
    page.wait_for_selector("#insp-count:text-is('1–1 trong 1 thiết chế')", timeout=20_000)
    # Or the filters: commune and type.
    page.fill("#insp-search", "")
    page.click("#insp-filter-commune")
    page.locator("[role=option]", has_text=station.commune).first.click()
    page.click("#insp-filter-type")
    page.locator("[role=option]", has_text="Đài truyền thanh cấp xã").first.click()
    wait_until(page, """(wanted) => {
        const items = [...document.querySelectorAll('#insp-items .inspection-item')];
        return items.length > 0 && items.every(item => item.innerText.includes(wanted));
    }""", arg="Đài truyền thanh cấp xã · " + station.commune, timeout=20_000)
    assert station.name in page.inner_text("#insp-items")
    page.locator("#insp-items .inspection-item", has_text=station.name).first.click()
    page.wait_for_selector(f"#insp-form-title:text-is('{station.name}')")
    assert station.external_id in page.inner_text("#insp-form-facts")
    page.context.close()
